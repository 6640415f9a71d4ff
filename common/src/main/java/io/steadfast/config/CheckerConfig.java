package io.steadfast.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A checker, run every {@code interval} with {@code timeout}; {@code onFailure} (YAML {@code on_failure}) is the
 * failover rule when it goes down. {@code target} by type: tcp {@code host:port}; http an http(s) URL;
 * ping an IPv4 address; interface an interface name; ip an IPv4 address (default: the module's VIP);
 * module another module's name; witness a witness ({@code addr} or {@code tcp:addr:port}, default: the
 * module's splitbrain witnesses). {@code command} is the argv of a custom checker (exit 0 = up).
 */
public record CheckerConfig(String name, CheckerType type, Optional<String> target, List<String> command,
                            Duration interval, Duration timeout, FailureAction onFailure, Optional<String> expect) {
    public CheckerConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(target, "target");
        command = List.copyOf(command);
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(onFailure, "onFailure");
        Objects.requireNonNull(expect, "expect");
    }
}
