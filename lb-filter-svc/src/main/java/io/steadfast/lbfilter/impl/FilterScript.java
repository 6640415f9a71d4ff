package io.steadfast.lbfilter.impl;

import io.steadfast.api.LbFilterApi;
import io.steadfast.config.FarmRule;
import io.steadfast.config.FilterMode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * The nftables text of a module's farm filter (DESIGN §4):
 *
 * <pre>
 * table netdev sf_&lt;module&gt; {
 *   map owned { typeof numgen inc mod 256 : verdict; counter; elements = { 0 : accept, 1 : drop, … } }
 *   chain in_&lt;fingerprint&gt; { type filter hook ingress device "eth0" priority -400; policy accept;
 *     ip daddr VIP tcp dport 8080 jhash ip saddr mod 256 seed 0x… vmap @owned               # on_addr
 *     ip daddr VIP udp dport 53 jhash ip saddr . udp sport mod 256 seed 0x… vmap @owned     # on_port
 *   }
 * }
 * </pre>
 *
 * <p>Ownership of nft tables on a node: lb-filter-svc owns {@code netdev sf_<module>} (this bucket filter, ingress
 * priority -400); vip-svc owns {@code netdev sfvip_<module>} (virtual-MAC ingress fix-up at -500) and
 * {@code arp sfvip_<module>} (the ARP rewrite on output). Neither service ever reads, changes or deletes the
 * other's tables, so they cannot fight; the two ingress chains are independent (any order gives the same result).
 *
 * <p>Every one of the 256 buckets is in {@code owned}: accept where this node owns it, drop elsewhere, each with a
 * counter. The map's key is declared with {@code typeof numgen … mod 256} only because nft 1.0.6 rejects
 * {@code type integer} and crashes listing {@code typeof jhash}; both are 32-bit integers, which is all the kernel
 * compares.
 *
 * <p>The chain name carries a fingerprint of everything but the bucket ownership (interface, VIP, rules, seed):
 * a reconciler that finds a chain with the expected name knows the structure is right and only fixes elements.
 */
public final class FilterScript {
    /** Bumped when the generated structure changes, so that old tables are replaced, not patched. */
    static final int FORMAT = 1;
    static final String MAP = "owned";
    static final int PRIORITY = -400;

    private FilterScript() {
    }

    /**
     * {@code sf_<module>}; a name with {@code -} (not allowed unquoted in nft) gets {@code _} and a short hash, so
     * that {@code a-b} and {@code a_b} never share a table.
     */
    public static String tableName(String module) {
        return LbFilterApi.tableName(module);
    }

    /**
     * The jhash seed of a module: a function of its name only, so it is identical on every node. An explicit seed
     * is mandatory: without one nft picks a random seed per rule and nodes disagree on the buckets (DESIGN §4).
     */
    public static long seed(String module) {
        return Long.parseLong(sha256("steadfast/farm-seed/" + module).substring(0, 8), 16);
    }

    public static String chainName(FilterSpec spec) {
        StringBuilder s = new StringBuilder().append(FORMAT).append('|').append(spec.iface()).append('|')
                .append(spec.vip()).append('|').append(seed(spec.module()));
        for (FarmRule r : spec.rules()) {
            s.append('|').append(r.proto()).append(':').append(r.port()).append(':').append(r.filter());
        }
        return "in_" + sha256(s.toString()).substring(0, 12);
    }

    /** The rule for one farm rule (without the chain around it). */
    static String rule(FilterSpec spec, FarmRule r) {
        String proto = r.proto().name().toLowerCase(java.util.Locale.ROOT);
        String key = r.filter() == FilterMode.ON_PORT ? "ip saddr . " + proto + " sport" : "ip saddr";
        return "ip daddr " + spec.vip() + " " + proto + " dport " + r.port() + " jhash " + key + " mod "
                + LbFilterApi.BUCKETS + " seed 0x" + String.format("%08x", seed(spec.module())) + " vmap @" + MAP;
    }

    /**
     * One transaction that (re)creates the whole table: declare (so the delete cannot fail), delete, define. The
     * kernel applies it at once: a packet sees the old table or the new one, never none.
     */
    public static String full(FilterSpec spec, Set<Integer> owned) {
        String t = tableName(spec.module());
        StringBuilder s = new StringBuilder();
        s.append("table netdev ").append(t).append('\n');
        s.append("delete table netdev ").append(t).append('\n');
        s.append("table netdev ").append(t).append(" {\n");
        s.append("  map ").append(MAP).append(" { typeof numgen inc mod ").append(LbFilterApi.BUCKETS)
                .append(" : verdict; counter; elements = { ");
        StringJoiner el = new StringJoiner(", ");
        for (int b = 0; b < LbFilterApi.BUCKETS; b++) {
            el.add(b + " : " + (owned.contains(b) ? "accept" : "drop"));
        }
        s.append(el).append(" } }\n");
        s.append("  chain ").append(chainName(spec)).append(" { type filter hook ingress device \"")
                .append(spec.iface()).append("\" priority ").append(PRIORITY).append("; policy accept;\n");
        for (FarmRule r : spec.rules()) {
            s.append("    ").append(rule(spec, r)).append('\n');
        }
        s.append("  }\n}\n");
        return s.toString();
    }

    /**
     * One transaction that changes only the buckets whose verdict differs: their elements are deleted (when
     * present) and added again with the new verdict. Untouched buckets keep their counters.
     *
     * @param changes bucket → accept?; {@code present}: which of them are in the kernel's map now
     */
    public static String elements(String module, Map<Integer, Boolean> changes, Set<Integer> present) {
        String t = tableName(module);
        Map<Integer, Boolean> sorted = new TreeMap<>(changes);
        StringJoiner del = new StringJoiner(", ");
        StringJoiner add = new StringJoiner(", ");
        sorted.forEach((b, accept) -> {
            if (present.contains(b)) {
                del.add(String.valueOf(b));
            }
            add.add(b + " : " + (accept ? "accept" : "drop"));
        });
        StringBuilder s = new StringBuilder();
        if (del.length() > 0) {
            s.append("delete element netdev ").append(t).append(' ').append(MAP).append(" { ").append(del)
                    .append(" }\n");
        }
        if (add.length() > 0) {
            s.append("add element netdev ").append(t).append(' ').append(MAP).append(" { ").append(add)
                    .append(" }\n");
        }
        return s.toString();
    }

    public static String delete(String module) {
        String t = tableName(module);
        return "table netdev " + t + "\ndelete table netdev " + t + "\n";
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
        }
    }
}
