package io.steadfast.config;

import java.util.Objects;
import java.util.Optional;

/**
 * Clustered event bus. {@code port} is the Hazelcast port; {@code eventBusPort} (YAML {@code event_bus_port})
 * is the Vert.x event-bus port, by default {@code port + }{@link Defaults#EVENT_BUS_PORT_OFFSET}.
 */
public record BusConfig(int port, int eventBusPort, Optional<TlsConfig> tls) {
    public BusConfig {
        Objects.requireNonNull(tls, "tls");
    }
}
