package io.steadfast.checker.impl;

import io.steadfast.exec.CommandResult;
import io.steadfast.exec.CommandRunner;

import java.time.Duration;
import java.util.List;

/**
 * A custom command (argv, no shell): exit 0 = up; the first line of its output (stdout, else stderr) is the
 * reason. A command that cannot be started or outlives the timeout is down, and says so.
 */
public record CustomProbe(CommandRunner runner, List<String> argv) implements Probe {
    @Override
    public Outcome probe(Duration timeout) {
        CommandResult r = runner.run(argv, timeout);
        String cmd = String.join(" ", argv);
        if (r.timedOut()) {
            return Outcome.down(cmd + ": timed out after " + timeout.toMillis() + " ms (killed)");
        }
        String first = CommandResult.firstLine(r.stdout().strip());
        if (first.isEmpty()) {
            first = CommandResult.firstLine(r.stderr().strip());
        }
        if (r.exitCode() == -1) { // could not start
            return Outcome.down(cmd + ": " + first);
        }
        if (r.exitCode() == 0) {
            return Outcome.up(first.isEmpty() ? cmd + ": exit 0" : first);
        }
        return Outcome.down(cmd + ": exit " + r.exitCode() + (first.isEmpty() ? "" : ": " + first));
    }
}
