package io.steadfast.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Failback and restart policy. {@code defaultprim}: {@code "alone"} | a node of the module | {@code "lastprim"};
 * {@code failover} (YAML on | off); at most {@code maxloop} automatic restarts/failovers per
 * {@code loopInterval} (YAML {@code loop_interval}) before the module is stopped.
 */
public record ServiceConfig(String defaultprim, boolean failover, int maxloop, Duration loopInterval) {
    public static final String ALONE = "alone";
    public static final String LASTPRIM = "lastprim";

    public ServiceConfig {
        Objects.requireNonNull(defaultprim, "defaultprim");
        Objects.requireNonNull(loopInterval, "loopInterval");
    }

    /** The node named by {@code defaultprim}, when it names one (not alone / lastprim). */
    public java.util.Optional<String> defaultprimNode() {
        return ALONE.equals(defaultprim) || LASTPRIM.equals(defaultprim)
                ? java.util.Optional.empty() : java.util.Optional.of(defaultprim);
    }
}
