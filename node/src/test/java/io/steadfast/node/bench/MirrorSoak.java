package io.steadfast.node.bench;

import io.steadfast.node.demo.LabCluster;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * False failovers under saturation (DESIGN §8: zero in 10 minutes with both cores saturated): the mirror at default
 * heartbeat settings, {@code stress-ng --cpu 4} saturating both cores of the machine (all lab nodes share them) for
 * the whole run. Counted: changes of primary seen through the console every 2 s, and in the agents' logs every
 * "peer … lost" and "-> ALONE" line (the authoritative count: a false failover always writes them), plus the
 * longest stall heartbeat-svc reported for itself.
 */
final class MirrorSoak {
    private static final Pattern STALL = Pattern.compile("stalled for (\\d+) ms");

    private final MirrorFailoverBench bench;
    private final int minutes;

    MirrorSoak(MirrorFailoverBench bench, int minutes) {
        this.bench = bench;
        this.minutes = minutes;
    }

    void run() throws Exception {
        LabCluster cluster = bench.mirror("cluster-soak", "", "");
        Process stress = null;
        try {
            String first = bench.awaitRoles(cluster);
            System.out.printf("mirror settled: %s PRIM; saturating both cores for %d min%n", first, minutes);
            // only what the agents log from now on counts (the start-up itself goes through ALONE)
            java.util.Map<String, Integer> skip = new java.util.HashMap<>();
            for (String node : List.of("node1", "node2")) {
                skip.put(node, Files.readAllLines(cluster.dir().resolve(node + ".log")).size());
            }
            stress = new ProcessBuilder("stress-ng", "--cpu", "4", "--timeout", minutes * 60 + "s", "--quiet")
                    .inheritIO().start();
            long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(minutes);
            int polls = 0;
            int unanswered = 0;
            int primaryChanges = 0;
            String primary = first;
            double maxLoad = 0;
            while (System.nanoTime() < end) {
                Thread.sleep(2_000);
                maxLoad = Math.max(maxLoad, Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]));
                polls++;
                Optional<String> seen = primaryOf(cluster);
                if (seen.isEmpty()) {
                    unanswered++;
                } else if (!seen.get().equals(primary)) {
                    primaryChanges++;
                    System.out.printf("primary changed: %s -> %s%n", primary, seen.get());
                    primary = seen.get();
                }
            }
            stress.destroy();
            stress.waitFor(10, TimeUnit.SECONDS);
            long lost = 0;
            long alone = 0;
            long maxStall = 0;
            for (String node : List.of("node1", "node2")) {
                List<String> all = Files.readAllLines(cluster.dir().resolve(node + ".log"));
                List<String> log = all.subList(Math.min(skip.get(node), all.size()), all.size());
                lost += log.stream().filter(l -> l.matches(".*peer node\\d lost.*")).count();
                alone += log.stream().filter(l -> l.contains("MirrorMachine") && l.contains("-> ALONE")).count();
                for (String l : log) {
                    Matcher m = STALL.matcher(l);
                    if (m.find()) {
                        maxStall = Math.max(maxStall, Long.parseLong(m.group(1)));
                    }
                }
            }
            System.out.println();
            System.out.printf("| soak, default heartbeat settings, stress-ng --cpu 4 | value |%n|---|---|%n");
            System.out.printf("| duration | %d min |%n| highest 1-min load average seen | %.1f |%n", minutes, maxLoad);
            System.out.printf("| console polls (every 2 s) / unanswered | %d / %d |%n", polls, unanswered);
            System.out.printf("| changes of primary seen | %d |%n", primaryChanges);
            System.out.printf("| 'peer lost' lines in the agents' logs | %d |%n", lost);
            System.out.printf("| transitions to ALONE in the agents' logs | %d |%n", alone);
            System.out.printf("| longest self-stall reported by heartbeat-svc | %d ms |%n", maxStall);
            System.out.printf("| false failovers | %d |%n", Math.max(primaryChanges, alone));
        } finally {
            if (stress != null) {
                stress.destroyForcibly();
            }
            bench.teardown(cluster);
        }
    }

    /**
     * The nodes in PRIM or ALONE, joined, as the first console that answers sees them (a dead node may still be listed
     * with its last state: then two show, which counts as a change too); empty when no console answered.
     */
    private static Optional<String> primaryOf(LabCluster cluster) {
        for (String from : List.of("node1", "node2")) {
            Optional<JsonObject> m = cluster.console(from, "/api/v1/modules/db");
            if (m.isPresent()) {
                List<String> serving = new java.util.ArrayList<>();
                for (Object o : m.get().getJsonArray("nodes")) {
                    JsonObject n = (JsonObject) o;
                    if ("PRIM".equals(n.getString("state")) || "ALONE".equals(n.getString("state"))) {
                        serving.add(n.getString("node"));
                    }
                }
                return Optional.of(String.join("+", serving));
            }
        }
        return Optional.empty();
    }
}
