package io.steadfast.heartbeat.impl;

import io.steadfast.api.CheckerApi.Script;
import io.steadfast.api.State;
import io.steadfast.config.ModuleConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChoreographerTest {
    /** Records every step; fails those named in {@link #fail}. */
    static final class FakeSteps implements RoleSteps {
        final List<String> calls = new ArrayList<>();
        final Set<String> fail = new HashSet<>();
        /** Steps that stay pending until the test completes them. */
        final java.util.Map<String, CompletableFuture<Void>> hold = new java.util.HashMap<>();

        private CompletionStage<Void> step(String name) {
            calls.add(name);
            if (hold.containsKey(name)) {
                return hold.get(name);
            }
            return fail.contains(name) ? CompletableFuture.failedFuture(new RuntimeException("vip-svc did not answer"))
                    : CompletableFuture.completedFuture(null);
        }

        public CompletionStage<Void> promote(String m, Optional<String> peer, String g, boolean full) {
            return step("promote" + peer.map(p -> ":" + p).orElse(""));
        }

        public CompletionStage<Void> demote(String m, Optional<String> peer, String g, boolean full) {
            return step("demote" + peer.map(p -> ":" + p).orElse("") + (full ? ":full" : ""));
        }

        public CompletionStage<Void> vipUp(String m) {
            return step("vipUp");
        }

        public CompletionStage<Void> vipDown(String m) {
            return step("vipDown");
        }

        public CompletionStage<Void> script(String m, Script s, State cur, State next, String action, boolean force) {
            return step(s.name() + (force ? ":force" : ""));
        }
    }

    final FakeSteps steps = new FakeSteps();
    final Choreographer ch = new Choreographer(steps);
    final ModuleConfig mirror = SimCluster.mirror().replication().build().module;
    final ModuleConfig mirrorNoRepl = SimCluster.mirror().build().module;
    final ModuleConfig farm = SimCluster.farm(2).build().module;

    static RoleChange change(ChangeKind k, State from, State to, Optional<String> peer, boolean force) {
        return new RoleChange(1, "db", k, from, to, peer, "g1", false, force, "test");
    }

    static void await(CompletionStage<Void> s) throws Exception {
        s.toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void becomingPrimaryInOrder() throws Exception {
        await(ch.run(mirror, change(ChangeKind.ACQUIRE, State.SECOND, State.PRIM, Optional.of("node2"), false)));
        assertThat(steps.calls).containsExactly("promote:node2", "vipUp", "PRESTART", "START_PRIM");
    }

    @Test
    void withoutReplicationThereIsNoPromote() throws Exception {
        await(ch.run(mirrorNoRepl, change(ChangeKind.ACQUIRE, State.WAIT, State.ALONE, Optional.empty(), false)));
        assertThat(steps.calls).containsExactly("vipUp", "PRESTART", "START_PRIM");
    }

    @Test
    void aFailedStartRollsBackInReverseOrder() {
        steps.fail.add("START_PRIM");
        var r = ch.run(mirror, change(ChangeKind.ACQUIRE, State.WAIT, State.ALONE, Optional.empty(), false));
        assertThatThrownBy(() -> await(r)).isInstanceOf(ExecutionException.class).hasMessageContaining("start_prim");
        assertThat(steps.calls).containsExactly("promote", "vipUp", "PRESTART", "START_PRIM",
                "STOP_PRIM:force", "vipDown", "demote");
    }

    @Test
    void aServiceThatDoesNotAnswerFailsTheStepWithItsReason() {
        steps.fail.add("vipUp");
        var r = ch.run(mirror, change(ChangeKind.ACQUIRE, State.WAIT, State.ALONE, Optional.empty(), false));
        assertThatThrownBy(() -> await(r)).hasMessageContaining("VIP up: vip-svc did not answer");
        // prestart ran beside the VIP up; the rollback undoes the VIP and the promote
        assertThat(steps.calls).containsExactly("promote", "vipUp", "PRESTART", "vipDown", "demote");
    }

    @Test
    void prestartRunsWhileTheVipComesUpAndStartPrimWaitsForBoth() throws Exception {
        CompletableFuture<Void> vip = new CompletableFuture<>();
        steps.hold.put("vipUp", vip);
        var r = ch.run(mirror, change(ChangeKind.ACQUIRE, State.SECOND, State.PRIM, Optional.of("node2"), false));
        assertThat(steps.calls).containsExactly("promote:node2", "vipUp", "PRESTART");
        assertThat(r.toCompletableFuture()).isNotDone();
        vip.complete(null);
        await(r);
        assertThat(steps.calls).containsExactly("promote:node2", "vipUp", "PRESTART", "START_PRIM");
    }

    @Test
    void aFailedPrestartTakesTheVipDownAgain() {
        steps.fail.add("PRESTART");
        var r = ch.run(mirror, change(ChangeKind.ACQUIRE, State.WAIT, State.ALONE, Optional.empty(), false));
        assertThatThrownBy(() -> await(r)).hasMessageContaining("prestart: vip-svc did not answer");
        assertThat(steps.calls).containsExactly("promote", "vipUp", "PRESTART", "vipDown", "demote");
    }

    @Test
    void fenceAndUnfenceMoveOnlyTheVip() throws Exception {
        await(ch.run(mirror, change(ChangeKind.FENCE, State.PRIM, State.PRIM, Optional.of("node2"), false)));
        await(ch.run(mirror, change(ChangeKind.UNFENCE, State.ALONE, State.ALONE, Optional.empty(), false)));
        assertThat(steps.calls).containsExactly("vipDown", "vipUp");
    }

    @Test
    void leavingStopsTwiceAndAlwaysRemovesTheVip() {
        steps.fail.add("STOP_PRIM");
        steps.fail.add("STOP_PRIM:force");
        var r = ch.run(mirror, change(ChangeKind.RELEASE, State.PRIM, State.SECOND, Optional.of("node2"), false));
        assertThatThrownBy(() -> await(r)).hasMessageContaining("stop_prim (force)");
        assertThat(steps.calls).containsExactly("STOP_PRIM", "STOP_PRIM:force", "vipDown", "demote:node2");
    }

    @Test
    void stopRunsPoststopAndForcestopSkipsTheGracefulCall() throws Exception {
        await(ch.run(mirror, change(ChangeKind.RELEASE, State.PRIM, State.STOP, Optional.empty(), true)));
        assertThat(steps.calls).containsExactly("STOP_PRIM:force", "vipDown", "demote", "POSTSTOP");
    }

    @Test
    void aFailedRestartLeavesThePrimaryRole() {
        steps.fail.add("START_PRIM");
        var r = ch.run(mirror, change(ChangeKind.RESTART, State.PRIM, State.PRIM, Optional.of("node2"), false));
        assertThatThrownBy(() -> await(r)).hasMessageContaining("restart");
        assertThat(steps.calls).containsExactly("STOP_PRIM", "PRESTART", "START_PRIM", "STOP_PRIM:force", "vipDown",
                "demote");
    }

    @Test
    void farmStartsTheAppBeforeTheVipAndDropsTheVipFirst() throws Exception {
        await(ch.run(farm, change(ChangeKind.ACQUIRE, State.STOP, State.UP, Optional.empty(), false)));
        await(ch.run(farm, change(ChangeKind.RELEASE, State.UP, State.WAIT, Optional.empty(), false)));
        assertThat(steps.calls).containsExactly("PRESTART", "START_BOTH", "vipUp", "vipDown", "STOP_BOTH");
    }

    @Test
    void farmVipFailureStopsTheApp() {
        steps.fail.add("vipUp");
        var r = ch.run(farm, change(ChangeKind.ACQUIRE, State.STOP, State.UP, Optional.empty(), false));
        assertThatThrownBy(() -> await(r)).hasMessageContaining("VIP up");
        assertThat(steps.calls).containsExactly("PRESTART", "START_BOTH", "vipUp", "vipDown", "STOP_BOTH:force");
    }

    @Test
    void demoteToSecond() throws Exception {
        await(ch.run(mirror, change(ChangeKind.DEMOTE, State.WAIT, State.SECOND, Optional.of("node1"), false)));
        await(ch.run(mirrorNoRepl, change(ChangeKind.DEMOTE, State.WAIT, State.SECOND, Optional.of("node1"), false)));
        assertThat(steps.calls).containsExactly("demote:node1");
    }
}
