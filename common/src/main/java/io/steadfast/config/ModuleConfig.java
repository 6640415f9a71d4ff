package io.steadfast.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One module: a mirror (exactly 2 nodes, replication, start_prim/stop_prim) or a farm (2+ nodes, VIP required,
 * farm rules, start_both/stop_both). After validation, {@code farm} is present exactly for a farm.
 * {@code notifications} is the YAML key {@code notify} ({@code notify()} is taken by {@link Object}).
 */
public record ModuleConfig(String name, ModuleType type, List<String> nodes, HeartbeatConfig heartbeat,
                           Optional<VipConfig> vip, Optional<ReplicationConfig> replication, ServiceConfig service,
                           SplitBrainConfig splitbrain, ScriptsConfig scripts, List<ProcessConfig> processes,
                           List<CheckerConfig> checkers, Optional<FarmConfig> farm, NotifyConfig notifications) {
    /** Without notifications. */
    public ModuleConfig(String name, ModuleType type, List<String> nodes, HeartbeatConfig heartbeat,
                        Optional<VipConfig> vip, Optional<ReplicationConfig> replication, ServiceConfig service,
                        SplitBrainConfig splitbrain, ScriptsConfig scripts, List<ProcessConfig> processes,
                        List<CheckerConfig> checkers, Optional<FarmConfig> farm) {
        this(name, type, nodes, heartbeat, vip, replication, service, splitbrain, scripts, processes, checkers, farm,
                NotifyConfig.none());
    }

    public ModuleConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        nodes = List.copyOf(nodes);
        Objects.requireNonNull(heartbeat, "heartbeat");
        Objects.requireNonNull(vip, "vip");
        Objects.requireNonNull(replication, "replication");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(splitbrain, "splitbrain");
        Objects.requireNonNull(scripts, "scripts");
        processes = List.copyOf(processes);
        checkers = List.copyOf(checkers);
        Objects.requireNonNull(farm, "farm");
        Objects.requireNonNull(notifications, "notifications");
    }

    /** For a mirror, the other node when {@code node} is one of its two; empty otherwise (and for a farm). */
    public Optional<String> peerOf(String node) {
        if (type != ModuleType.MIRROR || nodes.size() != 2) {
            return Optional.empty();
        }
        if (nodes.get(0).equals(node)) {
            return Optional.of(nodes.get(1));
        }
        if (nodes.get(1).equals(node)) {
            return Optional.of(nodes.get(0));
        }
        return Optional.empty();
    }

    public boolean isMirror() {
        return type == ModuleType.MIRROR;
    }

    public boolean isFarm() {
        return type == ModuleType.FARM;
    }

    public boolean runsOn(String node) {
        return nodes.contains(node);
    }

    public Optional<CheckerConfig> checker(String checkerName) {
        return checkers.stream().filter(c -> c.name().equals(checkerName)).findFirst();
    }
}
