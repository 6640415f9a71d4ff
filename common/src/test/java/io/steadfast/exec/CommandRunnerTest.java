package io.steadfast.exec;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CommandRunnerTest {
    final CommandRunner runner = new CommandRunner();

    @Test
    void capturesOutputAndExitCode() {
        CommandResult r = runner.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), Duration.ofSeconds(10));
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("out\n");
        assertThat(r.stderr()).isEqualTo("err\n");
        assertThat(r.ok()).isFalse();
        assertThat(r.describe()).endsWith(": exit 3: err");
    }

    @Test
    void argvIsNotParsedByAShell() {
        CommandResult r = runner.run(List.of("echo", "$HOME; rm -rf /"), Duration.ofSeconds(10));
        assertThat(r.stdout()).isEqualTo("$HOME; rm -rf /\n");
    }

    @Test
    void killsACommandThatOutlivesItsTimeoutWithItsChildren() {
        long start = System.nanoTime();
        CommandResult r = runner.run(List.of("sh", "-c", "sleep 30 & sleep 30"), Duration.ofMillis(300));
        assertThat(r.timedOut()).isTrue();
        assertThat(r.exitCode()).isEqualTo(-1);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    /** A command that exits but leaves a child holding its stdout: its result comes by the timeout, not later. */
    @Test
    void aBackgroundChildHoldingTheOutputDoesNotHoldTheResult() {
        long start = System.nanoTime();
        CommandResult r = runner.run(List.of("sh", "-c", "echo hi; sleep 8 & exit 3"), Duration.ofMillis(500));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(r.timedOut()).isFalse();
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("hi\n");
    }

    @Test
    void aMissingProgramIsAResultNotAnException() {
        CommandResult r = runner.run(List.of("/nonexistent/program"), Duration.ofSeconds(5));
        assertThat(r.exitCode()).isEqualTo(-1);
        assertThat(r.stderr()).startsWith("cannot run:");
    }

    @Test
    void feedsStdinAndEnvironment() {
        CommandResult r = runner.run(List.of("sh", "-c", "cat; echo $SF_X"), Duration.ofSeconds(10), "in\n",
                Map.of("SF_X", "x"));
        assertThat(r.stdout()).isEqualTo("in\nx\n");
    }

    @Test
    void prefixIsPutBeforeEveryCommand() {
        CommandResult r = new CommandRunner(List.of("env", "SF_P=1")).run(List.of("sh", "-c", "echo $SF_P"),
                Duration.ofSeconds(10));
        assertThat(r.stdout()).isEqualTo("1\n");
    }
}
