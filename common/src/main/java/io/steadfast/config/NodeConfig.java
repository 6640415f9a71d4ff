package io.steadfast.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A cluster node. {@code addr} carries the event bus, Hazelcast and replication; {@code lans} maps each
 * heartbeat network name to this node's address on it, in file order (default: {@code {lan1: addr}}).
 */
public record NodeConfig(String name, String addr, Map<String, String> lans) {
    public NodeConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(addr, "addr");
        lans = Collections.unmodifiableMap(new LinkedHashMap<>(lans));
    }

    /** This node's address on the heartbeat network {@code lan}. */
    public Optional<String> lanAddr(String lan) {
        return Optional.ofNullable(lans.get(lan));
    }
}
