package io.steadfast.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The cluster section: name, secret_file, state_dir, bus, console, nodes, and {@code insecure}: true turns off the
 * event-bus signing (and the Hazelcast cluster name derived from the secret) for experiments; every start says so.
 */
public record ClusterConfig(String name, Path secretFile, Path stateDir, BusConfig bus, ConsoleConfig console,
                            List<NodeConfig> nodes, boolean insecure) {
    public ClusterConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(secretFile, "secretFile");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(bus, "bus");
        Objects.requireNonNull(console, "console");
        nodes = List.copyOf(nodes);
    }

    /** A secure cluster (the default). */
    public ClusterConfig(String name, Path secretFile, Path stateDir, BusConfig bus, ConsoleConfig console,
                         List<NodeConfig> nodes) {
        this(name, secretFile, stateDir, bus, console, nodes, false);
    }

    public Optional<NodeConfig> node(String nodeName) {
        return nodes.stream().filter(n -> n.name().equals(nodeName)).findFirst();
    }
}
