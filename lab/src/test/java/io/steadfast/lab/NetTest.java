package io.steadfast.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** No root needed: only the bounded runner and spec validation. */
class NetTest {
    @Test
    void capturesOutputAndExitCode() {
        ExecResult r = Net.exec(Duration.ofSeconds(5), List.of("sh", "-c", "echo out; echo err >&2; exit 3"));
        assertThat(r).isEqualTo(new ExecResult(3, "out\n", "err\n"));
        assertThat(Net.exec(Duration.ofSeconds(5), List.of("cat"), "in").stdout()).isEqualTo("in");
    }

    @Test
    void failureNamesCommandAndStderr() {
        assertThatThrownBy(() -> Net.run(Duration.ofSeconds(5), List.of("sh", "-c", "echo nope >&2; exit 1")))
                .isInstanceOf(LabException.class).hasMessageContaining("sh -c").hasMessageContaining("nope");
    }

    @Test
    void timeoutKillsTheCommandEvenIfAGrandchildHoldsThePipe() {
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Net.exec(Duration.ofMillis(300), List.of("sh", "-c", "sleep 30 & sleep 30")))
                .isInstanceOf(LabException.class).hasMessageContaining("timed out");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void specValidation() {
        LabSpec s = LabSpec.builder().build();
        assertThat(s.prefix()).matches("sf[0-9a-f]{5}");
        assertThat(s.prefix() + "-c240").hasSizeLessThanOrEqualTo(15);
        assertThatThrownBy(() -> LabSpec.builder().prefix("Bad-").build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LabSpec.builder().nodes(0).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LabSpec.builder().extraAddrs(251).build()).isInstanceOf(IllegalArgumentException.class);
    }
}
