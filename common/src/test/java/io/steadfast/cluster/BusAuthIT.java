package io.steadfast.cluster;

import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.ReplicationApi;
import io.steadfast.api.VipApi;
import io.steadfast.bus.auth.BusAuth;
import io.steadfast.bus.auth.BusKeys;
import io.steadfast.bus.auth.BusMac;
import io.steadfast.testing.TestFiles;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The event bus hears only the configured nodes, each only for what it may send (issue 17). node1 and node2 share the
 * cluster secret; an intruder has a secret of its own. Real clustered Vert.x instances on loopback (Hazelcast + the
 * event bus over TCP); consumers on the contract addresses stand in for the services.
 */
class BusAuthIT {
    static final DeliveryOptions QUICK = new DeliveryOptions().setSendTimeout(3_000);
    static final DeliveryOptions PATIENT = new DeliveryOptions().setSendTimeout(15_000);

    @TempDir
    Path dir;
    final ClusterMembers cluster = new ClusterMembers("busauth");

    @AfterEach
    void closeAll() throws Exception {
        cluster.close();
    }

    /** What node1's stand-in services received. */
    static final class Node1 {
        final List<JsonObject> commands = new CopyOnWriteArrayList<>();
        final List<JsonObject> vipDowns = new CopyOnWriteArrayList<>();
        final List<JsonObject> replicationA = new CopyOnWriteArrayList<>();
        final List<JsonObject> replicationB = new CopyOnWriteArrayList<>();

        Node1(Vertx v) throws Exception {
            v.eventBus().<JsonObject>consumer(HeartbeatApi.command("node1"), m -> {
                commands.add(m.body());
                m.reply(new JsonObject().put("ok", true));
            }).completion().await(10, TimeUnit.SECONDS);
            v.eventBus().<JsonObject>consumer(VipApi.down("node1"), m -> {
                vipDowns.add(m.body());
                m.reply(new JsonObject().put("present", false));
            }).completion().await(10, TimeUnit.SECONDS);
            v.eventBus().<JsonObject>consumer(HeartbeatApi.states("node1"),
                    m -> m.reply(new JsonObject().put("node", "node1"))).completion().await(10, TimeUnit.SECONDS);
            // two consumers of one publication in one JVM (the console and heartbeat-svc in the node agent)
            v.eventBus().<JsonObject>consumer(ReplicationApi.EVENTS, m -> replicationA.add(m.body()))
                    .completion().await(10, TimeUnit.SECONDS);
            v.eventBus().<JsonObject>consumer(ReplicationApi.EVENTS, m -> replicationB.add(m.body()))
                    .completion().await(10, TimeUnit.SECONDS);
        }
    }

    static JsonObject forcestop() {
        return new JsonObject().put("v", 1).put("module", "db").put("command", "forcestop").put("options", List.of());
    }

    static JsonObject upToDate(String node, long n) {
        return new JsonObject().put("v", 1).put("node", node).put("module", "db").put("role", "TARGET")
                .put("connected", true).put("upToDate", true).put("recording", false).put("n", n);
    }

    @Test
    void anIntruderIsRefusedWhileTheNodesKeepTalking() throws Exception {
        int base = ClusterMembers.basePort(17_100, 4);
        List<String> members = List.of("127.0.0.1:" + base, "127.0.0.1:" + (base + 1), "127.0.0.1:" + (base + 2),
                "127.0.0.1:" + (base + 3));
        Vertx node1 = cluster.start("node1", base, members, Optional.empty());
        Vertx node2 = cluster.start("node2", base + 1, members, Optional.empty());
        Node1 seen = new Node1(node1);
        BusAuth auth1 = BusAuth.of(node1).orElseThrow();

        // legitimate traffic: node2's console commands node1; node2 publishes its own replication state
        assertThat(node2.eventBus().request(HeartbeatApi.command("node1"), forcestop(), PATIENT)
                .await(20, TimeUnit.SECONDS).body()).isEqualTo(new JsonObject().put("ok", true));
        assertThat(seen.commands).hasSize(1);
        node2.eventBus().publish(ReplicationApi.EVENTS, upToDate("node2", 1));
        await(() -> seen.replicationA.size() == 1 && seen.replicationB.size() == 1);

        // 1. an intruder with a secret of its own, started like a node: its Hazelcast cluster name differs, it
        //    never joins, nobody hears it
        Path ownSecret = TestFiles.writePrivate(dir.resolve("own-secret"), "the-intruders-own-secret-0123\n");
        Vertx outsider = cluster.start(cluster.settings("node2", base + 2, members, Optional.empty(), ownSecret, false));
        assertThat(((VertxInternal) outsider).clusterManager().getNodes()).hasSize(1);
        assertThat(((VertxInternal) node1).clusterManager().getNodes()).hasSize(2);
        assertThatThrownBy(() -> outsider.eventBus().request(HeartbeatApi.command("node1"), forcestop(), QUICK)
                .await(10, TimeUnit.SECONDS)).isInstanceOf(ReplyException.class);

        // 2. an intruder inside Hazelcast (it knows the derived cluster name, e.g. read on the wire), unsigned
        Vertx plain = intruderInHazelcast(base + 3, members, null);
        long refused = auth1.refused();
        assertThatThrownBy(() -> plain.eventBus().request(HeartbeatApi.command("node1"), forcestop(), PATIENT)
                .await(20, TimeUnit.SECONDS)).isInstanceOfSatisfying(ReplyException.class,
                e -> assertThat(e.failureCode()).isEqualTo(BusAuth.REFUSED));
        assertThatThrownBy(() -> plain.eventBus().request(VipApi.down("node1"), new JsonObject().put("v", 1)
                .put("module", "db"), PATIENT).await(20, TimeUnit.SECONDS)).isInstanceOf(ReplyException.class);
        // a forged up-to-date replication state, and the replay of a genuine one it captured
        AtomicReference<Message<JsonObject>> captured = new AtomicReference<>();
        plain.eventBus().<JsonObject>consumer(ReplicationApi.EVENTS, m -> {
            if (m.headers().contains(BusMac.HEADER)) { // node2's, not its own forgery below
                captured.compareAndSet(null, m);
            }
        }).completion().await(10, TimeUnit.SECONDS);
        plain.eventBus().publish(ReplicationApi.EVENTS, upToDate("node2", 99));
        for (int i = 2; captured.get() == null && i < 200; i++) { // until the intruder's subscription is known
            node2.eventBus().publish(ReplicationApi.EVENTS, upToDate("node2", i));
            Thread.sleep(100);
        }
        assertThat(captured.get()).as("the intruder heard a genuine publication").isNotNull();
        await(() -> seen.replicationA.stream().anyMatch(j -> j.getLong("n").equals(captured.get().body().getLong("n"))));
        int genuine = seen.replicationA.size();
        String header = captured.get().headers().get(BusMac.HEADER);
        assertThat(header).startsWith("v1 node2 node ");
        plain.eventBus().publish(ReplicationApi.EVENTS, captured.get().body(),
                new DeliveryOptions().addHeader(BusMac.HEADER, header));
        await(() -> auth1.refused() >= refused + 4, () -> auth1.status() + " " + seen.replicationA);

        // 3. an intruder inside Hazelcast signing as node2 with its own secret
        Vertx signing = plainIntruderSigns(plain, ownSecret);
        assertThatThrownBy(() -> signing.eventBus().request(VipApi.down("node1"), new JsonObject(), QUICK)
                .await(10, TimeUnit.SECONDS)).isInstanceOf(ReplyException.class);
        await(() -> auth1.refused() >= refused + 5);

        // 4. node2 itself (the right secret) may not do what only node1 does, nor speak for node1
        assertThatThrownBy(() -> node2.eventBus().request(VipApi.down("node1"), new JsonObject(), PATIENT)
                .await(20, TimeUnit.SECONDS)).isInstanceOfSatisfying(ReplyException.class,
                e -> assertThat(e.failureCode()).isEqualTo(BusAuth.REFUSED));
        node2.eventBus().publish(ReplicationApi.EVENTS, upToDate("node1", 1000));
        await(() -> auth1.refused() >= refused + 7);

        // nothing changed: no command, no VIP down, no forged or replayed state; node1 keeps serving
        assertThat(seen.commands).hasSize(1);
        assertThat(seen.vipDowns).isEmpty();
        assertThat(seen.replicationA).hasSize(genuine).allMatch(j -> j.getString("node").equals("node2")
                && j.getLong("n") < 99);
        assertThat(seen.replicationB).isEqualTo(seen.replicationA);
        assertThat(node2.eventBus().<JsonObject>request(HeartbeatApi.states("node1"), new JsonObject(), PATIENT)
                .await(20, TimeUnit.SECONDS).body().getString("node")).isEqualTo("node1");
        assertThat(node2.eventBus().request(HeartbeatApi.command("node1"), forcestop(), PATIENT)
                .await(20, TimeUnit.SECONDS).body()).isEqualTo(new JsonObject().put("ok", true));
        assertThat(auth1.status().getLong("refused")).isGreaterThanOrEqualTo(refused + 7);
    }

    /** A frame announcing 2 GB is cut at its header; the node keeps serving. */
    @Test
    void aHugeFrameHeaderClosesTheConnection() throws Exception {
        int base = ClusterMembers.basePort(17_900, 2);
        List<String> members = List.of("127.0.0.1:" + base, "127.0.0.1:" + (base + 1));
        Vertx node1 = cluster.start("node1", base, members, Optional.empty());
        Vertx node2 = cluster.start("node2", base + 1, members, Optional.empty());
        new Node1(node1);

        long sent = 0;
        boolean closed = false;
        try (Socket s = new Socket("127.0.0.1", base + 1000)) {
            s.setSoTimeout(30_000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(0x7FFF_FFF0);
            byte[] chunk = new byte[1 << 20];
            try {
                for (; sent < 256L << 20; sent += chunk.length) {
                    out.write(chunk);
                }
            } catch (IOException e) {
                closed = true;
            }
            if (!closed) {
                InputStream in = s.getInputStream();
                try {
                    closed = in.read() == -1;
                } catch (IOException e) {
                    closed = true;
                }
            }
        }
        assertThat(closed).as("the server closed the connection (after %d MiB)", sent >> 20).isTrue();
        assertThat(sent).as("it did not buffer the frame").isLessThan(64L << 20);
        assertThat(node2.eventBus().<JsonObject>request(HeartbeatApi.states("node1"), new JsonObject(), PATIENT)
                .await(20, TimeUnit.SECONDS).body().getString("node")).isEqualTo("node1");
    }

    /**
     * The cost of signing: a request/reply round trip between two members with the bus signed and with
     * {@code insecure: true}. Printed, not asserted.
     */
    @Test
    void costOfSigning() throws Exception {
        for (boolean insecure : new boolean[] {false, true, false, true}) {
            int base = ClusterMembers.basePort(18_300, 2);
            List<String> members = List.of("127.0.0.1:" + base, "127.0.0.1:" + (base + 1));
            Vertx a = cluster.start(cluster.settings("node1", base, members, Optional.empty(), cluster.secretFile(),
                    insecure));
            Vertx b = cluster.start(cluster.settings("node2", base + 1, members, Optional.empty(),
                    cluster.secretFile(), insecure));
            assertThat(BusAuth.of(a).isPresent()).isEqualTo(!insecure);
            JsonObject body = upToDate("node2", 1).put("reason", "x".repeat(200));
            b.eventBus().<JsonObject>consumer("cost.echo", m -> m.reply(body)).completion().await(10, TimeUnit.SECONDS);
            for (int i = 0; i < 300; i++) { // warm-up
                a.eventBus().request("cost.echo", body, PATIENT).await(20, TimeUnit.SECONDS);
            }
            int n = 500;
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                a.eventBus().request("cost.echo", body, PATIENT).await(20, TimeUnit.SECONDS);
            }
            long micros = (System.nanoTime() - start) / 1000 / n;
            System.out.printf("bus round trip (%s): %d µs per request/reply over %d%n",
                    insecure ? "insecure, unsigned" : "signed", micros, n);
            cluster.close();
        }
    }

    /** An intruder that knows the derived Hazelcast name and joins; {@code ownSecret}: it signs with that. */
    private Vertx intruderInHazelcast(int port, List<String> members, Path ownSecret) throws Exception {
        ClusterSettings s = cluster.settings("node2", port, members, Optional.empty(), cluster.secretFile(), true);
        String name = BusKeys.hazelcastClusterName(cluster.clusterName(),
                Files.readString(cluster.secretFile()).strip().getBytes(StandardCharsets.UTF_8));
        HazelcastClusterManager manager = new HazelcastClusterManager(ClusterBootstrap.hazelcastConfig(s, name));
        Vertx v = Vertx.builder().with(ClusterBootstrap.vertxOptions(s, new VertxOptions()))
                .withClusterManager(manager).buildClustered().await(60, TimeUnit.SECONDS);
        cluster.track(v);
        assertThat(manager.getNodes()).as("the intruder joined Hazelcast").hasSizeGreaterThanOrEqualTo(3);
        return v;
    }

    /** The same intruder, now signing every message as node2 with its own secret. */
    private static Vertx plainIntruderSigns(Vertx intruder, Path ownSecret) throws IOException {
        byte[] secret = Files.readString(ownSecret).strip().getBytes(StandardCharsets.UTF_8);
        BusAuth.install(intruder, secret, "node2", BusAuth.AGENT, java.util.Set.copyOf(ClusterMembers.NODES));
        return intruder;
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        await(condition, () -> "");
    }

    private static void await(BooleanSupplier condition, java.util.function.Supplier<String> state)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 30 s " + state.get());
            }
            Thread.sleep(50);
        }
    }
}
