package io.steadfast.lbfilter.impl;

import io.steadfast.api.LbFilterApi;
import io.steadfast.config.Defaults;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The preference order of every bucket of a farm module over its <em>configured</em> nodes: a bucket belongs to the
 * first UP node of its order. "Rendezvous ordering, balanced": like rendezvous hashing, each bucket has one fixed
 * order, so a node leaving moves only its own buckets and a node joining takes buckets without moving any between
 * the others; unlike plain rendezvous hashing (which gives each node a binomial number of buckets, ±10 % for 3
 * nodes), the orders are chosen together so that for every membership each UP node owns its share of the 256
 * buckets, {@code 256 × power / (power of the UP nodes)}, to within one bucket.
 *
 * <p>Construction (a pure function of the module name, the configured nodes and their powers — no history, no
 * coordinator, every node computes the same orders): position by position. After {@code L} positions, the buckets
 * whose first {@code L} choices are the set {@code Q} are the ones that membership {@code R = nodes − Q} still has
 * to hand out; their next choice decides, for the last time, how many buckets each node of {@code R} owns when
 * exactly {@code R} is UP. So for each such group:
 * <ul>
 *   <li>hard bounds: the count of every node of {@code R} ends at the floor or ceiling of its exact share (when the
 *       buckets handed out before make that possible — tested for every membership of up to 6 configured nodes);
 *   <li>within the bounds each bucket takes, greedily, the node that keeps the <em>projected</em> counts of all the
 *       smaller memberships inside {@code R} closest to their shares (squared error; a bucket still undecided counts
 *       as spread over its candidates in proportion to power, which is exactly what the ideal weighted random order
 *       would give). For many nodes only memberships missing a few nodes are tracked (see {@link #depth});
 *   <li>ties (frequent with equal powers) go to the node the bucket's own weighted rendezvous score prefers, and the
 *       buckets of a group are taken in an order hashed from the module name: the module still shuffles which
 *       bucket gets which order, so two modules on the same nodes spread their clients differently.
 * </ul>
 * The result is cached per (module, nodes, powers): membership changes only look it up.
 */
final class BucketOrders {
    /** Cost budget: memberships tracked by the projection, per construction (see {@link #depth}). */
    private static final int TRACKED_BUDGET = 2048;
    private static final double EPS = 1e-9;
    private static final int CACHE_MAX = 64;
    private static final Map<String, BucketOrders> CACHE = new ConcurrentHashMap<>();

    /** Configured nodes, in name order. */
    private final List<String> nodes;
    /** {@code order[b][j]}: index (into {@link #nodes}) of bucket b's j-th choice. */
    private final byte[][] order;

    private BucketOrders(List<String> nodes, byte[][] order) {
        this.nodes = nodes;
        this.order = order;
    }

    /**
     * @param power every configured node of the module with its power (≥ 0; 0 = spare); at most
     *              {@link Defaults#FARM_MAX_NODES} nodes
     */
    static BucketOrders of(String module, Map<String, Integer> power) {
        Objects.requireNonNull(module, "module");
        TreeMap<String, Integer> sorted = new TreeMap<>(power);
        String key = module + '\u0000' + sorted;
        BucketOrders cached = CACHE.get(key);
        if (cached != null) {
            return cached;
        }
        BucketOrders computed = compute(module, sorted);
        if (CACHE.size() >= CACHE_MAX) {
            CACHE.clear(); // a handful of modules per cluster; a reload storm only costs recomputation
        }
        CACHE.put(key, computed);
        return computed;
    }

    /** The same construction, bypassing the cache (tests: the result must not depend on it). */
    static BucketOrders computeUncached(String module, Map<String, Integer> power) {
        return compute(module, new TreeMap<>(power));
    }

    List<String> nodes() {
        return nodes;
    }

    /** Index of the first node of bucket b's order for which {@code up[index]}, or -1. */
    int first(int bucket, boolean[] up) {
        for (byte i : order[bucket]) {
            if (up[i]) {
                return i;
            }
        }
        return -1;
    }

    /** Bucket b's preference order, node names (for tests and diagnostics). */
    List<String> order(int bucket) {
        List<String> l = new ArrayList<>(order[bucket].length);
        for (byte i : order[bucket]) {
            l.add(nodes.get(i));
        }
        return l;
    }

    /**
     * Spares ({@code power: 0}) come after every weighted node in every bucket's order: they own nothing while a
     * weighted node is up, and share the buckets equally among themselves (the same balanced construction, over
     * the spares with power 1, from a distinct key) when none is. Without spares: exactly the construction below.
     */
    private static BucketOrders compute(String module, TreeMap<String, Integer> power) {
        TreeMap<String, Integer> weighted = new TreeMap<>();
        TreeMap<String, Integer> spares = new TreeMap<>();
        power.forEach((n, p) -> {
            if (p < 0) {
                throw new IllegalArgumentException("power of " + n + " must be ≥ 0: " + p);
            }
            (p == 0 ? spares : weighted).put(n, p == 0 ? 1 : p);
        });
        if (spares.isEmpty() || weighted.isEmpty()) {
            return computeWeighted(module, spares.isEmpty() ? weighted : spares);
        }
        BucketOrders first = computeWeighted(module, weighted);
        BucketOrders then = computeWeighted(module + "\u0000spares", spares);
        List<String> nodes = List.copyOf(power.keySet()); // name order, like every BucketOrders
        byte[][] order = new byte[LbFilterApi.BUCKETS][nodes.size()];
        for (int b = 0; b < order.length; b++) {
            int j = 0;
            for (BucketOrders part : List.of(first, then)) {
                for (byte i : part.order[b]) {
                    order[b][j++] = (byte) nodes.indexOf(part.nodes.get(i));
                }
            }
        }
        return new BucketOrders(nodes, order);
    }

    private static BucketOrders computeWeighted(String module, TreeMap<String, Integer> power) {
        List<String> nodes = List.copyOf(power.keySet());
        int k = nodes.size();
        int buckets = LbFilterApi.BUCKETS;
        if (k > Defaults.FARM_MAX_NODES) { // refused by the config validation already
            throw new IllegalArgumentException("a farm has at most " + Defaults.FARM_MAX_NODES + " nodes, " + module
                    + " has " + k);
        }
        double[] w = new double[k];
        for (int i = 0; i < k; i++) {
            int p = power.get(nodes.get(i));
            if (p < 1) {
                throw new IllegalArgumentException("power of " + nodes.get(i) + " must be ≥ 1: " + p);
            }
            w[i] = p;
        }
        long moduleKey = fnv1a(module);
        double[][] rendezvous = new double[buckets][k];
        for (int b = 0; b < buckets; b++) {
            for (int i = 0; i < k; i++) {
                long h = mix((fnv1a(nodes.get(i)) ^ mix(moduleKey)) + mix(b + 0x9E3779B97F4A7C15L));
                double u = ((h >>> 11) + 0.5) / (double) (1L << 53); // strictly inside (0,1)
                rendezvous[b][i] = w[i] / -StrictMath.log(u); // StrictMath: the same bits on every JVM
            }
        }
        // buckets of a group are decided in this (module-seeded) order
        Integer[] seq = new Integer[buckets];
        long[] rank = new long[buckets];
        for (int b = 0; b < buckets; b++) {
            seq[b] = b;
            rank[b] = mix(moduleKey ^ mix(b + 0x632BE59BD9B4E019L));
        }
        Arrays.sort(seq, (a, c) -> rank[a] != rank[c] ? Long.compare(rank[a], rank[c]) : Integer.compare(a, c));

        byte[][] order = new byte[buckets][k];
        long[] chosen = new long[buckets];
        long full = fullMask(k);
        int depth = depth(k);
        // projected count − exact share, per tracked membership (mask) and node
        Map<Long, double[]> dev = new HashMap<>();
        for (int level = 0; level < k - 1; level++) {
            TreeMap<Long, List<Integer>> groups = new TreeMap<>(Long::compareUnsigned);
            for (int b : seq) {
                groups.computeIfAbsent(chosen[b], q -> new ArrayList<>()).add(b);
            }
            for (Map.Entry<Long, List<Integer>> g : groups.entrySet()) {
                long rest = full & ~g.getKey();
                decide(level, rest, g.getValue(), order, chosen, w, rendezvous, dev, k, depth);
            }
        }
        for (int b = 0; b < buckets; b++) { // the last choice is the one node left
            if (k > 0) {
                order[b][k - 1] = (byte) Long.numberOfTrailingZeros(full & ~chosen[b]);
            }
        }
        return new BucketOrders(nodes, order);
    }

    /** The next choice ({@code level}) of the buckets of one group, whose remaining candidates are {@code rest}. */
    private static void decide(int level, long rest, List<Integer> group, byte[][] order, long[] chosen, double[] w,
                               double[][] rendezvous, Map<Long, double[]> dev, int k, int depth) {
        int m = group.size();
        int[] cand = members(rest);
        double wRest = weight(rest, w);
        // what membership `rest` already has from buckets decided earlier (their first choice inside `rest`)
        int[] have = new int[k];
        for (int b = 0; b < order.length; b++) {
            if (chosen[b] != (~rest & fullMask(k))) { // a bucket of this group has none yet
                for (int j = 0; j < level; j++) {
                    if ((rest >>> order[b][j] & 1) != 0) {
                        have[order[b][j]]++;
                        break;
                    }
                }
            }
        }
        int[] lo = new int[k];
        int[] hi = new int[k];
        long sumLo = 0;
        long sumHi = 0;
        for (int z : cand) {
            double need = LbFilterApi.BUCKETS * w[z] / wRest - have[z];
            lo[z] = Math.max(0, (int) Math.floor(need + EPS));
            hi[z] = Math.max(0, (int) Math.ceil(need - EPS));
            sumLo += lo[z];
            sumHi += hi[z];
        }
        if (sumLo > m || sumHi < m) { // earlier choices made the floor/ceiling impossible: best effort
            for (int z : cand) {
                lo[z] = 0;
                hi[z] = m;
            }
        }
        // the memberships whose projection these choices move, with their nodes, power and deviations
        long[] tracked = trackedSubsets(rest, k, depth);
        int[][] sNodes = new int[tracked.length][];
        double[] sPower = new double[tracked.length];
        double[][] sDev = new double[tracked.length][];
        for (int t = 0; t < tracked.length; t++) {
            sNodes[t] = members(tracked[t]);
            sPower[t] = weight(tracked[t], w);
            sDev[t] = dev.computeIfAbsent(tracked[t], x -> new double[k]);
        }
        int[] got = new int[k];
        for (int n = 0; n < m; n++) {
            int b = group.get(n);
            int left = m - n - 1;
            int best = -1;
            double bestCost = 0;
            for (int z : cand) {
                if (got[z] >= hi[z] || owed(cand, lo, got, z) > left) {
                    continue;
                }
                // change of the squared error if this bucket goes to z (owner of every membership holding z)
                double cost = 0;
                for (int t = 0; t < tracked.length; t++) {
                    if ((tracked[t] >>> z & 1) == 0) {
                        continue;
                    }
                    double[] d = sDev[t];
                    for (int i : sNodes[t]) {
                        double delta = (i == z ? 1.0 : 0.0) - w[i] / sPower[t];
                        cost += 2 * d[i] * delta + delta * delta;
                    }
                }
                if (best < 0 || cost < bestCost - EPS
                        || (cost <= bestCost + EPS && rendezvous[b][z] > rendezvous[b][best])) {
                    best = z;
                    bestCost = cost;
                }
            }
            got[best]++;
            for (int t = 0; t < tracked.length; t++) {
                if ((tracked[t] >>> best & 1) != 0) {
                    double[] d = sDev[t];
                    for (int i : sNodes[t]) {
                        d[i] += (i == best ? 1.0 : 0.0) - w[i] / sPower[t];
                    }
                }
            }
            order[b][level] = (byte) best;
            chosen[b] |= 1L << best;
        }
    }

    /** Buckets still owed to the lower bounds if this bucket goes to {@code z}. */
    private static int owed(int[] cand, int[] lo, int[] got, int z) {
        int owe = 0;
        for (int y : cand) {
            owe += Math.max(0, lo[y] - got[y] - (y == z ? 1 : 0));
        }
        return owe;
    }

    /**
     * How many absent nodes a membership may have to be tracked by the projection: all memberships up to 11
     * configured nodes, fewer beyond, so that a construction stays well under a second even for 64 nodes.
     * (Every membership still gets its hard floor/ceiling bounds.)
     */
    static int depth(int k) {
        long total = 0;
        long c = 1;
        for (int d = 0; d <= k; d++) {
            total += c;
            if (total > TRACKED_BUDGET) {
                return Math.max(1, d - 1);
            }
            c = c * (k - d) / (d + 1);
        }
        return k;
    }

    /** Memberships inside {@code rest} with at least 2 nodes and at most {@code depth} absent of the k. */
    private static long[] trackedSubsets(long rest, int k, int depth) {
        List<Long> l = new ArrayList<>();
        int absentAlready = k - Long.bitCount(rest);
        int more = depth - absentAlready;
        if (more < 0) {
            return new long[0];
        }
        collect(rest, 0, more, l);
        return l.stream().mapToLong(Long::longValue).toArray();
    }

    /** Subsets of {@code rest} obtained by removing up to {@code more} of its nodes with index ≥ {@code from}. */
    private static void collect(long s, int from, int more, List<Long> out) {
        if (Long.bitCount(s) >= 2) {
            out.add(s);
        }
        if (more == 0) {
            return;
        }
        for (int i = from; i < 64; i++) {
            if ((s >>> i & 1) != 0) {
                collect(s & ~(1L << i), i + 1, more - 1, out);
            }
        }
    }

    private static long fullMask(int k) {
        return k == 64 ? -1L : (1L << k) - 1;
    }

    private static int[] members(long s) {
        int[] a = new int[Long.bitCount(s)];
        int n = 0;
        for (long x = s; x != 0; x &= x - 1) {
            a[n++] = Long.numberOfTrailingZeros(x);
        }
        return a;
    }

    private static double weight(long s, double[] w) {
        double t = 0;
        for (long x = s; x != 0; x &= x - 1) {
            t += w[Long.numberOfTrailingZeros(x)];
        }
        return t;
    }

    static long fnv1a(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** SplitMix64 finaliser: a fixed, well-mixed function (the orders must never depend on a JVM or a run). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
