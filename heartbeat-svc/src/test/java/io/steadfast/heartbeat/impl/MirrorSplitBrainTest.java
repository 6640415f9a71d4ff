package io.steadfast.heartbeat.impl;

import io.steadfast.api.Command;
import io.steadfast.api.State;
import io.steadfast.config.SplitBrainConfig.After;
import io.steadfast.heartbeat.impl.SimCluster.Node;
import io.steadfast.service.ServiceException;
import org.junit.jupiter.api.Test;

import static io.steadfast.heartbeat.impl.MirrorMachineTest.is;
import static io.steadfast.heartbeat.impl.MirrorMachineTest.isPrimReady;
import static io.steadfast.heartbeat.impl.MirrorMachineTest.isSecondReady;
import static io.steadfast.heartbeat.impl.MirrorMachineTest.pair;
import static io.steadfast.heartbeat.impl.SimCluster.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Wave 2 (issue 16): generations decided without clocks, split brain that keeps the follower's copy, forced
 * promotion, damaged state — over the simulated network with a fake clock (no timing assertions).
 */
class MirrorSplitBrainTest {
    private static final long DAY = 86_400_000L;
    /** A clock step the heartbeat's first-contact check still accepts (PeerTracker.MAX_SKEW_MS = 30 s). */
    private static final long STEP = 20_000L;

    private static MirrorMachine mirror(Node n) {
        return (MirrorMachine) n.machine();
    }

    private static boolean keptCopy(Node n) {
        return n.changes.stream().anyMatch(ch -> ch.keepCopyAt().isPresent());
    }

    /** No witness, partition, both ALONE (both write), heal: the follower keeps its copy, both alert until ack. */
    @Test
    void partitionHealKeepsTheFollowersCopyAndAlertsUntilAcknowledged() {
        SimCluster c = pair(SimCluster.mirror().replication());
        c.partition(c.node(1), c.node(2));
        c.runUntil(() -> is(c.node(1), State.ALONE) && is(c.node(2), State.ALONE), 3000, "both ALONE");
        c.heal();
        c.runUntil(() -> isPrimReady(c.node(1)) && isSecondReady(c.node(2)), 3000, "node1 keeps, node2 follows");
        RoleChange release = c.node(2).changes.stream().filter(ch -> ch.keepCopyAt().isPresent()).findFirst()
                .orElseThrow();
        assertThat(release.keepCopyAt().get()).startsWith("/nonexistent/state/diverged/db/").matches(".*/\\d{8}T\\d{6}Z");
        assertThat(release.fullsync()).isTrue();
        assertThat(keptCopy(c.node(1))).isFalse();
        assertThat(mirror(c.node(2)).alert()).contains("SPLIT BRAIN").contains("kept in " + release.keepCopyAt().get());
        assertThat(mirror(c.node(1)).alert()).contains("SPLIT BRAIN");
        assertThat(c.node(2).machine().reason()).contains("splitbrain ack");
        assertThat(c.node(2).machine().persisted().history().current())
                .as("%s vs %s", c.node(2).machine().persisted().history(), c.node(1).machine().persisted().history())
                .isEqualTo(c.node(1).machine().persisted().history().current());
        // the alert outlives a restart
        c.node(2).crash();
        c.node(2).boot();
        c.runUntil(() -> isSecondReady(c.node(2)), 3000, "node2 SECOND again");
        assertThat(mirror(c.node(2)).alert()).contains("kept in");
        for (Node n : c.nodes.values()) {
            assertThat(n.command(Command.SPLITBRAIN_ACK)).contains("acknowledged");
            assertThat(mirror(n).alert()).isEmpty();
            assertThat(n.machine().reason()).doesNotContain("SPLIT BRAIN");
            assertThat(n.command(Command.SPLITBRAIN_ACK)).isEqualTo("no split-brain alert");
        }
        assertThat(c.serving()).hasSize(1); // (two primaries while cut apart: no witness configured)
    }

    @Test
    void discardResyncsTheFollowerWithoutACopyButStillAlerts() {
        SimCluster c = pair(SimCluster.mirror().replication().after(After.DISCARD));
        c.partition(c.node(1), c.node(2));
        c.runUntil(() -> is(c.node(1), State.ALONE) && is(c.node(2), State.ALONE), 3000, "both ALONE");
        c.heal();
        c.runUntil(() -> isPrimReady(c.node(1)) && isSecondReady(c.node(2)), 3000, "node2 follows");
        assertThat(keptCopy(c.node(2))).isFalse();
        assertThat(mirror(c.node(2)).alert()).contains("SPLIT BRAIN");
    }

    @Test
    void manualResyncsNothingUntilAnOperatorForcesTheSurvivor() {
        SimCluster c = pair(SimCluster.mirror().replication().after(After.MANUAL));
        c.partition(c.node(1), c.node(2));
        c.runUntil(() -> is(c.node(1), State.ALONE) && is(c.node(2), State.ALONE), 3000, "both ALONE");
        int before = c.node(2).changes.size();
        c.heal();
        c.runUntil(() -> is(c.node(2), State.WAIT), 3000, "node2 steps down");
        c.run(10 * TIMEOUT);
        assertThat(c.serving()).containsExactly(c.node(1));
        assertThat(c.node(2).state()).isEqualTo(State.WAIT);
        assertThat(c.node(2).machine().reason()).contains("policy manual");
        assertThat(c.node(2).changes.subList(before, c.node(2).changes.size())).noneMatch(ch -> ch.to() == State.SECOND);
        // without --force the stale/diverged node is refused; with it, node2's copy survives, node1's is kept
        assertThatThrownBy(() -> c.node(2).command(Command.PRIM)).isInstanceOf(ServiceException.class)
                .hasMessageContaining("diverged");
        c.node(2).command(Command.PRIM, "force");
        c.runUntil(() -> isPrimReady(c.node(2)) && isSecondReady(c.node(1)), 5000, "node2 chosen, node1 follows");
        assertThat(keptCopy(c.node(1))).isTrue();
        assertThat(keptCopy(c.node(2))).isFalse();
        assertThat(c.serving()).hasSize(1); // (two primaries while cut apart: no witness configured)
    }

    @Test
    void manualWithTheSurvivorForcedOnThePrimaryItself() {
        SimCluster c = pair(SimCluster.mirror().replication().after(After.MANUAL));
        c.partition(c.node(1), c.node(2));
        c.runUntil(() -> is(c.node(1), State.ALONE) && is(c.node(2), State.ALONE), 3000, "both ALONE");
        c.heal();
        c.runUntil(() -> is(c.node(2), State.WAIT), 3000, "node2 steps down");
        c.node(1).command(Command.PRIM, "force");
        c.runUntil(() -> isPrimReady(c.node(1)) && isSecondReady(c.node(2)), 5000, "node2 follows node1");
        assertThat(keptCopy(c.node(2))).isTrue();
    }

    /** Issue 16 (2): the stale node is not made primary without --force, and a forced one never overwrites. */
    @Test
    void forcedPrimOnAStaleNodeMakesTheNewestCopyDivergedAndKeptWhenItReturns() {
        SimCluster c = pair(SimCluster.mirror().replication());
        c.node(2).crash();
        c.runUntil(() -> is(c.node(1), State.ALONE), 3000, "node1 ALONE (writes node2 lacks)");
        c.node(1).crash();
        c.node(2).boot();
        c.run(5 * TIMEOUT);
        assertThat(c.node(2).state()).isEqualTo(State.WAIT);
        assertThatThrownBy(() -> c.node(2).command(Command.PRIM)).isInstanceOf(ServiceException.class)
                .hasMessageContaining("refused").hasMessageContaining("--force").hasMessageContaining("since");
        assertThat(c.node(2).state()).isEqualTo(State.WAIT);
        assertThat(c.node(2).command(Command.PRIM, "force")).contains("forced");
        c.runUntil(() -> is(c.node(2), State.ALONE), 1000, "node2 forced ALONE");
        c.node(1).boot(); // holds the real newest data
        c.runUntil(() -> isPrimReady(c.node(2)) && isSecondReady(c.node(1)), 3000, "node1 follows, copy kept");
        assertThat(keptCopy(c.node(1))).isTrue();
        assertThat(mirror(c.node(1)).alert()).contains("SPLIT BRAIN").contains("kept in");
    }

    /** The old clock-string scheme let a node whose clock was stepped back lose its newer data on reunion. */
    @Test
    void aClockSteppedBackCannotMakeTheStaleCopyWin() {
        SimCluster c = pair(SimCluster.mirror().replication());
        c.node(1).skewMs = -STEP; // NTP stepped node1's clock back (its ALONE generation was "older" by the clock)
        c.node(2).crash();
        c.runUntil(() -> is(c.node(1), State.ALONE), 3000, "node1 ALONE with the newest data");
        c.node(1).crash();
        c.node(2).skewMs = STEP / 4; // and node2's is ahead
        c.node(1).boot();
        c.node(2).boot();
        c.runUntil(() -> isPrimReady(c.node(1)) && isSecondReady(c.node(2)), 3000, "the newest (node1) leads");
        assertThat(c.node(2).changes).noneMatch(ch -> ch.kind() == ChangeKind.ACQUIRE);
        assertThat(keptCopy(c.node(2))).isFalse(); // nothing diverged: node2 simply was behind
        assertThat(mirror(c.node(1)).alert()).isEmpty();
    }

    @Test
    void clockSkewPlaysNoPartInChoosingTheSplitBrainKeeper() {
        for (long skew : new long[]{-DAY, DAY}) {
            SimCluster c = pair(SimCluster.mirror().replication().defaultprim("node2"));
            c.node(1).skewMs = skew;
            c.partition(c.node(1), c.node(2));
            c.runUntil(() -> is(c.node(1), State.ALONE) && is(c.node(2), State.ALONE), 3000, "both ALONE");
            c.heal();
            c.runUntil(() -> isPrimReady(c.node(2)) && isSecondReady(c.node(1)), 3000, "defaultprim keeps");
            assertThat(keptCopy(c.node(1))).isTrue();
        }
    }

    @Test
    void aDamagedStateNeverBecomesPrimaryByItselfAndWaitsForAnOperator() {
        SimCluster c = SimCluster.mirror().replication().defaultprim("node2").build();
        c.node(2).store.put("db", Persisted.damaged("/var/lib/steadfast/db.state.json is damaged (truncated)"));
        c.node(2).boot();
        c.run(10 * TIMEOUT);
        assertThat(c.node(2).state()).isEqualTo(State.WAIT);
        assertThat(c.node(2).machine().reason()).contains("db.state.json is damaged").contains("operator");
        assertThat(c.node(2).changes).isEmpty();
        c.node(1).store.put("db", new Persisted(GenerationHistory.FRESH.next(), true, true, State.ALONE, "node1",
                false, java.util.List.of()));
        c.node(1).boot();
        c.runUntil(() -> isPrimReady(c.node(1)) || is(c.node(1), State.ALONE), 3000, "node1 primary");
        c.run(10 * TIMEOUT);
        assertThat(c.node(2).state()).isEqualTo(State.WAIT); // does not follow (nor overwrite) by itself either
        assertThatThrownBy(() -> c.node(2).command(Command.PRIM)).isInstanceOf(ServiceException.class);
        c.node(2).command(Command.SECOND);
        c.runUntil(() -> isPrimReady(c.node(1)) && isSecondReady(c.node(2)), 3000, "node2 follows on request");
        assertThat(keptCopy(c.node(2))).isTrue();
        assertThat(c.node(2).machine().persisted().isDamaged()).isFalse();
    }
}
