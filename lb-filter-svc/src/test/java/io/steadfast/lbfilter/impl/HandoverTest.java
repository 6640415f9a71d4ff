package io.steadfast.lbfilter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.lbfilter.impl.Handover.Mode;
import io.steadfast.lbfilter.impl.Handover.State;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The handover's bucket states over membership and weight changes, on every node of a 3-node farm at once. */
class HandoverTest {
    private static final List<String> ALL = List.of("node1", "node2", "node3");
    private static final List<String> TWO = List.of("node1", "node2");
    private static final Map<String, Integer> EQUAL = Map.of("node1", 1, "node2", 1, "node3", 1);
    private static final long DRAIN = 600_000;

    /** One node's view: its last table and states. */
    private static final class NodeView {
        final String me;
        BucketTable table;
        Map<Integer, State> states = Map.of();

        NodeView(String me) {
            this.me = me;
        }

        NodeView apply(Map<String, Integer> power, List<String> members, long now, long drain) {
            BucketTable after = BucketTable.compute("web", power, members);
            BucketTable withoutMe = BucketTable.compute("web", power, members.stream().filter(m -> !m.equals(me)).toList());
            states = Handover.next(me, table, after, members, withoutMe, states, now, drain);
            table = after;
            return this;
        }

        List<Integer> in(Mode m) {
            return states.entrySet().stream().filter(e -> e.getValue().mode() == m).map(Map.Entry::getKey).toList();
        }
    }

    /**
     * A farm formed long ago: at formation every node starts its buckets fresh (it cannot tell a forming farm from
     * one it joins, and fresh is harmless without old flows); a drain period later they are plainly owned.
     */
    private static Map<String, NodeView> farm(List<String> members, long now) {
        Map<String, NodeView> f = new HashMap<>();
        for (String n : members) {
            NodeView v = new NodeView(n).apply(EQUAL, members, now - DRAIN, DRAIN);
            assertThat(v.in(Mode.OWN)).isEmpty();
            v.states = Handover.tick(v.states, now, Set.of());
            assertThat(Handover.pending(v.states)).isFalse();
            f.put(n, v);
        }
        return f;
    }

    @Test
    void aRejoiningNodeTakesNewConnectionsWhileTheOldOwnersDrain() {
        // node1 and node2 serve alone (node3 lost power earlier)
        Map<String, NodeView> f = farm(TWO, 0);
        f.values().forEach(v -> assertThat(v.in(Mode.OWN).size()).isBetween(127, 129));
        // node3 back: its first table (nothing known before), the others see the new membership
        f.put("node3", new NodeView("node3").apply(EQUAL, ALL, 1000, DRAIN));
        f.get("node1").apply(EQUAL, ALL, 1000, DRAIN);
        f.get("node2").apply(EQUAL, ALL, 1000, DRAIN);
        BucketTable two = BucketTable.compute("web", EQUAL, TWO);
        BucketTable three = BucketTable.compute("web", EQUAL, ALL);
        List<Integer> moved = three.ownedBy("node3");
        assertThat(f.get("node3").in(Mode.FRESH)).as("every bucket node3 takes is fresh").isEqualTo(moved);
        assertThat(f.get("node3").in(Mode.OWN)).isEmpty();
        for (int b : moved) {
            String old = two.owner(b);
            assertThat(f.get("node3").states.get(b).from()).isEqualTo(old);
            assertThat(f.get(old).states.get(b)).isEqualTo(new State(Mode.DRAIN, null, 1000 + DRAIN));
            String other = old.equals("node1") ? "node2" : "node1";
            assertThat(f.get(other).states.get(b).mode()).isEqualTo(Mode.NONE);
        }
        // buckets that did not move: untouched everywhere
        for (int b = 0; b < 256; b++) {
            if (!moved.contains(b)) {
                assertThat(f.get(three.owner(b)).states.get(b)).isEqualTo(State.OWN);
            }
        }
        // exactly one node takes new connections of each bucket
        for (int b = 0; b < 256; b++) {
            int bb = b;
            assertThat(f.values().stream().filter(v -> v.states.get(bb).owned()).count()).isEqualTo(1);
        }

        // time passes: node1's drains whose flows are gone end early, the others at the deadline; node3's fresh
        // buckets become plain owned ones at the deadline
        NodeView n1 = f.get("node1");
        List<Integer> draining1 = n1.in(Mode.DRAIN);
        Set<Integer> stillFlowing = Set.of(draining1.get(0));
        n1.states = Handover.tick(n1.states, 2000, stillFlowing);
        assertThat(n1.in(Mode.DRAIN)).containsExactly(draining1.get(0));
        n1.states = Handover.tick(n1.states, 1000 + DRAIN, null);
        assertThat(n1.in(Mode.DRAIN)).isEmpty();
        assertThat(Handover.pending(n1.states)).isFalse();
        NodeView n3 = f.get("node3");
        n3.states = Handover.tick(n3.states, 1000 + DRAIN - 1, Set.of());
        assertThat(n3.in(Mode.FRESH)).isEqualTo(moved);
        n3.states = Handover.tick(n3.states, 1000 + DRAIN, Set.of());
        assertThat(n3.in(Mode.OWN)).isEqualTo(moved);
    }

    @Test
    void aNodeThatDiesMovesItsBucketsAtOnce() {
        Map<String, NodeView> f = farm(ALL, 0);
        BucketTable three = BucketTable.compute("web", EQUAL, ALL);
        f.get("node1").apply(EQUAL, TWO, 5000, DRAIN);
        f.get("node2").apply(EQUAL, TWO, 5000, DRAIN);
        for (int b : three.ownedBy("node3")) {
            String heir = BucketTable.compute("web", EQUAL, TWO).owner(b);
            assertThat(f.get(heir).states.get(b)).as("bucket %s of the dead node3", b).isEqualTo(State.OWN);
        }
        assertThat(f.get("node1").in(Mode.DRAIN)).isEmpty();
        assertThat(f.get("node1").in(Mode.FRESH)).isEmpty();
    }

    @Test
    void aFreshBucketWhoseOldOwnerDiesIsOwnedAtOnceAndADrainingOneComesBack() {
        Map<String, NodeView> f = farm(TWO, 0);
        f.put("node3", new NodeView("node3").apply(EQUAL, ALL, 1000, DRAIN));
        f.get("node1").apply(EQUAL, ALL, 1000, DRAIN);
        f.get("node2").apply(EQUAL, ALL, 1000, DRAIN);
        List<Integer> fromNode1 = f.get("node1").in(Mode.DRAIN);
        assertThat(fromNode1).isNotEmpty();
        // node1 dies during the drain: node3's buckets from node1 become plain owned ones
        f.get("node3").apply(EQUAL, List.of("node2", "node3"), 2000, DRAIN);
        fromNode1.forEach(b -> assertThat(f.get("node3").states.get(b)).isEqualTo(State.OWN));
        assertThat(f.get("node3").in(Mode.FRESH)).as("buckets from node2 still fresh").isNotEmpty()
                .allSatisfy(b -> assertThat(f.get("node3").states.get(b).from()).isEqualTo("node2"));
        // node3 dies instead: node2 takes back what it drains (its flows are still tracked): owned at once
        f.get("node2").apply(EQUAL, List.of("node2"), 3000, DRAIN);
        assertThat(f.get("node2").in(Mode.DRAIN)).isEmpty();
        assertThat(f.get("node2").in(Mode.OWN)).hasSize(256);
    }

    @Test
    void aWeightChangeDrainsLikeAJoin() {
        Map<String, NodeView> f = farm(ALL, 0);
        Map<String, Integer> heavier = Map.of("node1", 1, "node2", 1, "node3", 2);
        f.values().forEach(v -> v.apply(heavier, ALL, 1000, DRAIN));
        BucketTable before = BucketTable.compute("web", EQUAL, ALL);
        List<Integer> moved = before.movedTo(BucketTable.compute("web", heavier, ALL));
        assertThat(moved).isNotEmpty();
        BucketTable after = BucketTable.compute("web", heavier, ALL);
        assertThat(after.ownedBy("node3").size()).isEqualTo(128);
        // new weights, new orders: buckets may move between any two nodes, each one drains from its old owner
        for (int b : moved) {
            assertThat(f.get(after.owner(b)).states.get(b)).isEqualTo(new State(Mode.FRESH, before.owner(b), 1000 + DRAIN));
            assertThat(f.get(before.owner(b)).states.get(b).mode()).isEqualTo(Mode.DRAIN);
        }
        for (int b = 0; b < 256; b++) {
            if (!moved.contains(b)) {
                assertThat(f.get(after.owner(b)).states.get(b)).isEqualTo(State.OWN);
            }
        }
    }

    @Test
    void withoutDrainBucketsMoveAtOnceAndALeavingNodeDropsEverything() {
        Map<String, NodeView> f = new HashMap<>();
        for (String n : TWO) {
            f.put(n, new NodeView(n).apply(EQUAL, TWO, 0, 0));
        }
        f.put("node3", new NodeView("node3").apply(EQUAL, ALL, 1000, 0));
        f.get("node1").apply(EQUAL, ALL, 1000, 0);
        assertThat(f.get("node3").in(Mode.OWN)).isEqualTo(BucketTable.compute("web", EQUAL, ALL).ownedBy("node3"));
        assertThat(f.get("node1").in(Mode.DRAIN)).isEmpty();
        // handover on, node1 leaves (members without it): nothing drains, everything dropped
        NodeView n1 = new NodeView("node1").apply(EQUAL, ALL, 0, DRAIN);
        n1.apply(EQUAL, List.of(), 10, DRAIN);
        assertThat(n1.in(Mode.NONE)).hasSize(256);
    }

    @Test
    void aSpareDrainsBackToTheWeightedNodeWhenItReturns() {
        Map<String, Integer> spare = Map.of("node1", 1, "node2", 0);
        NodeView n2 = new NodeView("node2").apply(spare, List.of("node2"), 0, DRAIN);
        assertThat(n2.in(Mode.OWN)).hasSize(256);
        NodeView n1 = new NodeView("node1").apply(spare, List.of("node1", "node2"), 1000, DRAIN);
        n2.apply(spare, List.of("node1", "node2"), 1000, DRAIN);
        assertThat(n1.in(Mode.FRESH)).hasSize(256);
        assertThat(n2.in(Mode.DRAIN)).hasSize(256);
    }
}
