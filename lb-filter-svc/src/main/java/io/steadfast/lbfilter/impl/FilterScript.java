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
 * <p>The chain name carries a fingerprint of everything but the bucket ownership (interface, VIP, rules, seed,
 * handover timers): a reconciler that finds a chain with the expected name knows the structure is right and only
 * fixes elements.
 *
 * <p><b>Handover</b> ({@code farm.drain} &gt; 0, issue 20; the states are {@link Handover}'s). The ingress hook runs
 * before the IP stack, so conntrack cannot be asked there; instead the table keeps its own record of the flows this
 * node accepted, in the kernel, written by the packet path (never polled from user space):
 * <pre>
 *   set tflows   { type ipv4_addr . inet_service . inet_service; flags dynamic,timeout; timeout &lt;tcp_idle&gt; }  # saddr . sport . dport
 *   set tclosing { …; timeout 30s }    # after a FIN or RST: the close handshake still reaches us, then it expires
 *   set uflows   { …; timeout &lt;udp_idle&gt; }
 *   chain own   { SYN → update @tflows, accept; FIN/RST → delete from @tflows, add to @tclosing, accept;
 *                 @tclosing → accept; else update @tflows / @uflows (refreshes the idle timeout), accept }
 *   chain fresh { SYN → own; @tflows → own; @tclosing → accept; udp → own; else drop }
 *   chain drain { SYN → drop; @tflows → own; @tclosing → accept; @uflows → own; else drop }
 * </pre>
 * and the verdict map points each bucket to {@code goto own | goto fresh | goto drain} or {@code drop}. Both nodes
 * of a moving bucket see every frame: SYNs land on the new owner (fresh), packets of the old owner's flows on the
 * old owner (drain), each dropped by the other before its stack could answer with a RST. The map is still replaced
 * element by element in one {@code nft -f} transaction, the modulus stays 256. UDP has no SYN: the new owner
 * accepts every datagram of a fresh bucket, so a draining UDP flow may be answered by both nodes until it idles out
 * (docs/design.md). With {@code drain: 0} the table is the one of before: {@code accept}/{@code drop}, no sets.
 */
public final class FilterScript {
    /** Bumped when the generated structure changes, so that old tables are replaced, not patched. */
    static final int FORMAT = 2;
    static final String MAP = "owned";
    static final int PRIORITY = -400;

    /** How long a closed TCP connection stays accepted (its close handshake, retransmissions). */
    static final int CLOSING_SECONDS = 30;
    static final String CLOSING_TIMEOUT = CLOSING_SECONDS + "s";
    /** Most flows tracked per set (a full set adds nothing more: those flows are cut at a handover). */
    static final int FLOWS_MAX = 262144;
    static final String OWN = "own";
    static final String FRESH = "fresh";
    static final String DRAIN = "drain";

    /** A bucket's element in the verdict map. */
    public enum Verdict {
        ACCEPT("accept"), DROP("drop"), OWN("goto " + FilterScript.OWN), FRESH("goto " + FilterScript.FRESH),
        DRAIN("goto " + FilterScript.DRAIN);

        final String nft;

        Verdict(String nft) {
            this.nft = nft;
        }

        /** The verdict of a handover state: with handover off, accept/drop only. */
        public static Verdict of(Handover.State s, boolean handover) {
            if (!handover) {
                return s.owned() ? ACCEPT : DROP;
            }
            return switch (s.mode()) {
                case OWN -> OWN;
                case FRESH -> FRESH;
                case DRAIN -> DRAIN;
                case NONE -> DROP;
            };
        }

        /** Buckets whose new connections land here. */
        public boolean owned() {
            return this == ACCEPT || this == OWN || this == FRESH;
        }
    }

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
        if (spec.handover()) {
            s.append("|handover:").append(spec.tcpIdle().toSeconds()).append(':').append(spec.udpIdle().toSeconds());
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

    /** The whole table with {@code owned} accepted (handover off) or {@code goto own} (on), the rest dropped. */
    public static String full(FilterSpec spec, Set<Integer> owned) {
        Map<Integer, Verdict> v = new TreeMap<>();
        for (int b = 0; b < LbFilterApi.BUCKETS; b++) {
            v.put(b, owned.contains(b) ? (spec.handover() ? Verdict.OWN : Verdict.ACCEPT) : Verdict.DROP);
        }
        return full(spec, v);
    }

    /**
     * One transaction that (re)creates the whole table: declare (so the delete cannot fail), delete, define. The
     * kernel applies it at once: a packet sees the old table or the new one, never none.
     *
     * @param verdicts every bucket's element (a missing one is dropped)
     */
    public static String full(FilterSpec spec, Map<Integer, Verdict> verdicts) {
        String t = tableName(spec.module());
        StringBuilder s = new StringBuilder();
        s.append("table netdev ").append(t).append('\n');
        s.append("delete table netdev ").append(t).append('\n');
        s.append("table netdev ").append(t).append(" {\n");
        s.append("  map ").append(MAP).append(" { typeof numgen inc mod ").append(LbFilterApi.BUCKETS)
                .append(" : verdict; counter; elements = { ");
        StringJoiner el = new StringJoiner(", ");
        for (int b = 0; b < LbFilterApi.BUCKETS; b++) {
            el.add(b + " : " + verdicts.getOrDefault(b, Verdict.DROP).nft);
        }
        s.append(el).append(" } }\n");
        if (spec.handover()) {
            handoverParts(spec, s);
        }
        s.append("  chain ").append(chainName(spec)).append(" { type filter hook ingress device \"")
                .append(spec.iface()).append("\" priority ").append(PRIORITY).append("; policy accept;\n");
        for (FarmRule r : spec.rules()) {
            s.append("    ").append(rule(spec, r)).append('\n');
        }
        s.append("  }\n}\n");
        return s.toString();
    }

    /** Rules of the regular chains {@code own}, {@code fresh}, {@code drain}, in order (see the class comment). */
    static Map<String, java.util.List<String>> handoverChains() {
        String tk = "ip saddr . tcp sport . tcp dport";
        String uk = "ip saddr . udp sport . udp dport";
        String syn = "tcp flags & (syn | ack) == syn";
        Map<String, java.util.List<String>> m = new java.util.LinkedHashMap<>();
        m.put(OWN, java.util.List.of(
                syn + " update @tflows { " + tk + " } accept",
                "tcp flags & (fin | rst) != 0 delete @tflows { " + tk + " } add @tclosing { " + tk + " } accept",
                tk + " @tclosing accept",
                "update @tflows { " + tk + " } accept",
                "update @uflows { " + uk + " } accept",
                "accept"));
        m.put(FRESH, java.util.List.of(
                syn + " goto " + OWN,
                tk + " @tflows goto " + OWN,
                tk + " @tclosing accept",
                "meta l4proto udp goto " + OWN,
                "drop"));
        m.put(DRAIN, java.util.List.of(
                syn + " drop",
                tk + " @tflows goto " + OWN,
                tk + " @tclosing accept",
                uk + " @uflows goto " + OWN,
                "drop"));
        return m;
    }

    private static void handoverParts(FilterSpec spec, StringBuilder s) {
        String flowType = "type ipv4_addr . inet_service . inet_service; size " + FLOWS_MAX
                + "; flags dynamic,timeout; timeout ";
        s.append("  set tflows { ").append(flowType).append(seconds(spec.tcpIdle())).append("; }\n");
        s.append("  set tclosing { ").append(flowType).append(CLOSING_TIMEOUT).append("; }\n");
        s.append("  set uflows { ").append(flowType).append(seconds(spec.udpIdle())).append("; }\n");
        handoverChains().forEach((name, rules) -> {
            s.append("  chain ").append(name).append(" {\n");
            rules.forEach(r -> s.append("    ").append(r).append('\n'));
            s.append("  }\n");
        });
    }

    private static String seconds(java.time.Duration d) {
        return Math.max(1, d.toSeconds()) + "s";
    }

    /**
     * One transaction that changes only the buckets whose verdict differs: their elements are deleted (when
     * present) and added again with the new verdict. Untouched buckets keep their counters.
     *
     * @param changes bucket → new verdict; {@code present}: which of them are in the kernel's map now
     */
    public static String elements(String module, Map<Integer, Verdict> changes, Set<Integer> present) {
        String t = tableName(module);
        Map<Integer, Verdict> sorted = new TreeMap<>(changes);
        StringJoiner del = new StringJoiner(", ");
        StringJoiner add = new StringJoiner(", ");
        sorted.forEach((b, v) -> {
            if (present.contains(b)) {
                del.add(String.valueOf(b));
            }
            add.add(b + " : " + v.nft);
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

    /** {@code nft -j} argv that lists one of the flow sets ({@code tflows}, {@code tclosing}, {@code uflows}). */
    static java.util.List<String> listSet(String module, String set) {
        return java.util.List.of("nft", "-j", "list", "set", "netdev", tableName(module), set);
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
