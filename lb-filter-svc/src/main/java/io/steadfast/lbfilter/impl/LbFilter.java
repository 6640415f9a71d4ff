package io.steadfast.lbfilter.impl;

import io.steadfast.api.LbFilterApi;
import io.steadfast.api.LbFilterApi.FilterStatus;
import io.steadfast.exec.CommandResult;
import io.steadfast.config.Proto;
import io.steadfast.exec.CommandRunner;
import io.steadfast.lbfilter.impl.FilterScript.Verdict;
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
import java.util.TreeSet;
import java.util.function.LongSupplier;

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
     * @param owned    buckets whose new connections this node takes (OWN and FRESH)
     * @param changed  buckets whose verdict changed in the kernel
     * @param draining buckets this node no longer owns but still serves established flows of (DRAIN)
     * @param fresh    owned buckets another live node still drains (FRESH: new connections only)
     * @param nanos    time spent applying (nft transaction, plus reading the table on the slow path)
     */
    public record Outcome(String module, Action action, List<String> members, List<Integer> owned, int changed,
                          long appliedAt, long nanos, List<Integer> draining, List<Integer> fresh) {
        public Outcome(String module, Action action, List<String> members, List<Integer> owned, int changed,
                       long appliedAt, long nanos) {
            this(module, action, members, owned, changed, appliedAt, nanos, List.of(), List.of());
        }
    }

    /** What this instance last put in the kernel, with the handover state it came from. */
    private record Applied(String chain, Map<Integer, Verdict> verdicts, List<String> members, long appliedAt,
                           BucketTable table, Map<Integer, Handover.State> states) {
    }

    private final String node;
    private final CommandRunner runner;
    private final Duration timeout;
    private final LongSupplier clock;
    private final Map<String, Applied> applied = new HashMap<>();

    public LbFilter(String node, CommandRunner runner, Duration timeout) {
        this(node, runner, timeout, System::currentTimeMillis);
    }

    /** @param clock ms, for the handover deadlines */
    public LbFilter(String node, CommandRunner runner, Duration timeout, LongSupplier clock) {
        this.node = node;
        this.runner = runner;
        this.timeout = timeout;
        this.clock = clock;
    }

    /**
     * Makes this node accept exactly the buckets it owns among {@code members}; with the handover on
     * ({@link FilterSpec#handover}), a bucket moving to another live node drains here and one taken from a live
     * node starts fresh ({@link Handover}).
     *
     * @param verify read the kernel even when this instance believes the table is right (periodic check)
     * @throws IllegalStateException when nft fails (the kernel keeps its previous table)
     */
    public synchronized Outcome apply(FilterSpec spec, List<String> members, boolean verify) {
        long t0 = System.nanoTime();
        long now = clock.getAsLong();
        String chain = FilterScript.chainName(spec);
        BucketTable table = spec.table(members);
        Applied last = applied.get(spec.module());
        if (last != null && !last.chain().equals(chain)) {
            last = null; // another structure: what this instance remembers does not apply
        }
        Optional<KernelTable> kernel = Optional.empty();
        Map<Integer, Handover.State> current;
        if (last != null) {
            current = last.states();
        } else {
            kernel = read(spec.module());
            current = statesOf(kernel.filter(k -> k.structureMatches(spec)), spec, now);
        }
        List<String> others = members.stream().filter(m -> !m.equals(node)).toList();
        Map<Integer, Handover.State> states = Handover.next(node, last == null ? null : last.table(), table, members,
                spec.table(others), current, now, spec.drain().toMillis());
        boolean readKernel = last == null || verify;
        return install(spec, List.copyOf(members), table, states, last, readKernel, kernel, t0);
    }

    /**
     * Time passes for the handover: fresh buckets past their deadline become plain owned ones, draining buckets
     * past theirs — or without any tracked flow left (the flow sets are read only while something drains) — are
     * let go. Nothing happens (no nft call) when nothing is pending.
     */
    public synchronized Optional<Outcome> tick(FilterSpec spec) {
        long t0 = System.nanoTime();
        Applied last = applied.get(spec.module());
        if (last == null || !last.chain().equals(FilterScript.chainName(spec)) || !Handover.pending(last.states())) {
            return Optional.empty();
        }
        Set<Integer> withFlows = Handover.draining(last.states()) ? flowBuckets(spec).orElse(null) : null;
        Map<Integer, Handover.State> states = Handover.tick(last.states(), clock.getAsLong(), withFlows);
        if (states.equals(last.states())) {
            return Optional.empty();
        }
        return Optional.of(install(spec, last.members(), last.table(), states, last, false, Optional.empty(), t0));
    }

    /** Buckets of {@code module} this node drains now (as last applied). */
    public synchronized List<Integer> draining(String module) {
        Applied last = applied.get(module);
        return last == null ? List.of() : select(last.states(), st -> st.mode() == Handover.Mode.DRAIN);
    }

    /** Buckets with a tracked flow (TCP open or closing, UDP), empty when a set could not be read. */
    Optional<Set<Integer>> flowBuckets(FilterSpec spec) {
        Set<Integer> buckets = new TreeSet<>();
        for (String set : List.of("tflows", "tclosing", "uflows")) {
            CommandResult r = runner.run(FilterScript.listSet(spec.module(), set), timeout);
            if (!r.ok()) {
                LOG.warn("{}: reading flow set {} failed ({}): drains end at their deadline", spec.module(), set,
                        r.describe());
                return Optional.empty();
            }
            buckets.addAll(FlowBuckets.buckets(spec, set.startsWith("u") ? Proto.UDP : Proto.TCP, r.stdout()));
        }
        return Optional.of(buckets);
    }

    /** Handover states read back from the kernel's verdicts (a restarted service): deadlines start again. */
    private static Map<Integer, Handover.State> statesOf(Optional<KernelTable> kernel, FilterSpec spec, long now) {
        Map<Integer, Handover.State> m = new TreeMap<>();
        long until = now + spec.drain().toMillis();
        kernel.ifPresent(k -> k.verdicts().forEach((b, v) -> m.put(b, switch (v) {
            case ACCEPT, OWN -> Handover.State.OWN;
            case FRESH -> new Handover.State(Handover.Mode.FRESH, null, until);
            case DRAIN -> new Handover.State(Handover.Mode.DRAIN, null, until);
            case DROP -> Handover.State.NONE;
        })));
        return m;
    }

    /**
     * Puts {@code states} in the kernel: one element transaction from what this instance applied last (fast path),
     * else from the kernel's table as read (elements only when the structure is right, else the whole table).
     */
    private Outcome install(FilterSpec spec, List<String> members, BucketTable table,
                            Map<Integer, Handover.State> states, Applied last, boolean readKernel,
                            Optional<KernelTable> alreadyRead, long t0) {
        String chain = FilterScript.chainName(spec);
        Map<Integer, Verdict> want = new TreeMap<>();
        states.forEach((b, st) -> want.put(b, Verdict.of(st, spec.handover())));
        List<Integer> owned = select(states, Handover.State::owned);
        List<Integer> draining = select(states, st -> st.mode() == Handover.Mode.DRAIN);
        List<Integer> fresh = select(states, st -> st.mode() == Handover.Mode.FRESH);
        if (!readKernel && last != null) {
            Map<Integer, Verdict> changes = diff(last.verdicts(), want);
            if (changes.isEmpty()) {
                applied.put(spec.module(), new Applied(chain, want, members, last.appliedAt(), table, states));
                return new Outcome(spec.module(), Action.NONE, members, owned, 0, last.appliedAt(),
                        System.nanoTime() - t0, draining, fresh);
            }
            CommandResult r = nft(FilterScript.elements(spec.module(), changes, last.verdicts().keySet()));
            if (r.ok()) {
                long at = System.currentTimeMillis();
                applied.put(spec.module(), new Applied(chain, want, members, at, table, states));
                return new Outcome(spec.module(), Action.ELEMENTS, members, owned, changes.size(), at,
                        System.nanoTime() - t0, draining, fresh);
            }
            LOG.warn("{}: incremental update failed ({}), reading the kernel's table", spec.module(), r.describe());
        }
        Optional<KernelTable> kernel = alreadyRead.isPresent() ? alreadyRead : read(spec.module());
        Action action;
        int changed;
        String script;
        if (kernel.isPresent() && kernel.get().structureMatches(spec)) {
            Map<Integer, Verdict> changes = diff(kernel.get().verdicts(), want);
            changed = changes.size();
            action = changes.isEmpty() ? Action.NONE : Action.ELEMENTS;
            script = FilterScript.elements(spec.module(), changes, kernel.get().verdicts().keySet());
        } else {
            changed = LbFilterApi.BUCKETS;
            action = Action.FULL;
            script = FilterScript.full(spec, want);
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
        applied.put(spec.module(), new Applied(chain, want, members, at, table, states));
        return new Outcome(spec.module(), action, members, owned, changed, at, System.nanoTime() - t0, draining,
                fresh);
    }

    private static List<Integer> select(Map<Integer, Handover.State> states,
                                        java.util.function.Predicate<Handover.State> p) {
        List<Integer> l = new ArrayList<>();
        states.forEach((b, st) -> {
            if (p.test(st)) {
                l.add(b);
            }
        });
        return l;
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
        new TreeMap<>(kernel.get().verdicts()).forEach((b, verdict) -> {
            if (verdict.owned()) {
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

    private static Map<Integer, Verdict> diff(Map<Integer, Verdict> have, Map<Integer, Verdict> want) {
        Map<Integer, Verdict> changes = new TreeMap<>();
        want.forEach((b, v) -> {
            if (!v.equals(have.get(b))) {
                changes.put(b, v);
            }
        });
        return changes;
    }
}
