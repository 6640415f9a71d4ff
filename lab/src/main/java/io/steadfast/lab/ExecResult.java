package io.steadfast.lab;

/** Outcome of a bounded command: exit code and the full (size-capped) stdout and stderr. */
public record ExecResult(int exitCode, String stdout, String stderr) {
    public boolean ok() {
        return exitCode == 0;
    }
}
