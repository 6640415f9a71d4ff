package io.steadfast.lbfilter.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.steadfast.api.LbFilterApi;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class BucketTableTest {
    private static final List<String> THREE = List.of("node1", "node2", "node3");
    private static final Map<String, Integer> EQUAL3 = power(1, 1, 1);

    private static BucketTable t(List<String> members) {
        return BucketTable.compute("web", EQUAL3, members);
    }

    /** Configured nodes node1..nodeN with these powers. */
    private static Map<String, Integer> power(int... p) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < p.length; i++) {
            m.put("node" + (i + 1), p[i]);
        }
        return m;
    }

    /** Configurations for the exhaustive checks: equal powers and unequal ones, 2..6 configured nodes. */
    private static List<Map<String, Integer>> configurations() {
        List<Map<String, Integer>> l = new ArrayList<>();
        for (int k = 2; k <= 6; k++) {
            int[] equal = new int[k];
            int[] rising = new int[k];
            for (int i = 0; i < k; i++) {
                equal[i] = 1;
                rising[i] = i + 1;
            }
            l.add(power(equal));
            l.add(power(rising));
        }
        l.add(power(1, 1, 2)); // the reference config's example
        l.add(power(1, 1000));
        l.add(power(1000, 1, 1));
        l.add(power(3, 1, 4, 1, 5, 9));
        Random r = new Random(20261201);
        for (int n = 0; n < 30; n++) {
            int[] p = new int[2 + r.nextInt(5)];
            for (int i = 0; i < p.length; i++) {
                p[i] = 1 + r.nextInt(n % 2 == 0 ? 4 : 10);
            }
            l.add(power(p));
        }
        return l;
    }

    /** Every non-empty subset of the configured nodes with at most {@code maxAbsent} of them missing. */
    private static List<List<String>> memberships(Map<String, Integer> power, int maxAbsent) {
        List<List<String>> l = new ArrayList<>();
        absent(List.copyOf(power.keySet()), 0, maxAbsent, l);
        return l;
    }

    private static void absent(List<String> s, int from, int more, List<List<String>> out) {
        if (!s.isEmpty()) {
            out.add(s);
        }
        for (int i = from; more > 0 && i < s.size(); i++) {
            List<String> smaller = new ArrayList<>(s);
            smaller.remove(i);
            absent(smaller, i, more - 1, out);
        }
    }

    private static List<List<String>> memberships(Map<String, Integer> power) {
        return memberships(power, power.size());
    }

    /** Largest |buckets − exact share| over the members of every membership of this configuration. */
    private static double worstDeviation(String module, Map<String, Integer> power, int maxAbsent) {
        double worst = 0;
        for (List<String> members : memberships(power, maxAbsent)) {
            BucketTable table = BucketTable.compute(module, power, members);
            Map<String, Integer> shares = table.shares();
            double total = members.stream().mapToInt(power::get).sum();
            for (String m : members) {
                double exact = LbFilterApi.BUCKETS * power.get(m) / total;
                worst = Math.max(worst, Math.abs(shares.getOrDefault(m, 0) - exact));
            }
            assertThat(shares.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(LbFilterApi.BUCKETS);
        }
        return worst;
    }

    @Test
    void sameTableWhateverTheMemberOrderOrInstance() {
        BucketTable a = t(THREE);
        List<String> shuffled = new ArrayList<>(THREE);
        Collections.shuffle(shuffled, new Random(7));
        assertThat(t(shuffled)).isEqualTo(a);
        assertThat(t(List.of("node3", "node1", "node2", "node1"))).isEqualTo(a);
        assertThat(BucketTable.compute("web", Map.of("node3", 1, "node2", 1, "node1", 1), THREE)).isEqualTo(a);
        for (int b = 0; b < LbFilterApi.BUCKETS; b++) {
            assertThat(a.owner(b)).isIn(THREE);
        }
    }

    @Test
    void ordersArePureFunctionsOfModuleNodesAndPowers() {
        for (Map<String, Integer> power : List.of(EQUAL3, power(1, 2, 3, 4, 5))) {
            BucketOrders cached = BucketOrders.of("web", power);
            BucketOrders again = BucketOrders.computeUncached("web", power);
            for (int b = 0; b < LbFilterApi.BUCKETS; b++) {
                assertThat(again.order(b)).isEqualTo(cached.order(b));
                assertThat(again.order(b)).containsExactlyInAnyOrderElementsOf(power.keySet());
            }
        }
    }

    @Test
    void theTableOnlyChangesByADeliberateDecision() {
        // pinned: nodes of a farm running different versions must compute the same table, so a change to the
        // construction (or to a JVM's arithmetic) has to show up here first
        String first32 = java.util.stream.IntStream.range(0, 32).mapToObj(b -> t(THREE).owner(b).substring(4))
                .collect(Collectors.joining());
        assertThat(first32).isEqualTo(PINNED_WEB_THREE);
    }

    private static final String PINNED_WEB_THREE = "13113133221113232332233332333131";

    @Test
    void everyMembershipIsBalancedToWithinOneBucketUpToSixNodes() {
        for (Map<String, Integer> power : configurations()) {
            for (String module : List.of("web", "api")) {
                assertThat(worstDeviation(module, power, power.size())).as("%s %s", module, power).isLessThan(1.0);
            }
        }
    }

    @Test
    void largerFarmsAreBalancedWhenAFewNodesAreMissingAndCloseOtherwise() {
        // measured bounds (see BucketOrders): every membership of 7 nodes within 1.5 buckets, of 8 within 2.5
        // (plain rendezvous hashing: 10 to 20); a farm of 12, 20 or 64 within one bucket while at most one node
        // is missing, within two while two are
        assertThat(worstDeviation("web", power(1, 1, 1, 1, 1, 1, 1), 7)).isLessThan(1.5);
        assertThat(worstDeviation("web", power(1, 2, 3, 4, 5, 6, 7), 7)).isLessThan(1.5);
        assertThat(worstDeviation("web", power(1, 1, 1, 1, 1, 1, 1, 1), 8)).isLessThan(2.5);
        assertThat(worstDeviation("web", power(1, 2, 3, 4, 5, 6, 7, 8), 8)).isLessThan(2.5);
        for (int k : new int[] {12, 20, 64}) {
            int[] p = new int[k];
            for (int i = 0; i < k; i++) {
                p[i] = 1 + i % 3;
            }
            assertThat(worstDeviation("web", power(p), 1)).as("%d nodes", k).isLessThan(1.0);
            assertThat(worstDeviation("web", power(p), 2)).as("%d nodes", k).isLessThan(2.0);
        }
    }

    @Test
    void aLeavingMemberMovesOnlyItsBucketsAndAJoiningOneTakesOnlyFromOthers() {
        for (Map<String, Integer> power : configurations()) {
            for (List<String> members : memberships(power)) {
                BucketTable before = BucketTable.compute("web", power, members);
                for (String leaving : members) {
                    List<String> rest = members.stream().filter(m -> !m.equals(leaving)).toList();
                    BucketTable after = BucketTable.compute("web", power, rest);
                    // (b) leaving: exactly its buckets move
                    assertThat(before.movedTo(after)).as("%s %s - %s", power, members, leaving)
                            .containsExactlyElementsOf(before.ownedBy(leaving));
                    assertThat(after.ownedBy(leaving)).isEmpty();
                    // (c) joining (the same pair read the other way): it takes buckets, nothing moves between others
                    for (int b : after.movedTo(before)) {
                        assertThat(before.owner(b)).isEqualTo(leaving);
                    }
                }
            }
        }
    }

    @Test
    void aJoiningMemberTakesAFairShare() {
        BucketTable before = t(List.of("node1", "node2"));
        BucketTable after = t(THREE);
        List<Integer> moved = before.movedTo(after);
        assertThat(moved).containsExactlyElementsOf(after.ownedBy("node3"));
        assertThat(moved.size()).isBetween(85, 86);
        assertThat(before.shares()).containsExactly(Map.entry("node1", 128), Map.entry("node2", 128));
    }

    @Test
    void weightsAreRespected() {
        Map<String, Integer> heavy3 = power(1, 1, 2);
        BucketTable w = BucketTable.compute("web", heavy3, THREE);
        assertThat(w.shares()).containsExactly(Map.entry("node1", 64), Map.entry("node2", 64), Map.entry("node3", 128));
        BucketTable w13 = BucketTable.compute("web", heavy3, List.of("node1", "node3"));
        assertThat(w13.shares().get("node3")).isBetween(170, 171); // 256 × 2/3
    }

    @Test
    void modulesSpreadDifferently() {
        BucketTable a = BucketTable.compute("web", EQUAL3, THREE);
        BucketTable b = BucketTable.compute("api", EQUAL3, THREE);
        assertThat(a.movedTo(b)).isNotEmpty();
        assertThat(b.shares().values()).allSatisfy(s -> assertThat(s).isBetween(85, 86));
    }

    @Test
    void noMembersNoOwnersUnknownMembersIgnoredAndBadConfigsRefused() {
        BucketTable empty = t(List.of());
        assertThat(empty.owner(0)).isNull();
        assertThat(empty.shares()).isEmpty();
        // a member that is not a configured node owns nothing; the configured ones keep their table
        assertThat(t(List.of("node1", "node2", "node3", "stranger"))).isEqualTo(t(THREE));
        assertThat(t(List.of("stranger")).shares()).isEmpty();
        assertThatThrownBy(() -> BucketTable.compute("web", power(-1, 1, 1), THREE))
                .isInstanceOf(IllegalArgumentException.class);
        int[] many = new int[65];
        java.util.Arrays.fill(many, 1);
        assertThatThrownBy(() -> BucketTable.compute("web", power(many), THREE))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sixtyFourEqualNodes() {
        int[] many = new int[64];
        java.util.Arrays.fill(many, 1);
        assertThat(worstDeviation("web", power(many), 1)).isLessThan(1.0);
    }

    @Test
    void aSpareOwnsBucketsOnlyWhenEveryWeightedNodeIsGone() {
        Map<String, Integer> p = power(1, 1, 0); // node3: spare
        List<List<String>> memberships = List.of(THREE, List.of("node1", "node3"), List.of("node2", "node3"),
                List.of("node1", "node2"), List.of("node1"), List.of("node2"));
        for (List<String> m : memberships) {
            BucketTable t = BucketTable.compute("web", p, m);
            assertThat(t.ownedBy("node3")).as("spare with %s", m).isEmpty();
            // the weighted members split the buckets as if the spare were not configured at all
            List<String> weighted = m.stream().filter(n -> !n.equals("node3")).toList();
            assertThat(t).as("%s", m).isEqualTo(BucketTable.compute("web", p, weighted));
            assertThat(t.shares().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(256);
        }
        // every weighted node gone: the spare takes everything; a weighted node back: it gives everything back
        assertThat(BucketTable.compute("web", p, List.of("node3")).ownedBy("node3")).hasSize(256);
        assertThat(BucketTable.compute("web", p, List.of("node2", "node3")).ownedBy("node3")).isEmpty();
        // weighted nodes keep the orders they have without spares (adding a spare moves nothing)
        assertThat(BucketTable.compute("web", p, List.of("node1", "node2")))
                .isEqualTo(BucketTable.compute("web", Map.of("node1", 1, "node2", 1), List.of("node1", "node2")));
    }

    @Test
    void sparesShareEquallyAmongThemselvesAndKeepTheRendezvousProperties() {
        Map<String, Integer> p = power(2, 1, 0, 0, 0); // node3..node5: spares
        List<String> spares = List.of("node3", "node4", "node5");
        BucketTable onlySpares = BucketTable.compute("web", p, spares);
        assertThat(onlySpares.shares().values()).allSatisfy(s -> assertThat(s).isBetween(85, 86));
        // a spare leaving moves only its buckets; one joining takes only from other spares
        BucketTable two = BucketTable.compute("web", p, List.of("node3", "node4"));
        for (int b : onlySpares.movedTo(two)) {
            assertThat(onlySpares.owner(b)).isEqualTo("node5");
        }
        assertThat(two.shares().values()).allSatisfy(s -> assertThat(s).isEqualTo(128));
        // any weighted member up: spares own nothing; its weights as usual
        for (List<String> m : List.of(List.of("node1", "node3", "node4", "node5"), List.of("node2", "node5"),
                List.of("node1", "node2", "node3"))) {
            BucketTable t = BucketTable.compute("web", p, m);
            spares.forEach(s -> assertThat(t.ownedBy(s)).as("%s with %s", s, m).isEmpty());
        }
        BucketTable both = BucketTable.compute("web", p, List.of("node1", "node2", "node4"));
        assertThat(both.ownedBy("node1").size()).isBetween(170, 171);
        // the same orders on every node and every run
        assertThat(BucketOrders.computeUncached("web", p).order(7)).isEqualTo(BucketOrders.of("web", p).order(7));
        assertThat(BucketOrders.of("web", p).order(7).subList(2, 5)).containsExactlyInAnyOrderElementsOf(spares);
    }
}
