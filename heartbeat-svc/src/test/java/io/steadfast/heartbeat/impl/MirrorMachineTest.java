package io.steadfast.heartbeat.impl;

import io.steadfast.api.Command;
import io.steadfast.api.Readiness;
import io.steadfast.api.State;
import io.steadfast.config.FailureAction;
import io.steadfast.heartbeat.impl.SimCluster.Node;
import io.steadfast.service.ServiceException;
import org.junit.jupiter.api.Test;

import static io.steadfast.heartbeat.impl.SimCluster.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The mirror state machine over the simulated network (see {@link SimCluster}). */
class MirrorMachineTest {

    /** Both fresh nodes start together, node1 made primary by `prim`: PRIM/SECOND Ready. */
    static SimCluster pair(SimCluster.Builder b) {
        SimCluster c = b.build();
        c.node(1).boot();
        c.node(2).boot();
        c.run(2 * TIMEOUT);
        c.node(1).command(Command.PRIM);
        c.runUntil(() -> isPrimReady(c.node(1)) && isSecondReady(c.node(2)), 3000, "node1 PRIM, node2 SECOND");
        return c;
    }

    static boolean isPrimReady(Node n) {
        return n.alive && n.state() == State.PRIM && n.machine().readiness() == Readiness.READY;
    }

    static boolean isSecondReady(Node n) {
        return n.alive && n.state() == State.SECOND && n.machine().readiness() == Readiness.READY;
    }

    static boolean is(Node n, State s) {
        return n.alive && n.state() == s && !n.machine().busy();
    }

    @Test
    void freshModuleStartedTogetherWaitsForPrim() {
        SimCluster c = SimCluster.mirror().build();
        c.node(1).boot();
        c.node(2).boot();
        c.run(5000);
        assertThat(c.node(1).state()).isEqualTo(State.WAIT);
        assertThat(c.node(2).state()).isEqualTo(State.WAIT);
        assertThat(c.node(1).machine().reason()).contains("prim");
        c.node(2).command(Command.PRIM);
        c.runUntil(() -> isPrimReady(c.node(2)) && isSecondReady(c.node(1)), 3000, "node2 PRIM");
        assertThat(c.holdingVip()).containsExactly(c.node(2));
        assertThat(c.node(1).machine().persisted().generation())
                .isEqualTo(c.node(2).machine().persisted().generation()).isNotEmpty();
        assertThat(c.twoPrimaries).isZero();
    }

    @Test
    void defaultprimNodeStartsAFreshModule() {
        SimCluster c = SimCluster.mirror().defaultprim("node2").build();
        c.node(1).boot();
        c.node(2).boot();
        c.runUntil(() -> isPrimReady(c.node(2)) && isSecondReady(c.node(1)), 3000, "defaultprim node2 primary");
    }

    @Test
    void freshDefaultprimNodeStartsAloneButTheOtherWaits() {
        SimCluster c = SimCluster.mirror().defaultprim("node1").build();
        c.node(2).boot();
        c.run(5000);
        assertThat(c.node(2).state()).isEqualTo(State.WAIT);
        c.node(1).boot();
        c.runUntil(() -> isPrimReady(c.node(1)) && isSecondReady(c.node(2)), 3000, "node1 primary");
    }

    @Test
    void primaryCrashSecondGoesAloneWithNewGenerationAndReturnsAsSecond() {
        SimCluster c = pair(SimCluster.mirror());
        String gen = c.node(2).machine().persisted().generation();
        c.node(1).crash();
        long took = c.runUntil(() -> is(c.node(2), State.ALONE), 3000, "node2 ALONE");
        assertThat(took).isLessThanOrEqualTo(TIMEOUT + SimCluster.PULSE + SimCluster.CHOREO_MS + 20);
        assertThat(c.node(2).machine().persisted().generation()).isNotEqualTo(gen);
        assertThat(c.node(2).machine().persisted().exclusive()).isTrue();
        c.node(1).boot();
        c.runUntil(() -> isPrimReady(c.node(2)) && isSecondReady(c.node(1)), 3000, "node1 back as SECOND");
        assertThat(c.serving()).containsExactly(c.node(2));
        assertThat(c.twoPrimaries).isZero();
    }

    @Test
    void killedAgentIsSeenFasterThanTheTimeoutThroughPortUnreachable() {
        SimCluster c = pair(SimCluster.mirror());
        c.node(1).crash();
        long took = c.runUntil(() -> is(c.node(2), State.ALONE), 3000, "node2 ALONE");
        assertThat(took).isLessThan(TIMEOUT);
    }

    @Test
    void powerLossIsSeenAfterTheTimeout() {
        SimCluster c = pair(SimCluster.mirror());
        c.node(1).powerOff();
        long took = c.runUntil(() -> is(c.node(2), State.ALONE), 3000, "node2 ALONE");
        assertThat(took).isBetween(TIMEOUT - SimCluster.PULSE, TIMEOUT + SimCluster.PULSE + SimCluster.CHOREO_MS + 20);
    }

    @Test
    void aForgedRefusalWhileBeatsFlowChangesNothing() {
        SimCluster c = pair(SimCluster.mirror());
        for (int i = 0; i < 20; i++) {
            c.node(2).engine.onRefused("node1", "lan1");
            c.run(50);
        }
        assertThat(c.node(2).state()).isEqualTo(State.SECOND);
        assertThat(c.node(1).state()).isEqualTo(State.PRIM);
    }

    @Test
    void oneWayLossMakesThePrimaryAloneAndTheSecondFollowsTheNewGeneration() {
        SimCluster c = pair(SimCluster.mirror());
        c.cutOneWay(c.node(2), c.node(1)); // node1 stops hearing node2; node2 still hears node1
        c.runUntil(() -> is(c.node(1), State.ALONE), 3000, "node1 ALONE");
        c.heal();
        c.runUntil(() -> isPrimReady(c.node(1)) && isSecondReady(c.node(2)) && c.node(2).machine().persisted()
                .generation().equals(c.node(1).machine().persisted().generation()), 3000, "pair on the new generation");
        assertThat(c.twoPrimaries).isZero();
    }

    @Test
    void oneWayLossWithReplicationWaitsForTheResync() {
        SimCluster c = pair(SimCluster.mirror().replication());
        c.cutOneWay(c.node(2), c.node(1));
        c.runUntil(() -> is(c.node(1), State.ALONE), 3000, "node1 ALONE");
        c.runUntil(() -> !c.node(2).machine().persisted().upToDate(), 3000, "node2 knows it is behind");
        assertThat(c.node(2).machine().readiness()).isEqualTo(Readiness.TRANSIENT);
    }

    @Test
    void primaryRestartedFasterThanTheTimeoutIsStillReplacedSafely() {
        SimCluster c = pair(SimCluster.mirror());
        c.node(1).crash();
        c.run(100);
        c.node(1).boot(); // new boot id, WAIT: the SECOND sees its primary left
        c.runUntil(() -> c.serving().size() == 1 && !c.node(1).machine().busy() && !c.node(2).machine().busy()
                && (isSecondReady(c.node(1)) || isSecondReady(c.node(2))), 3000, "one primary, one SECOND");
        assertThat(c.twoPrimaries).isZero();
    }

    @Test
    void secondaryCrashPrimaryGoesAloneThenPrimAgain() {
        SimCluster c = pair(SimCluster.mirror());
        c.node(2).crash();
        c.runUntil(() -> is(c.node(1), State.ALONE), 3000, "node1 ALONE");
        c.node(2).boot();
        c.runUntil(() -> isPrimReady(c.node(1)) && isSecondReady(c.node(2)), 3000, "pair again");
    }

    @Test
    void oneLanOfTwoCutIsDegradedButNoFailover() {
        SimCluster c = pair(SimCluster.mirror());
        c.cut("lan1", c.node(1), c.node(2));
        c.run(5 * TIMEOUT);
        assertThat(c.node(1).state()).isEqualTo(State.PRIM);
        assertThat(c.node(2).state()).isEqualTo(State.SECOND);
        assertThat(c.node(2).engine.degraded()).isTrue();
        assertThat(c.node(2).engine.moduleState().details().getJsonObject("peers").getJsonObject("node1")
                .getJsonObject("lans").getJsonObject("lan1").getBoolean("up")).isFalse();
        c.heal();
        c.run(TIMEOUT);
        assertThat(c.node(2).engine.degraded()).isFalse();
    }

    @Test
    void partitionWithWitnessOnTheSecondsSideOnlyLeavesExactlyOnePrimary() {
        SimCluster c = pair(SimCluster.mirror().witness());
        c.node(1).witnessReachable = false; // node1 is the one cut off
        c.partition(c.node(1), c.node(2));
        c.runUntil(() -> is(c.node(2), State.ALONE) && is(c.node(1), State.WAIT), 5000,
                "node2 ALONE, node1 stepped down");
        assertThat(c.holdingVip()).containsExactly(c.node(2));
        assertThat(c.node(1).machine().reason()).contains("witness");
        // node2's witness answered in 5 ms, node1's silence took 2 s: node1 fenced itself at once, so the VIP was
        // never on both sides, not even while node1 was still asking
        assertThat(c.twoVips).as("moments with the VIP on both nodes").isZero();
        assertThat(c.node(1).changes).extracting(RoleChange::kind).containsSubsequence(ChangeKind.FENCE,
                ChangeKind.RELEASE);
        c.node(1).witnessReachable = true;
        c.heal();
        c.runUntil(() -> isPrimReady(c.node(2)) && isSecondReady(c.node(1)), 3000, "reunited");
        assertThat(c.twoPrimaries).isZero();
        assertThat(c.twoVips).isZero();
    }

    @Test
    void aSecondWhoseWitnessAnswersWaitsUntilACutOffPrimaryHasFencedItself() {
        SimCluster c = pair(SimCluster.mirror().witness());
        long off = c.now;
        c.node(1).powerOff();
        c.runUntil(() -> c.node(2).changes.stream().anyMatch(ch -> ch.kind() == ChangeKind.ACQUIRE), 5000,
                "node2 takes over");
        long guard = MirrorMachine.Settings.fenceGuardMs(SimCluster.PULSE);
        // lost at the earliest TIMEOUT - PULSE after the power cut (last beat one pulse before), then the guard
        assertThat(c.now - off).isGreaterThanOrEqualTo(TIMEOUT - SimCluster.PULSE + guard);
        c.runUntil(() -> is(c.node(2), State.ALONE), 3000, "node2 ALONE");
    }

    /**
     * The peer comes back and is lost again while a slow fence is still being put up: once it is up, the witness is
     * asked again (it was asked for the first loss only, and that answer was dropped when the peer came back).
     */
    @Test
    void aPeerLostAgainDuringASlowFenceIsJudgedByTheWitness() {
        SimCluster c = pair(SimCluster.mirror().witness());
        c.node(1).choreoMs = 3000; // a slow vip-svc: node1's VIP takes 3 s to go down
        c.node(1).witnessReachable = false;
        c.node(2).witnessReachable = false;
        c.partition(c.node(1), c.node(2));
        c.runUntil(() -> c.node(1).machine().fenced(), 3000, "node1 fencing");
        c.heal();
        c.runUntil(() -> ((MirrorMachine) c.node(1).machine()).peer().isPresent(), 1000, "node1 sees node2 again");
        c.node(2).witnessReachable = true;
        c.partition(c.node(1), c.node(2));
        c.runUntil(() -> is(c.node(1), State.WAIT) && is(c.node(2), State.ALONE), 15_000,
                "node1 asked the witness again and stepped down; node2 took over");
        assertThat(c.holdingVip()).containsExactly(c.node(2));
        assertThat(c.node(1).machine().fenced()).isFalse();
    }

    @Test
    void thePeerBackWhileTheWitnessIsAskedLiftsTheFence() {
        SimCluster c = pair(SimCluster.mirror().witness());
        c.node(1).witnessReachable = false; // would step down after 2 s of silence
        c.partition(c.node(1), c.node(2));
        c.runUntil(() -> c.node(1).machine().fenced(), 3000, "node1 fenced");
        assertThat(c.node(1).machine().desiredRole()).isEqualTo(io.steadfast.api.HeartbeatApi.Role.PRIMARY);
        assertThat(c.node(1).engine.desired().fenced()).as("published: vip-svc keeps the VIP down").isTrue();
        c.run(50);
        assertThat(c.node(1).holdsVip).isFalse();
        assertThat(c.node(1).state()).isEqualTo(State.PRIM);
        assertThat(c.node(1).machine().readiness()).isEqualTo(Readiness.TRANSIENT);
        c.heal(); // before the witness's silence is known
        c.runUntil(() -> isPrimReady(c.node(1)) && isSecondReady(c.node(2)) && c.node(1).holdsVip, 3000,
                "node1 PRIM again with its VIP");
        assertThat(c.node(1).machine().fenced()).isFalse();
        assertThat(c.node(1).changes).extracting(RoleChange::kind).containsSubsequence(ChangeKind.FENCE,
                ChangeKind.UNFENCE).doesNotContain(ChangeKind.RELEASE);
        c.run(5000); // the stale witness answer changes nothing
        assertThat(isPrimReady(c.node(1)) && isSecondReady(c.node(2))).isTrue();
        assertThat(c.twoVips).isZero();
        assertThat(c.twoPrimaries).isZero();
    }

    @Test
    void partitionWithWitnessOnThePrimarysSideOnlyKeepsIt() {
        SimCluster c = pair(SimCluster.mirror().witness());
        c.node(2).witnessReachable = false;
        c.partition(c.node(1), c.node(2));
        c.runUntil(() -> is(c.node(1), State.ALONE) && is(c.node(2), State.WAIT) && c.node(1).holdsVip, 5000,
                "node1 ALONE with its VIP, node2 WAIT");
        assertThat(c.node(1).changes).extracting(RoleChange::kind).containsSubsequence(ChangeKind.FENCE,
                ChangeKind.UNFENCE);
        assertThat(c.node(1).machine().readiness()).isEqualTo(Readiness.READY);
        assertThat(c.twoVips).isZero();
        c.node(2).witnessReachable = true;
        c.heal();
        c.runUntil(() -> isPrimReady(c.node(1)) && isSecondReady(c.node(2)), 3000, "reunited");
        assertThat(c.twoPrimaries).isZero();
    }

    @Test
    void bothCutFromTheWitnessBothWait() {
        SimCluster c = pair(SimCluster.mirror().witness());
        c.node(1).witnessReachable = false;
        c.node(2).witnessReachable = false;
        c.partition(c.node(1), c.node(2));
        c.runUntil(() -> is(c.node(1), State.WAIT) && is(c.node(2), State.WAIT), 3000, "both WAIT");
        assertThat(c.holdingVip()).isEmpty();
        c.run(10 * TIMEOUT);
        assertThat(c.serving()).isEmpty();
        // reunion: the newest up-to-date copy leads again
        c.heal();
        c.runUntil(() -> c.serving().size() == 1 && (isSecondReady(c.node(1)) || isSecondReady(c.node(2))), 3000,
                "one primary after the heal");
        assertThat(c.twoPrimaries).isZero();
    }

    @Test
    void partitionWithoutWitnessIsASplitBrainResolvedOnReunionWithAFullResync() {
        SimCluster c = pair(SimCluster.mirror().replication());
        c.partition(c.node(1), c.node(2));
        c.runUntil(() -> is(c.node(1), State.ALONE) && is(c.node(2), State.ALONE), 3000, "both ALONE");
        String g1 = c.node(1).machine().persisted().generation();
        String g2 = c.node(2).machine().persisted().generation();
        assertThat(g1).isNotEqualTo(g2);
        c.heal();
        c.runUntil(() -> c.serving().size() == 1 && (isSecondReady(c.node(1)) || isSecondReady(c.node(2))), 3000,
                "one primary after the reunion");
        Node loser = c.node(1).state() == State.SECOND ? c.node(1) : c.node(2);
        Node keeper = loser == c.node(1) ? c.node(2) : c.node(1);
        // wave 2: diverged copies, no defaultprim: the first node in config order keeps (no clock decides)
        assertThat(keeper).isSameAs(c.node(1));
        assertThat(loser.transitions).anyMatch(t -> t.reason().contains("SPLIT BRAIN"));
        assertThat(loser.changes).anyMatch(ch -> ch.kind() == ChangeKind.RELEASE && ch.fullsync());
    }

    @Test
    void staleNodeStartedAloneWaitsAndTheNewestLeadsOnReunion() {
        SimCluster c = pair(SimCluster.mirror());
        c.node(2).crash();
        c.runUntil(() -> is(c.node(1), State.ALONE), 3000, "node1 ALONE");
        c.node(1).crash();
        c.run(1000);
        c.node(2).boot(); // it was SECOND: node1 wrote alone since
        c.run(10 * TIMEOUT);
        assertThat(c.node(2).state()).isEqualTo(State.WAIT);
        assertThat(c.node(2).machine().reason()).contains("stale");
        assertThat(c.node(2).holdsVip).isFalse();
        c.node(1).boot();
        c.runUntil(() -> isPrimReady(c.node(1)) && isSecondReady(c.node(2)), 3000, "node1 (newest) leads");
    }

    @Test
    void exclusivePrimaryStartsAloneAfterAGrace() {
        SimCluster c = pair(SimCluster.mirror());
        c.node(2).crash();
        c.runUntil(() -> is(c.node(1), State.ALONE), 3000, "node1 ALONE");
        c.node(1).crash();
        c.node(1).holdsVip = false; // its machine rebooted
        c.node(1).boot();
        assertThat(c.node(1).state()).isEqualTo(State.WAIT);
        c.runUntil(() -> is(c.node(1), State.ALONE), 3000, "node1 ALONE again");
    }

    @Test
    void primWhilePeerAbsentForcesAStaleNode() {
        SimCluster c = pair(SimCluster.mirror());
        c.node(1).crash();
        c.node(2).crash();
        c.node(2).boot();
        c.run(3 * TIMEOUT);
        assertThat(c.node(2).state()).isEqualTo(State.WAIT);
        // wave 2: a copy that may be stale becomes primary only with --force
        assertThatThrownBy(() -> c.node(2).command(Command.PRIM)).isInstanceOf(ServiceException.class)
                .hasMessageContaining("may have written since");
        assertThat(c.node(2).command(Command.PRIM, "force")).contains("primary");
        c.runUntil(() -> is(c.node(2), State.ALONE), 1000, "forced ALONE");
        assertThat(c.node(2).machine().reason()).contains("forced");
    }

    @Test
    void bothRestartAfterCleanStopPickTheNewestGeneration() {
        SimCluster c = pair(SimCluster.mirror());
        c.node(2).command(Command.STOP);
        c.runUntil(() -> is(c.node(1), State.ALONE) && is(c.node(2), State.STOP), 2000, "node1 ALONE");
        c.node(1).crash();
        c.node(2).crash();
        c.node(2).boot();
        c.node(1).boot();
        c.run(3 * TIMEOUT);
        assertThat(c.node(2).state()).isEqualTo(State.STOP); // an operator's stop survives restarts
        c.runUntil(() -> is(c.node(1), State.ALONE), 2000, "node1 ALONE (newest)");
        c.node(2).command(Command.START);
        c.runUntil(() -> isPrimReady(c.node(1)) && isSecondReady(c.node(2)), 3000, "pair");
    }

    @Test
    void stopOfThePrimaryMakesThePeerAlone() {
        SimCluster c = pair(SimCluster.mirror());
        c.node(1).command(Command.STOP);
        c.runUntil(() -> is(c.node(2), State.ALONE) && is(c.node(1), State.STOP), 2000, "node2 ALONE");
        assertThat(c.holdingVip()).containsExactly(c.node(2));
        assertThat(c.twoPrimaries).isZero();
    }

    @Test
    void stopstartFailsOverAndTheOldPrimaryBecomesSecond() {
        SimCluster c = pair(SimCluster.mirror());
        c.node(1).command(Command.STOPSTART);
        c.runUntil(() -> isPrimReady(c.node(2)) && isSecondReady(c.node(1)), 3000, "swapped by stopstart");
        assertThat(c.twoPrimaries).isZero();
    }

    @Test
    void swapFromEitherSide() {
        SimCluster c = pair(SimCluster.mirror().replication());
        c.node(2).command(Command.SWAP);
        c.runUntil(() -> isPrimReady(c.node(2)) && isSecondReady(c.node(1)), 3000, "swap asked by the SECOND");
        c.node(2).command(Command.SWAP);
        c.runUntil(() -> isPrimReady(c.node(1)) && isSecondReady(c.node(2)), 3000, "swap asked by the PRIM");
        assertThat(c.holdingVip()).containsExactly(c.node(1));
        assertThat(c.twoPrimaries).isZero();
    }

    @Test
    void failoverOffSecondWaits() {
        SimCluster c = pair(SimCluster.mirror().failover(false));
        c.node(1).crash();
        c.runUntil(() -> is(c.node(2), State.WAIT), 3000, "node2 WAIT");
        assertThat(c.node(2).machine().reason()).contains("failover is off");
        c.node(2).command(Command.PRIM);
        c.runUntil(() -> is(c.node(2), State.ALONE), 1000, "node2 ALONE by command");
    }

    @Test
    void secondNotUpToDateWaitsWhenThePrimaryDies() {
        SimCluster c = pair(SimCluster.mirror().replication());
        c.node(2).crash();
        c.runUntil(() -> is(c.node(1), State.ALONE), 3000, "node1 ALONE");
        c.node(2).boot();
        // it comes back as SECOND, resynchronising (50 ms): kill the primary before the resync is done
        c.runUntil(() -> c.node(2).state() == State.SECOND, 3000, "node2 SECOND");
        c.node(1).crash();
        c.runUntil(() -> is(c.node(2), State.WAIT), 3000, "node2 WAIT");
        assertThat(c.node(2).machine().reason()).contains("not up to date");
    }

    @Test
    void primarysGenerationChangeMakesTheSecondNotUpToDate() {
        SimCluster c = pair(SimCluster.mirror().replication());
        // replication-svc reports send_timeout (the primary records alone); the SECOND sees a new generation
        c.node(1).engine.replication(io.steadfast.api.ReplicationApi.Role.SOURCE, false, true, "send_timeout");
        assertThat(c.node(1).state()).isEqualTo(State.ALONE);
        c.runUntil(() -> !c.node(2).machine().persisted().upToDate(), 1000, "node2 not up to date");
    }

    @Test
    void frozenPrimaryThawedFollowsTheNewPrimary() {
        SimCluster c = pair(SimCluster.mirror().replication());
        c.node(1).freeze();
        c.runUntil(() -> is(c.node(2), State.ALONE), 3000, "node2 ALONE");
        c.run(2000);
        c.node(1).thaw();
        c.runUntil(() -> isPrimReady(c.node(2)) && isSecondReady(c.node(1)), 3000, "node1 follows");
        assertThat(c.node(1).transitions).noneMatch(t -> t.reason().contains("SPLIT BRAIN"));
        assertThat(c.node(1).changes).noneMatch(RoleChange::fullsync);
    }

    @Test
    void failedAcquireRollsBackToWaitAndThePeerTakesOver() {
        SimCluster c = SimCluster.mirror().build();
        c.node(1).boot();
        c.node(2).boot();
        c.run(2 * TIMEOUT);
        c.node(1).failChanges = true;
        c.node(1).command(Command.PRIM);
        // node2 followed node1 as SECOND (no replicated data: up to date at once); node1 failed: node2 leads
        c.runUntil(() -> isPrimReady(c.node(2)) && isSecondReady(c.node(1)), 3000, "node2 took over");
        assertThat(c.node(1).transitions).anyMatch(t -> t.to() == State.WAIT && t.reason().contains("failed"));
        assertThat(c.holdingVip()).containsExactly(c.node(2));
    }

    @Test
    void failedAcquireWithAStalePeerWaitsForAnOperator() {
        SimCluster c = SimCluster.mirror().replication().build();
        c.node(1).boot();
        c.node(2).boot();
        c.run(2 * TIMEOUT);
        c.node(1).failChanges = true;
        c.node(1).command(Command.PRIM);
        c.runUntil(() -> is(c.node(1), State.WAIT) && !c.node(2).machine().busy(), 1000, "node1 WAIT");
        c.run(3 * TIMEOUT);
        // node1 holds the newest generation but failed: not chosen automatically; node2 never synced
        assertThat(c.serving()).isEmpty();
        assertThat(c.node(1).machine().reason()).contains("failed");
        c.node(1).failChanges = false;
        c.node(1).command(Command.PRIM);
        c.runUntil(() -> isPrimReady(c.node(1)) && isSecondReady(c.node(2)), 3000, "pair after retry");
    }

    @Test
    void checkerWaitOnThePrimaryFailsOverAndResumeMakesItSecond() {
        SimCluster c = pair(SimCluster.mirror());
        c.node(1).engine.action(FailureAction.WAIT, "gw", "ping 198.18.0.1 failed", false);
        c.runUntil(() -> is(c.node(2), State.ALONE) && is(c.node(1), State.WAIT), 2000, "node2 took over");
        c.node(1).engine.action(FailureAction.WAIT, "gw", "up", true);
        c.runUntil(() -> isPrimReady(c.node(2)) && isSecondReady(c.node(1)), 3000, "node1 SECOND");
    }

    @Test
    void checkerRestartsAreBoundedByMaxloop() {
        SimCluster c = pair(SimCluster.mirror().maxloop(2));
        for (int i = 0; i < 2; i++) {
            assertThat(c.node(1).engine.action(FailureAction.RESTART, "app", "port closed", false))
                    .isEqualTo("restarting");
            c.runUntil(() -> isPrimReady(c.node(1)), 1000, "restarted");
        }
        assertThat(c.node(1).engine.action(FailureAction.RESTART, "app", "port closed", false))
                .contains("maxloop");
        c.runUntil(() -> is(c.node(1), State.STOP) && is(c.node(2), State.ALONE), 2000, "stopped, peer ALONE");
        assertThat(c.node(1).machine().reason()).contains("maxloop");
    }

    @Test
    void commandsInEveryState() {
        SimCluster c = pair(SimCluster.mirror());
        Node p = c.node(1);
        Node s = c.node(2);
        // PRIM: start refused, restart allowed
        assertConflict(p, Command.START);
        assertConflict(p, Command.PRIM);
        assertThat(p.command(Command.RESTART)).contains("restart");
        assertConflict(p, Command.SWAP); // a role change is running
        c.runUntil(() -> isPrimReady(p), 1000, "restart done");
        // SECOND: restart/stopstart/second refused, prim asks for a handover
        assertConflict(s, Command.RESTART);
        assertConflict(s, Command.STOPSTART);
        assertConflict(s, Command.SECOND);
        assertConflict(s, Command.START);
        // SECOND stop → STOP; STOP: everything but start/prim/second refused
        s.command(Command.STOP);
        c.runUntil(() -> is(s, State.STOP) && is(p, State.ALONE), 2000, "node2 STOP");
        for (Command cmd : new Command[]{Command.STOP, Command.FORCESTOP, Command.RESTART, Command.STOPSTART,
                Command.SWAP}) {
            assertConflict(s, cmd);
        }
        // ALONE: second/swap refused (no up-to-date SECOND)
        assertConflict(p, Command.SECOND);
        assertConflict(p, Command.SWAP);
        s.command(Command.SECOND); // STOP → WAIT → SECOND of node1
        c.runUntil(() -> isPrimReady(p) && isSecondReady(s), 3000, "pair");
        // WAIT (a checker parked it): start refused, stop allowed
        s.engine.action(FailureAction.WAIT, "gw", "down", false);
        c.runUntil(() -> is(s, State.WAIT), 1000, "node2 WAIT");
        assertConflict(s, Command.START);
        assertConflict(s, Command.RESTART);
        assertConflict(s, Command.SWAP);
        s.command(Command.FORCESTOP);
        c.runUntil(() -> is(s, State.STOP), 1000, "node2 STOP");
        s.command(Command.START);
        c.runUntil(() -> isPrimReady(p) && isSecondReady(s), 3000, "pair again");
        // forcestop of the primary: stop scripts straight with force
        p.command(Command.FORCESTOP);
        c.runUntil(() -> is(p, State.STOP) && is(s, State.ALONE), 2000, "forcestop");
        assertThat(p.changes.getLast().force()).isTrue();
        assertThat(c.twoPrimaries).isZero();
    }

    @Test
    void stopDuringARoleChangeIsQueued() {
        SimCluster c = SimCluster.mirror().build();
        c.node(1).boot();
        c.node(2).boot();
        c.run(2 * TIMEOUT);
        c.node(1).command(Command.PRIM);
        assertThat(c.node(1).command(Command.STOP)).contains("queued");
        c.runUntil(() -> is(c.node(1), State.STOP), 1000, "stopped after the change");
        assertThat(c.node(1).holdsVip).isFalse();
    }

    private static void assertConflict(Node n, Command cmd) {
        assertThatThrownBy(() -> n.command(cmd)).as(cmd + " on " + n).isInstanceOf(ServiceException.class);
    }
}
