package io.steadfast.heartbeat;

import io.steadfast.api.CheckerApi;
import io.steadfast.api.CheckerApi.ScriptRequest;
import io.steadfast.api.CheckerApi.ScriptResult;
import io.steadfast.api.Command;
import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.HeartbeatApi.CommandRequest;
import io.steadfast.api.HeartbeatApi.DesiredState;
import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.HeartbeatApi.NodeStates;
import io.steadfast.api.HeartbeatApi.Role;
import io.steadfast.api.ModuleRef;
import io.steadfast.api.Readiness;
import io.steadfast.api.State;
import io.steadfast.api.VipApi;
import io.steadfast.api.VipApi.VipStatus;
import io.steadfast.bus.ErrorCode;
import io.steadfast.config.ClusterConfig;
import io.steadfast.config.ConfigLoader;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.service.Membership;
import io.steadfast.service.ServiceContext;
import io.steadfast.testing.TestFiles;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Two heartbeat verticles (node1, node2) in one Vert.x, heartbeating over real UDP on loopback addresses, with
 * fake vip-svc and checker-svc on the bus: the wiring, the choreography requests, the publications, commands,
 * and failover when one node's service goes away.
 */
class HeartbeatVerticleTest {
    @TempDir
    Path dir;
    Vertx vertx;
    SteadfastConfig config;
    final List<String> calls = new CopyOnWriteArrayList<>();
    final Map<String, DesiredState> desired = new ConcurrentHashMap<>();
    final Map<String, String> deployments = new ConcurrentHashMap<>();
    int hbPort;

    @BeforeEach
    void setUp() throws Exception {
        hbPort = 20000 + ThreadLocalRandom.current().nextInt(20000);
        TestFiles.writeSecret(dir.resolve("secret"));
        String yaml = """
                cluster:
                  name: hbtest
                  secret_file: %s
                  state_dir: %s
                  nodes:
                    - { name: node1, addr: 127.0.0.11, lans: { lan1: 127.0.0.11, lan2: 127.0.1.11 } }
                    - { name: node2, addr: 127.0.0.12, lans: { lan1: 127.0.0.12, lan2: 127.0.1.12 } }
                modules:
                  - name: db
                    type: mirror
                    nodes: [node1, node2]
                    heartbeat: { pulse: 50ms, timeout: 400ms, lans: [lan1, lan2], port: %d }
                    vip: { addr: 198.18.0.60/24, interface: eth0 }
                    service: { defaultprim: node1 }
                    scripts: { start_prim: [/bin/true], stop_prim: [/bin/true] }
                """.formatted(dir.resolve("secret"), dir.resolve("state"), hbPort);
        config = ConfigLoader.parse(dir.resolve("hb.yml"), yaml).config().orElseThrow(
                () -> new AssertionError(ConfigLoader.parse(dir.resolve("hb.yml"), yaml).problems()));
        vertx = Vertx.vertx();
        for (String node : List.of("node1", "node2")) {
            vertx.eventBus().consumer(VipApi.up(node), m -> {
                calls.add(node + " vip up");
                m.reply(new VipStatus(node, "db", "198.18.0.60", "eth0", true, "").toJson());
            });
            vertx.eventBus().consumer(VipApi.down(node), m -> {
                calls.add(node + " vip down");
                m.reply(new VipStatus(node, "db", "198.18.0.60", "eth0", false, "").toJson());
            });
            vertx.eventBus().consumer(CheckerApi.script(node), m -> {
                ScriptRequest r = ScriptRequest.fromJson((JsonObject) m.body());
                calls.add(node + " " + r.script().name().toLowerCase() + (r.force() ? " force" : ""));
                m.reply(new ScriptResult("db", r.script(), 0, false, false, "").toJson());
            });
        }
        vertx.eventBus().consumer(HeartbeatApi.DESIRED, m -> {
            DesiredState d = DesiredState.fromJson((JsonObject) m.body());
            desired.put(d.node(), d);
        });
    }

    @AfterEach
    void tearDown() {
        vertx.close().await();
    }

    /** Each node gets its own state dir, as `steadfast node --state-dir` does. */
    private ServiceContext ctx(String node) {
        ClusterConfig c = config.cluster();
        SteadfastConfig own = new SteadfastConfig(config.source(), new ClusterConfig(c.name(), c.secretFile(),
                dir.resolve("state-" + node), c.bus(), c.console(), c.nodes()), config.modules());
        return new ServiceContext(own, node, Membership.standalone(node));
    }

    private void deploy(String node) {
        deployments.put(node, vertx.deployVerticle(new HeartbeatVerticle(ctx(node))).await());
    }

    private ModuleState state(String node) {
        JsonObject reply = (JsonObject) vertx.eventBus().request(HeartbeatApi.states(node), new JsonObject()).await()
                .body();
        List<ModuleState> mods = NodeStates.fromJson(reply).modules();
        return mods.isEmpty() ? null : mods.getFirst();
    }

    private boolean is(String node, State s, Readiness r) {
        ModuleState m = state(node);
        return m != null && m.state() == s && m.readiness() == r;
    }

    private static void await(BooleanSupplier cond, long maxMs, String what) throws InterruptedException {
        long end = System.currentTimeMillis() + maxMs;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("not within " + maxMs + " ms: " + what);
            }
            Thread.sleep(20);
        }
    }

    private JsonObject command(String node, Command c) {
        return (JsonObject) vertx.eventBus().request(HeartbeatApi.command(node),
                new CommandRequest("db", c, List.of()).toJson()).await().body();
    }

    @Test
    void pairFormsSwapsAndFailsOverOverRealUdp() throws Exception {
        deploy("node1");
        deploy("node2");
        await(() -> is("node1", State.PRIM, Readiness.READY) && is("node2", State.SECOND, Readiness.READY), 10_000,
                "node1 PRIM (defaultprim), node2 SECOND");
        assertThat(calls).containsSubsequence("node1 vip up", "node1 prestart", "node1 start_prim");
        await(() -> desired.containsKey("node1") && desired.get("node1").module("db").orElseThrow().role()
                == Role.PRIMARY, 5000, "desired PRIMARY published");
        assertThat(state("node2").details().getJsonObject("peers").getJsonObject("node1").getJsonObject("lans")
                .getJsonObject("lan2").getBoolean("up")).isTrue();

        assertThat(command("node2", Command.SWAP).getString("message")).contains("hand over");
        await(() -> is("node2", State.PRIM, Readiness.READY) && is("node1", State.SECOND, Readiness.READY), 10_000,
                "swapped");
        assertThat(calls).containsSubsequence("node1 stop_prim", "node1 vip down", "node2 vip up",
                "node2 start_prim");

        long t0 = System.nanoTime();
        vertx.undeploy(deployments.get("node2")).await(); // its sockets close: no more beats
        await(() -> is("node1", State.ALONE, Readiness.READY), 5000, "node1 ALONE");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).as("detection is bounded by the timeout (400 ms) plus scheduling").isLessThan(3000);
        assertThat(Files.exists(dir.resolve("state-node1").resolve("db.state.json"))).isTrue();
    }

    @Test
    void badAndRefusedRequestsGetClearErrors() throws Exception {
        deploy("node1");
        await(() -> state("node1") != null, 5000, "started");
        assertThatThrownBy(() -> vertx.eventBus().request(HeartbeatApi.command("node1"),
                new JsonObject().put("v", 1).put("module", "db").put("command", "explode")).await())
                .isInstanceOfSatisfying(ReplyException.class,
                        e -> assertThat(e.failureCode()).isEqualTo(ErrorCode.BAD_MESSAGE.code()));
        assertThatThrownBy(() -> vertx.eventBus().request(HeartbeatApi.command("node1"),
                new CommandRequest("nope", Command.START, List.of()).toJson()).await())
                .isInstanceOfSatisfying(ReplyException.class,
                        e -> assertThat(e.failureCode()).isEqualTo(ErrorCode.NOT_FOUND.code()));
        assertThatThrownBy(() -> command("node1", Command.START))
                .isInstanceOfSatisfying(ReplyException.class,
                        e -> assertThat(e.failureCode()).isEqualTo(ErrorCode.CONFLICT.code()));
    }

    @Test
    void forgedAndGarbageDatagramsAreDroppedAndCounted() throws Exception {
        deploy("node1");
        await(() -> state("node1") != null, 5000, "started");
        try (DatagramSocket s = new DatagramSocket()) {
            byte[] junk = "SFHB\1 definitely not a beat, and no valid mac at all.............".getBytes();
            for (int i = 0; i < 5; i++) {
                s.send(new DatagramPacket(junk, junk.length, InetAddress.getByName("127.0.0.11"), hbPort));
            }
            byte[] big = new byte[4000];
            s.send(new DatagramPacket(big, big.length, InetAddress.getByName("127.0.0.11"), hbPort));
        }
        await(() -> {
            JsonObject rej = state("node1").details().getJsonObject("rejected");
            return rej.getLong("forged", 0L) == 5 && rej.getLong("oversize", 0L) == 1;
        }, 5000, "5 forged + 1 oversize counted");
        // garbage changed nothing: the fresh defaultprim node still starts alone after its grace
        await(() -> is("node1", State.ALONE, Readiness.READY), 5000, "node1 ALONE");
    }

    @Test
    void aMissingSecretStopsTheServiceWithAClearMessage() throws Exception {
        Files.delete(dir.resolve("secret"));
        assertThatThrownBy(() -> deploy("node1")).hasMessageContaining("secret_file")
                .hasMessageContaining("does not exist");
        TestFiles.writePrivate(dir.resolve("secret"), "\n");
        assertThatThrownBy(() -> deploy("node1")).hasMessageContaining("holds nothing");
    }

    @Test
    void aShortOrUnprotectedSecretStopsTheService() throws Exception {
        TestFiles.writePrivate(dir.resolve("secret"), "k\n");
        assertThatThrownBy(() -> deploy("node1")).hasMessageContaining("holds 1 bytes")
                .hasMessageContaining("at least 16 bytes");
        TestFiles.writeSecret(dir.resolve("secret"));
        Files.setPosixFilePermissions(dir.resolve("secret"), java.nio.file.attribute.PosixFilePermissions
                .fromString("rw-r--r--"));
        assertThatThrownBy(() -> deploy("node1")).hasMessageContaining("cluster.secret_file " + dir.resolve("secret"))
                .hasMessageContaining("mode 0644").hasMessageContaining("chmod 600 " + dir.resolve("secret"));
    }
}
