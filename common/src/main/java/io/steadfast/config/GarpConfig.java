package io.steadfast.config;

import java.time.Duration;
import java.util.Objects;

/** Gratuitous ARP burst after a mirror VIP goes up: {@code count} packets every {@code interval};
 * re-sent every {@code refresh} ({@link Duration#ZERO} = never). */
public record GarpConfig(int count, Duration interval, Duration refresh) {
    public GarpConfig {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(refresh, "refresh");
    }

    public boolean refreshes() {
        return !refresh.isZero();
    }
}
