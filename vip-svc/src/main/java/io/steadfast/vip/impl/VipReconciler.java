package io.steadfast.vip.impl;

import io.steadfast.api.HeartbeatApi.DesiredState;
import io.steadfast.api.HeartbeatApi.ModuleDesired;
import io.steadfast.api.HeartbeatApi.Role;
import io.steadfast.api.VipApi.VipStatus;
import io.steadfast.config.ModuleConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The VIPs of this node's modules, following heartbeat-svc (blocking; one caller at a time).
 *
 * <p>Desired state: a mirror module whose role here is {@link Role#PRIMARY} and a farm module whose role is
 * {@link Role#MEMBER} have their VIP present (unless the mirror primary is fenced while it asks the split-brain
 * witness); any other role, or a module missing from the desired state, has it
 * absent. A desired state older than the last one seen is ignored — unless the same older number comes again
 * (heartbeat-svc republishes every 2 s): then heartbeat-svc was restarted and numbers from 1 again.
 *
 * <p>Explicit requests ({@code up}/{@code down}, sent by heartbeat-svc's role choreography) act at once, and the
 * module then ignores desired states up to the sequence number known at the time of the request: the choreography
 * may run before heartbeat-svc publishes the new desired state, and a periodic republication of the old one must
 * not undo it. The first desired state with a higher sequence number takes over again.
 */
public final class VipReconciler {
    private static final Logger LOG = LoggerFactory.getLogger(VipReconciler.class);

    private final String node;
    private final Map<String, ModuleConfig> modules = new LinkedHashMap<>();
    private final VipManager vips;
    private final Map<String, Long> overrideUpTo = new HashMap<>();
    private final Map<String, Boolean> lastPresent = new HashMap<>();
    private long lastSeq = -1;
    private long lastLowerSeq = -1;

    public VipReconciler(String node, List<ModuleConfig> all, VipManager vips) {
        this.node = node;
        for (ModuleConfig m : all) {
            if (m.runsOn(node) && m.vip().isPresent()) {
                modules.put(m.name(), m);
            }
        }
        this.vips = vips;
    }

    public Optional<ModuleConfig> module(String name) {
        return Optional.ofNullable(modules.get(name));
    }

    /** @return statuses of the modules whose VIP presence changed */
    public synchronized List<VipStatus> reconcile(DesiredState desired) {
        if (!desired.node().equals(node)) {
            return List.of();
        }
        if (desired.seq() < lastSeq) {
            if (desired.seq() != lastLowerSeq) {
                lastLowerSeq = desired.seq(); // a late message, or a restarted heartbeat-svc: wait for a repeat
                return List.of();
            }
            LOG.info("heartbeat-svc numbers its desired states from {} again (restarted): following it", desired.seq());
            overrideUpTo.clear();
        }
        lastLowerSeq = -1;
        lastSeq = desired.seq();
        List<VipStatus> changed = new ArrayList<>();
        for (ModuleConfig m : modules.values()) {
            Long upTo = overrideUpTo.get(m.name());
            if (upTo != null) {
                if (desired.seq() <= upTo) {
                    continue;
                }
                overrideUpTo.remove(m.name());
            }
            Optional<ModuleDesired> d = desired.module(m.name());
            Role want = m.isFarm() ? Role.MEMBER : Role.PRIMARY;
            boolean present = d.isPresent() && d.get().vipPresent(want);
            try {
                VipManager.Change c = present ? vips.up(m, false) : vips.down(m);
                if (c.changed()) {
                    LOG.info("{}: VIP {} {} (desired {})", m.name(), m.vip().get().addr(),
                            present ? "up" : "down", d.map(x -> x.role().name()).orElse("absent"));
                }
                track(c.status(), changed);
            } catch (RuntimeException e) {
                LOG.error("{}: reconciling the VIP failed: {}", m.name(), e.getMessage());
            }
        }
        return changed;
    }

    /** Explicit up: acts now (announcing a mirror VIP even if it was there) and pins the module against stale desired states. */
    public synchronized VipStatus up(String module) {
        ModuleConfig m = require(module);
        overrideUpTo.put(module, lastSeq);
        VipStatus s = vips.up(m, true).status();
        lastPresent.put(module, s.present());
        return s;
    }

    public synchronized VipStatus down(String module) {
        ModuleConfig m = require(module);
        overrideUpTo.put(module, lastSeq);
        VipStatus s = vips.down(m).status();
        lastPresent.put(module, s.present());
        return s;
    }

    public synchronized List<VipStatus> status() {
        List<VipStatus> l = new ArrayList<>();
        for (ModuleConfig m : modules.values()) {
            try {
                l.add(vips.status(m, ""));
            } catch (RuntimeException e) {
                l.add(new VipStatus(node, m.name(), m.vip().get().addr().toString(), m.vip().get().iface(), false,
                        "cannot read: " + e.getMessage()));
            }
        }
        return l;
    }

    /** Mirror modules whose VIP is present here and whose config asks for periodic gratuitous ARP. */
    public synchronized List<ModuleConfig> toRefresh() {
        return modules.values().stream()
                .filter(m -> m.isMirror() && m.vip().get().garp().refreshes()
                        && Boolean.TRUE.equals(lastPresent.get(m.name())))
                .toList();
    }

    public void announce(ModuleConfig m) {
        vips.announce(m);
    }

    /** The service stops: no announcement outlives it. */
    public void close() {
        vips.cancelAnnouncements();
    }

    private void track(VipStatus s, List<VipStatus> changed) {
        Boolean before = lastPresent.put(s.module(), s.present());
        if (before == null || before != s.present()) {
            changed.add(s);
        }
    }

    private ModuleConfig require(String module) {
        ModuleConfig m = modules.get(module);
        if (m == null) {
            throw new NoSuchElementException(module);
        }
        return m;
    }

    /** The module has no VIP on this node. */
    public static final class NoSuchElementException extends RuntimeException {
        public NoSuchElementException(String module) {
            super("module \"" + module + "\" has no VIP on this node");
        }
    }
}
