package io.steadfast.lbfilter.impl;

import io.steadfast.api.LbFilterApi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Which member owns each of the {@link LbFilterApi#BUCKETS} buckets of a farm module: every bucket has a fixed
 * preference order over the module's configured nodes ({@link BucketOrders}: rendezvous ordering, balanced) and
 * belongs to the first UP member of its order.
 *
 * <p>Contract, relied on by the kernel filter of every node:
 * <ul>
 *   <li>the table depends only on the module name, the configured nodes with their powers and the member
 *       <em>set</em> — never on member order, the node computing it, history or anything random — so every node
 *       computes the same table without talking;
 *   <li>a member leaving moves only its own buckets; a member joining takes buckets only from others, and no
 *       bucket moves between two members that were already there (each bucket's order is fixed);
 *   <li>a member owns {@code 256 × power / (power of the members)} buckets to within one bucket, for every
 *       membership (tested exhaustively up to 6 configured nodes; see {@link BucketOrders} beyond).
 * </ul>
 * A member that is not a configured node owns nothing (every node ignores it alike, so no bucket is served twice).
 */
public final class BucketTable {
    private final String module;
    private final String[] owners;

    private BucketTable(String module, String[] owners) {
        this.module = module;
        this.owners = owners;
    }

    /**
     * @param power   every configured node of the module with its power (≥ 1, or 0 for a spare: it owns buckets
     *                only when no member of power ≥ 1 is up)
     * @param members the UP members (duplicates ignored); none → no bucket has an owner
     */
    public static BucketTable compute(String module, Map<String, Integer> power, Collection<String> members) {
        BucketOrders orders = BucketOrders.of(module, power);
        List<String> nodes = orders.nodes();
        boolean[] up = new boolean[nodes.size()];
        for (String m : members) {
            int i = nodes.indexOf(m);
            if (i >= 0) {
                up[i] = true;
            }
        }
        String[] owners = new String[LbFilterApi.BUCKETS];
        for (int b = 0; b < owners.length; b++) {
            int i = orders.first(b, up);
            owners[b] = i < 0 ? null : nodes.get(i);
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
}
