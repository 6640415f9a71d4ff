package io.steadfast.api;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Module commands (operators, CLI, console): the names are the public interface. {@code splitbrain-ack}
 * ({@code steadfast splitbrain ack}) clears a node's split-brain alert.
 */
public enum Command {
    START, STOP, RESTART, STOPSTART, FORCESTOP, PRIM, SECOND, SWAP, SPLITBRAIN_ACK;

    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Optional<Command> of(String id) {
        return Arrays.stream(values()).filter(c -> c.id().equals(id)).findFirst();
    }
}
