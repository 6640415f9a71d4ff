package io.steadfast.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Mirror replication: absolute, distinct, non-nested {@code dirs}; TCP {@code port} of the replication channel;
 * {@code sendTimeout} (YAML {@code send_timeout}) after which an unanswered primary goes ALONE.
 */
public record ReplicationConfig(List<Path> dirs, int port, AsyncMode async, Duration sendTimeout) {
    public ReplicationConfig {
        dirs = List.copyOf(dirs);
        Objects.requireNonNull(async, "async");
        Objects.requireNonNull(sendTimeout, "sendTimeout");
    }
}
