package io.steadfast.checker.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.api.CheckerApi.Status;
import io.steadfast.config.FailureAction;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CheckerTrackerTest {
    private final AtomicLong now = new AtomicLong(5000);
    private final CheckerTracker t = new CheckerTracker("node1", "db", "app", CheckKind.TCP, Duration.ofSeconds(1),
            Duration.ofSeconds(1), FailureAction.RESTART, now::get);

    @Test
    void resultsMoveTheStatusAndOnlyChangesAreTransitions() {
        assertThat(t.status()).isEqualTo(Status.INIT);
        var first = t.result(Outcome.up("connected")).orElseThrow();
        assertThat(first.from()).isEqualTo(Status.INIT);
        assertThat(first.to()).isEqualTo(Status.UP);
        assertThat(t.result(Outcome.up("connected again"))).isEmpty();
        assertThat(t.reason()).isEqualTo("connected again");
        now.set(9000);
        var down = t.result(Outcome.down("refused")).orElseThrow();
        assertThat(down.to()).isEqualTo(Status.DOWN);
        assertThat(down.at()).isEqualTo(9000);
        assertThat(t.snapshot().status()).isEqualTo(Status.DOWN);
        assertThat(t.snapshot().reason()).isEqualTo("refused");
        assertThat(t.history()).hasSize(2);
    }

    @Test
    void maintenanceWinsOverActivation() {
        t.result(Outcome.up("ok"));
        assertThat(t.disable("disabled by operator").orElseThrow().to()).isEqualTo(Status.DISABLED);
        assertThat(t.runnable()).isFalse();
        assertThat(t.result(Outcome.down("late result"))).as("ignored while disabled").isEmpty();
        assertThat(t.deactivate("module is SECOND here")).isEmpty();
        assertThat(t.activate("module is PRIM here")).isEmpty();
        var enabled = t.enable().orElseThrow();
        assertThat(enabled.to()).isEqualTo(Status.INIT);
        assertThat(enabled.reason()).isEqualTo("enabled by operator");
        assertThat(t.enable()).isEmpty();
    }

    @Test
    void enableWhileInactiveStaysDisabledWithTheInactiveReason() {
        t.deactivate("module is SECOND here");
        t.disable("disabled by operator");
        assertThat(t.enable()).isEmpty();
        assertThat(t.status()).isEqualTo(Status.DISABLED);
        assertThat(t.reason()).isEqualTo("module is SECOND here");
        assertThat(t.runnable()).isFalse();
        assertThat(t.activate("module is PRIM here").orElseThrow().to()).isEqualTo(Status.INIT);
        assertThat(t.runnable()).isTrue();
    }

    @Test
    void rearmGoesBackToInit() {
        t.result(Outcome.down("refused"));
        assertThat(t.rearm("re-armed").orElseThrow().to()).isEqualTo(Status.INIT);
        assertThat(t.result(Outcome.down("refused")).orElseThrow().to()).isEqualTo(Status.DOWN);
        t.deactivate("not serving");
        assertThat(t.rearm("re-armed")).isEmpty();
    }

    @Test
    void historyIsBounded() {
        for (int i = 0; i < 50; i++) {
            t.result(i % 2 == 0 ? Outcome.up("u") : Outcome.down("d"));
        }
        assertThat(t.history()).hasSize(CheckerTracker.HISTORY);
    }
}
