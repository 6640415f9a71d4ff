package io.steadfast.checker.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.api.CheckerApi.Status;
import io.steadfast.api.HeartbeatApi.ActionRequest;
import io.steadfast.config.FailureAction;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FailoverRulesTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final FailoverRules rules = new FailoverRules(now::get);
    private final FailoverRules.Loop loop = new FailoverRules.Loop(3, Duration.ofMinutes(10));

    private Optional<ActionRequest> down(String checker, FailureAction rule) {
        return rules.onTransition("db", checker, rule, loop, Status.DOWN, "connect refused");
    }

    @Test
    void restartUntilMaxloopThenStopWithTheReason() {
        for (int i = 1; i <= 3; i++) {
            ActionRequest r = down("app", FailureAction.RESTART).orElseThrow();
            assertThat(r.action()).as("failure %d", i).isEqualTo(FailureAction.RESTART);
            assertThat(r.reason()).isEqualTo("checker app down: connect refused");
            rules.accepted(r);
            now.addAndGet(60_000);
        }
        ActionRequest stop = down("app", FailureAction.RESTART).orElseThrow();
        assertThat(stop.action()).isEqualTo(FailureAction.STOP);
        assertThat(stop.reason()).isEqualTo("checker app failed 4 times in 10m (maxloop 3): connect refused");
        rules.accepted(stop);
        // the STOP carried out clears the budget: an operator's restart starts afresh
        assertThat(down("app", FailureAction.RESTART).orElseThrow().action()).isEqualTo(FailureAction.RESTART);
    }

    @Test
    void actionsOlderThanTheLoopIntervalDoNotCount() {
        for (int i = 0; i < 3; i++) {
            rules.accepted(down("app", FailureAction.STOPSTART).orElseThrow());
            now.addAndGet(4 * 60_000);
        }
        // first action is now 12 min old: outside the 10 min window
        assertThat(rules.recent("db", loop.interval())).isEqualTo(2);
        assertThat(down("app", FailureAction.STOPSTART).orElseThrow().action()).isEqualTo(FailureAction.STOPSTART);
    }

    @Test
    void refusedActionsDoNotCount() {
        for (int i = 0; i < 5; i++) {
            ActionRequest r = down("app", FailureAction.RESTART).orElseThrow();
            assertThat(r.action()).isEqualTo(FailureAction.RESTART);
            rules.refused(r);
        }
        assertThat(rules.recent("db", loop.interval())).isZero();
    }

    @Test
    void loopBudgetIsPerModuleAcrossCheckers() {
        rules.accepted(down("a", FailureAction.RESTART).orElseThrow());
        rules.accepted(down("b", FailureAction.RESTART).orElseThrow());
        rules.accepted(down("c", FailureAction.STOPSTART).orElseThrow());
        assertThat(down("a", FailureAction.RESTART).orElseThrow().action()).isEqualTo(FailureAction.STOP);
        assertThat(rules.onTransition("web", "a", FailureAction.RESTART, loop, Status.DOWN, "x").orElseThrow()
                .action()).isEqualTo(FailureAction.RESTART);
    }

    @Test
    void waitParksOnceAndResumesWhenUp() {
        ActionRequest park = down("gw", FailureAction.WAIT).orElseThrow();
        assertThat(park.action()).isEqualTo(FailureAction.WAIT);
        assertThat(park.resume()).isFalse();
        assertThat(rules.parked("db", "gw")).isTrue();
        assertThat(down("gw", FailureAction.WAIT)).as("already parked").isEmpty();
        ActionRequest resume = rules.onTransition("db", "gw", FailureAction.WAIT, loop, Status.UP, "reply in 1 ms")
                .orElseThrow();
        assertThat(resume.action()).isEqualTo(FailureAction.WAIT);
        assertThat(resume.resume()).isTrue();
        assertThat(resume.reason()).isEqualTo("checker gw is up again: reply in 1 ms");
        assertThat(rules.parked("db", "gw")).isFalse();
        assertThat(rules.onTransition("db", "gw", FailureAction.WAIT, loop, Status.UP, "x")).isEmpty();
    }

    @Test
    void refusedWaitCanParkAgain() {
        rules.refused(down("gw", FailureAction.WAIT).orElseThrow());
        assertThat(rules.parked("db", "gw")).isFalse();
        assertThat(down("gw", FailureAction.WAIT)).isPresent();
    }

    /** A resume that did not get through: the module is still parked over there, so the next UP asks again. */
    @Test
    void refusedResumeIsAskedAgainAtTheNextUp() {
        down("gw", FailureAction.WAIT).orElseThrow();
        ActionRequest resume = rules.onTransition("db", "gw", FailureAction.WAIT, loop, Status.UP, "ok").orElseThrow();
        rules.refused(resume);
        assertThat(rules.parked("db", "gw")).isTrue();
        ActionRequest again = rules.onTransition("db", "gw", FailureAction.WAIT, loop, Status.UP, "ok").orElseThrow();
        assertThat(again.resume()).isTrue();
        assertThat(rules.parked("db", "gw")).isFalse();
    }

    @Test
    void noneStopAndOtherTransitions() {
        assertThat(down("x", FailureAction.NONE)).isEmpty();
        assertThat(down("x", FailureAction.STOP).orElseThrow().action()).isEqualTo(FailureAction.STOP);
        assertThat(rules.onTransition("db", "x", FailureAction.RESTART, loop, Status.UP, "ok")).isEmpty();
        assertThat(rules.onTransition("db", "x", FailureAction.RESTART, loop, Status.DISABLED, "ok")).isEmpty();
        assertThat(rules.onTransition("db", "x", FailureAction.RESTART, loop, Status.INIT, "ok")).isEmpty();
    }

    @Test
    void maxloopZeroStopsAtTheFirstFailure() {
        ActionRequest r = rules.onTransition("db", "app", FailureAction.RESTART,
                new FailoverRules.Loop(0, Duration.ofHours(24)), Status.DOWN, "dead").orElseThrow();
        assertThat(r.action()).isEqualTo(FailureAction.STOP);
        assertThat(r.reason()).startsWith("checker app failed 1 times in 24h");
    }
}
