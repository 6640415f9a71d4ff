package io.steadfast.node.mirror;

import io.steadfast.console.PasswordHash;
import io.steadfast.lab.ExecResult;
import io.steadfast.lab.Lab;
import io.steadfast.lab.LabProcess;
import io.steadfast.lab.LabSpec;
import io.steadfast.node.LabTesting;
import io.steadfast.node.demo.LabCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mirror module end to end in a lab (issue 3, item 7): two node namespaces running real agent JVMs, a client
 * namespace, the switch as witness; the sample app is started by start_prim and answers {@code db@<node>} on the
 * VIP. A kill -9 of the primary's JVM and a SIGSTOP of it both leave the client served by the other node; the
 * returned node becomes SECOND with the VIP on one node only; an operator's swap moves the service.
 */
public class MirrorFailoverIT {
    public static final String VIP = "198.18.0.60";
    public static final int PORT = 8080;
    static final Duration SETTLE = Duration.ofSeconds(180); // agents took 46 s to start at load 50 (shared machine)
    static final Duration SERVE = Duration.ofSeconds(60);

    @Test
    void killSigstopReturnAndSwap() throws Exception {
        LabTesting.requireRoot();
        Path home = LabTesting.home();
        Path dir = LabTesting.workDir("mirror-failover");
        String app = home.resolve("examples/app").toString();
        String modules = """
                modules:
                  - name: db
                    type: mirror
                    nodes: [node1, node2]
                    heartbeat: { lans: [lan1, lan2], port: 8888 }
                    vip: { addr: %2$s/16, interface: eth0 }
                    service: { defaultprim: node1 }
                    splitbrain: { witness: [198.18.0.1] }
                    scripts:
                      prestart: [env, APP_DIR=%3$s, %1$s/stop]
                      start_prim: [env, PORT=%4$d, APP_DIR=%3$s, %1$s/start]
                      stop_prim: [env, APP_DIR=%3$s, %1$s/stop]
                      timeout: 20s
                """.formatted(app, VIP, dir, PORT);
        try (Lab lab = Lab.create(LabSpec.builder().nodes(2).clients(1).secondLan(true).build())) {
            LabCluster cluster = LabCluster.configure(lab, home, dir.resolve("cluster"), modules);
            addOperator(cluster);
            try {
                cluster.startAll();
                awaitRoles(cluster, "node1"); // defaultprim of a fresh module
                awaitAnswer(lab, "db@node1");
                awaitVipOnlyOn(lab, "node1");

                // kill -9 of the primary's JVM: the client is served by node2
                cluster.agent("node1").kill9();
                awaitAnswer(lab, "db@node2");
                // node1 returns: SECOND, and the VIP on one node only
                cluster.start("node1");
                awaitRoles(cluster, "node2");
                awaitVipOnlyOn(lab, "node2");

                // the primary frozen: node1 serves; thawed, node2 follows it
                cluster.agent("node2").freeze();
                awaitAnswer(lab, "db@node1");
                cluster.agent("node2").thaw();
                awaitRoles(cluster, "node1");
                awaitVipOnlyOn(lab, "node1");

                // an operator's swap, asked of the SECOND through its own console: the handover request travels in
                // the heartbeats (after a long SIGSTOP the event-bus cluster may still be split, see the report)
                post(cluster, "node2", "/api/v1/modules/db/nodes/node2/swap");
                awaitRoles(cluster, "node2");
                awaitAnswer(lab, "db@node2");
                awaitVipOnlyOn(lab, "node2");
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
        String app = home.resolve("examples/app").toString();
        String modules = """
                modules:
                  - name: db
                    type: mirror
                    nodes: [node1, node2]
                    heartbeat: { lans: [lan1, lan2], port: 8888 }
                    vip: { addr: %2$s/16, interface: eth0 }
                    service: { defaultprim: node1 }
                    scripts:
                      prestart: [env, APP_DIR=%3$s, %1$s/stop]
                      start_prim: [env, PORT=%4$d, APP_DIR=%3$s, %1$s/start]
                      stop_prim: [env, APP_DIR=%3$s, %1$s/stop]
                      timeout: 20s
                """.formatted(app, VIP, dir, PORT);
        try (Lab lab = Lab.create(LabSpec.builder().nodes(2).clients(1).secondLan(true).build())) {
            LabCluster cluster = LabCluster.configure(lab, home, dir.resolve("cluster"), modules);
            try {
                cluster.startAll();
                awaitRoles(cluster, "node1");
                awaitAnswer(lab, "db@node1");
                LabProcess dog1 = watchdog(cluster, home, "node1");
                LabProcess dog2 = watchdog(cluster, home, "node2");

                cluster.agent("node1").kill9();
                awaitAnswer(lab, "db@node2");
                awaitVipOnlyOn(lab, "node2");
                awaitAppOnlyOn(lab, "node2");
                assertThat(dog1.waitFor(Duration.ofSeconds(30))).as("node1's watchdog released and exited").isTrue();
                assertThat(dog2.isAlive()).isTrue();

                // node1 returns (with a new watchdog); then node2's agent freezes: its watchdog kills and releases
                cluster.start("node1");
                awaitRoles(cluster, "node2");
                watchdog(cluster, home, "node1");
                cluster.agent("node2").freeze();
                awaitAnswer(lab, "db@node1");
                awaitVipOnlyOn(lab, "node1");
                awaitAppOnlyOn(lab, "node1");
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
            cluster.startAll();
            awaitRoles(cluster, "node1");
            awaitVipOnlyOn(lab, "node1");

            // node1 cut from every lan: it cannot reach the witness and steps down; node2 can, and takes over
            lab.node(1).isolate();
            awaitOwnState(cluster, "node1", "WAIT");
            awaitOwnState(cluster, "node2", "ALONE");
            awaitVipOnlyOn(lab, "node2");
            lab.node(1).rejoin();
            awaitRoles(cluster, "node2");

            // both cut from each other and from the witness: both WAIT, no VIP anywhere
            lab.node(1).isolate();
            lab.node(2).isolate();
            awaitOwnState(cluster, "node1", "WAIT");
            awaitOwnState(cluster, "node2", "WAIT");
            assertThat(hasVip(lab, "node1") || hasVip(lab, "node2")).as("a VIP left").isFalse();
            lab.node(1).rejoin();
            lab.node(2).rejoin();
            // reunited: the up-to-date copy with the newest generation leads (a tie goes to defaultprim)
            String prim = awaitRoles(cluster, null);
            String second = prim.equals("node1") ? "node2" : "node1";

            // the SECOND dies, the primary goes on alone, then dies too: the old SECOND restarted alone waits
            cluster.agent(second).kill9();
            awaitOwnState(cluster, prim, "ALONE");
            cluster.agent(prim).kill9();
            cluster.start(second);
            awaitOwnState(cluster, second, "WAIT");
            Optional<String> promoted = LabTesting.await(Duration.ofSeconds(5), Duration.ofMillis(250),
                    () -> ownState(cluster, second).filter(st -> !st.equals("WAIT")));
            assertThat(promoted).as("the stale %s must not leave WAIT on its own", second).isEmpty();
            assertThat(hasVip(lab, second)).isFalse();
            cluster.start(prim);
            awaitRoles(cluster, prim);
        }
    }

    /** The module's state on {@code node} as its own console shows it (works while the node is cut off). */
    static Optional<String> ownState(LabCluster cluster, String node) {
        return cluster.console(node, "/api/v1/modules/db").flatMap(m -> {
            for (Object o : m.getJsonArray("nodes", new JsonArray())) {
                JsonObject n = (JsonObject) o;
                if (node.equals(n.getString("node")) && !"TRANSIENT".equals(n.getString("readiness"))) {
                    return Optional.ofNullable(n.getString("state"));
                }
            }
            return Optional.empty();
        });
    }

    static void awaitOwnState(LabCluster cluster, String node, String state) throws InterruptedException {
        List<String> seen = new ArrayList<>();
        Optional<String> got = LabTesting.await(SETTLE, Duration.ofMillis(200), () -> {
            LabProcess agent = cluster.agent(node);
            if (!agent.isAlive()) {
                throw new AssertionError("the agent of " + node + " exited, log " + agent.logFile());
            }
            Optional<String> st = ownState(cluster, node);
            st.ifPresent(seen::add);
            return st.filter(state::equals);
        });
        assertThat(got).as("%s %s within %s (seen %s)", node, state, SETTLE,
                seen.subList(Math.max(0, seen.size() - 3), seen.size())).isPresent();
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

    /** Something listens on the app's port on {@code node} and on no other node. */
    static void awaitAppOnlyOn(Lab lab, String node) throws InterruptedException {
        String other = node.equals("node1") ? "node2" : "node1";
        Optional<Boolean> ok = LabTesting.await(Duration.ofSeconds(15), Duration.ofMillis(200),
                () -> listens(lab, node) && !listens(lab, other) ? Optional.of(true) : Optional.empty());
        assertThat(ok).as("app on %s only (on %s: %s, on %s: %s)", node, node, listens(lab, node), other,
                listens(lab, other)).isPresent();
    }

    static boolean listens(Lab lab, String node) {
        ExecResult r = lab.node(node).exec(Duration.ofSeconds(5), "ss", "-Hltn", "sport = :" + PORT);
        return r.ok() && !r.stdout().isBlank();
    }

    /** A users file with one admin, so that the console accepts commands (no default password exists). */
    static void addOperator(LabCluster cluster) throws Exception {
        Path users = cluster.dir().resolve("users");
        Files.writeString(users, "it:admin:" + PasswordHash.hash("it-pass".toCharArray(), 1000) + "\n");
        String yaml = Files.readString(cluster.config());
        String patched = yaml.replaceFirst("bind: 0\\.0\\.0\\.0 }", "bind: 0.0.0.0, users_file: " + users + " }");
        assertThat(patched).as("console line of the lab config").isNotEqualTo(yaml);
        Files.writeString(cluster.config(), patched);
    }

    static void post(LabCluster cluster, String node, String path) {
        ExecResult r = cluster.lab().node(node).exec(Duration.ofSeconds(70), "curl", "-s", "-m", "65", "-X", "POST",
                "-u", "it:it-pass", "-H", "X-Steadfast-Request: it",
                "http://127.0.0.1:" + LabCluster.CONSOLE_PORT + path);
        assertThat(r.exitCode()).as("POST %s: %s", path, r.stdout()).isZero();
        assertThat(r.stdout()).as("POST %s", path).doesNotContain("\"error\"");
    }

    /** Waits until {@code primary} (null: either node) is PRIM/READY and the other SECOND/READY; returns it. */
    public static String awaitRoles(LabCluster cluster, String primary) throws InterruptedException {
        List<String> seen = new ArrayList<>();
        Optional<String> prim = LabTesting.await(SETTLE, Duration.ofMillis(250), () -> {
            failOnDeadAgent(cluster);
            for (String from : List.of("node1", "node2")) {
                Optional<JsonObject> m = cluster.console(from, "/api/v1/modules/db");
                if (m.isEmpty()) {
                    continue;
                }
                String p = null;
                boolean second = false;
                JsonArray nodes = m.get().getJsonArray("nodes", new JsonArray());
                for (Object o : nodes) {
                    JsonObject n = (JsonObject) o;
                    boolean ready = "READY".equals(n.getString("readiness"));
                    if ("PRIM".equals(n.getString("state")) && ready) {
                        p = n.getString("node");
                    } else if ("SECOND".equals(n.getString("state")) && ready) {
                        second = true;
                    }
                }
                seen.add(nodes.encode());
                if (p != null && (primary == null || primary.equals(p)) && second) {
                    return Optional.of(p);
                }
            }
            return Optional.empty();
        });
        assertThat(prim).as("%s PRIM + the other SECOND Ready within %s; last views %s", primary, SETTLE,
                seen.subList(Math.max(0, seen.size() - 2), seen.size())).isPresent();
        return prim.get();
    }

    static void failOnDeadAgent(LabCluster cluster) {
        cluster.deadAgent().ifPresent(p -> {
            throw new AssertionError("an agent exited: " + p + ", log " + p.logFile());
        });
    }

    /** Bounded polling of the client: the VIP answers with {@code who}. */
    public static void awaitAnswer(Lab lab, String who) throws InterruptedException {
        List<String> last = new ArrayList<>();
        Optional<String> got = LabTesting.await(SERVE, Duration.ofMillis(100), () -> {
            ExecResult r = lab.client(1).exec(Duration.ofSeconds(5), "curl", "-s", "-m", "1",
                    "http://" + VIP + ":" + PORT + "/");
            String body = r.stdout().strip();
            last.add(body);
            return body.contains(who) ? Optional.of(body) : Optional.empty();
        });
        assertThat(got).as("the VIP answers %s within %s (last answers %s)", who, SERVE,
                last.subList(Math.max(0, last.size() - 3), last.size())).isPresent();
    }

    static boolean hasVip(Lab lab, String node) {
        ExecResult r = lab.node(node).exec(Duration.ofSeconds(5), "ip", "-j", "-4", "addr", "show", "dev", "eth0");
        assertThat(r.ok()).as("ip addr on %s: %s", node, r.stderr()).isTrue();
        for (Object o : new JsonArray(r.stdout())) {
            for (Object a : ((JsonObject) o).getJsonArray("addr_info", new JsonArray())) {
                if (VIP.equals(((JsonObject) a).getString("local"))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The VIP is on {@code node} and not on the other one (bounded wait: releases are asynchronous). */
    static void awaitVipOnlyOn(Lab lab, String node) throws InterruptedException {
        String other = node.equals("node1") ? "node2" : "node1";
        Optional<Boolean> ok = LabTesting.await(Duration.ofSeconds(15), Duration.ofMillis(200),
                () -> hasVip(lab, node) && !hasVip(lab, other) ? Optional.of(true) : Optional.empty());
        assertThat(ok).as("VIP on %s only (on %s: %s, on %s: %s)", node, node, hasVip(lab, node), other,
                hasVip(lab, other)).isPresent();
    }
}
