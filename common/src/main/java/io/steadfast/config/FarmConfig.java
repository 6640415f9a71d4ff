package io.steadfast.config;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Farm filter rules, node weights and the handover timers. After loading, {@code power} has an entry for every node
 * of the module (default {@link Defaults#FARM_POWER}), in the module's node order; a power of 0 makes the node a
 * spare (it takes buckets only when no node of power ≥ 1 is up).
 *
 * @param drain   how long a node keeps serving the established connections of a bucket that moved to another live
 *                node (joining or re-weighted); {@link Duration#ZERO}: the bucket moves at once, with its
 *                connections (no flow tracking at all)
 * @param tcpIdle a TCP connection silent for longer is forgotten by the flow tracking (then cut at a handover)
 * @param udpIdle a UDP flow silent for longer is over (a draining node stops answering it)
 */
public record FarmConfig(List<FarmRule> rules, Map<String, Integer> power, Duration drain, Duration tcpIdle,
                         Duration udpIdle) {
    public FarmConfig {
        rules = List.copyOf(rules);
        power = Collections.unmodifiableMap(new LinkedHashMap<>(power));
        Objects.requireNonNull(drain, "drain");
        Objects.requireNonNull(tcpIdle, "tcpIdle");
        Objects.requireNonNull(udpIdle, "udpIdle");
    }

    /** Rules and powers with the default timers. */
    public FarmConfig(List<FarmRule> rules, Map<String, Integer> power) {
        this(rules, power, Defaults.FARM_DRAIN, Defaults.FARM_TCP_IDLE, Defaults.FARM_UDP_IDLE);
    }

    /** Weight of {@code node}; {@link Defaults#FARM_POWER} when not listed. */
    public int powerOf(String node) {
        return power.getOrDefault(node, Defaults.FARM_POWER);
    }
}
