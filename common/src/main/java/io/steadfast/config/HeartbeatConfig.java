package io.steadfast.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Heartbeats of one module: sent every {@code pulse} on each of {@code lans} (UDP {@code port}); the peer is
 * lost when nothing arrived on any lan within {@code timeout}. Validation guarantees timeout ≥ 2 × pulse.
 * {@code lans} defaults to every lan common to all the module's nodes.
 */
public record HeartbeatConfig(Duration pulse, Duration timeout, List<String> lans, int port) {
    public HeartbeatConfig {
        Objects.requireNonNull(pulse, "pulse");
        Objects.requireNonNull(timeout, "timeout");
        lans = List.copyOf(lans);
    }
}
