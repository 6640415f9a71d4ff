package io.steadfast.lbfilter.impl;

import io.steadfast.api.HeartbeatApi.DesiredState;
import io.steadfast.api.HeartbeatApi.ModuleDesired;
import io.steadfast.api.HeartbeatApi.Role;
import io.steadfast.api.LbFilterApi.FilterStatus;
import io.steadfast.config.ModuleConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Reconciles the farm filters of this node with heartbeat-svc's desired state (blocking; one caller at a time).
 * A farm module whose role here is {@link Role#MEMBER} gets a table for the desired members; any other role (or a
 * module missing from the desired state) gets no table — after the VIP is gone; until then every bucket is dropped
 * ({@link LbFilter#leave}). A desired state older than the last one seen is ignored, unless the same older number
 * comes again (a restarted heartbeat-svc numbers from 1 again and republishes every 2 s).
 *
 * <p>Unchanged members cost nothing, except that every {@code verifyEveryMs} the kernel's table is read and fixed
 * if someone changed it.
 */
public final class FilterReconciler {
    private static final Logger LOG = LoggerFactory.getLogger(FilterReconciler.class);

    private final String node;
    private final Map<String, FilterSpec> specs = new LinkedHashMap<>();
    private final LbFilter filter;
    private final long verifyEveryMs;
    private final LongSupplier clock;
    private final Map<String, Long> verifiedAt = new HashMap<>();
    private final Map<String, List<Integer>> lastOwned = new HashMap<>();
    /** module → why the last attempt to apply (or remove) its filter failed; read by health from any thread. */
    private final Map<String, String> failures = new java.util.concurrent.ConcurrentHashMap<>();
    private long lastSeq = -1;
    private long lastLowerSeq = -1;

    public FilterReconciler(String node, List<ModuleConfig> modules, LbFilter filter, long verifyEveryMs,
                            LongSupplier clock) {
        this.node = node;
        for (ModuleConfig m : modules) {
            if (m.isFarm() && m.runsOn(node) && m.vip().isPresent() && m.farm().isPresent()) {
                specs.put(m.name(), FilterSpec.of(m));
            }
        }
        this.filter = filter;
        this.verifyEveryMs = verifyEveryMs;
        this.clock = clock;
    }

    public List<FilterSpec> specs() {
        return List.copyOf(specs.values());
    }

    /** @return the statuses of the modules whose owned buckets changed (to publish); empty for a stale state */
    public synchronized List<FilterStatus> reconcile(DesiredState desired) {
        if (!desired.node().equals(node)) {
            return List.of();
        }
        if (desired.seq() < lastSeq) {
            if (desired.seq() != lastLowerSeq) {
                // a late message, or a restarted heartbeat-svc numbering from 1 again: a repeat tells them apart
                LOG.debug("ignored desired state seq {} (have {})", desired.seq(), lastSeq);
                lastLowerSeq = desired.seq();
                return List.of();
            }
            LOG.info("heartbeat-svc numbers its desired states from {} again (restarted): following it", desired.seq());
        }
        lastLowerSeq = -1;
        lastSeq = desired.seq();
        List<FilterStatus> changed = new ArrayList<>();
        for (FilterSpec spec : specs.values()) {
            Optional<ModuleDesired> d = desired.module(spec.module());
            try {
                LbFilter.Outcome o;
                if (d.isPresent() && d.get().role() == Role.MEMBER) {
                    long now = clock.getAsLong();
                    boolean verify = now - verifiedAt.getOrDefault(spec.module(), Long.MIN_VALUE / 2) >= verifyEveryMs;
                    o = filter.apply(spec, d.get().members(), verify);
                    if (verify) {
                        verifiedAt.put(spec.module(), now);
                    }
                } else {
                    o = filter.leave(spec);
                    verifiedAt.remove(spec.module());
                }
                report(spec, o, changed);
                failures.remove(spec.module());
            } catch (RuntimeException e) {
                LOG.error("{}: reconciling the filter failed: {}", spec.module(), e.getMessage());
                failures.put(spec.module(), String.valueOf(e.getMessage()));
                verifiedAt.remove(spec.module()); // read the kernel again next time
            }
        }
        return changed;
    }

    /** module → why its filter could not be applied (the last attempt failed); not synchronized: for health. */
    public Map<String, String> failures() {
        return Map.copyOf(failures);
    }

    /**
     * Lets the handover's time pass (call it every second or so): fresh buckets become plain owned ones, drains
     * end once their flows are gone or at their deadline. Costs nothing while nothing is pending.
     *
     * @return the statuses of the modules whose owned buckets changed
     */
    public synchronized List<FilterStatus> tick() {
        List<FilterStatus> changed = new ArrayList<>();
        for (FilterSpec spec : specs.values()) {
            try {
                filter.tick(spec).ifPresent(o -> report(spec, o, changed));
            } catch (RuntimeException e) {
                LOG.error("{}: handover step failed: {}", spec.module(), e.getMessage());
            }
        }
        return changed;
    }

    private void report(FilterSpec spec, LbFilter.Outcome o, List<FilterStatus> changed) {
        if (o.action() != LbFilter.Action.NONE) {
            LOG.info("{}: {} ({} buckets changed, {} owned of which {} fresh, {} draining, members {}, {} µs)",
                    spec.module(), o.action(), o.changed(), o.owned().size(), o.fresh().size(), o.draining().size(),
                    o.members(), o.nanos() / 1000);
        }
        List<Integer> before = lastOwned.put(spec.module(), o.owned());
        if (!o.owned().equals(before) || o.action() == LbFilter.Action.REMOVED) {
            changed.add(new FilterStatus(node, spec.module(), spec.iface(), o.members(), o.owned(),
                    List.of(), o.appliedAt(), o.action().name().toLowerCase(java.util.Locale.ROOT)));
        }
    }

    /** The kernel's view of every farm module of this node. */
    public synchronized List<FilterStatus> status() {
        List<FilterStatus> l = new ArrayList<>();
        for (FilterSpec spec : specs.values()) {
            try {
                l.add(filter.status(spec));
            } catch (RuntimeException e) {
                l.add(new FilterStatus(node, spec.module(), spec.iface(), List.of(), List.of(), List.of(), 0,
                        e.getMessage()));
            }
        }
        return l;
    }
}
