package io.steadfast.node.farm;

import io.steadfast.lab.LabNode;
import io.steadfast.lab.LabProcess;
import io.steadfast.node.LabTesting;
import io.steadfast.node.farm.FarmRig.Round;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Farm recovery benchmark (bench/farm/recovery.sh): the lab of {@link FarmIT} with real agents, a watchdog beside
 * the victim's agent; per round, kill -9 of node3's agent and:
 * <ul>
 * <li><b>end to end</b>: kill → every client address node3 served answered again by another node (a probe thread
 * per address: a new connection 10 ms after each failure, 250 ms connect timeout, 5 s for the reply once
 * connected, first attempts once node3's watchdog removed its VIP — see farmprobe.py for why; CLOCK_MONOTONIC
 * on both sides);</li>
 * <li><b>kill → declared dead</b> and <b>declared dead → buckets owned elsewhere</b>: from each survivor's log, its
 * heartbeat-svc's "member node3 lost" line and its lb-filter-svc's first applied table without node3 (log
 * timestamps, ms).</li>
 * </ul>
 * Then node3's agent is restarted and the farm awaited back to its first table. Root; lab namespaces only.
 * usage: FarmRecoveryBench [rounds=5]
 */
public final class FarmRecoveryBench {
    static final String VICTIM = "node3";
    static final Pattern TS = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d) ");

    private FarmRecoveryBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Path home = Path.of("").toAbsolutePath();
        Path dir = Files.createDirectories(home.resolve("node/target/bench/farm-recovery-" + System.nanoTime()));
        List<Double> e2e = new ArrayList<>();
        List<Double> firsts = new ArrayList<>();
        List<Double> detect = new ArrayList<>();
        List<Double> move = new ArrayList<>();
        try (FarmRig rig = FarmRig.open(home, dir, 60)) {
            Runtime.getRuntime().addShutdownHook(new Thread(rig::close));
            Path probe = dir.resolve("farmprobe.py");
            try (InputStream in = FarmRecoveryBench.class.getResourceAsStream("/farm/farmprobe.py")) {
                Files.write(probe, in.readAllBytes());
            }
            rig.cluster.startAll();
            Round first = rig.awaitRound(Duration.ofSeconds(150), r -> r.clean() && r.share().size() == 3);
            check(first.clean() && first.share().size() == 3, "the farm did not form: " + first.describe());
            // a round can be clean and still straddle the last membership change (every address answered once,
            // some under the previous table): the farm has formed when two consecutive clean rounds agree
            for (int i = 0; i < 20; i++) {
                Round next = rig.awaitRound(Duration.ofSeconds(60), r -> r.clean() && r.share().size() == 3);
                if (next.clean() && next.owners().equals(first.owners())) {
                    break;
                }
                first = next;
            }
            Map<String, String> base = first.owners();
            List<String> victims = base.entrySet().stream().filter(e -> e.getValue().equals(VICTIM))
                    .map(Map.Entry::getKey).toList();
            System.out.printf("farm formed: share %s; %d client addresses on %s%n", first.share(), victims.size(),
                    VICTIM);
            for (int round = 1; round <= rounds; round++) {
                Round ready = rig.awaitRound(Duration.ofSeconds(120), r -> r.clean() && r.owners().equals(base));
                check(ready.owners().equals(base), "round " + round + ": farm not back: " + ready.describe());
                LabProcess dog = rig.watchdog(VICTIM);
                Path log = dir.resolve("probe-" + round + ".log");
                Path go = dir.resolve("probe-" + round + ".go");
                List<String> argv = new ArrayList<>(List.of("python3", probe.toString(), FarmRig.VIP,
                        String.valueOf(FarmRig.PORT), VICTIM, "30", go.toString()));
                argv.addAll(victims);
                LabProcess p = rig.lab.client(1).start(log, Map.of(), argv.toArray(String[]::new));
                awaitLine(log, "ready", Duration.ofSeconds(20));
                LocalTime killedAt = LocalTime.now();
                long t0 = System.nanoTime();
                rig.kill9(VICTIM);
                // the probe's first attempts once node3's watchdog removed its VIP (see farmprobe.py: until then
                // node3's app still answers, and a connection it accepted then would hang, not measure the farm)
                long vipGone = LabTesting.await(Duration.ofSeconds(30), Duration.ofMillis(5),
                        () -> rig.hasVip(VICTIM) ? Optional.<Long>empty() : Optional.of(System.nanoTime()))
                        .orElseThrow(() -> new IllegalStateException("node3's VIP still there 30 s after the kill"));
                Files.createFile(go);
                check(p.waitFor(Duration.ofSeconds(60)), "probe did not finish");
                double worst = 0;
                double firstServed = Double.MAX_VALUE; // the farm back, before the app worked off its queue
                int missing = 0;
                Map<String, Integer> attempts = new java.util.TreeMap<>();
                for (String line : Files.readAllLines(log)) {
                    String[] f = line.split(" ");
                    if (f.length == 5 && f[0].equals("try")) { // one attempt: what the failures were, for the report
                        attempts.merge(f[4].startsWith("ERR:") ? f[4] : f[4].equals("web@" + VICTIM) ? f[4]
                                : "served elsewhere", 1, Integer::sum);
                    } else if (f.length == 3 && victims.contains(f[0])) {
                        if (f[1].equals("-")) {
                            missing++;
                        } else {
                            double ms = (Double.parseDouble(f[1]) * 1e9 - t0) / 1e6;
                            worst = Math.max(worst, ms);
                            firstServed = Math.min(firstServed, ms);
                        }
                    }
                }
                if (missing > 0) { // what the client and the nodes looked like, for the report
                    System.out.println("client neighbours: " + rig.lab.client(1).exec(Duration.ofSeconds(10), "ip",
                            "neigh", "show").stdout());
                    for (LabNode n : rig.lab.nodes()) {
                        System.out.println(n.name() + " addresses: " + n.exec(Duration.ofSeconds(10), "ip", "-br",
                                "addr", "show", "dev", "eth0").stdout().strip());
                        String t = n.exec(Duration.ofSeconds(10), "nft", "list", "table", "netdev", "sf_web")
                                .stdout();
                        System.out.println(n.name() + " filter: " + t.lines().filter(l -> l.contains("jhash")
                                || l.contains("pkttype") || l.contains("arp")).map(String::strip).toList()
                                + ", accepted buckets " + (t.split(": accept", -1).length - 1));
                    }
                }
                if (missing > 0) {
                    System.out.println("probe attempts: " + attempts);
                }
                check(missing == 0, "round " + round + ": " + missing + " clients not served again within 30 s");
                check(dog.waitFor(Duration.ofSeconds(30)), "the watchdog did not release");
                e2e.add(worst);
                firsts.add(firstServed);
                StringBuilder from = new StringBuilder();
                for (String survivor : List.of("node1", "node2")) {
                    double[] d = fromLog(rig.cluster.dir().resolve(survivor + ".log"), killedAt);
                    detect.add(d[0]);
                    move.add(d[1]);
                    from.append(String.format(" %s: dead after %.0f ms, buckets moved %.0f ms later;", survivor,
                            d[0], d[1]));
                }
                System.out.printf("round %d: all %d clients of %s served elsewhere %.0f ms after kill -9 (the first"
                        + " after %.0f ms);%s %s's VIP gone (probe started) after %.0f ms, probe attempts %s%n", round,
                        victims.size(), VICTIM, worst, firstServed, from, VICTIM, (vipGone - t0) / 1e6, attempts);
                rig.cluster.start(VICTIM);
            }
            System.out.println();
            System.out.printf("end to end, kill -9 -> every client of %s served again (n=%d): %s%n", VICTIM,
                    e2e.size(), stats(e2e));
            System.out.printf("kill -9 -> the first client of %s served again (n=%d): %s%n", VICTIM, firsts.size(),
                    stats(firsts));
            System.out.printf("kill -9 -> declared dead by a survivor (n=%d): %s%n", detect.size(), stats(detect));
            System.out.printf("declared dead -> buckets owned elsewhere, per survivor (n=%d): %s%n", move.size(),
                    stats(move));
            System.out.println("logs: " + dir);
        }
    }

    /** {ms from the kill to "member node3 lost", ms from that to the first table applied without node3}. */
    static double[] fromLog(Path log, LocalTime killedAt) throws IOException {
        LocalTime lost = null;
        for (String line : Files.readAllLines(log)) {
            Matcher m = TS.matcher(line);
            if (!m.find()) {
                continue;
            }
            LocalTime t = LocalTime.parse(m.group(1));
            if (t.isBefore(killedAt)) {
                continue;
            }
            if (lost == null && line.contains("member " + VICTIM + " lost")) {
                lost = t;
            } else if (lost != null && line.contains("FilterReconciler") && line.contains("members [")
                    && !line.substring(line.indexOf("members [")).contains(VICTIM)) {
                return new double[] {killedAt.until(lost, ChronoUnit.MICROS) / 1000.0,
                        lost.until(t, ChronoUnit.MICROS) / 1000.0};
            }
        }
        throw new IllegalStateException("no 'member " + VICTIM + " lost' then table without it in " + log);
    }

    static void awaitLine(Path log, String prefix, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (Files.exists(log) && Files.readAllLines(log).stream().anyMatch(l -> l.startsWith(prefix))) {
                return;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no '" + prefix + "' in " + log);
    }

    static String stats(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return String.format("p50 %.0f ms, min %.0f, max %.0f, values %s", s.get((s.size() - 1) / 2), s.getFirst(),
                s.getLast(), v.stream().map(x -> String.format("%.0f", x)).toList());
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what);
        }
    }
}
