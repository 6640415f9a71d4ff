package io.steadfast.config;

import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * A module's virtual IP on {@code iface} (YAML {@code interface}). {@code garp} applies to a mirror;
 * {@code vmac} ({@code "auto"} or a locally administered unicast MAC) to a farm.
 */
public record VipConfig(Cidr addr, String iface, GarpConfig garp, String vmac) {
    public static final String AUTO = "auto";

    public VipConfig {
        Objects.requireNonNull(addr, "addr");
        Objects.requireNonNull(iface, "iface");
        Objects.requireNonNull(garp, "garp");
        Objects.requireNonNull(vmac, "vmac");
    }

    /**
     * The farm's virtual MAC, lower case. {@code auto} → {@code 02:53:<the 4 VIP bytes>}: every node computes
     * the same MAC without coordination, distinct VIPs never share one (the mapping is injective), and 0x02
     * makes it locally administered and unicast so it cannot clash with a real NIC nor be taken for multicast.
     */
    public String resolvedVmac() {
        if (!AUTO.equals(vmac)) {
            return vmac.toLowerCase(Locale.ROOT);
        }
        byte[] ip = addr.bytes();
        return "02:53:" + HexFormat.ofDelimiter(":").formatHex(ip);
    }
}
