package io.steadfast.lbfilter.impl;

import io.steadfast.exec.CommandRunner;
import io.steadfast.lab.ExecResult;
import io.steadfast.lab.LabClient;
import io.steadfast.lab.LabNode;
import io.steadfast.lbfilter.impl.FarmLab.Reply;
import io.steadfast.testing.LabSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Farm benchmark (root; run by bench/farm/run.sh): a 3-node lab farm with 200 client addresses.
 * <ol>
 *   <li>share per node: one request from each of the 200 addresses (on_addr), max/min of the per-node counts, for
 *       {@code seeds} module names (seeds), then simulated for {@code trials} random address sets;</li>
 *   <li>membership change → new verdicts in the kernel: wall time of {@link LbFilter#apply} (one nft
 *       transaction; the fast path of a running service, and the slow path of a restarted one that reads the
 *       table first), node3 leaving and returning, {@code rounds} times;</li>
 *   <li>requests/s with wrk through the VIP (virtual MAC + filter) vs the same node's own address with no nft
 *       table at all, alternating, {@code wrkRounds} times each, with three configurations in between that split
 *       the difference: E (client pinned to the node's real MAC: no flooding), G (flooded, the other nodes out of
 *       the farm), F (flooded, no filter anywhere) — see {@code throughput}.</li>
 * </ol>
 * Everything happens in lab namespaces, which are removed at the end (also on Ctrl-C: shutdown hook).
 */
public final class FarmBench {
    private static final List<String> ALL = List.of("node1", "node2", "node3");
    private static final List<String> TWO = List.of("node1", "node2");

    private FarmBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int wrkRounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int wrkSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        int seeds = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        int trials = args.length > 4 ? Integer.parseInt(args[4]) : 10_000;
        Path dir = Files.createTempDirectory("sf-farm-bench");
        try (FarmLab farm = new FarmLab(dir, 3, 200)) {
            farm.members(ALL);
            share(farm, seeds, trials);
            convergence(farm, rounds);
            throughput(farm, dir, wrkRounds, wrkSeconds);
        }
        System.out.println("done; lab removed");
    }

    /**
     * The shares depend on how jhash spreads these 200 addresses over the buckets, i.e. on the module's seed:
     * measured for the real module, then for {@code seeds - 1} other module names (other seeds, other bucket
     * orders) — every one reported, then the distribution. Each kernel verdict is also checked against
     * {@link NftJhash}'s model of the kernel's hash, which the simulation below relies on.
     */
    private static void share(FarmLab farm, int seeds, int trials) {
        List<Double> ratios = new ArrayList<>();
        long mismatches = 0;
        mismatches += shareOnce(farm, farm.spec, ratios);
        for (int i = 1; i < seeds; i++) {
            String name = String.format("m%02d", i);
            FilterSpec other = new FilterSpec(name, farm.spec.iface(), farm.spec.vip(), farm.spec.rules(),
                    farm.spec.power());
            for (String n : ALL) {
                farm.filters.get(n).remove(farm.spec.module());
                farm.filters.get(n).apply(other, ALL, false);
            }
            mismatches += shareOnce(farm, other, ratios);
            for (String n : ALL) {
                farm.filters.get(n).remove(name);
                farm.filters.get(n).apply(farm.spec, ALL, false);
            }
        }
        List<Double> sorted = new ArrayList<>(ratios);
        Collections.sort(sorted);
        System.out.printf("share in the kernel, %d seeds x %d addresses: max/min p50 %.3f, p90 %.3f, worst %.3f;"
                + " %d of %d seeds <= 1.25; verdicts differing from the jhash model: %d%n", ratios.size(),
                farm.sources().size(), median(ratios), sorted.get((int) Math.ceil(sorted.size() * 0.9) - 1),
                sorted.get(sorted.size() - 1), ratios.stream().filter(r -> r <= 1.25).count(), ratios.size(),
                mismatches);
        simulate(farm.spec, farm.sources().size(), trials);
    }

    /** @return verdicts (address → node) that differ from the model's prediction */
    private static long shareOnce(FarmLab farm, FilterSpec spec, List<Double> ratios) {
        List<Reply> replies = farm.requests(FarmLab.ADDR_PORT, 1, "share-" + spec.module(), farm.sources());
        long failed = replies.stream().filter(r -> !r.ok()).count();
        Map<String, Integer> perNode = new TreeMap<>();
        replies.stream().filter(Reply::ok).forEach(r -> perNode.merge(r.node(), 1, Integer::sum));
        BucketTable table = spec.table(ALL);
        long seed = FilterScript.seed(spec.module());
        long mismatches = replies.stream().filter(r -> !r.node().equals(table.owner(NftJhash.bucket(r.src(), seed))))
                .count();
        int max = Collections.max(perNode.values());
        int min = perNode.size() < ALL.size() ? 0 : Collections.min(perNode.values());
        double ratio = min == 0 ? Double.POSITIVE_INFINITY : (double) max / min;
        ratios.add(ratio);
        System.out.printf("share [module %s, seed 0x%08x]: %d client addresses, failed %d, per node %s, max/min %.3f"
                + " (target <= 1.25); buckets per node %s; model mismatches %d%n", spec.module(), seed,
                replies.size(), failed, perNode, ratio, table.shares(), mismatches);
        return mismatches;
    }

    /**
     * The same measure without the kernel, with the model of its hash checked above: {@code trials} module names
     * (each its own seed and bucket orders) × a fresh random set of {@code clients} addresses in 10.0.0.0/8, for
     * the balanced bucket orders and for plain weighted rendezvous hashing (the previous assignment).
     */
    private static void simulate(FilterSpec spec, int clients, int trials) {
        if (trials <= 0) {
            return;
        }
        java.util.Random rnd = new java.util.Random(20261201);
        List<Double> balanced = new ArrayList<>();
        List<Double> rendezvous = new ArrayList<>();
        for (int t = 0; t < trials; t++) {
            String module = "sim" + t;
            long seed = FilterScript.seed(module);
            BucketTable table = BucketTable.compute(module, spec.power(), ALL);
            String[] plain = NftJhash.rendezvousOwners(module, ALL);
            java.util.Set<Integer> addrs = new java.util.HashSet<>();
            while (addrs.size() < clients) {
                addrs.add(0x0A000000 | rnd.nextInt(1 << 24));
            }
            Map<String, Integer> a = new TreeMap<>();
            Map<String, Integer> b = new TreeMap<>();
            for (int addr : addrs) {
                int bucket = NftJhash.bucket(addr, seed);
                a.merge(table.owner(bucket), 1, Integer::sum);
                b.merge(plain[bucket], 1, Integer::sum);
            }
            balanced.add(ratio(a));
            rendezvous.add(ratio(b));
        }
        System.out.printf("share simulated (%d trials, %d random addresses, %d nodes): balanced orders %s;"
                + " plain rendezvous %s%n", trials, clients, ALL.size(), summary(balanced), summary(rendezvous));
    }

    private static double ratio(Map<String, Integer> perNode) {
        return perNode.size() < ALL.size() ? Double.POSITIVE_INFINITY
                : (double) Collections.max(perNode.values()) / Collections.min(perNode.values());
    }

    private static String summary(List<Double> ratios) {
        List<Double> s = new ArrayList<>(ratios);
        Collections.sort(s);
        long ok = s.stream().filter(r -> r <= 1.25).count();
        return String.format("max/min p50 %.3f, p90 %.3f, p99 %.3f, worst %.3f, <= 1.25 in %.1f %%", median(s),
                s.get((int) Math.ceil(s.size() * 0.9) - 1), s.get((int) Math.ceil(s.size() * 0.99) - 1),
                s.get(s.size() - 1), 100.0 * ok / s.size());
    }

    private static void convergence(FarmLab farm, int rounds) {
        List<Long> fast = new ArrayList<>();
        List<Long> slow = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            List<String> target = i % 2 == 0 ? TWO : ALL; // node3 leaves, then returns
            for (String n : TWO) {
                LbFilter.Outcome o = farm.filters.get(n).apply(farm.spec, target, false);
                if (o.action() != LbFilter.Action.ELEMENTS) {
                    throw new IllegalStateException("expected an element update, got " + o.action());
                }
                fast.add(o.nanos());
            }
        }
        LabNode n1 = farm.lab.node(1);
        for (int i = 0; i < rounds; i++) {
            List<String> target = i % 2 == 0 ? TWO : ALL;
            // a restarted lb-filter-svc: no memory, reads the kernel's table, then fixes it
            LbFilter fresh = new LbFilter("node1", CommandRunner.inNetns(n1.namespace()), LabSupport.T);
            LbFilter.Outcome o = fresh.apply(farm.spec, target, false);
            if (o.action() != LbFilter.Action.ELEMENTS) {
                throw new IllegalStateException("expected an element update, got " + o.action());
            }
            slow.add(o.nanos());
        }
        farm.filters.get("node1").apply(farm.spec, ALL, true);
        farm.filters.get("node2").apply(farm.spec, ALL, false);
        System.out.printf("membership change -> verdicts in kernel (running service, one nft transaction): %s%n",
                stats(fast));
        System.out.printf("membership change -> verdicts in kernel (restarted service: read table + transaction): %s%n",
                stats(slow));
    }

    private static void throughput(FarmLab farm, Path dir, int rounds, int seconds) throws Exception {
        String cp = System.getProperty("java.class.path");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        LabClient c = farm.clientHost();
        for (LabNode n : farm.lab.nodes()) {
            n.start(dir.resolve(n.name() + "-bench.log"), Map.of(), java, "-Xmx128m", "-XX:+UseSerialGC", "-cp", cp,
                    BenchHttpServer.class.getName(), n.name(), String.valueOf(FarmLab.BENCH_PORT));
        }
        String vipUrl = "http://" + FarmLab.VIP + ":" + FarmLab.BENCH_PORT + "/";
        if (!LabSupport.eventually(Duration.ofSeconds(20), () -> !LabSupport.curl(c, vipUrl).isEmpty())) {
            throw new IllegalStateException("bench app not answering on the VIP");
        }
        String owner = LabSupport.curl(c, vipUrl);
        LabNode node = farm.lab.node(owner);
        String direct = "http://" + node.addr() + ":" + FarmLab.BENCH_PORT + "/";
        System.out.printf("throughput: client %s is served by %s; wrk -t1 -c32 -d%ds, %d rounds each%n", c.addr(),
                owner, seconds, rounds);
        wrk(c, vipUrl, 2); // warm-up (JIT of the app)
        String vmac = farm.module.vip().get().resolvedVmac();
        String realMac = LabSupport.mac(node, "eth0");
        List<Double> flood = new ArrayList<>();
        List<Double> unicast = new ArrayList<>();
        List<Double> without = new ArrayList<>();
        List<Double> noFilter = new ArrayList<>();
        List<Double> alone = new ArrayList<>();
        List<String> others = ALL.stream().filter(n -> !n.equals(owner)).toList();
        for (int i = 0; i < rounds; i++) {
            // A: the real thing: frames to the virtual MAC, flooded by the switch to every member, filtered
            flood.add(wrk(c, vipUrl, seconds));
            // E: the same VIP and filter on the same node, but the client pinned to the node's real MAC: isolates
            // the cost of the filter from the cost of flooding (which, in this lab, all namespaces pay on the
            // same 2 CPUs; on real hardware it is paid by the switch and the other nodes' NICs)
            c.exec(LabSupport.T, "ip", "neigh", "replace", FarmLab.VIP, "lladdr", realMac, "dev", "eth0", "nud",
                    "permanent");
            unicast.add(wrk(c, vipUrl, seconds));
            c.exec(LabSupport.T, "ip", "neigh", "replace", FarmLab.VIP, "lladdr", vmac, "dev", "eth0", "nud",
                    "reachable");
            // G: as A (virtual MAC flooded to every node, the owner's filter and VIP unchanged), but the two other
            // nodes out of the farm: their kernels drop the flooded frames as not theirs instead of running the
            // filter. What the serving node pays is then what it pays on real hardware, where the others' filters
            // run on their own CPUs; A/G is their filters' cost to this lab's 2 shared CPUs
            for (String o : others) {
                farm.leave(o);
            }
            alone.add(wrk(c, vipUrl, seconds));
            // F: G without the owner's filter either (no filter anywhere): G/F is the filter's cost to the serving
            // node with flooding, F/B what flooding itself costs this one-machine lab
            farm.filters.get(owner).remove(farm.spec.module());
            noFilter.add(wrk(c, vipUrl, seconds));
            // B: the same node, its own address, no nft table at all (VIP and filter removed)
            farm.leave(owner);
            without.add(wrk(c, direct, seconds));
            farm.members(ALL);
        }
        double a = median(flood);
        double e = median(unicast);
        double b = median(without);
        double fl = median(noFilter);
        double g = median(alone);
        System.out.printf("throughput: A through VIP (virtual MAC flooded + filter) %s req/s, median %.0f%n", flood, a);
        System.out.printf("throughput: E through VIP, filter, client pinned to the node's real MAC %s req/s, median %.0f%n",
                unicast, e);
        System.out.printf("throughput: G through VIP (virtual MAC flooded) + filter on the serving node, the other nodes"
                + " out of the farm %s req/s, median %.0f%n", alone, g);
        System.out.printf("throughput: F through VIP (virtual MAC flooded), no filter, VIP on the node alone %s req/s,"
                + " median %.0f%n", noFilter, fl);
        System.out.printf("throughput: B same node, own address, no nft table %s req/s, median %.0f%n", without, b);
        // the machine is shared and its load drifts: the ratio of each round (runs seconds apart) is the fairer figure
        List<Double> eb = new ArrayList<>();
        List<Double> ab = new ArrayList<>();
        List<Double> af = new ArrayList<>();
        List<Double> fb = new ArrayList<>();
        List<Double> gb = new ArrayList<>();
        List<Double> ag = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            eb.add(unicast.get(i) / without.get(i));
            ab.add(flood.get(i) / without.get(i));
            af.add(flood.get(i) / noFilter.get(i));
            fb.add(noFilter.get(i) / without.get(i));
            gb.add(alone.get(i) / without.get(i));
            ag.add(flood.get(i) / alone.get(i));
        }
        System.out.printf("throughput: ratio of medians: filter only E/B %.3f; end to end in this lab A/B %.3f%n",
                e / b, a / b);
        System.out.printf("throughput: median of per-round ratios: filter only E/B %.3f %s; end to end A/B %.3f %s"
                + " (target >= 0.95)%n", median(eb), fmt(eb), median(ab), fmt(ab));
        System.out.printf("throughput: through the flooded VIP, filter vs no filter A/F %.3f (medians), %.3f %s"
                + " (per round); flooding in this lab F/B %.3f (medians), %.3f %s (per round)%n", a / fl, median(af),
                fmt(af), fl / b, median(fb), fmt(fb));
        System.out.printf("throughput: through the flooded VIP, the serving node's own cost G/B %.3f (medians), %.3f %s"
                + " (per round); the other nodes' filters on this lab's shared CPUs A/G %.3f (medians), %.3f %s"
                + " (per round)%n", g / b, median(gb), fmt(gb), a / g, median(ag), fmt(ag));
    }

    private static double wrk(LabClient c, String url, int seconds) {
        ExecResult r = c.exec(Duration.ofSeconds(seconds + 30), "wrk", "-t1", "-c32", "-d" + seconds + "s", url);
        Matcher m = Pattern.compile("Requests/sec:\\s+([0-9.]+)").matcher(r.stdout());
        if (!r.ok() || !m.find()) {
            throw new IllegalStateException("wrk failed: " + r);
        }
        Matcher err = Pattern.compile("Non-2xx|Socket errors").matcher(r.stdout());
        if (err.find()) {
            System.out.println("wrk reported errors: " + r.stdout().lines().filter(l -> l.contains("errors")
                    || l.contains("Non-2xx")).toList());
        }
        return Double.parseDouble(m.group(1));
    }

    private static String stats(List<Long> nanos) {
        List<Long> s = new ArrayList<>(nanos);
        Collections.sort(s);
        return String.format("n=%d p50 %.1f ms, p95 %.1f ms, max %.1f ms", s.size(), s.get(s.size() / 2) / 1e6,
                s.get((int) Math.min(s.size() - 1, Math.ceil(s.size() * 0.95) - 1)) / 1e6, s.get(s.size() - 1) / 1e6);
    }

    private static String fmt(List<Double> l) {
        return l.stream().map(x -> String.format("%.2f", x)).toList().toString();
    }

    private static double median(List<Double> l) {
        List<Double> s = new ArrayList<>(l);
        Collections.sort(s);
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }
}
