package io.steadfast.node.bench;

import io.steadfast.lab.Lab;
import io.steadfast.lab.LabNode;
import io.steadfast.lab.LabProcess;
import io.steadfast.lab.LabSpec;
import io.steadfast.node.LabMirror;
import io.steadfast.node.demo.LabCluster;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Mirror failover, measured in one lab run side by side with keepalived: time from the fault on the primary to
 * the first answer from the other node on the VIP, seen by a client probing every 10 ms.
 *
 * <ul>
 *   <li>steadfast kill -9: the primary's agent JVM is killed, the machine stays up (the issue's metric);</li>
 *   <li>steadfast power loss: kill -9 + the node cut from every lan at the same instant;</li>
 *   <li>steadfast SIGSTOP: the primary's JVM frozen;</li>
 *   <li>steadfast kill -9 with a split-brain witness (the SECOND waits the fence guard before it takes over);</li>
 *   <li>keepalived power loss, advert_int 1 s (VRRPv2 default) and VRRPv3 advert_int 0.1 s.</li>
 * </ul>
 * The app runs on both nodes for keepalived (its usual setup); Steadfast starts it with start_prim on takeover.
 * usage: MirrorFailoverBench [rounds=10] [power]; run from the repository root as root (bench/mirror/run.sh);
 * {@code power}: only the power-loss rows, keepalived VRRPv3 0.1 s and kill -9 at the tuned setting.
 */
public final class MirrorFailoverBench {
    static final String VIP = "198.18.0.60";
    static final int PORT = 8080;
    static final long ANSWER_TIMEOUT_MS = 30_000;
    static final Duration SETTLE = Duration.ofSeconds(90);

    private final Path home;
    private final Path dir;
    private final Lab lab;
    private final Map<String, List<Long>> results = new LinkedHashMap<>();

    MirrorFailoverBench(Path home, Path dir, Lab lab) {
        this.home = home;
        this.dir = dir;
        this.lab = lab;
    }

    public static void main(String[] args) throws Exception {
        boolean soak = args.length > 0 && args[0].equals("soak");
        int n = args.length > (soak ? 1 : 0) ? Integer.parseInt(args[soak ? 1 : 0]) : 10;   // rounds, or soak minutes
        Path home = Path.of("").toAbsolutePath();
        Path dir = Files.createTempDirectory("sf-mirror-bench");
        try (Lab lab = Lab.create(LabSpec.builder().nodes(2).clients(1).secondLan(true).build())) {
            MirrorFailoverBench bench = new MirrorFailoverBench(home, dir, lab);
            if (soak) {
                new MirrorSoak(bench, n).run();
                return;
            }
            // rows: all, or "power" (the power-loss rows and keepalived only: a shorter comparison run)
            boolean all = args.length < 2 || !args[1].equals("power");
            if (all) {
                bench.keepalived("keepalived power loss, VRRPv2 advert_int 1s (default)", 2, "1", n);
            }
            bench.keepalived("keepalived power loss, VRRPv3 advert_int 0.1s", 3, "0.1", n);
            // the issue's metric (kill -9) gets every round; the other faults half of them (a round costs ≈ 30 s)
            int half = Math.max(5, n / 2);
            bench.steadfast("defaults", "", "", all ? orderedMap("kill -9", n, "SIGSTOP", half, "power loss", half)
                    : orderedMap("power loss", half));
            if (all) {
                // with a witness the SECOND waits the fence guard (pulse + pulse/2 + 250 ms) before taking over
                bench.steadfast("defaults, witness", "", "    splitbrain: { witness: [" + lab.witnessAddr() + "] }\n",
                        orderedMap("kill -9", half));
            }
            bench.steadfast("pulse 50ms, timeout 250ms", "pulse: 50ms, timeout: 250ms, ", "",
                    all ? orderedMap("power loss", half) : orderedMap("power loss", half, "kill -9", half));
            bench.report();
        }
    }

    // ---- keepalived -------------------------------------------------------------------------------

    void keepalived(String name, int version, String advert, int rounds) throws Exception {
        LabNode n1 = lab.node(1);
        LabNode n2 = lab.node(2);
        startApp(n1);
        startApp(n2);
        try (Probe probe = Probe.start(lab.client(1), dir, VIP, PORT)) {
            for (int r = 0; r < rounds; r++) {
                LabProcess k1 = Keepalived.start(n1, dir, VIP + "/16", 150, version, advert);
                probe.await("db@node1", Probe.nowNanos(), 20_000);  // node1 is master (higher priority)
                LabProcess k2 = Keepalived.start(n2, dir, VIP + "/16", 100, version, advert);
                Thread.sleep(3_000);                                  // node2 settles as backup
                long t0 = Probe.nowNanos();
                n1.isolate();   // the same order as steadfast's power loss: cut, then kill
                k1.kill9();
                long t1 = probe.await("db@node2", t0, ANSWER_TIMEOUT_MS);
                record(name, t1 - t0);
                k2.kill9();
                Keepalived.killAll(n1);
                Keepalived.killAll(n2);
                n1.rejoin();
                n1.exec(Duration.ofSeconds(5), "ip", "addr", "del", VIP + "/16", "dev", "eth0");
                n2.exec(Duration.ofSeconds(5), "ip", "addr", "del", VIP + "/16", "dev", "eth0");
            }
        } finally {
            stopApp(n1);
            stopApp(n2);
        }
    }

    private void startApp(LabNode n) {
        n.exec(Duration.ofSeconds(10), "env", "STEADFAST_MODULE=db", "STEADFAST_NODE=" + n.name(), "PORT=" + PORT,
                "APP_DIR=" + dir, home.resolve("examples/app/start").toString());
    }

    private void stopApp(LabNode n) {
        n.exec(Duration.ofSeconds(10), "env", "STEADFAST_MODULE=db", "STEADFAST_NODE=" + n.name(), "APP_DIR=" + dir,
                home.resolve("examples/app/stop").toString(), "force");
    }

    // ---- steadfast --------------------------------------------------------------------------------

    /**
     * Starts the mirror {@code db} (heartbeat settings {@code heartbeat} added to its defaults, module keys
     * {@code more}) on both nodes.
     */
    LabCluster mirror(String name, String heartbeat, String more) throws Exception {
        String modules = LabMirror.sampleModules(home, dir, VIP, PORT, heartbeat, more);
        LabCluster cluster = LabCluster.configure(lab, home, dir.resolve(name), modules).withWatchdog();
        cluster.startAll();
        return cluster;
    }

    /** Stops a cluster of {@link #mirror} for good: agents killed, app stopped, VIP removed on both nodes. */
    void teardown(LabCluster cluster) {
        cluster.agents().values().forEach(LabProcess::kill9);
        for (LabNode n : lab.nodes()) {
            stopApp(n);
            n.exec(Duration.ofSeconds(5), "ip", "addr", "del", VIP + "/16", "dev", "eth0");
        }
    }

    private static Map<String, Integer> orderedMap(Object... kv) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Integer) kv[i + 1]);
        }
        return m;
    }

    /** {@code faults}: fault → rounds. */
    void steadfast(String settings, String heartbeat, String more, Map<String, Integer> faults) throws Exception {
        LabCluster cluster = mirror("cluster-" + settings.replaceAll("[^a-z0-9]+", "-"), heartbeat, more);
        try (Probe probe = Probe.start(lab.client(1), dir, VIP, PORT)) {
            awaitRoles(cluster);
            for (String fault : faults.keySet()) {
                for (int r = 0; r < faults.get(fault); r++) {
                    String primary = awaitRoles(cluster);
                    String secondary = primary.equals("node1") ? "node2" : "node1";
                    probe.await("db@" + primary, Probe.nowNanos(), 20_000);
                    long t0 = Probe.nowNanos();
                    LabProcess agent = cluster.agent(primary);
                    switch (fault) {
                        case "kill -9" -> agent.kill9Alone();    // the watchdog beside it lives on
                        case "power loss" -> {
                            // cut first: a dead agent's port on a live network answers ICMP port unreachable,
                            // which the peer sees at once (that is the kill -9 row, not a power loss)
                            lab.node(primary).isolate();
                            agent.kill9();                       // the watchdog dies with the machine
                        }
                        default -> agent.freeze();
                    }
                    long t1 = probe.await("db@" + secondary, t0, ANSWER_TIMEOUT_MS);
                    record("steadfast " + fault + " (" + settings + ")", t1 - t0);
                    recover(cluster, primary, fault);
                }
            }
        } finally {
            teardown(cluster);
        }
    }

    /** Brings the old primary back as a secondary (the watchdog released it; cleaned again by hand to be sure). */
    private void recover(LabCluster cluster, String node, String fault) throws Exception {
        LabNode n = lab.node(node);
        LabProcess agent = cluster.agent(node);
        if (fault.equals("SIGSTOP") && agent.isAlive()) {
            try {
                agent.thaw();
            } catch (RuntimeException e) {
                // the watchdog killed the frozen agent meanwhile (what it is for)
            }
            agent.kill9();
        }
        // a machine that lost power comes back without its app and its VIP: clean them while it is still cut off,
        // or it would answer the client's ARP for the VIP once more and keep the client away from the primary
        stopApp(n);
        n.exec(Duration.ofSeconds(5), "ip", "addr", "del", VIP + "/16", "dev", "eth0");
        if (fault.equals("power loss")) {
            n.rejoin();
        }
        cluster.start(node);
    }

    /** Waits until one node is PRIM and the other SECOND Ready; returns the primary. */
    String awaitRoles(LabCluster cluster) throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (System.nanoTime() < deadline) {
            for (String seenFrom : List.of("node1", "node2")) {
                Optional<JsonObject> m = cluster.console(seenFrom, "/api/v1/modules/db");
                if (m.isPresent()) {
                    String prim = null;
                    boolean secondReady = false;
                    for (Object o : m.get().getJsonArray("nodes")) {
                        JsonObject n = (JsonObject) o;
                        if ("PRIM".equals(n.getString("state"))) {
                            prim = n.getString("node");
                        } else if ("SECOND".equals(n.getString("state")) && "READY".equals(n.getString("readiness"))) {
                            secondReady = true;
                        }
                    }
                    if (prim != null && secondReady) {
                        return prim;
                    }
                }
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the mirror did not settle to PRIM + SECOND within " + SETTLE.toSeconds() + " s");
    }

    // ---- results ----------------------------------------------------------------------------------

    private void record(String name, long nanos) {
        results.computeIfAbsent(name, k -> new ArrayList<>()).add(nanos / 1_000_000);
        System.out.printf("%-60s %6d ms%n", name, nanos / 1_000_000);
    }

    private void report() throws IOException {
        System.out.println();
        System.out.printf("load average at the end: %s", Files.readString(Path.of("/proc/loadavg")));
        System.out.printf("| fault (probe every %d ms) | rounds | p50 | p95 | min | max |%n", Probe.INTERVAL_MS);
        System.out.println("|---|---|---|---|---|---|");
        results.forEach((name, ms) -> {
            List<Long> s = ms.stream().sorted().toList();
            System.out.printf("| %s | %d | %d ms | %d ms | %d ms | %d ms |%n", name, s.size(), pct(s, 50), pct(s, 95),
                    s.getFirst(), s.getLast());
        });
    }

    static long pct(List<Long> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
