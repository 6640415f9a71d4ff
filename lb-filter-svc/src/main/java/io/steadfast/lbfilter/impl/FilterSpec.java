package io.steadfast.lbfilter.impl;

import io.steadfast.config.Defaults;
import io.steadfast.config.FarmConfig;
import io.steadfast.config.FarmRule;
import io.steadfast.config.ModuleConfig;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the filter of one farm module is made of, from the config: the module (its name gives the table name and
 * the hash seed), the interface, the VIP (address only) and the rules, plus every configured node of the module
 * with its power (the bucket orders are computed over the configured nodes, not over the members of the moment),
 * and the handover timers ({@code farm.drain}, {@code tcp_idle}, {@code udp_idle}; drain 0 = no handover, no flow
 * tracking: the filter of before issue 20).
 */
public record FilterSpec(String module, String iface, String vip, List<FarmRule> rules, Map<String, Integer> power,
                         Duration drain, Duration tcpIdle, Duration udpIdle) {
    public FilterSpec {
        Objects.requireNonNull(module, "module");
        Objects.requireNonNull(iface, "iface");
        Objects.requireNonNull(vip, "vip");
        rules = List.copyOf(rules);
        power = Map.copyOf(power);
        Objects.requireNonNull(drain, "drain");
        Objects.requireNonNull(tcpIdle, "tcpIdle");
        Objects.requireNonNull(udpIdle, "udpIdle");
    }

    /** With the default timers (handover on). */
    public FilterSpec(String module, String iface, String vip, List<FarmRule> rules, Map<String, Integer> power) {
        this(module, iface, vip, rules, power, Defaults.FARM_DRAIN, Defaults.FARM_TCP_IDLE, Defaults.FARM_UDP_IDLE);
    }

    /** @throws IllegalArgumentException when the module is not a farm with a VIP */
    public static FilterSpec of(ModuleConfig m) {
        if (!m.isFarm() || m.vip().isEmpty() || m.farm().isEmpty()) {
            throw new IllegalArgumentException("module " + m.name() + " is not a farm with a VIP");
        }
        FarmConfig farm = m.farm().get();
        Map<String, Integer> power = new LinkedHashMap<>();
        for (String n : m.nodes()) {
            power.put(n, farm.powerOf(n));
        }
        return new FilterSpec(m.name(), m.vip().get().iface(), m.vip().get().addr().address(), farm.rules(), power,
                farm.drain(), farm.tcpIdle(), farm.udpIdle());
    }

    /** The same filter with another drain (0: handover off). */
    public FilterSpec withDrain(Duration d) {
        return new FilterSpec(module, iface, vip, rules, power, d, tcpIdle, udpIdle);
    }

    /** Connection-preserving handover on: flows are tracked, buckets drain. */
    public boolean handover() {
        return !drain.isZero() && !drain.isNegative();
    }

    /** Bucket table when {@code members} are UP; members that are not configured nodes own nothing. */
    public BucketTable table(List<String> members) {
        return BucketTable.compute(module, power, members);
    }
}
