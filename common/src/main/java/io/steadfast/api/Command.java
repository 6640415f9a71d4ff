package io.steadfast.api;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Module commands (operators, CLI, console): the names are the public interface. */
public enum Command {
    START, STOP, RESTART, STOPSTART, FORCESTOP, PRIM, SECOND, SWAP;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Command> of(String id) {
        return Arrays.stream(values()).filter(c -> c.id().equals(id)).findFirst();
    }
}
