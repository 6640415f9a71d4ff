package io.steadfast.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** The cluster section: name (Hazelcast cluster name), secret_file, state_dir, bus, console, nodes. */
public record ClusterConfig(String name, Path secretFile, Path stateDir, BusConfig bus, ConsoleConfig console,
                            List<NodeConfig> nodes) {
    public ClusterConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(secretFile, "secretFile");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(bus, "bus");
        Objects.requireNonNull(console, "console");
        nodes = List.copyOf(nodes);
    }

    public Optional<NodeConfig> node(String nodeName) {
        return nodes.stream().filter(n -> n.name().equals(nodeName)).findFirst();
    }
}
