package io.steadfast.node.mirror;

import io.steadfast.lab.Lab;
import io.steadfast.lab.LabProcess;
import io.steadfast.lab.LabSpec;
import io.steadfast.node.LabMirror;
import io.steadfast.node.LabTesting;
import io.steadfast.node.demo.LabCluster;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mirror module end to end in a lab (issue 3, item 7): two node namespaces running real agent JVMs, a client
 * namespace, the switch as witness; the sample app is started by start_prim and answers {@code db@<node>} on the
 * VIP. A kill -9 of the primary's JVM and a SIGSTOP of it both leave the client served by the other node; the
 * returned node becomes SECOND with the VIP on one node only; an operator's swap moves the service.
 */
class MirrorFailoverIT {
    static final String VIP = "198.18.0.60";
    static final int PORT = 8080;

    @Test
    void killSigstopReturnAndSwap() throws Exception {
        LabTesting.requireRoot();
        Path home = LabTesting.home();
        Path dir = LabTesting.workDir("mirror-failover");
        String modules = LabMirror.sampleModules(home, dir, VIP, PORT, "",
                "    splitbrain: { witness: [198.18.0.1] }\n");
        try (Lab lab = Lab.create(LabSpec.builder().nodes(2).clients(1).secondLan(true).build())) {
            LabCluster cluster = LabCluster.configure(lab, home, dir.resolve("cluster"), modules);
            LabMirror db = new LabMirror(cluster, "db", VIP, PORT);
            LabMirror.addOperator(cluster);
            try {
                cluster.startAll();
                db.awaitRoles("node1"); // defaultprim of a fresh module
                db.awaitAnswer("db@node1");
                db.awaitVipOnlyOn("node1");

                // kill -9 of the primary's JVM: the client is served by node2
                cluster.agent("node1").kill9();
                db.awaitAnswer("db@node2");
                // node1 returns: SECOND, and the VIP on one node only
                cluster.start("node1");
                db.awaitRoles("node2");
                db.awaitVipOnlyOn("node2");

                // the primary frozen: node1 serves; thawed, node2 follows it
                cluster.agent("node2").freeze();
                db.awaitAnswer("db@node1");
                cluster.agent("node2").thaw();
                db.awaitRoles("node1");
                db.awaitVipOnlyOn("node1");

                // an operator's swap, asked of the SECOND through its own console: the handover request travels in
                // the heartbeats (after a long SIGSTOP the event-bus cluster may still be split, see the report)
                LabMirror.post(cluster, "node2", "/api/v1/modules/db/nodes/node2/swap");
                db.awaitRoles("node2");
                db.awaitAnswer("db@node2");
                db.awaitVipOnlyOn("node2");
            } finally {
                for (String n : List.of("node1", "node2")) { // the app runs outside the agents' JVMs
                    lab.node(n).exec(Duration.ofSeconds(10), "env", "STEADFAST_MODULE=db", "STEADFAST_NODE=" + n,
                            "APP_DIR=" + dir, home.resolve("examples/app/stop").toString(), "force");
                }
            }
        }
    }

    /**
     * Issue 3, item 8: with a watchdog beside each agent (as the service manager would start it), a primary whose
     * agent is killed -9 or frozen leaves nothing behind: the VIP and the application end up on exactly one node.
     */
    @Test
    void aDeadOrFrozenAgentLeavesNoPrimaryBehind() throws Exception {
        LabTesting.requireRoot();
        Path home = LabTesting.home();
        Path dir = LabTesting.workDir("mirror-watchdog");
        String modules = LabMirror.sampleModules(home, dir, VIP, PORT, "", "");
        try (Lab lab = Lab.create(LabSpec.builder().nodes(2).clients(1).secondLan(true).build())) {
            LabCluster cluster = LabCluster.configure(lab, home, dir.resolve("cluster"), modules);
            LabMirror db = new LabMirror(cluster, "db", VIP, PORT);
            try {
                cluster.startAll();
                db.awaitRoles("node1");
                db.awaitAnswer("db@node1");
                LabProcess dog1 = watchdog(cluster, home, "node1");
                LabProcess dog2 = watchdog(cluster, home, "node2");

                cluster.agent("node1").kill9();
                db.awaitAnswer("db@node2");
                db.awaitVipOnlyOn("node2");
                db.awaitAppOnlyOn("node2");
                assertThat(dog1.waitFor(Duration.ofSeconds(30))).as("node1's watchdog released and exited").isTrue();
                assertThat(dog2.isAlive()).isTrue();

                // node1 returns (with a new watchdog); then node2's agent freezes: its watchdog kills and releases
                cluster.start("node1");
                db.awaitRoles("node2");
                watchdog(cluster, home, "node1");
                cluster.agent("node2").freeze();
                db.awaitAnswer("db@node1");
                db.awaitVipOnlyOn("node1");
                db.awaitAppOnlyOn("node1");
                assertThat(dog2.waitFor(Duration.ofSeconds(30))).as("node2's watchdog released and exited").isTrue();
                assertThat(cluster.agent("node2").waitFor(Duration.ofSeconds(10))).as("the frozen agent was killed")
                        .isTrue();
            } finally {
                for (String n : List.of("node1", "node2")) {
                    lab.node(n).exec(Duration.ofSeconds(10), "env", "STEADFAST_MODULE=db", "STEADFAST_NODE=" + n,
                            "APP_DIR=" + dir, home.resolve("examples/app/stop").toString(), "force");
                }
            }
        }
    }

    /**
     * The split-brain rule with a witness (the switch, 198.18.0.1): a node cut from everything steps down while
     * the other, which reaches the witness, takes over (exactly one primary); both cut: both WAIT; and a stale
     * node started alone waits.
     */
    @Test
    void partitionsWithAWitnessAndAStaleNodeStartedAlone() throws Exception {
        LabTesting.requireRoot();
        Path home = LabTesting.home();
        Path dir = LabTesting.workDir("mirror-partition");
        String modules = """
                modules:
                  - name: db
                    type: mirror
                    nodes: [node1, node2]
                    heartbeat: { lans: [lan1, lan2], port: 8888 }
                    vip: { addr: %s/16, interface: eth0 }
                    service: { defaultprim: node1 }
                    splitbrain: { witness: [198.18.0.1] }
                """.formatted(VIP);
        try (Lab lab = Lab.create(LabSpec.builder().nodes(2).clients(1).secondLan(true).build())) {
            LabCluster cluster = LabCluster.configure(lab, home, dir.resolve("cluster"), modules);
            LabMirror db = new LabMirror(cluster, "db", VIP, PORT);
            cluster.startAll();
            db.awaitRoles("node1");
            db.awaitVipOnlyOn("node1");

            // node1 cut from every lan: it cannot reach the witness and steps down; node2 can, and takes over
            lab.node(1).isolate();
            db.awaitOwnState("node1", "WAIT");
            db.awaitOwnState("node2", "ALONE");
            db.awaitVipOnlyOn("node2");
            lab.node(1).rejoin();
            db.awaitRoles("node2");

            // both cut from each other and from the witness: both WAIT, no VIP anywhere
            lab.node(1).isolate();
            lab.node(2).isolate();
            db.awaitOwnState("node1", "WAIT");
            db.awaitOwnState("node2", "WAIT");
            assertThat(db.hasVip("node1") || db.hasVip("node2")).as("a VIP left").isFalse();
            lab.node(1).rejoin();
            lab.node(2).rejoin();
            // reunited: the up-to-date copy with the newest generation leads (a tie goes to defaultprim)
            String prim = db.awaitRoles(null);
            String second = prim.equals("node1") ? "node2" : "node1";

            // the SECOND dies, the primary goes on alone, then dies too: the old SECOND restarted alone waits
            cluster.agent(second).kill9();
            db.awaitOwnState(prim, "ALONE");
            cluster.agent(prim).kill9();
            cluster.start(second);
            db.awaitOwnState(second, "WAIT");
            Optional<String> promoted = LabTesting.await(Duration.ofSeconds(5), Duration.ofMillis(250),
                    () -> db.ownState(second).filter(st -> !st.equals("WAIT")));
            assertThat(promoted).as("the stale %s must not leave WAIT on its own", second).isEmpty();
            assertThat(db.hasVip(second)).isFalse();
            cluster.start(prim);
            db.awaitRoles(prim);
        }
    }

    /** Starts `steadfast watchdog` for the running agent of {@code node}, in its namespace, outside its tree. */
    static LabProcess watchdog(LabCluster cluster, Path home, String node) throws InterruptedException {
        long pid = cluster.agent(node).pid();
        assertThat(ProcessHandle.of(pid).flatMap(h -> h.info().command()).orElse(""))
                .as("the agent's pid is its JVM").endsWith("java");
        LabProcess dog = cluster.lab().node(node).start(cluster.dir().resolve(node + "-watchdog.log"),
                java.util.Map.of("STEADFAST_NO_BUILD", "1"), home.resolve("steadfast").toString(), "watchdog",
                "--config", cluster.config().toString(), "--node", node, "--pid", String.valueOf(pid),
                "--state-dir", cluster.dir().resolve(node).resolve("state").toString());
        Optional<Boolean> watching = LabTesting.await(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
            try {
                return Files.exists(dog.logFile()) && Files.readString(dog.logFile()).contains("watching agent pid")
                        ? Optional.of(true) : Optional.empty();
            } catch (java.io.IOException e) {
                return Optional.empty();
            }
        });
        assertThat(watching).as("watchdog of %s watching (log %s)", node, dog.logFile()).isPresent();
        return dog;
    }
}
