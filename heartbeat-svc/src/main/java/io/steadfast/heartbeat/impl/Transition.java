package io.steadfast.heartbeat.impl;

import io.steadfast.api.Readiness;
import io.steadfast.api.State;

/** A state change of one module on this node, with why it happened. */
public record Transition(String module, State from, Readiness fromReadiness, State to, Readiness readiness,
                         String reason, long at) {
    @Override
    public String toString() {
        return module + ": " + from + "/" + fromReadiness + " -> " + to + "/" + readiness + " (" + reason + ")";
    }
}
