package io.steadfast.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Split-brain witnesses (empty = no witness: a node that loses all heartbeats goes ALONE unconditionally) and what
 * happens after a split brain ({@code after}, mirror only).
 */
public record SplitBrainConfig(List<WitnessTarget> witness, After after) {
    /**
     * What the side that follows does with its diverged copy when the two copies' generation histories diverged.
     * YAML: {@code keep-copy} (default: its replicated directories are copied under
     * {@code <state_dir>/diverged/<module>/<UTC time>/} before the resync), {@code manual} (neither side resyncs
     * until an operator picks the survivor with {@code prim --force}; the follower's copy is kept then too),
     * {@code discard} (the follower is resynchronised without a copy: its changes since the split are lost).
     */
    public enum After {
        KEEP_COPY, MANUAL, DISCARD;

        public String id() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Optional<After> of(String s) {
            return Arrays.stream(values()).filter(a -> a.id().equals(s)).findFirst();
        }
    }

    public SplitBrainConfig {
        witness = List.copyOf(witness);
        java.util.Objects.requireNonNull(after, "after");
    }

    public SplitBrainConfig(List<WitnessTarget> witness) {
        this(witness, After.KEEP_COPY);
    }

    public boolean hasWitness() {
        return !witness.isEmpty();
    }
}
