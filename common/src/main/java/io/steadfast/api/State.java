package io.steadfast.api;

/**
 * The state of a module on a node (the vocabulary operators know). Mirror: STOP, WAIT, ALONE, PRIM, SECOND;
 * farm: STOP, WAIT, UP. The exit code is what {@code steadfast state -m M --node N} returns.
 */
public enum State {
    STOP(0), WAIT(1), ALONE(2), UP(2), PRIM(3), SECOND(4);

    private final int exitCode;

    State(int exitCode) {
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }

    /** Where the application serves: PRIM/ALONE for a mirror, UP for a farm. */
    public boolean serves() {
        return this == PRIM || this == ALONE || this == UP;
    }
}
