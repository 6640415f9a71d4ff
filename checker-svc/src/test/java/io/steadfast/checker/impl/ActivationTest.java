package io.steadfast.checker.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.api.Readiness;
import io.steadfast.api.State;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ActivationTest {
    @Test
    void appCheckersOnlyWhereTheModuleServes() {
        for (CheckKind k : new CheckKind[] {CheckKind.TCP, CheckKind.HTTP, CheckKind.CUSTOM, CheckKind.PROCESS}) {
            for (State s : State.values()) {
                assertThat(Activation.inactiveReason(k, Optional.of(s), false).isEmpty()).as(k + " in " + s)
                        .isEqualTo(s == State.PRIM || s == State.ALONE || s == State.UP);
            }
            assertThat(Activation.inactiveReason(k, Optional.empty(), false)).isPresent();
            assertThat(Activation.inactiveReason(k, Optional.of(State.WAIT), true)).as("parked").isEmpty();
        }
        assertThat(Activation.inactiveReason(CheckKind.TCP, Optional.of(State.SECOND), false).orElseThrow())
                .isEqualTo("module is SECOND here: application checkers run only where it serves");
    }

    @Test
    void othersAlways_ipOnceTheStateIsKnown() {
        for (CheckKind k : new CheckKind[] {CheckKind.PING, CheckKind.INTERFACE, CheckKind.MODULE, CheckKind.WITNESS}) {
            assertThat(Activation.inactiveReason(k, Optional.empty(), false)).isEmpty();
            assertThat(Activation.inactiveReason(k, Optional.of(State.STOP), false)).isEmpty();
        }
        assertThat(Activation.inactiveReason(CheckKind.IP, Optional.empty(), false)).isPresent();
        assertThat(Activation.inactiveReason(CheckKind.IP, Optional.of(State.SECOND), false)).isEmpty();
    }

    @Test
    void appFailuresDoNotCountWhileTheModuleIsStartingHere() {
        assertThat(Activation.starting(CheckKind.TCP, Optional.of(Readiness.TRANSIENT))).isTrue();
        assertThat(Activation.starting(CheckKind.PROCESS, Optional.of(Readiness.TRANSIENT))).isTrue();
        assertThat(Activation.starting(CheckKind.TCP, Optional.of(Readiness.READY))).as("serving").isFalse();
        assertThat(Activation.starting(CheckKind.TCP, Optional.empty())).isFalse();
        assertThat(Activation.starting(CheckKind.PING, Optional.of(Readiness.TRANSIENT))).as("not the app").isFalse();
    }

    @Test
    void startedWhenReadyAfterTransientWhereItServes() {
        assertThat(Activation.started(Optional.of(Readiness.TRANSIENT), Readiness.READY, State.ALONE)).isTrue();
        assertThat(Activation.started(Optional.of(Readiness.TRANSIENT), Readiness.READY, State.UP)).isTrue();
        assertThat(Activation.started(Optional.of(Readiness.READY), Readiness.READY, State.PRIM)).as("republished")
                .isFalse();
        assertThat(Activation.started(Optional.of(Readiness.TRANSIENT), Readiness.READY, State.SECOND)).isFalse();
        assertThat(Activation.started(Optional.empty(), Readiness.READY, State.PRIM)).isFalse();
    }
}
