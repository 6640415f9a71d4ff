package io.steadfast.heartbeat.impl;

import io.steadfast.api.ReplicationApi;
import io.steadfast.api.State;
import io.steadfast.config.AsyncMode;
import io.steadfast.config.BusConfig;
import io.steadfast.config.ClusterConfig;
import io.steadfast.config.ConsoleConfig;
import io.steadfast.config.FarmConfig;
import io.steadfast.config.HeartbeatConfig;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.ModuleType;
import io.steadfast.config.NodeConfig;
import io.steadfast.config.ReplicationConfig;
import io.steadfast.config.ScriptsConfig;
import io.steadfast.config.ServiceConfig;
import io.steadfast.config.SplitBrainConfig;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.config.WitnessTarget;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * N module engines wired by a fake network and a fake clock (no threads, no sockets, no Vert.x), in the style of
 * atomix's SwimProtocolTest: real beat encoding and HMAC, real machines; the network can be partitioned per lan,
 * nodes crash, restart (new boot id, same persisted state), freeze and thaw. Choreography and witness answers are
 * scheduled on the fake clock.
 */
final class SimCluster {
    static final long PULSE = 100;
    static final long TIMEOUT = 700;
    static final long CHOREO_MS = 20;
    static final long WITNESS_MS = 5;
    /** A witness that does not answer is known only after its timeouts: ping -W1, tried twice. */
    static final long WITNESS_SILENT_MS = 2000;
    static final long RESYNC_MS = 50;

    private record Task(long at, long seq, Runnable run) {
    }

    private final PriorityQueue<Task> tasks = new PriorityQueue<>((a, b) -> a.at != b.at
            ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private long seqs;
    long now = 1_700_000_000_000L;
    final SteadfastConfig config;
    final ModuleConfig module;
    final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Set<String> blocked = new HashSet<>();
    private final BeatCodec codec = new BeatCodec("sim-secret-0123456789".getBytes(StandardCharsets.UTF_8));
    /** Every moment (after each processed task) at which two live nodes were READY primaries. */
    int twoPrimaries;
    /** Every moment (after each processed task) at which two nodes held the VIP (dead agents' VIPs included). */
    int twoVips;

    static Builder mirror() {
        return new Builder(ModuleType.MIRROR, 2);
    }

    static Builder farm(int n) {
        return new Builder(ModuleType.FARM, n);
    }

    static final class Builder {
        final ModuleType type;
        final int n;
        String defaultprim = ServiceConfig.ALONE;
        boolean failover = true;
        boolean witness;
        boolean replication;
        int maxloop = 3;
        SplitBrainConfig.After after = SplitBrainConfig.After.KEEP_COPY;

        Builder(ModuleType type, int n) {
            this.type = type;
            this.n = n;
        }

        Builder defaultprim(String d) {
            defaultprim = d;
            return this;
        }

        Builder failover(boolean f) {
            failover = f;
            return this;
        }

        Builder witness() {
            witness = true;
            return this;
        }

        Builder replication() {
            replication = true;
            return this;
        }

        Builder after(SplitBrainConfig.After a) {
            after = a;
            return this;
        }

        Builder maxloop(int m) {
            maxloop = m;
            return this;
        }

        SimCluster build() {
            return new SimCluster(this);
        }
    }

    final class Node implements EngineEnv {
        final String name;
        final Map<String, Persisted> store = new LinkedHashMap<>();
        ModuleEngine engine;
        boolean alive;
        /** The machine runs (its kernel answers ICMP) even when the agent is dead. */
        boolean machineUp = true;
        boolean frozen;
        int incarnation;
        boolean witnessReachable = true;
        boolean failChanges;
        /** This node's wall clock minus the true time (clock skew, an NTP step): never its monotonic clock. */
        long skewMs;
        /** How long this node's role changes take (a slow vip-svc, a slow script). */
        long choreoMs = CHOREO_MS;
        /** The application + VIP are active here (set by ACQUIRE, cleared by RELEASE; survive a crash). */
        boolean holdsVip;
        final List<Transition> transitions = new ArrayList<>();
        final List<RoleChange> changes = new ArrayList<>();
        private final List<Runnable> frozenInbox = new ArrayList<>();

        Node(String name) {
            this.name = name;
        }

        void boot() {
            alive = true;
            machineUp = true;
            frozen = false;
            int inc = ++incarnation;
            engine = new ModuleEngine(config, module, name, codec, store.getOrDefault(module.name(),
                    Persisted.fresh()), this);
            engine.start();
            every(PULSE, inc, () -> engine.pulse());
            every(PULSE / 2, inc, () -> engine.tick());
        }

        private void every(long period, int inc, Runnable r) {
            schedule(period, () -> {
                if (alive && incarnation == inc) {
                    if (!frozen) {
                        r.run();
                    }
                    every(period, inc, r);
                }
            });
        }

        ModuleMachine machine() {
            return engine.machine();
        }

        State state() {
            return engine.machine().state();
        }

        @Override
        public long wall() {
            return now + skewMs;
        }

        @Override
        public long mono() {
            return now;
        }

        @Override
        public void send(ModuleEngine from, String peer, String lan, String host, int port, byte[] datagram) {
            Node to = nodeAt(lan, host);
            if (to == null || !alive || frozen || blocked.contains(lan + "|" + name + "|" + to.name)) {
                return;
            }
            if (!to.alive && to.machineUp) {
                int self = incarnation;
                schedule(1, () -> { // the peer's kernel: ICMP port unreachable
                    if (alive && incarnation == self && engine == from) {
                        from.onRefused(peer, lan);
                    }
                });
                return;
            }
            int inc = to.incarnation;
            byte[] copy = datagram.clone();
            schedule(1, () -> {
                if (to.alive && to.incarnation == inc) {
                    Runnable deliver = () -> to.engine.onDatagram(copy, copy.length, lan);
                    if (to.frozen) {
                        to.frozenInbox.add(deliver); // the kernel keeps it in the socket buffer
                    } else {
                        deliver.run();
                    }
                }
            });
        }

        @Override
        public void persist(String module, Persisted state) {
            store.put(module, state);
        }

        @Override
        public void roleChange(ModuleEngine e, RoleChange c) {
            changes.add(c);
            int inc = incarnation;
            schedule(choreoMs, () -> {
                if (!alive || incarnation != inc) {
                    return;
                }
                if (failChanges && c.kind() == ChangeKind.ACQUIRE) {
                    e.roleFailed(c.token(), "sim: start_prim exited 1");
                    return;
                }
                if (c.kind() == ChangeKind.ACQUIRE || c.kind() == ChangeKind.UNFENCE) {
                    holdsVip = true;
                } else if (c.kind() == ChangeKind.RELEASE || c.kind() == ChangeKind.FENCE) {
                    holdsVip = false;
                }
                e.roleDone(c.token());
                if (c.to() == State.SECOND && module.replication().isPresent()) {
                    schedule(RESYNC_MS, () -> {
                        boolean primaryUp = nodes.values().stream().anyMatch(n -> n != this && n.alive
                                && !n.frozen && n.state().serves());
                        if (alive && incarnation == inc && primaryUp) {
                            e.replication(ReplicationApi.Role.TARGET, true, false, "sim: resync done");
                        }
                    });
                }
            });
        }

        @Override
        public void checkWitness(ModuleEngine e, long token) {
            int inc = incarnation;
            boolean reached = witnessReachable;
            schedule(reached ? WITNESS_MS : WITNESS_SILENT_MS, () -> {
                if (alive && incarnation == inc) {
                    e.witnessResult(token, reached, "198.18.0.1");
                }
            });
        }

        @Override
        public void transition(Transition t) {
            transitions.add(t);
        }

        @Override
        public void stateChanged(ModuleEngine engine) {
        }

        /** The agent JVM dies (kill -9); the machine stays up and refuses beats. */
        void crash() {
            alive = false;
        }

        /** The machine dies: silence, no ICMP. */
        void powerOff() {
            alive = false;
            machineUp = false;
        }

        void freeze() {
            frozen = true;
        }

        void thaw() {
            frozen = false;
            // worst case: the overdue timer runs before the buffered datagrams are read
            engine.tick();
            frozenInbox.forEach(Runnable::run);
            frozenInbox.clear();
        }

        String command(io.steadfast.api.Command c, String... options) {
            return engine.command(c, List.of(options));
        }

        @Override
        public String toString() {
            return name + ":" + (alive ? state() + "/" + machine().readiness() + " (" + machine().reason() + ")"
                    : "dead");
        }
    }

    private SimCluster(Builder b) {
        List<NodeConfig> ncs = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= b.n; i++) {
            names.add("node" + i);
            ncs.add(new NodeConfig("node" + i, "198.18.0." + (10 + i),
                    Map.of("lan1", "198.18.0." + (10 + i), "lan2", "198.19.0." + (10 + i))));
        }
        ClusterConfig cc = new ClusterConfig("sim", Path.of("/nonexistent/secret"), Path.of("/nonexistent/state"),
                new BusConfig(5701, 5801, Optional.empty()), new ConsoleConfig(9400, "127.0.0.1", Optional.empty(),
                Optional.empty()), ncs);
        HeartbeatConfig hb = new HeartbeatConfig(Duration.ofMillis(PULSE), Duration.ofMillis(TIMEOUT),
                List.of("lan1", "lan2"), 8888);
        module = new ModuleConfig(b.type == ModuleType.MIRROR ? "db" : "web", b.type, names, hb, Optional.empty(),
                b.replication ? Optional.of(new ReplicationConfig(List.of(Path.of("/srv/db")), 5600, AsyncMode.SECOND,
                        Duration.ofSeconds(5))) : Optional.empty(),
                new ServiceConfig(b.defaultprim, b.failover, b.maxloop, Duration.ofHours(24)),
                new SplitBrainConfig(b.witness ? List.of(WitnessTarget.parse("198.18.0.1")) : List.of(), b.after),
                ScriptsConfig.none(), List.of(), List.of(),
                b.type == ModuleType.FARM ? Optional.of(new FarmConfig(List.of(), Map.of())) : Optional.empty());
        config = new SteadfastConfig(Path.of("sim.yml"), cc, List.of(module));
        names.forEach(n -> nodes.put(n, new Node(n)));
    }

    Node node(int i) {
        return nodes.get("node" + i);
    }

    private Node nodeAt(String lan, String host) {
        for (Node n : nodes.values()) {
            NodeConfig nc = config.node(n.name).orElseThrow();
            if (host.equals(nc.lans().get(lan))) {
                return n;
            }
        }
        return null;
    }

    void schedule(long delay, Runnable r) {
        tasks.add(new Task(now + delay, ++seqs, r));
    }

    /** Advances the clock by {@code ms}, running every task due. */
    void run(long ms) {
        long end = now + ms;
        while (!tasks.isEmpty() && tasks.peek().at <= end) {
            Task t = tasks.poll();
            now = Math.max(now, t.at);
            t.run.run();
            long primaries = nodes.values().stream().filter(n -> n.alive && !n.frozen && n.engine != null
                    && n.state().serves() && n.machine().readiness() == io.steadfast.api.Readiness.READY
                    && n.engine.config().isMirror()).count();
            if (primaries > 1) {
                twoPrimaries++;
            }
            if (nodes.values().stream().filter(n -> n.machineUp && n.holdsVip).count() > 1) {
                twoVips++;
            }
        }
        now = end;
    }

    /** Runs until {@code cond} holds; fails after {@code maxMs} of simulated time. */
    long runUntil(BooleanSupplier cond, long maxMs, String what) {
        long start = now;
        while (!cond.getAsBoolean()) {
            if (now - start > maxMs) {
                throw new AssertionError("not reached within " + maxMs + " ms: " + what + "; nodes " + nodes.values());
            }
            run(5);
        }
        return now - start;
    }

    /** Blocks every lan between a and b, both ways. */
    void partition(Node a, Node b) {
        for (String lan : List.of("lan1", "lan2")) {
            cut(lan, a, b);
        }
    }

    void cut(String lan, Node a, Node b) {
        blocked.add(lan + "|" + a.name + "|" + b.name);
        blocked.add(lan + "|" + b.name + "|" + a.name);
    }

    /** Drops what {@code from} sends to {@code to} on every lan (the other direction still works). */
    void cutOneWay(Node from, Node to) {
        for (String lan : List.of("lan1", "lan2")) {
            blocked.add(lan + "|" + from.name + "|" + to.name);
        }
    }

    void heal() {
        blocked.clear();
    }

    List<Node> serving() {
        return nodes.values().stream().filter(n -> n.alive && n.state().serves()).toList();
    }

    List<Node> holdingVip() {
        return nodes.values().stream().filter(n -> n.holdsVip).toList();
    }
}
