package io.steadfast.console.impl;

import io.steadfast.api.CheckerApi.CheckerStatus;
import io.steadfast.api.CheckerApi.LogLine;
import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.LbFilterApi.FilterStatus;
import io.steadfast.api.ReplicationApi.ReplicationStatus;
import io.steadfast.api.ReplicationApi.ResyncProgress;
import io.steadfast.api.State;
import io.steadfast.api.VipApi.VipStatus;
import io.steadfast.config.ModuleConfig;
import io.steadfast.service.HealthRules;
import io.steadfast.config.SteadfastConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * The console's picture of the whole cluster, built only from bus publications and snapshot answers: the latest
 * state, replication status, resync progress, VIP, farm buckets and checkers of every module on every node, plus
 * a state history of the last hour for the timeline.
 *
 * <p>Only modules and nodes of the configuration are kept (a publication about anything else is ignored, so a
 * stray or hostile sender cannot grow this without bound). A node whose agent left the cluster keeps its last
 * known facts, marked stale, so the page can show "last seen PRIM" in grey. Every accepted change is passed to
 * the {@link Listener} (the SSE stream). Not thread-safe: the console's event loop only.
 */
public final class AggregateView {
    /** How far back the timeline goes. */
    public static final Duration HISTORY = Duration.ofHours(1);
    /** Bound on transitions kept per module×node, whatever the rate (a flapping module must not eat memory). */
    static final int HISTORY_MAX = 2000;
    /** Bound on checkers kept per module×node. */
    static final int CHECKERS_MAX = 200;

    /** An SSE-worthy change: {@code type} is the SSE event name, {@code data} its JSON. */
    public interface Listener {
        void changed(String type, JsonObject data);
    }

    /** One point of the timeline: the state (null = unknown: node down or never heard of) from {@code at} on. */
    public record Transition(long at, State state, String readiness, String reason) {
        JsonObject toJson() {
            return new JsonObject().put("at", at).put("state", state == null ? null : state.name())
                    .put("readiness", readiness).put("reason", reason);
        }
    }

    private record Key(String module, String node) {
    }

    private final SteadfastConfig config;
    private final LongSupplier clock;
    private final Listener listener;
    private final Map<Key, ModuleState> states = new HashMap<>();
    private final Map<Key, ReplicationStatus> replication = new HashMap<>();
    private final Map<Key, ResyncProgress> resync = new HashMap<>();
    private final Map<Key, VipStatus> vips = new HashMap<>();
    private final Map<Key, FilterStatus> filters = new HashMap<>();
    private final Map<Key, Map<String, CheckerStatus>> checkers = new HashMap<>();
    private final Map<Key, Deque<Transition>> history = new HashMap<>();
    private final Map<Key, Long> failovers = new HashMap<>();
    private final Set<String> nodesUp = new HashSet<>();
    private long ignored;

    public AggregateView(SteadfastConfig config, LongSupplier clock, Listener listener) {
        this.config = config;
        this.clock = clock;
        this.listener = listener;
    }

    // ---- inputs -------------------------------------------------------------------------------------------

    public void state(ModuleState s) {
        Key key = key(s.module(), s.node());
        if (key == null) {
            return;
        }
        ModuleState before = states.put(key, s);
        if (before != null && before.since() > s.since()) { // an older publication arriving late: keep the newer
            states.put(key, before);
            return;
        }
        State previous = before == null ? null : before.state();
        if (previous == State.SECOND && s.state() == State.ALONE) {
            failovers.merge(key, 1L, Long::sum);
        }
        Deque<Transition> h = history.get(key);
        Transition last = h == null ? null : h.peekLast();
        if (last == null || last.state() != s.state() || !s.readiness().name().equals(last.readiness())
                || !s.reason().equals(last.reason())) {
            record(key, new Transition(s.since() > 0 ? s.since() : clock.getAsLong(), s.state(),
                    s.readiness().name(), s.reason()));
        }
        // A periodic refresh that brings nothing new (same state, only fresher details) is not an event.
        if (before == null || before.state() != s.state() || before.readiness() != s.readiness()
                || !before.reason().equals(s.reason()) || before.since() != s.since()
                || before.upToDate() != s.upToDate() || !before.generation().equals(s.generation())) {
            listener.changed("state", nodeJson(config.module(s.module()).orElseThrow(), s.node(), false)
                    .put("module", s.module()));
        }
    }

    /**
     * The heartbeat round trip (ms) to {@code peer} on {@code lan} as heartbeat-svc last reported it in the
     * module state's details ({@code peers.<peer>.lans.<lan>.rttMs}); empty when unknown.
     */
    public Optional<Long> heartbeatRtt(String module, String node, String peer, String lan) {
        ModuleState s = states.get(new Key(module, node));
        if (s == null || !nodesUp.contains(node)) {
            return Optional.empty();
        }
        Object rtt = at(s.details(), "peers", peer, "lans", lan, "rttMs");
        return rtt instanceof Number n && n.longValue() >= 0 ? Optional.of(n.longValue()) : Optional.empty();
    }

    /** The (peer, lan) pairs a module state's details report on. */
    public static List<String[]> heartbeatLinks(ModuleState s) {
        List<String[]> out = new ArrayList<>();
        if (s.details().getValue("peers") instanceof JsonObject peers) {
            for (String peer : peers.fieldNames()) {
                if (at(peers, peer, "lans") instanceof JsonObject lans) {
                    lans.fieldNames().forEach(lan -> out.add(new String[]{peer, lan}));
                }
            }
        }
        return out;
    }

    private static Object at(JsonObject json, String... path) {
        Object cur = json;
        for (String p : path) {
            if (!(cur instanceof JsonObject o)) {
                return null;
            }
            cur = o.getValue(p);
        }
        return cur;
    }

    public void replication(ReplicationStatus r) {
        Key key = key(r.module(), r.node());
        if (key != null) {
            replication.put(key, r);
            listener.changed("replication", r.toJson());
        }
    }

    public void resync(ResyncProgress p) {
        Key key = key(p.module(), p.node());
        if (key != null) {
            resync.put(key, p);
            listener.changed("resync", progressJson(p).put("node", p.node()).put("module", p.module()));
        }
    }

    public void vip(VipStatus v) {
        Key key = key(v.module(), v.node());
        if (key != null) {
            vips.put(key, v);
            listener.changed("vip", v.toJson());
        }
    }

    public void filter(FilterStatus f) {
        Key key = key(f.module(), f.node());
        if (key != null) {
            filters.put(key, f);
            listener.changed("buckets", bucketsJson(f).put("node", f.node()).put("module", f.module()));
        }
    }

    public void checker(CheckerStatus c) {
        Key key = key(c.module(), c.node());
        if (key == null) {
            return;
        }
        Map<String, CheckerStatus> byName = checkers.computeIfAbsent(key, k -> new TreeMap<>());
        if (!byName.containsKey(c.checker()) && byName.size() >= CHECKERS_MAX) {
            ignored++;
            return;
        }
        byName.put(c.checker(), c);
        listener.changed("checker", c.toJson());
    }

    /** Log lines are not kept here (checker-svc keeps the log); they are only passed on to live viewers. */
    public void log(LogLine line) {
        if (key(line.module(), line.node()) != null) {
            listener.changed("log", line.toJson());
        }
    }

    /** The node's agent is (again) in the cluster. */
    public void nodeUp(String node) {
        if (config.node(node).isEmpty() || !nodesUp.add(node)) {
            return;
        }
        listener.changed("node", new JsonObject().put("node", node).put("up", true));
    }

    /** The node's agent left the cluster: its facts become stale, its timeline shows unknown from now. */
    public void nodeDown(String node) {
        if (!nodesUp.remove(node)) {
            return;
        }
        long now = clock.getAsLong();
        for (ModuleConfig m : config.modules()) {
            if (m.runsOn(node)) {
                record(new Key(m.name(), node), new Transition(now, null, null, "node " + node + " is down"));
            }
        }
        listener.changed("node", new JsonObject().put("node", node).put("up", false));
    }

    // ---- queries ------------------------------------------------------------------------------------------

    public boolean isUp(String node) {
        return nodesUp.contains(node);
    }

    /** The current state of a module on a node: empty when never heard of, or when that node is down. */
    public Optional<State> state(String module, String node) {
        ModuleState s = states.get(new Key(module, node));
        return s == null || !nodesUp.contains(node) ? Optional.empty() : Optional.of(s.state());
    }

    public Optional<ModuleState> moduleState(String module, String node) {
        return Optional.ofNullable(states.get(new Key(module, node)));
    }

    public Optional<ReplicationStatus> replication(String module, String node) {
        return Optional.ofNullable(replication.get(new Key(module, node)));
    }

    public Optional<ResyncProgress> resync(String module, String node) {
        return Optional.ofNullable(resync.get(new Key(module, node)));
    }

    public Optional<FilterStatus> filter(String module, String node) {
        return Optional.ofNullable(filters.get(new Key(module, node)));
    }

    public List<CheckerStatus> checkers(String module, String node) {
        Map<String, CheckerStatus> byName = checkers.get(new Key(module, node));
        return byName == null ? List.of() : List.copyOf(byName.values());
    }

    public long failovers(String module, String node) {
        return failovers.getOrDefault(new Key(module, node), 0L);
    }

    /** Publications about unknown modules/nodes or over the bounds. */
    public long ignored() {
        return ignored;
    }

    /** The nodes where the module serves now (PRIM/ALONE of a mirror, UP of a farm), in config order. */
    public List<String> serving(ModuleConfig m) {
        return m.nodes().stream().filter(n -> state(m.name(), n).map(State::serves).orElse(false)).toList();
    }

    /** The timeline of a module on a node since {@code now - HISTORY} (the first entry may start before). */
    public List<Transition> history(String module, String node) {
        Deque<Transition> h = history.get(new Key(module, node));
        if (h == null) {
            return List.of();
        }
        prune(h);
        return List.copyOf(h);
    }

    // ---- JSON views (the REST API's shapes; documented in openapi.json) -------------------------------------

    public JsonObject moduleJson(ModuleConfig m, boolean withHistory) {
        JsonArray nodes = new JsonArray();
        for (String n : m.nodes()) {
            nodes.add(nodeJson(m, n, withHistory));
        }
        return new JsonObject().put("name", m.name()).put("type", m.type().name())
                .put("serving", new JsonArray(serving(m))).put("nodes", nodes);
    }

    /** One module on one node; {@code state} null when unknown, {@code stale} when its node is down. */
    public JsonObject nodeJson(ModuleConfig m, String node, boolean withHistory) {
        Key key = new Key(m.name(), node);
        ModuleState s = states.get(key);
        boolean up = nodesUp.contains(node);
        JsonObject json = new JsonObject().put("node", node).put("nodeUp", up).put("stale", s != null && !up);
        if (s == null) {
            json.put("state", null).put("readiness", null).put("reason", up ? "no state published yet" : "node down")
                    .put("since", null).put("serves", false);
        } else {
            json.put("state", s.state().name()).put("readiness", s.readiness().name()).put("reason", s.reason())
                    .put("since", s.since()).put("serves", up && s.state().serves())
                    .put("generation", s.generation()).put("upToDate", s.upToDate()).put("details", s.details());
        }
        // degraded but working (a heartbeat lan lost, a secondary not up to date, split brain): see HealthRules
        json.put("warnings", new JsonArray(s == null || !up ? List.of() : HealthRules.moduleWarnings(s)));
        ReplicationStatus r = replication.get(key);
        json.put("replication", r == null ? null : r.toJson());
        ResyncProgress p = resync.get(key);
        json.put("resync", p == null ? null : progressJson(p));
        VipStatus v = vips.get(key);
        json.put("vip", v == null ? null : v.toJson());
        FilterStatus f = filters.get(key);
        json.put("buckets", f == null ? null : bucketsJson(f));
        json.put("checkers", new JsonArray(checkers(m.name(), node).stream().map(CheckerStatus::toJson).toList()));
        json.put("failovers", failovers(m.name(), node));
        if (withHistory) {
            json.put("history", new JsonArray(history(m.name(), node).stream().map(Transition::toJson).toList()));
        }
        return json;
    }

    static JsonObject progressJson(ResyncProgress p) {
        double fraction = p.bytesTotal() <= 0 ? (("done".equals(p.phase())) ? 1.0 : 0.0)
                : Math.min(1.0, (double) p.bytesDone() / p.bytesTotal());
        return new JsonObject().put("peer", p.peer()).put("phase", p.phase()).put("bytesDone", p.bytesDone())
                .put("bytesTotal", p.bytesTotal()).put("rate", p.rateBytesPerSecond()).put("eta", p.etaSeconds())
                .put("fraction", fraction);
    }

    static JsonObject bucketsJson(FilterStatus f) {
        return new JsonObject().put("owned", f.owned().size()).put("members", new JsonArray(f.members()))
                .put("iface", f.iface()).put("appliedAt", f.appliedAt()).put("reason", f.reason());
    }

    // ---- internals ----------------------------------------------------------------------------------------

    private Key key(String module, String node) {
        Optional<ModuleConfig> m = config.module(module);
        if (m.isEmpty() || !m.get().runsOn(node)) {
            ignored++;
            return null;
        }
        return new Key(module, node);
    }

    private void record(Key key, Transition t) {
        Deque<Transition> h = history.computeIfAbsent(key, k -> new ArrayDeque<>());
        h.addLast(t);
        while (h.size() > HISTORY_MAX) {
            h.removeFirst();
        }
        prune(h);
    }

    /** Drops what ended before the window, keeping the entry in force at its start. */
    private void prune(Deque<Transition> h) {
        long from = clock.getAsLong() - HISTORY.toMillis();
        List<Transition> list = new ArrayList<>(h);
        int firstInWindow = 0;
        while (firstInWindow + 1 < list.size() && list.get(firstInWindow + 1).at() <= from) {
            firstInWindow++;
        }
        Iterator<Transition> it = h.iterator();
        for (int i = 0; i < firstInWindow && it.hasNext(); i++) {
            it.next();
            it.remove();
        }
    }
}
