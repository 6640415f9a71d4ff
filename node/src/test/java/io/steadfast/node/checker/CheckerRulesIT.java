package io.steadfast.node.checker;

import io.steadfast.lab.ExecResult;
import io.steadfast.lab.Lab;
import io.steadfast.lab.LabSpec;
import io.steadfast.node.LabMirror;
import io.steadfast.node.LabTesting;
import io.steadfast.node.demo.LabCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The failover rules end to end (issue 6): real `steadfast node` agents on node1 and node2 of a lab, the sample
 * app (examples/app, answering {@code <module>@<node>} on the VIP) started by start_prim, and one mirror module per
 * rule so that the test methods share one cluster without depending on each other's order.
 * The primary is node1 (defaultprim) unless its start failed on a loaded machine: the tests call it p, the other o.
 * <ul>
 * <li>{@code rs}: a tcp checker with on_failure restart, maxloop 3 — an app that dies is restarted on its node;
 *     the 4th death within loop_interval stops the module there with the reason (and the SECOND takes over);</li>
 * <li>{@code hung}: the app frozen by SIGSTOP (its listening socket stays open) is restarted by the tcp checker;</li>
 * <li>{@code ss}: on_failure stopstart on the primary moves the module to the other node;</li>
 * <li>{@code wt}: a custom checker (exit code from a per-node file) with on_failure wait parks the module and
 *     resumes it;</li>
 * <li>{@code cmd}: custom checkers whose command does not exist or outlives its timeout are down with a clear reason
 *     and block nothing (the module keeps serving, a restart still happens).</li>
 * </ul>
 */
class CheckerRulesIT {
    record Mod(String name, int index) {
        String vip() {
            return "198.18.0." + (60 + index);
        }

        int port() {
            return 8080 + index;
        }
    }

    static final Mod RS = new Mod("rs", 1);
    static final Mod HUNG = new Mod("hung", 2);
    static final Mod SS = new Mod("ss", 3);
    static final Mod WT = new Mod("wt", 4);
    static final Mod CMD = new Mod("cmd", 5);
    static final List<Mod> ALL = List.of(RS, HUNG, SS, WT, CMD);
    /** Its own number, so that the test can count the probe processes (nothing else on the machine runs it). */
    static final String SLOW_SLEEP = "59.317";

    static Path home;
    static Path dir;
    static Path nodeLocal;
    static Lab lab;
    static LabCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        LabTesting.requireRoot();
        home = LabTesting.home();
        dir = LabTesting.workDir("checker-rules");
        nodeLocal = dir.resolve("node-local");
        Path health = dir.resolve("health");
        // the custom checker of wt: its exit code (and first line) come from the node's own copy of node-local/code
        Files.writeString(health, """
                #!/bin/sh
                code=$(cat %s/code 2>/dev/null || echo 0)
                echo "health code $code"
                exit "$code"
                """.formatted(nodeLocal));
        Files.setPosixFilePermissions(health, PosixFilePermissions.fromString("rwxr-xr-x"));
        StringBuilder modules = new StringBuilder("modules:\n");
        for (Mod m : ALL) {
            modules.append(LabMirror.sampleModule(home, dir, m.name(), m.vip(), m.port(), 8880 + m.index(), "",
                    ", maxloop: 3, loop_interval: 24h", "    checkers:\n"));
            String tcp = "      - { name: app, type: tcp, target: \"127.0.0.1:" + m.port()
                    + "\", interval: 1s, timeout: 1s, on_failure: %s }\n";
            if (m == RS || m == HUNG || m == CMD) {
                modules.append(tcp.formatted("restart"));
            } else if (m == SS) {
                modules.append(tcp.formatted("stopstart"));
            }
            if (m == WT) {
                modules.append("      - { name: health, type: custom, command: [" + health
                        + "], interval: 4s, timeout: 4s, on_failure: wait }\n");
            }
            if (m == CMD) {
                modules.append("      - { name: missing, type: custom, command: [/nonexistent/steadfast-check],"
                        + " interval: 1s, timeout: 1s }\n");
                modules.append("      - { name: slow, type: custom, command: [sleep, \"" + SLOW_SLEEP + "\"],"
                        + " interval: 1s, timeout: 1s }\n");
            }
        }
        lab = Lab.create(LabSpec.builder().nodes(2).clients(1).secondLan(true).build());
        try {
            cluster = LabCluster.configure(lab, home, dir.resolve("cluster"), modules.toString());
            cluster.privateDir(nodeLocal);
            for (String n : LabMirror.NODES) {
                writeCode(n, 0);
            }
            cluster.startAll();
            for (Mod m : ALL) {
                LabMirror mirror = mirror(m);
                // defaultprim node1 of a fresh module; on a loaded machine a failed start may leave it on node2
                // (e.g. "vip-svc did not answer within 10 s"): the tests take the primary as they find it
                String prim = mirror.awaitRoles(null);
                mirror.awaitAnswer(m.name() + "@" + prim);
            }
        } catch (Throwable e) {
            stopCluster();
            throw e;
        }
    }

    @AfterAll
    static void stopCluster() {
        if (lab == null) {
            return;
        }
        try {
            for (String n : LabMirror.NODES) { // the apps run outside the agents' JVMs
                for (Mod m : ALL) {
                    lab.node(n).exec(Duration.ofSeconds(10), "env", "STEADFAST_MODULE=" + m.name(),
                            "STEADFAST_NODE=" + n, "APP_DIR=" + dir, home.resolve("examples/app/stop").toString(),
                            "force");
                }
            }
        } finally {
            lab.close();
            lab = null;
        }
    }

    static LabMirror mirror(Mod m) {
        return new LabMirror(cluster, m.name(), m.vip(), m.port());
    }

    static void writeCode(String node, int code) throws Exception {
        Path copy = Files.createDirectories(cluster.privateCopy(node, nodeLocal));
        Files.writeString(copy.resolve("code.tmp"), code + "\n");
        Files.move(copy.resolve("code.tmp"), copy.resolve("code"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The pid of the sample app of {@code m} on {@code node} (its pidfile), if that process lives. */
    static Optional<Long> appPid(Mod m, String node) {
        Path pidfile = dir.resolve("steadfast-app-" + m.name() + "-" + node + ".pid");
        try {
            long pid = Long.parseLong(Files.readString(pidfile).strip());
            return alive(pid) ? Optional.of(pid) : Optional.empty();
        } catch (java.io.IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Running or stopped, not a zombie (a killed app is reaped by whoever adopted it, maybe late). */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    static long livePid(Mod m, String node) {
        Optional<Long> pid = appPid(m, node);
        assertThat(pid).as("the app of %s runs on %s", m.name(), node).isPresent();
        assertThat(ProcessHandle.of(pid.get()).flatMap(h -> h.info().command()).orElse(""))
                .as("pid %d is the sample app", pid.get()).endsWith("socat");
        return pid.get();
    }

    /** Waits until the app of {@code m} on {@code node} runs with a pid other than {@code old}. */
    static long awaitNewApp(Mod m, String node, long old) throws InterruptedException {
        Optional<Long> pid = LabTesting.await(LabMirror.SETTLE, Duration.ofMillis(200),
                () -> appPid(m, node).filter(p -> p != old));
        assertThat(pid).as("the app of %s started again on %s (was pid %d)", m.name(), node, old).isPresent();
        return pid.get();
    }

    static void kill9(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    static void signal(String sig, long pid) {
        ExecResult r = lab.node(1).exec(Duration.ofSeconds(5), "kill", "-" + sig, Long.toString(pid));
        assertThat(r.ok()).as("kill -%s %d: %s", sig, pid, r.stderr()).isTrue();
    }

    /** An app that dies is restarted on its node, three times; the 4th death within loop_interval stops it there. */
    @Test
    void aDeadAppIsRestartedAndFourDeathsInTheLoopIntervalStopTheModule() throws Exception {
        LabMirror rs = mirror(RS);
        String p = rs.awaitRoles(null); // the primary (node1 unless its start failed under load)
        String o = LabMirror.other(p);
        long pid = livePid(RS, p);
        for (int death = 1; death <= 3; death++) {
            long t0 = System.currentTimeMillis();
            kill9(pid);
            pid = awaitNewApp(RS, p, pid);
            rs.awaitAnswer("rs@" + p);
            // the checker is seen up again before the next death (a death during the restart grace is not one)
            rs.awaitChecker(p, "app", "UP", t0);
            rs.awaitOwnState(p, "PRIM"); // restarted in place
        }
        // three restarts asked and carried out: none while the module was starting (start grace), none twice
        List<String> log = rs.log(p);
        assertThat(log).as("module log of %s", p)
                .filteredOn(l -> l.startsWith("failover rule: asking heartbeat-svc for restart: checker app down:"))
                .hasSize(3);
        assertThat(log).as("module log of %s", p).filteredOn(l -> l.equals("heartbeat-svc carried out restart"))
                .hasSize(3);
        kill9(pid);
        String why = rs.awaitReason(p, "STOP", "checker app failed 4 times in 24h (maxloop 3)");
        assertThat(why).contains("connect to 127.0.0.1:" + RS.port());
        rs.awaitOwnState(p, "STOP");
        // the module is stopped on node1, not lost: the up-to-date SECOND takes over (DESIGN §2, primary left)
        rs.awaitOwnState(o, "ALONE");
        rs.awaitAnswer("rs@" + o);
        rs.awaitVipOnlyOn(o);
        rs.awaitAppOnlyOn(o);
        Optional<String> restarted = LabTesting.await(Duration.ofSeconds(5), Duration.ofMillis(250),
                () -> rs.ownState(p).filter(s -> !s.equals("STOP")));
        assertThat(restarted).as("the stopped node stays STOP until an operator starts it").isEmpty();
    }

    /**
     * SIGSTOP of the app: its listening socket stays open, so connects succeed until the accept queue is full
     * (socat's backlog is 5); then they time out, the tcp checker goes down and the app is restarted (the graceful
     * stop cannot end a stopped process, the forced one kills it).
     */
    @Test
    void aHungAppIsRestartedByTheTcpChecker() throws Exception {
        LabMirror hung = mirror(HUNG);
        String p = hung.awaitRoles(null); // the primary (node1 unless its start failed under load)
        String o = LabMirror.other(p);
        long pid = livePid(HUNG, p);
        signal("STOP", pid);
        try {
            awaitNewApp(HUNG, p, pid);
            assertThat(alive(pid)).as("the frozen app %d was killed", pid).isFalse();
        } finally {
            if (alive(pid)) {
                signal("CONT", pid);
            }
        }
        hung.awaitAnswer("hung@" + p);
        hung.awaitLog(p, "failover rule: asking heartbeat-svc for restart: checker app down: connect to 127.0.0.1:"
                + HUNG.port() + " timed out after 1000 ms");
        hung.awaitLog(p, "stop_prim (force)");
        hung.awaitOwnState(p, "PRIM"); // restarted in place
        hung.awaitVipOnlyOn(p);
    }

    /** on_failure stopstart on the primary: it stops there and the SECOND takes over; node1 follows as SECOND. */
    @Test
    void stopstartMovesTheModuleToTheOtherNode() throws Exception {
        LabMirror ss = mirror(SS);
        String p = ss.awaitRoles(null); // the primary (node1 unless its start failed under load)
        String o = LabMirror.other(p);
        kill9(livePid(SS, p));
        ss.awaitAnswer("ss@" + o);
        ss.awaitRoles(o);
        ss.awaitVipOnlyOn(o);
        ss.awaitAppOnlyOn(o);
        assertThat(ss.reasons(p, "WAIT")).as("the old primary left for WAIT through the rule")
                .anyMatch(r -> r.contains("checker app") && r.contains("stopstart"));
        ss.awaitLog(p, "failover rule: asking heartbeat-svc for stopstart: checker app down: connect to");
    }

    /**
     * on_failure wait with a custom checker: exit 3 on node1 parks the module there (node2 takes over); exit 0 again
     * resumes it (node1 follows as SECOND). Then exit 4 on both nodes parks the module everywhere (no VIP), and exit 0
     * resumes it: it serves again.
     */
    @Test
    void waitParksTheModuleAndResumesItWithCustomCheckerExitCodes() throws Exception {
        LabMirror wt = mirror(WT);
        String p = wt.awaitRoles(null); // the primary (node1 unless its start failed under load)
        String o = LabMirror.other(p);
        JsonObject up = wt.awaitChecker(p, "health", "UP");
        assertThat(up.getString("reason")).isEqualTo("health code 0");

        long t0 = System.currentTimeMillis();
        writeCode(p, 3);
        JsonObject down = wt.awaitChecker(p, "health", "DOWN", t0);
        assertThat(down.getString("reason")).isEqualTo(dir.resolve("health") + ": exit 3: health code 3");
        wt.awaitReason(p, "WAIT", "checker health");
        wt.awaitAnswer("wt@" + o);
        wt.awaitVipOnlyOn(o);
        // parked: node1 stays WAIT while its checker is down (the module is not taken back)
        Optional<String> left = LabTesting.await(Duration.ofSeconds(4), Duration.ofMillis(250),
                () -> wt.ownState(p).filter(s -> !s.equals("WAIT")));
        assertThat(left).as("the parked node stays WAIT").isEmpty();

        writeCode(p, 0);
        wt.awaitRoles(o);
        wt.awaitLog(p, "failover rule: asking heartbeat-svc for wait (resume): checker health is up again");

        // both nodes failing: node2 parks, node1 takes over and parks too: nobody serves
        long t1 = System.currentTimeMillis();
        writeCode(p, 4);
        writeCode(o, 4);
        wt.awaitChecker(o, "health", "DOWN", t1);
        wt.awaitOwnState(o, "WAIT");
        wt.awaitOwnState(p, "WAIT");
        assertThat(wt.awaitReason(o, "WAIT", "checker health")).contains("exit 4: health code 4");
        Optional<Boolean> noVip = LabTesting.await(Duration.ofSeconds(15), Duration.ofMillis(200),
                () -> !wt.hasVip(p) && !wt.hasVip(o) ? Optional.of(true) : Optional.empty());
        assertThat(noVip).as("parked everywhere: no VIP").isPresent();
        assertThat(wt.answer()).as("nobody serves").doesNotContain("wt@");

        writeCode(p, 0);
        writeCode(o, 0);
        String prim = wt.awaitRoles(null);
        wt.awaitAnswer("wt@" + prim);
        wt.awaitVipOnlyOn(prim);
    }

    /**
     * A checker whose command does not exist, and one that outlives its timeout: both down with the reason, killed
     * each round (no pile of probe processes), and nothing else waits for them: the module keeps serving and a dead
     * app is still restarted by the tcp checker beside them.
     */
    @Test
    void missingAndHangingCheckerCommandsAreDownWithAReasonAndBlockNothing() throws Exception {
        LabMirror cmd = mirror(CMD);
        String p = cmd.awaitRoles(null); // the primary (node1 unless its start failed under load)
        String o = LabMirror.other(p);
        JsonObject missing = cmd.awaitChecker(p, "missing", "DOWN");
        assertThat(missing.getString("reason")).startsWith("/nonexistent/steadfast-check: cannot run")
                .contains("No such file");
        JsonObject slow = cmd.awaitChecker(p, "slow", "DOWN");
        assertThat(slow.getString("reason")).isEqualTo("sleep " + SLOW_SLEEP + ": timed out after 1000 ms (killed)");
        List<Long> counts = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            counts.add(ProcessHandle.allProcesses().filter(h -> h.info().arguments()
                    .map(a -> a.length == 1 && a[0].equals(SLOW_SLEEP)).orElse(false)).count());
            Thread.sleep(700);
        }
        assertThat(counts).as("probe processes of the slow checker alive at a time").allMatch(c -> c <= 2);
        assertThat(cmd.ownState(p)).contains("PRIM");
        cmd.awaitAnswer("cmd@" + p);

        long t0 = System.currentTimeMillis();
        long pid = livePid(CMD, p);
        kill9(pid);
        awaitNewApp(CMD, p, pid);
        cmd.awaitChecker(p, "app", "UP", t0);
        cmd.awaitAnswer("cmd@" + p);
        cmd.awaitOwnState(p, "PRIM");
        assertThat(cmd.checker(p, "slow").map(c -> c.getString("status"))).contains("DOWN");
    }
}
