package io.steadfast.testing;

import io.steadfast.config.Cidr;
import io.steadfast.config.FarmConfig;
import io.steadfast.config.FarmRule;
import io.steadfast.config.GarpConfig;
import io.steadfast.config.HeartbeatConfig;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.ModuleType;
import io.steadfast.config.ScriptsConfig;
import io.steadfast.config.ServiceConfig;
import io.steadfast.config.SplitBrainConfig;
import io.steadfast.config.VipConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Module configs for tests, as the config loader would produce them (shared through common's test-jar). */
public final class TestModules {
    private TestModules() {
    }

    public static ModuleConfig mirror(String name, String vip, String iface, int garpCount) {
        return new ModuleConfig(name, ModuleType.MIRROR, List.of("node1", "node2"), hb(),
                Optional.of(new VipConfig(Cidr.parse(vip), iface,
                        new GarpConfig(garpCount, Duration.ofMillis(100), Duration.ZERO), VipConfig.AUTO)),
                Optional.empty(), new ServiceConfig("alone", true, 3, Duration.ofHours(24)),
                new SplitBrainConfig(List.of()), ScriptsConfig.none(), List.of(), List.of(), Optional.empty());
    }

    public static ModuleConfig farm(String name, String vip, String iface, List<String> nodes, List<FarmRule> rules,
                                    Map<String, Integer> power) {
        return new ModuleConfig(name, ModuleType.FARM, nodes, hb(),
                Optional.of(new VipConfig(Cidr.parse(vip), iface,
                        new GarpConfig(0, Duration.ofMillis(100), Duration.ZERO), VipConfig.AUTO)),
                Optional.empty(), new ServiceConfig("alone", true, 3, Duration.ofHours(24)),
                new SplitBrainConfig(List.of()), ScriptsConfig.none(), List.of(), List.of(),
                Optional.of(new FarmConfig(rules, power)));
    }

    private static HeartbeatConfig hb() {
        return new HeartbeatConfig(Duration.ofMillis(200), Duration.ofMillis(800), List.of("lan1"), 8888);
    }
}
