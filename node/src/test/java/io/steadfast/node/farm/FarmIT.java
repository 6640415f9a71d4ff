package io.steadfast.node.farm;

import io.steadfast.lab.LabProcess;
import io.steadfast.node.LabTesting;
import io.steadfast.node.farm.FarmRig.Round;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.steadfast.node.farm.FarmRig.NODES;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 5, item 5, with real node agents: the farm {@code web} on three lab nodes behind the VIP, 60 client
 * addresses, the on_addr rule. Every request is answered by exactly one node (and accepted by exactly one kernel);
 * an address always reaches the same node. A node lost — its agent killed -9 (its watchdog releases the VIP and
 * stops the app), or its link cut — hands its clients to the others while the others' clients stay put; back, it
 * gets the same share again (rendezvous hashing: same membership, same table). An lb-filter-svc killed alone
 * leaves the kernel filter in place and the farm serving; restarted, it reconciles. Root; lab namespaces only.
 */
class FarmIT {
    static final int ADDRS = 60;
    static final Duration FORM = Duration.ofSeconds(120);
    static final Duration MOVE = Duration.ofSeconds(30);
    static final Duration REJOIN = Duration.ofSeconds(90);

    @Test
    void killAndCutMoveOnlyTheLostNodesClients() throws Exception {
        LabTesting.requireRoot();
        Path home = LabTesting.home();
        String before = rootNetState();
        try (FarmRig rig = FarmRig.open(home, LabTesting.workDir("farm"), ADDRS)) {
            rig.cluster.startAll();
            Map<String, String> base = awaitAllThree(rig);
            Round again = rig.round(Duration.ofSeconds(2));
            assertThat(again.clean()).as("second round: %s", again.describe()).isTrue();
            assertThat(again.owners()).as("an address always reaches the same node").isEqualTo(base);
            rig.watchdog("node1");
            rig.watchdog("node2");

            // kill -9 of node3's agent: its watchdog releases; its clients move, the others' stay
            LabProcess dog3 = rig.watchdog("node3");
            rig.kill9("node3");
            assertThat(dog3.waitFor(Duration.ofSeconds(30))).as("node3's watchdog released and exited").isTrue();
            assertThat(rig.hasVip("node3")).as("the watchdog removed node3's VIP").isFalse();
            Round moved = rig.awaitRound(MOVE, r -> r.clean() && !r.share().containsKey("node3"));
            assertThat(moved.clean()).as("after kill -9: %s", moved.describe()).isTrue();
            assertThat(moved.share()).doesNotContainKey("node3");
            assertThat(moved.seen().get("node3")).as("node3's kernel accepts nothing any more").isEmpty();
            assertKeptTheirNode(base, moved.owners(), "node3");

            // node3 returns: the same table as before
            rig.cluster.start("node3");
            Round back = rig.awaitRound(REJOIN, r -> r.clean() && r.owners().equals(base));
            assertThat(back.owners()).as("node3 back: %s", back.describe()).isEqualTo(base);
            assertThat(back.clean()).isTrue();

            // node2's link cut: its clients move; healed: back to the first table
            rig.lab.node("node2").cutLink(1);
            Round cut = rig.awaitRound(MOVE, r -> r.clean() && !r.share().containsKey("node2"));
            assertThat(cut.clean()).as("link cut: %s", cut.describe()).isTrue();
            assertKeptTheirNode(base, cut.owners(), "node2");
            rig.lab.node("node2").healLink(1);
            Round healed = rig.awaitRound(REJOIN, r -> r.clean() && r.owners().equals(base));
            assertThat(healed.owners()).as("link healed: %s", healed.describe()).isEqualTo(base);
        }
        assertThat(rootNetState()).as("the machine's own namespace is untouched").isEqualTo(before);
    }

    @Test
    void aKilledLbFilterLeavesTheFarmServingAndReconcilesOnRestart() throws Exception {
        LabTesting.requireRoot();
        Path home = LabTesting.home();
        String before = rootNetState();
        try (FarmRig rig = FarmRig.open(home, LabTesting.workDir("farm-lbfilter"), ADDRS)) {
            rig.cluster.start("node1");
            rig.cluster.start("node3");
            rig.cluster.start("node2", List.of("heartbeat", "vip", "checker", "console"));
            rig.cluster.startService("node2", "lb-filter");
            Map<String, String> base = awaitAllThree(rig);
            assertThat(base).containsValue("node2");

            rig.kill9("node2/lb-filter");
            assertThat(rig.hasFilterTable("node2")).as("the kernel filter stays without its service").isTrue();
            // served as before, round after round, while the service is gone (bounded: a few rounds)
            for (int i = 0; i < 5; i++) {
                Round r = rig.round(Duration.ofSeconds(2));
                assertThat(r.clean()).as("without node2's lb-filter-svc: %s", r.describe()).isTrue();
                assertThat(r.owners()).isEqualTo(base);
            }

            // the table tampered with while the service is down: the restarted service must fix it
            assertThat(rig.lab.node("node2").exec(Duration.ofSeconds(10), "nft", "flush", "table", "netdev",
                    "sf_" + FarmRig.MODULE).ok()).isTrue();
            rig.cluster.startService("node2", "lb-filter");
            Round fixed = rig.awaitRound(REJOIN, r -> r.clean() && r.owners().equals(base));
            assertThat(fixed.owners()).as("reconciled: %s", fixed.describe()).isEqualTo(base);
            assertThat(fixed.clean()).isTrue();
        }
        assertThat(rootNetState()).as("the machine's own namespace is untouched").isEqualTo(before);
    }

    /** All three nodes UP and every address served by exactly one of them, all three serving some. */
    static Map<String, String> awaitAllThree(FarmRig rig) throws InterruptedException {
        Optional<List<String>> up = LabTesting.await(FORM, Duration.ofMillis(500), () -> {
            rig.cluster.deadAgent().ifPresent(p -> {
                throw new AssertionError("an agent exited: " + p + ", log " + p.logFile());
            });
            List<String> u = rig.upNodes("node1");
            return u.size() == 3 ? Optional.of(u) : Optional.empty();
        });
        assertThat(up).as("web UP on 3 nodes within %s; view %s", FORM, rig.module("node1")).isPresent();
        Round r = rig.awaitRound(MOVE, x -> x.clean() && x.share().size() == 3);
        assertThat(r.clean()).as("all three serving: %s", r.describe()).isTrue();
        assertThat(r.share()).as("every node serves some clients").containsOnlyKeys(NODES);
        assertThat(r.owners()).hasSize(ADDRS);
        return r.owners();
    }

    /** Clients of the other nodes kept their node; the lost node's clients went elsewhere. */
    static void assertKeptTheirNode(Map<String, String> base, Map<String, String> now, String lost) {
        base.forEach((src, node) -> {
            if (!node.equals(lost)) {
                assertThat(now.get(src)).as("client %s of %s keeps its node", src, node).isEqualTo(node);
            } else {
                assertThat(now.get(src)).as("client %s of the lost %s", src, lost).isNotNull().isNotEqualTo(lost);
            }
        });
    }

    /** Addresses, links and nft tables of the machine's own namespace (compared before/after). */
    static String rootNetState() {
        try {
            String addrs = run("ip", "-o", "addr");
            return addrs + "\n" + run("nft", "list", "tables");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        return out.lines().sorted().reduce("", (a, b) -> a + b + "\n");
    }
}
