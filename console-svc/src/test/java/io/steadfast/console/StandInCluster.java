package io.steadfast.console;

import io.steadfast.api.CheckerApi;
import io.steadfast.api.CheckerApi.CheckerStatus;
import io.steadfast.api.CheckerApi.CheckerStatuses;
import io.steadfast.api.CheckerApi.CheckerToggle;
import io.steadfast.api.CheckerApi.LogLine;
import io.steadfast.api.CheckerApi.LogLines;
import io.steadfast.api.CheckerApi.LogRequest;
import io.steadfast.api.Command;
import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.HeartbeatApi.CommandReply;
import io.steadfast.api.HeartbeatApi.CommandRequest;
import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.HeartbeatApi.NodeStates;
import io.steadfast.api.LbFilterApi;
import io.steadfast.api.LbFilterApi.FilterStatus;
import io.steadfast.api.LbFilterApi.FilterStatuses;
import io.steadfast.api.ModuleRef;
import io.steadfast.api.NodeApi;
import io.steadfast.api.NodeApi.Presence;
import io.steadfast.api.NodeApi.ServiceHealth;
import io.steadfast.api.Readiness;
import io.steadfast.api.ReplicationApi;
import io.steadfast.api.ReplicationApi.ReplicationStatus;
import io.steadfast.api.ReplicationApi.ResyncProgress;
import io.steadfast.api.ReplicationApi.VerifyReport;
import io.steadfast.api.ServiceName;
import io.steadfast.api.State;
import io.steadfast.api.VipApi;
import io.steadfast.api.VipApi.VipStatus;
import io.steadfast.api.VipApi.VipStatuses;
import io.steadfast.bus.ErrorCode;
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
import io.steadfast.config.TlsConfig;
import io.steadfast.service.Membership;
import io.steadfast.service.ServiceContext;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A real {@link ConsoleVerticle} (console of node1) in a real Vert.x, with real event-bus consumers standing in
 * for the other services of node1 and node2 (node3 is down): heartbeat-svc (states, commands — a swap publishes
 * the swapped states), checker-svc (checkers, log), replication-svc (status, verify), vip-svc, lb-filter-svc,
 * and every service's health. They answer with the contract records, as the real services will.
 *
 * <p>Modules: {@code db}, a mirror on node1 (PRIM) + node2 (SECOND); {@code web}, a farm on node1..node3.
 * Users: ada (admin), cy (control), mo (monitor); passwords = name + "-pw".
 */
public final class StandInCluster implements AutoCloseable {
    public static final List<String> NODES = List.of("node1", "node2", "node3");
    public static final List<String> UP_NODES = List.of("node1", "node2");
    public static final int TEST_ITERATIONS = 1000;

    public final Vertx vertx;
    public final SteadfastConfig config;
    public final Path dir;
    public final ConsoleVerticle console;
    /** Cluster members as the console's Membership reports them: remove one to "kill" a node. */
    public final List<String> members;
    private final Map<String, ModuleState> states = new ConcurrentHashMap<>();
    public final List<CommandRequest> commands = new CopyOnWriteArrayList<>();
    /** Checker switches received, as "node:module:checker:enabled". */
    public final List<String> toggles = new CopyOnWriteArrayList<>();
    public volatile boolean verifyEqual = true;
    /** Services whose health answers "down" on node1. */
    public final Set<ServiceName> sick = ConcurrentHashMap.newKeySet();
    /** Services whose health answers up with these warnings on node1. */
    public final Map<ServiceName, List<String>> warned = new ConcurrentHashMap<>();
    /** Services of node1 that a test runs for real (no stand-in answers for them). */
    private final Set<ServiceName> real;

    private StandInCluster(Vertx vertx, SteadfastConfig config, Path dir, ConsoleVerticle console,
                           List<String> members, Set<ServiceName> real) {
        this.real = Set.copyOf(real);
        this.members = members;
        this.vertx = vertx;
        this.config = config;
        this.dir = dir;
        this.console = console;
    }

    public static StandInCluster start(boolean withUsers, boolean metrics) throws Exception {
        return start(withUsers, metrics, Optional.empty());
    }

    public static StandInCluster start(boolean withUsers, boolean metrics, Optional<TlsConfig> tls) throws Exception {
        return start(withUsers, metrics, tls, Set.of(), d -> {
        });
    }

    /**
     * {@code real}: services of node1 the test deploys itself (on {@link #vertx}, with {@link #config}) — no stand-in
     * answers for them; {@code prepare} runs on the test directory before anything starts.
     */
    public static StandInCluster start(boolean withUsers, boolean metrics, Optional<TlsConfig> tls,
                                       Set<ServiceName> real, java.util.function.Consumer<Path> prepare)
            throws Exception {
        Path dir = Files.createTempDirectory("sf-console-test");
        prepare.accept(dir);
        Path users = dir.resolve("users");
        if (withUsers) {
            UsersFile.add(users, "ada", Role.ADMIN, "ada-pw".toCharArray(), false, TEST_ITERATIONS);
            UsersFile.add(users, "cy", Role.CONTROL, "cy-pw".toCharArray(), false, TEST_ITERATIONS);
            UsersFile.add(users, "mo", Role.MONITOR, "mo-pw".toCharArray(), false, TEST_ITERATIONS);
        }
        SteadfastConfig config = config(dir, withUsers ? Optional.of(users) : Optional.empty(), tls);
        VertxOptions options = metrics ? ConsoleMetricsOptions.withMetrics(new VertxOptions()) : new VertxOptions();
        Vertx vertx = Vertx.vertx(options);
        List<String> members = new CopyOnWriteArrayList<>();
        Membership membership = new Membership() {
            public String localId() {
                return "c-node1";
            }

            public List<String> members() {
                return members;
            }
        };
        ConsoleVerticle console = new ConsoleVerticle(new ServiceContext(config, "node1", membership));
        StandInCluster c = new StandInCluster(vertx, config, dir, console, members, real);
        UP_NODES.forEach(n -> c.members.add("c-" + n));
        // Initial states: published before the console starts, so it must ask for them.
        long now = System.currentTimeMillis();
        c.states.put("db/node1", state("node1", "db", ModuleType.MIRROR, State.PRIM, Readiness.READY, "primary", now));
        c.states.put("db/node2", state("node2", "db", ModuleType.MIRROR, State.SECOND, Readiness.READY, "up to date", now));
        c.states.put("web/node1", state("node1", "web", ModuleType.FARM, State.UP, Readiness.READY, "", now));
        c.states.put("web/node2", state("node2", "web", ModuleType.FARM, State.UP, Readiness.READY, "", now));
        UP_NODES.forEach(c::standIn);
        vertx.setPeriodic(100, id -> UP_NODES.stream().filter(n -> c.members.contains("c-" + n)).forEach(n ->
                vertx.eventBus().publish(NodeApi.PRESENCE, new Presence(n, "c-" + n, List.of(ServiceName.values()),
                        1, now).toJson())));
        try {
            vertx.deployVerticle(console).await(20, TimeUnit.SECONDS);
        } catch (Exception | Error e) {
            vertx.close().await(20, TimeUnit.SECONDS); // a console that refused to start leaves nothing running
            throw e;
        }
        // Wait until the console sees both nodes and their states.
        c.await(() -> console.view() != null && console.view().isUp("node1") && console.view().isUp("node2")
                && console.view().state("db", "node2").isPresent(), "console saw the stand-ins");
        return c;
    }

    public static ModuleState state(String node, String module, ModuleType type, State s, Readiness r, String reason,
                                    long since) {
        // like heartbeat-svc: the peers' links with their round trips (ms)
        JsonObject details = new JsonObject();
        if (module.equals("db")) {
            String peer = node.equals("node1") ? "node2" : "node1";
            details.put("peers", new JsonObject().put(peer, new JsonObject().put("alive", true).put("lans",
                    new JsonObject().put("lan1", new JsonObject().put("up", true).put("rttMs", 3)))));
        }
        return new ModuleState(node, module, type, s, r, reason, "gen-1", true, since, details);
    }

    public String url() {
        return (config.cluster().console().tls().isPresent() ? "https" : "http") + "://127.0.0.1:"
                + console.actualPort();
    }

    public ModuleState current(String module, String node) {
        return states.get(module + "/" + node);
    }

    /** Publishes a new state as heartbeat-svc would, and returns it. */
    public ModuleState publish(String node, String module, State s, Readiness r, String reason) {
        ModuleConfig m = config.module(module).orElseThrow();
        ModuleState st = state(node, module, m.type(), s, r, reason, System.currentTimeMillis());
        states.put(module + "/" + node, st);
        vertx.eventBus().publish(HeartbeatApi.MODULE_STATE, st.toJson());
        return st;
    }

    /** Like heartbeat-svc after a split brain: the alert in the module state's details, until acknowledged. */
    public ModuleState publishSplitBrain(String node, String module, String alert) {
        ModuleState cur = states.get(module + "/" + node);
        ModuleState st = new ModuleState(node, module, cur.type(), cur.state(), cur.readiness(), cur.reason(),
                cur.generation(), cur.upToDate(), cur.since(), cur.details().copy().put("splitbrain", alert));
        states.put(module + "/" + node, st);
        vertx.eventBus().publish(HeartbeatApi.MODULE_STATE, st.toJson());
        return st;
    }

    public void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        await(condition, () -> what);
    }

    /** As above; {@code what} is asked only on failure (it may show what was seen). */
    public void await(java.util.function.BooleanSupplier condition, java.util.function.Supplier<String> what)
            throws InterruptedException {
        await(condition, what, Duration.ofSeconds(10));
    }

    public void await(java.util.function.BooleanSupplier condition, java.util.function.Supplier<String> what,
                      Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what.get());
            }
            Thread.sleep(20);
        }
    }

    private void standIn(String node) {
        var bus = vertx.eventBus();
        for (ServiceName svc : ServiceName.values()) {
            if ((svc == ServiceName.CONSOLE || real.contains(svc)) && node.equals("node1")) {
                continue; // the real console (and any real service) answers for itself
            }
            bus.consumer(NodeApi.health(node, svc), msg -> msg.reply(new ServiceHealth(node, svc,
                    !(node.equals("node1") && sick.contains(svc)), sick.contains(svc) ? "stand-in sick" : "",
                    new JsonObject(), node.equals("node1") ? warned.getOrDefault(svc, List.of()) : List.of())
                    .toJson()));
        }
        boolean realReplication = node.equals("node1") && real.contains(ServiceName.REPLICATION);
        bus.consumer(HeartbeatApi.states(node), msg -> msg.reply(new NodeStates(node, states.values().stream()
                .filter(s -> s.node().equals(node)).toList()).toJson()));
        bus.<JsonObject>consumer(HeartbeatApi.command(node), msg -> command(node, msg));
        bus.consumer(CheckerApi.checkers(node), msg -> msg.reply(new CheckerStatuses(node, List.of(
                new CheckerStatus(node, "db", "db-port", CheckerApi.Status.UP, "tcp 5432 answers", 1000),
                new CheckerStatus(node, "web", "http", CheckerApi.Status.UP, "200", 1000))).toJson()));
        bus.<JsonObject>consumer(CheckerApi.toggle(node), msg -> {
            CheckerToggle t = CheckerToggle.fromJson(msg.body());
            if (!t.checker().equals("db-port") && !t.checker().equals("*")) {
                msg.fail(ErrorCode.NOT_FOUND.code(), "module " + t.module() + " has no checker \"" + t.checker()
                        + "\" on " + node);
                return;
            }
            toggles.add(node + ":" + t.module() + ":" + t.checker() + ":" + t.enabled());
            msg.reply(new CheckerStatuses(node, List.of(new CheckerStatus(node, t.module(), "db-port",
                    t.enabled() ? CheckerApi.Status.INIT : CheckerApi.Status.DISABLED,
                    t.enabled() ? "enabled by operator" : "disabled by operator", 1000))).toJson());
        });
        bus.<JsonObject>consumer(CheckerApi.log(node), msg -> {
            LogRequest req = LogRequest.fromJson(msg.body());
            List<LogLine> lines = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                lines.add(new LogLine(node, req.module(), 1000 + i * 10 + (node.equals("node2") ? 5 : 0),
                        node + " line " + i));
            }
            msg.reply(new LogLines(node, req.module(), lines).toJson());
        });
        if (!realReplication) {
            standInReplication(node);
        }
        bus.consumer(VipApi.status(node), msg -> msg.reply(new VipStatuses(node, node.equals("node1")
                ? List.of(new VipStatus(node, "db", "198.18.0.100/24", "eth0", true, "")) : List.of()).toJson()));
        bus.consumer(LbFilterApi.status(node), msg -> msg.reply(new FilterStatuses(node, List.of(new FilterStatus(
                node, "web", "eth0", List.of("node1", "node2"), range(node.equals("node1") ? 0 : 128, 128),
                List.of(), 1000, ""))).toJson()));
    }

    private void standInReplication(String node) {
        var bus = vertx.eventBus();
        bus.<JsonObject>consumer(ReplicationApi.status(node), msg -> {
            String module = ModuleRef.fromJson(msg.body()).module();
            msg.reply(new ReplicationStatus(node, module, node.equals("node1") ? ReplicationApi.Role.SOURCE
                    : ReplicationApi.Role.TARGET, Optional.of(node.equals("node1") ? "node2" : "node1"), true, true,
                    false, 2, 123456, "").toJson());
        });
        bus.<JsonObject>consumer(ReplicationApi.verify(node), msg -> msg.reply(new VerifyReport(
                ModuleRef.fromJson(msg.body()).module(), verifyEqual,
                verifyEqual ? List.of() : List.of("data/a.txt: content differs")).toJson()));
    }

    private static List<Integer> range(int from, int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(from + i);
        }
        return out;
    }

    /** Like heartbeat-svc: swap of a mirror publishes the swapped roles; prim on the primary is a conflict. */
    private void command(String node, Message<JsonObject> msg) {
        CommandRequest req = CommandRequest.fromJson(msg.body());
        commands.add(req);
        ModuleState mine = states.get(req.module() + "/" + node);
        if (mine == null) {
            msg.fail(ErrorCode.NOT_FOUND.code(), "module " + req.module() + " does not run on " + node);
            return;
        }
        if (req.command() == Command.SPLITBRAIN_ACK) {
            JsonObject d = mine.details().copy();
            d.remove("splitbrain");
            ModuleState st = new ModuleState(node, req.module(), mine.type(), mine.state(), mine.readiness(),
                    mine.reason(), mine.generation(), mine.upToDate(), mine.since(), d);
            states.put(req.module() + "/" + node, st);
            vertx.eventBus().publish(HeartbeatApi.MODULE_STATE, st.toJson());
            msg.reply(new CommandReply(node, req.module(), "split-brain alert acknowledged", mine.state()).toJson());
            return;
        }
        if (req.command() == Command.PRIM && mine.state() == State.PRIM) {
            msg.fail(ErrorCode.CONFLICT.code(), node + " is already the primary of " + req.module());
            return;
        }
        if (req.command() == Command.SWAP && mine.type() == ModuleType.MIRROR) {
            String other = config.module(req.module()).orElseThrow().peerOf(node).orElseThrow();
            boolean iAmPrim = mine.state() == State.PRIM;
            String newPrim = iAmPrim ? other : node;
            String newSecond = iAmPrim ? node : other;
            publish(newSecond, req.module(), State.SECOND, Readiness.READY, "swap: now secondary");
            ModuleState p = publish(newPrim, req.module(), State.PRIM, Readiness.READY, "swap: now primary");
            msg.reply(new CommandReply(node, req.module(), "swapped: " + newPrim + " is primary",
                    iAmPrim ? State.SECOND : p.state()).toJson());
            return;
        }
        msg.reply(new CommandReply(node, req.module(), req.command().id() + " done", mine.state()).toJson());
    }

    public void publishResync(String node, String module, long done, long total) {
        vertx.eventBus().publish(ReplicationApi.RESYNC,
                new ResyncProgress(node, module, "node1", "copying", done, total, 1000, (total - done) / 1000).toJson());
    }

    public static SteadfastConfig testConfig(Path dir, Optional<Path> users) {
        return config(dir, users, Optional.empty());
    }

    static SteadfastConfig config(Path dir, Optional<Path> users, Optional<TlsConfig> tls) {
        List<NodeConfig> nodes = new ArrayList<>();
        for (int i = 0; i < NODES.size(); i++) {
            String addr = "198.18.0." + (11 + i);
            nodes.add(new NodeConfig(NODES.get(i), addr, Map.of("lan1", addr)));
        }
        HeartbeatConfig hb = new HeartbeatConfig(Duration.ofMillis(200), Duration.ofMillis(800), List.of("lan1"), 7400);
        ServiceConfig svc = new ServiceConfig("alone", true, 3, Duration.ofHours(24));
        ModuleConfig db = new ModuleConfig("db", ModuleType.MIRROR, List.of("node1", "node2"), hb, Optional.empty(),
                Optional.of(new ReplicationConfig(List.of(dir.resolve("data")), 7500, AsyncMode.SECOND,
                        Duration.ofSeconds(5))), svc, new SplitBrainConfig(List.of()), ScriptsConfig.none(), List.of(),
                List.of(), Optional.empty());
        ModuleConfig web = new ModuleConfig("web", ModuleType.FARM, NODES, hb, Optional.empty(), Optional.empty(), svc,
                new SplitBrainConfig(List.of()), ScriptsConfig.none(), List.of(), List.of(),
                Optional.of(new FarmConfig(List.of(), Map.of())));
        ClusterConfig cluster = new ClusterConfig("test", dir.resolve("secret"), dir.resolve("state"),
                new BusConfig(5701, 5801, Optional.empty()), new ConsoleConfig(0, "127.0.0.1", tls, users), nodes);
        return new SteadfastConfig(dir.resolve("steadfast.yml"), cluster, List.of(db, web));
    }

    @Override
    public void close() throws IOException {
        try {
            vertx.close().await(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IOException("closing vert.x", e);
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
