package io.steadfast.lbfilter.impl;

import io.steadfast.api.LbFilterApi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Which member owns each of the {@link LbFilterApi#BUCKETS} buckets of a farm module, by weighted rendezvous
 * (highest random weight) hashing: every bucket goes to the member with the highest score
 * {@code power / -ln(u)}, {@code u} a hash of (module, member, bucket) in (0,1).
 *
 * <p>Contract, relied on by the kernel filter of every node:
 * <ul>
 *   <li>the table depends only on the module name, the member <em>set</em> and the weights — never on member
 *       order, the node computing it or anything random — so every node computes the same table without talking;
 *   <li>a member leaving moves only its own buckets; a member joining takes buckets only from others, and no
 *       bucket moves between two members that were already there (a bucket's score per member never changes);
 *   <li>a member gets about {@code power / total power} of the buckets.
 * </ul>
 */
public final class BucketTable {
    private final String module;
    private final String[] owners;

    private BucketTable(String module, String[] owners) {
        this.module = module;
        this.owners = owners;
    }

    /**
     * @param members the UP members (duplicates ignored); empty → no bucket has an owner
     * @param power   weight per member (≥ 1); a member not listed weighs {@code defaultPower}
     */
    public static BucketTable compute(String module, List<String> members, Map<String, Integer> power,
                                      int defaultPower) {
        Objects.requireNonNull(module, "module");
        List<String> unique = members.stream().distinct().sorted().toList();
        String[] owners = new String[LbFilterApi.BUCKETS];
        long[] memberKeys = new long[unique.size()];
        double[] weights = new double[unique.size()];
        long moduleKey = fnv1a(module);
        for (int i = 0; i < unique.size(); i++) {
            memberKeys[i] = fnv1a(unique.get(i)) ^ mix(moduleKey);
            int w = power.getOrDefault(unique.get(i), defaultPower);
            if (w < 1) {
                throw new IllegalArgumentException("power of " + unique.get(i) + " must be ≥ 1: " + w);
            }
            weights[i] = w;
        }
        for (int b = 0; b < owners.length; b++) {
            double best = Double.NEGATIVE_INFINITY;
            String owner = null;
            for (int i = 0; i < memberKeys.length; i++) {
                long h = mix(memberKeys[i] + mix(b + 0x9E3779B97F4A7C15L));
                double u = ((h >>> 11) + 0.5) / (double) (1L << 53); // strictly inside (0,1)
                double score = weights[i] / -Math.log(u);
                if (score > best) { // members are sorted, so a (practically impossible) tie is still deterministic
                    best = score;
                    owner = unique.get(i);
                }
            }
            owners[b] = owner;
        }
        return new BucketTable(module, owners);
    }

    public String module() {
        return module;
    }

    /** Owner of {@code bucket}, or null when there are no members. */
    public String owner(int bucket) {
        return owners[bucket];
    }

    /** Buckets owned by {@code member}, ascending. */
    public List<Integer> ownedBy(String member) {
        List<Integer> l = new ArrayList<>();
        for (int b = 0; b < owners.length; b++) {
            if (member.equals(owners[b])) {
                l.add(b);
            }
        }
        return l;
    }

    /** Number of buckets per member, members in name order. */
    public Map<String, Integer> shares() {
        Map<String, Integer> m = new TreeMap<>();
        for (String o : owners) {
            if (o != null) {
                m.merge(o, 1, Integer::sum);
            }
        }
        return new LinkedHashMap<>(m);
    }

    /** Buckets whose owner differs between this table and {@code other}. */
    public List<Integer> movedTo(BucketTable other) {
        List<Integer> l = new ArrayList<>();
        for (int b = 0; b < owners.length; b++) {
            if (!Objects.equals(owners[b], other.owners[b])) {
                l.add(b);
            }
        }
        return l;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BucketTable t && t.module.equals(module) && Arrays.equals(t.owners, owners);
    }

    @Override
    public int hashCode() {
        return module.hashCode() * 31 + Arrays.hashCode(owners);
    }

    @Override
    public String toString() {
        return "BucketTable[" + module + ", " + shares() + "]";
    }

    private static long fnv1a(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** SplitMix64 finaliser: a fixed, well-mixed function (the table must never depend on a JVM or a run). */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
