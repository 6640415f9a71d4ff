package io.steadfast.config;

import java.util.List;

/** Split-brain witnesses; empty = no witness (a node that loses all heartbeats goes ALONE unconditionally). */
public record SplitBrainConfig(List<WitnessTarget> witness) {
    public SplitBrainConfig {
        witness = List.copyOf(witness);
    }

    public boolean hasWitness() {
        return !witness.isEmpty();
    }
}
