package io.steadfast.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Farm filter rules and node weights. After loading, {@code power} has an entry for every node of the module
 * (default {@link Defaults#FARM_POWER}), in the module's node order.
 */
public record FarmConfig(List<FarmRule> rules, Map<String, Integer> power) {
    public FarmConfig {
        rules = List.copyOf(rules);
        power = Collections.unmodifiableMap(new LinkedHashMap<>(power));
    }

    /** Weight of {@code node}; {@link Defaults#FARM_POWER} when not listed. */
    public int powerOf(String node) {
        return power.getOrDefault(node, Defaults.FARM_POWER);
    }
}
