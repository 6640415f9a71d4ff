package io.steadfast.node.checker;

import io.steadfast.lab.Lab;
import io.steadfast.lab.LabNode;
import io.steadfast.lab.LabSpec;
import io.steadfast.lab.Net;
import io.steadfast.node.LabMirror;
import io.steadfast.node.LabTesting;
import io.steadfast.node.demo.LabCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The split-brain witness seen from one side only (issue 6), with real agents: module db has
 * {@code splitbrain.witness} (the switch, 198.18.0.1) and a witness checker ({@code type: witness},
 * {@code on_failure: wait}). Unlike {@code MirrorFailoverIT}, which cuts a node from everything, here the nodes
 * lose only each other (their heartbeat lans and bus, by nftables in their own namespaces) and/or only the witness:
 * <ol>
 * <li>the primary alone loses the witness (heartbeats intact): its witness checker parks it, the SECOND takes over;
 *     the witness back, it follows as SECOND;</li>
 * <li>the nodes lose each other while only the primary reaches the witness: it stays primary, the other WAITs;</li>
 * <li>the nodes lose each other while only the SECOND reaches the witness: it becomes primary, the old primary
 *     steps down to WAIT.</li>
 * </ol>
 */
class WitnessCheckerIT {
    static final String VIP = "198.18.0.60";
    static final int PORT = 8080;
    static final String WITNESS = "198.18.0.1";
    /** How long "stays" is watched after a partition settled. */
    static final Duration HOLD = Duration.ofSeconds(6);

    @Test
    void theSideThatReachesTheWitnessIsPrimary() throws Exception {
        LabTesting.requireRoot();
        Path home = LabTesting.home();
        Path dir = LabTesting.workDir("witness-checker");
        String modules = LabMirror.sampleModules(home, dir, VIP, PORT, "", """
                    splitbrain: { witness: [%s] }
                    checkers:
                      - { name: witness, type: witness, interval: 1s, timeout: 1s, on_failure: wait }
                """.formatted(WITNESS));
        try (Lab lab = Lab.create(LabSpec.builder().nodes(2).clients(1).secondLan(true).build())) {
            LabCluster cluster = LabCluster.configure(lab, home, dir.resolve("cluster"), modules);
            LabMirror db = new LabMirror(cluster, "db", VIP, PORT);
            try {
                cluster.startAll();
                String a = db.awaitRoles(null); // node1 (defaultprim) unless its start failed under load
                String b = LabMirror.other(a);
                db.awaitAnswer("db@" + a);
                db.awaitChecker(a, "witness", "UP");

                // 1. only the primary (a) loses the witness: its checker parks it, b takes over
                long t0 = System.currentTimeMillis();
                blockWitness(lab.node(a));
                JsonObject down = db.awaitChecker(a, "witness", "DOWN", t0);
                assertThat(down.getString("reason")).startsWith("no witness reached: ping " + WITNESS);
                db.awaitReason(a, "WAIT", "checker witness");
                db.awaitOwnState(b, "ALONE");
                db.awaitAnswer("db@" + b);
                db.awaitVipOnlyOn(b);
                assertStays(db, b, a);
                unblockWitness(lab.node(a));
                db.awaitRoles(b); // resumed: a follows as SECOND

                // 2. the nodes lose each other, only the primary (b) reaches the witness: it stays primary
                blockWitness(lab.node(a));
                cutPeers(lab);
                db.awaitOwnState(a, "WAIT");
                db.awaitOwnState(b, "ALONE");
                assertStays(db, b, a);
                unblockWitness(lab.node(a));
                healPeers(lab);
                db.awaitRoles(b);

                // 3. the nodes lose each other, only the SECOND (a) reaches the witness: it becomes primary and
                // b, which reaches nobody, steps down. b's witness is known silent only after seconds, a's answers at
                // once: b fences itself (VIP down) as soon as it loses a, and a takes over only after that, so the
                // VIP is never on both nodes (it was for about 2 s before the fence)
                long cut = System.nanoTime();
                List<String> overlap = new ArrayList<>();
                blockWitness(lab.node(b));
                cutPeers(lab);
                Optional<Boolean> moved = LabTesting.await(LabMirror.SETTLE, Duration.ofMillis(20), () -> {
                    boolean va = db.hasVip(a);
                    boolean vb = db.hasVip(b);
                    if (va && vb) {
                        overlap.add((System.nanoTime() - cut) / 1_000_000 + " ms");
                    }
                    return va && !vb ? Optional.of(true) : Optional.empty();
                });
                assertThat(moved).as("the VIP moved to %s", a).isPresent();
                assertThat(overlap).as("moments after the cut with the VIP on both nodes").isEmpty();
                db.awaitOwnState(a, "ALONE");
                db.awaitOwnState(b, "WAIT");
                assertThat(db.reasons(b, "WAIT")).as("%s stepped down for the witness", b)
                        .anyMatch(r -> r.contains("witness"));
                assertStays(db, a, b);
                unblockWitness(lab.node(b));
                healPeers(lab);
                db.awaitRoles(a);
                db.awaitAnswer("db@" + a);
            } finally {
                for (String n : LabMirror.NODES) { // the app runs outside the agents' JVMs
                    lab.node(n).exec(Duration.ofSeconds(10), "env", "STEADFAST_MODULE=db", "STEADFAST_NODE=" + n,
                            "APP_DIR=" + dir, home.resolve("examples/app/stop").toString(), "force");
                }
            }
        }
    }

    /**
     * For {@link #HOLD}: {@code primary} serves (the client gets its answer, the VIP is there only) and
     * {@code other} never leaves WAIT.
     */
    static void assertStays(LabMirror db, String primary, String other) throws InterruptedException {
        db.awaitAnswer("db@" + primary);
        long end = System.nanoTime() + HOLD.toNanos();
        while (System.nanoTime() < end) {
            assertThat(db.ownState(other)).as("%s stays out", other).satisfiesAnyOf(
                    s -> assertThat(s).isEmpty(), s -> assertThat(s).contains("WAIT"));
            assertThat(db.hasVip(other)).as("no VIP on %s", other).isFalse();
            assertThat(db.hasVip(primary)).as("VIP on %s", primary).isTrue();
            Thread.sleep(300);
        }
        db.awaitAnswer("db@" + primary);
    }

    /** Drops this node's traffic to and from the witness (inside its own namespace; heartbeats unaffected). */
    static void blockWitness(LabNode n) {
        nft(n, "table inet sf_it_witness\ndelete table inet sf_it_witness\n"
                + "table inet sf_it_witness {\n"
                + "  chain out { type filter hook output priority 0; policy accept; ip daddr " + WITNESS + " drop; }\n"
                + "  chain in { type filter hook input priority 0; policy accept; ip saddr " + WITNESS + " drop; }\n"
                + "}\n");
    }

    static void unblockWitness(LabNode n) {
        nft(n, "table inet sf_it_witness\ndelete table inet sf_it_witness\n");
    }

    /** Each node drops everything to and from the other's addresses on every lan: heartbeats, bus, replication. */
    static void cutPeers(Lab lab) {
        for (LabNode n : lab.nodes()) {
            LabNode peer = lab.node(LabMirror.other(n.name()));
            String addrs = "{ " + peer.addr(1) + ", " + peer.addr(2) + " }";
            nft(n, "table inet sf_it_peer\ndelete table inet sf_it_peer\n"
                    + "table inet sf_it_peer {\n"
                    + "  chain out { type filter hook output priority 0; policy accept; ip daddr " + addrs + " drop; }\n"
                    + "  chain in { type filter hook input priority 0; policy accept; ip saddr " + addrs + " drop; }\n"
                    + "}\n");
        }
    }

    static void healPeers(Lab lab) {
        for (LabNode n : lab.nodes()) {
            nft(n, "table inet sf_it_peer\ndelete table inet sf_it_peer\n");
        }
    }

    private static void nft(LabNode n, String script) {
        Net.run(Duration.ofSeconds(10), List.of("ip", "netns", "exec", n.namespace(), "nft", "-f", "-"), script);
    }
}
