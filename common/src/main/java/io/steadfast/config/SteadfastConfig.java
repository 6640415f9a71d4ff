package io.steadfast.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A whole configuration file, as loaded and validated by {@link ConfigLoader}. The same file is used on every
 * node; {@code source} is the path it was read from (for messages).
 */
public record SteadfastConfig(Path source, ClusterConfig cluster, List<ModuleConfig> modules) {
    public SteadfastConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(cluster, "cluster");
        modules = List.copyOf(modules);
    }

    public Optional<NodeConfig> node(String name) {
        return cluster.node(name);
    }

    public Optional<ModuleConfig> module(String name) {
        return modules.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    /** Modules whose node list contains {@code nodeName}, in file order. */
    public List<ModuleConfig> modulesOn(String nodeName) {
        return modules.stream().filter(m -> m.nodes().contains(nodeName)).toList();
    }
}
