package io.steadfast.lbfilter.impl;

import io.steadfast.api.LbFilterApi;
import io.steadfast.api.LbFilterApi.FilterStatus;
import io.steadfast.exec.CommandResult;
import io.steadfast.exec.CommandRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Makes the kernel's farm filter of this node match the member list, through {@code nft} (blocking: call it from
 * a worker). Thread-safe (one module changes at a time).
 *
 * <p>Fast path: the last table this instance applied is remembered, and a membership change becomes one
 * transaction touching only the buckets that change owner. Slow path (first use after a restart, a failed
 * transaction, or {@code verify}): the kernel's table is read and fixed in place — elements only when the
 * structure is right, else one transaction replacing the whole table. Either way the kernel switches at once
 * from the old verdicts to the new: there is no moment where a bucket this node keeps owning is dropped.
 */
public final class LbFilter {
    private static final Logger LOG = LoggerFactory.getLogger(LbFilter.class);

    /** What happened to the kernel. */
    public enum Action { NONE, ELEMENTS, FULL, REMOVED }

    /**
     * @param changed buckets whose verdict changed in the kernel
     * @param nanos   time spent applying (nft transaction, plus reading the table on the slow path)
     */
    public record Outcome(String module, Action action, List<String> members, List<Integer> owned, int changed,
                          long appliedAt, long nanos) {
    }

    private record Applied(String chain, Map<Integer, Boolean> verdicts, List<String> members, long appliedAt) {
    }

    private final String node;
    private final CommandRunner runner;
    private final Duration timeout;
    private final Map<String, Applied> applied = new HashMap<>();

    public LbFilter(String node, CommandRunner runner, Duration timeout) {
        this.node = node;
        this.runner = runner;
        this.timeout = timeout;
    }

    /**
     * Makes this node accept exactly the buckets it owns among {@code members}.
     *
     * @param verify read the kernel even when this instance believes the table is right (periodic check)
     * @throws IllegalStateException when nft fails (the kernel keeps its previous table)
     */
    public synchronized Outcome apply(FilterSpec spec, List<String> members, boolean verify) {
        long t0 = System.nanoTime();
        List<Integer> owned = spec.table(members).ownedBy(node);
        Map<Integer, Boolean> want = verdicts(owned);
        String chain = FilterScript.chainName(spec);
        List<String> memberList = List.copyOf(members);
        Applied last = applied.get(spec.module());
        if (!verify && last != null && last.chain().equals(chain)) {
            Map<Integer, Boolean> changes = diff(last.verdicts(), want);
            if (changes.isEmpty()) {
                applied.put(spec.module(), new Applied(chain, want, memberList, last.appliedAt()));
                return new Outcome(spec.module(), Action.NONE, memberList, owned, 0, last.appliedAt(),
                        System.nanoTime() - t0);
            }
            CommandResult r = nft(FilterScript.elements(spec.module(), changes, last.verdicts().keySet()));
            if (r.ok()) {
                long at = System.currentTimeMillis();
                applied.put(spec.module(), new Applied(chain, want, memberList, at));
                return new Outcome(spec.module(), Action.ELEMENTS, memberList, owned, changes.size(), at,
                        System.nanoTime() - t0);
            }
            LOG.warn("{}: incremental update failed ({}), reading the kernel's table", spec.module(), r.describe());
        }
        Optional<KernelTable> kernel = read(spec.module());
        Action action;
        int changed;
        String script;
        if (kernel.isPresent() && kernel.get().structureMatches(spec)) {
            Map<Integer, Boolean> changes = diff(kernel.get().verdicts(), want);
            changed = changes.size();
            action = changes.isEmpty() ? Action.NONE : Action.ELEMENTS;
            script = FilterScript.elements(spec.module(), changes, kernel.get().verdicts().keySet());
        } else {
            changed = LbFilterApi.BUCKETS;
            action = Action.FULL;
            script = FilterScript.full(spec, new HashSet<>(owned));
            if (kernel.isPresent()) {
                LOG.info("{}: table {} has another structure, replacing it", spec.module(),
                        FilterScript.tableName(spec.module()));
            }
        }
        if (!script.isEmpty()) {
            CommandResult r = nft(script);
            if (!r.ok()) {
                applied.remove(spec.module());
                throw new IllegalStateException("applying the filter of " + spec.module() + " failed: "
                        + r.describe());
            }
        }
        long at = action == Action.NONE && last != null ? last.appliedAt() : System.currentTimeMillis();
        applied.put(spec.module(), new Applied(chain, want, memberList, at));
        return new Outcome(spec.module(), action, memberList, owned, changed, at, System.nanoTime() - t0);
    }

    /**
     * This node leaves the farm. While the VIP is still on the interface (vip-svc removes it in parallel, on the
     * same desired state) the table stays, with every bucket dropped: removing it first would let the node take
     * every bucket and reset the other members' connections. Once the VIP is gone the table is removed (at once,
     * or at the next reconcile).
     */
    public synchronized Outcome leave(FilterSpec spec) {
        CommandResult r = runner.run(List.of("ip", "-j", "-4", "addr", "show", "dev", spec.iface()), timeout);
        // when the interface cannot be read, assume the VIP is there: dropping everything is the safe side
        if (!r.ok() || hasAddress(r.stdout(), spec.vip())) {
            return apply(spec, List.of(), false);
        }
        return remove(spec.module());
    }

    static boolean hasAddress(String ipJson, String addr) {
        for (Object link : new io.vertx.core.json.JsonArray(ipJson.isBlank() ? "[]" : ipJson)) {
            if (link instanceof io.vertx.core.json.JsonObject l) {
                for (Object a : l.getJsonArray("addr_info", new io.vertx.core.json.JsonArray())) {
                    if (a instanceof io.vertx.core.json.JsonObject info && addr.equals(info.getString("local"))) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Removes the module's table (no-op when absent). */
    public synchronized Outcome remove(String module) {
        long t0 = System.nanoTime();
        Applied last = applied.remove(module);
        boolean present = last != null || read(module).isPresent();
        if (present) {
            CommandResult r = nft(FilterScript.delete(module));
            if (!r.ok()) {
                throw new IllegalStateException("removing the filter of " + module + " failed: " + r.describe());
            }
        }
        return new Outcome(module, present ? Action.REMOVED : Action.NONE, List.of(), List.of(), 0,
                System.currentTimeMillis(), System.nanoTime() - t0);
    }

    /** The module's filter as the kernel has it now, with per-bucket packet counters of the owned buckets. */
    public synchronized FilterStatus status(FilterSpec spec) {
        Optional<KernelTable> kernel = read(spec.module());
        Applied last = applied.get(spec.module());
        List<String> members = last == null ? List.of() : last.members();
        long at = last == null ? 0 : last.appliedAt();
        if (kernel.isEmpty()) {
            return new FilterStatus(node, spec.module(), spec.iface(), members, List.of(), List.of(), at,
                    "no filter table");
        }
        List<Integer> owned = new ArrayList<>();
        List<Long> packets = new ArrayList<>();
        new TreeMap<>(kernel.get().verdicts()).forEach((b, accept) -> {
            if (accept) {
                owned.add(b);
                packets.add(kernel.get().packets().getOrDefault(b, 0L));
            }
        });
        String reason = kernel.get().structureMatches(spec) ? "" : "table differs from the config";
        return new FilterStatus(node, spec.module(), spec.iface(), members, owned, packets, at, reason);
    }

    /** The kernel's table of {@code module}, empty when there is none. */
    public Optional<KernelTable> read(String module) {
        CommandResult r = runner.run(List.of("nft", "-j", "list", "table", "netdev",
                FilterScript.tableName(module)), timeout);
        if (!r.ok()) {
            if (!r.timedOut() && r.stderr().contains("No such file or directory")) {
                return Optional.empty();
            }
            throw new IllegalStateException("reading the filter of " + module + " failed: " + r.describe());
        }
        return Optional.of(KernelTable.parse(r.stdout()));
    }

    private CommandResult nft(String script) {
        return runner.run(List.of("nft", "-f", "-"), timeout, script, Map.of());
    }

    private static Map<Integer, Boolean> verdicts(List<Integer> owned) {
        Set<Integer> own = new HashSet<>(owned);
        Map<Integer, Boolean> m = new TreeMap<>();
        for (int b = 0; b < LbFilterApi.BUCKETS; b++) {
            m.put(b, own.contains(b));
        }
        return m;
    }

    private static Map<Integer, Boolean> diff(Map<Integer, Boolean> have, Map<Integer, Boolean> want) {
        Map<Integer, Boolean> changes = new TreeMap<>();
        want.forEach((b, v) -> {
            if (!v.equals(have.get(b))) {
                changes.put(b, v);
            }
        });
        return changes;
    }
}
