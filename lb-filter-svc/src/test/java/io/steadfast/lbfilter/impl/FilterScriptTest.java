package io.steadfast.lbfilter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.config.FarmRule;
import io.steadfast.config.FilterMode;
import io.steadfast.config.Proto;
import io.steadfast.lbfilter.impl.FilterScript.Verdict;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FilterScriptTest {
    private static final FilterSpec SPEC = new FilterSpec("web", "eth0", "198.18.0.100",
            List.of(new FarmRule(Proto.TCP, 8080, FilterMode.ON_ADDR), new FarmRule(Proto.TCP, 8081, FilterMode.ON_PORT),
                    new FarmRule(Proto.UDP, 53, FilterMode.ON_PORT)), Map.of());

    @Test
    void everyRuleHasTheModulesExplicitSeed() {
        String s = FilterScript.full(SPEC.withDrain(java.time.Duration.ZERO), Set.of(1, 2));
        String seed = String.format("seed 0x%08x", FilterScript.seed("web"));
        assertThat(s).contains("ip daddr 198.18.0.100 tcp dport 8080 jhash ip saddr mod 256 " + seed + " vmap @owned")
                .contains("ip daddr 198.18.0.100 tcp dport 8081 jhash ip saddr . tcp sport mod 256 " + seed)
                .contains("ip daddr 198.18.0.100 udp dport 53 jhash ip saddr . udp sport mod 256 " + seed)
                .contains("hook ingress device \"eth0\" priority -400")
                .contains("0 : drop, 1 : accept, 2 : accept, 3 : drop")
                .contains("255 : drop }");
        assertThat(s.lines().filter(l -> l.contains("jhash")).count()).isEqualTo(3);
        assertThat(s.lines().filter(l -> l.contains(seed)).count()).isEqualTo(3);
        assertThat(s).startsWith("table netdev sf_web\ndelete table netdev sf_web\ntable netdev sf_web {");
    }

    @Test
    void seedDependsOnlyOnTheModuleName() {
        assertThat(FilterScript.seed("web")).isEqualTo(FilterScript.seed("web")).isNotEqualTo(FilterScript.seed("api"));
        assertThat(FilterScript.seed("web")).isBetween(0L, 0xffffffffL);
    }

    @Test
    void tableNamesAreValidNftIdentifiersAndDistinct() {
        assertThat(FilterScript.tableName("web")).isEqualTo("sf_web");
        assertThat(FilterScript.tableName("a-b")).matches("sf_a_b_[0-9a-f]{6}");
        assertThat(FilterScript.tableName("a-b")).isNotEqualTo(FilterScript.tableName("a_b"));
        assertThat(FilterScript.tableName("9lives")).matches("[a-z_][a-z0-9_]*");
    }

    @Test
    void chainNameChangesWithStructureOnly() {
        FilterSpec otherIface = new FilterSpec("web", "eth1", SPEC.vip(), SPEC.rules(), Map.of());
        FilterSpec otherWeights = new FilterSpec("web", "eth0", SPEC.vip(), SPEC.rules(), Map.of("node1", 3));
        assertThat(FilterScript.chainName(SPEC)).isNotEqualTo(FilterScript.chainName(otherIface))
                .isEqualTo(FilterScript.chainName(otherWeights));
    }

    @Test
    void elementUpdateDeletesOnlyPresentElements() {
        String s = FilterScript.elements("web", Map.of(7, Verdict.ACCEPT, 3, Verdict.DROP), Set.of(3));
        assertThat(s).isEqualTo("delete element netdev sf_web owned { 3 }\n"
                + "add element netdev sf_web owned { 3 : drop, 7 : accept }\n");
        assertThat(FilterScript.elements("web", Map.of(), Set.of())).isEmpty();
    }

    @Test
    void parsesTheKernelsJson() {
        String legacy = FilterScript.chainName(SPEC.withDrain(java.time.Duration.ZERO));
        String json = """
                {"nftables": [{"metainfo": {"version": "1.0.6"}}, {"table": {"family": "netdev", "name": "sf_web"}},
                {"map": {"family": "netdev", "name": "owned", "table": "sf_web", "type": "integer", "map": "verdict",
                 "elem": [[{"elem": {"val": 0, "counter": {"packets": 5, "bytes": 300}}}, {"accept": null}],
                          [{"elem": {"val": 1, "counter": {"packets": 0, "bytes": 0}}}, {"drop": null}],
                          [2, {"accept": null}]]}},
                {"chain": {"family": "netdev", "table": "sf_web", "name": "%s", "hook": "ingress", "prio": -400}},
                {"rule": {"family": "netdev", "table": "sf_web", "chain": "%s", "expr": []}},
                {"rule": {"family": "netdev", "table": "sf_web", "chain": "%s", "expr": []}},
                {"rule": {"family": "netdev", "table": "sf_web", "chain": "%s", "expr": []}}]}
                """.formatted(legacy, legacy, legacy, legacy);
        KernelTable k = KernelTable.parse(json);
        assertThat(k.verdicts()).containsExactly(Map.entry(0, Verdict.ACCEPT), Map.entry(1, Verdict.DROP),
                Map.entry(2, Verdict.ACCEPT));
        assertThat(k.packets()).containsEntry(0, 5L).containsEntry(2, 0L);
        assertThat(k.structureMatches(SPEC.withDrain(java.time.Duration.ZERO))).isTrue();
        assertThat(k.structureMatches(SPEC)).as("handover on: the own/fresh/drain chains are missing").isFalse();
        assertThat(k.structureMatches(new FilterSpec("web", "eth1", SPEC.vip(), SPEC.rules(), Map.of()))).isFalse();
    }

    @Test
    void garbageIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> KernelTable.parse("nope"))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> KernelTable.parse("{}"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void handoverTablesTrackFlowsInTheKernelAndPointBucketsToTheirChains() {
        Map<Integer, Verdict> v = new java.util.TreeMap<>();
        for (int b = 0; b < 256; b++) {
            v.put(b, Verdict.DROP);
        }
        v.put(1, Verdict.OWN);
        v.put(2, Verdict.FRESH);
        v.put(3, Verdict.DRAIN);
        String s = FilterScript.full(SPEC, v);
        assertThat(s).contains("0 : drop, 1 : goto own, 2 : goto fresh, 3 : goto drain, 4 : drop")
                .contains("set tflows { type ipv4_addr . inet_service . inet_service; size 262144; "
                        + "flags dynamic,timeout; timeout 7200s; }")
                .contains("set tclosing { type ipv4_addr . inet_service . inet_service; size 262144; "
                        + "flags dynamic,timeout; timeout 30s; }")
                .contains("set uflows { type ipv4_addr . inet_service . inet_service; size 262144; "
                        + "flags dynamic,timeout; timeout 30s; }");
        String tk = "ip saddr . tcp sport . tcp dport";
        // own: tracks every accepted packet (the idle timeout restarts), closes move to tclosing
        assertThat(section(s, "chain own {")).containsExactly(
                "tcp flags & (syn | ack) == syn update @tflows { " + tk + " } accept",
                "tcp flags & (fin | rst) != 0 delete @tflows { " + tk + " } add @tclosing { " + tk + " } accept",
                tk + " @tclosing accept",
                "update @tflows { " + tk + " } accept",
                "update @uflows { ip saddr . udp sport . udp dport } accept",
                "accept");
        // fresh: SYNs and our own flows; anything else is the draining node's
        assertThat(section(s, "chain fresh {")).startsWith("tcp flags & (syn | ack) == syn goto own").endsWith("drop");
        // drain: never a SYN, only the flows we have
        assertThat(section(s, "chain drain {")).startsWith("tcp flags & (syn | ack) == syn drop")
                .contains(tk + " @tflows goto own", "ip saddr . udp sport . udp dport @uflows goto own")
                .endsWith("drop");
        // the map is declared before the chains its elements jump to, the sets before the chains using them
        assertThat(s.indexOf("map owned")).isLessThan(s.indexOf("set tflows"));
        assertThat(s.indexOf("set uflows")).isLessThan(s.indexOf("chain own"));
        assertThat(FilterScript.elements("web", Map.of(3, Verdict.DRAIN), Set.of(3)))
                .isEqualTo("delete element netdev sf_web owned { 3 }\nadd element netdev sf_web owned { 3 : goto drain }\n");
        // handover on/off and its timers are structure: another chain name, so the table is replaced, not patched
        assertThat(FilterScript.chainName(SPEC)).isNotEqualTo(FilterScript.chainName(SPEC.withDrain(java.time.Duration.ZERO)));
        FilterSpec otherIdle = new FilterSpec("web", "eth0", SPEC.vip(), SPEC.rules(), Map.of(), java.time.Duration.ofMinutes(10),
                java.time.Duration.ofHours(2), java.time.Duration.ofSeconds(60));
        assertThat(FilterScript.chainName(SPEC)).isNotEqualTo(FilterScript.chainName(otherIdle))
                .isEqualTo(FilterScript.chainName(SPEC.withDrain(java.time.Duration.ofSeconds(30))));
        // without handover: no sets, no helper chains
        assertThat(FilterScript.full(SPEC.withDrain(java.time.Duration.ZERO), Set.of(1))).doesNotContain("tflows", "goto");
    }

    @Test
    void parsesGotoVerdictsAndTheHandoverStructure() {
        String c = FilterScript.chainName(SPEC);
        StringBuilder rules = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            rules.append(", {\"rule\": {\"chain\": \"").append(c).append("\"}}");
        }
        FilterScript.handoverChains().forEach((name, l) -> l.forEach(
                x -> rules.append(", {\"rule\": {\"chain\": \"").append(name).append("\"}}")));
        String json = """
                {"nftables": [{"map": {"name": "owned", "elem": [
                  [{"elem": {"val": 0, "counter": {"packets": 5}}}, {"goto": {"target": "own"}}],
                  [1, {"goto": {"target": "fresh"}}], [2, {"goto": {"target": "drain"}}], [3, {"drop": null}],
                  [4, {"goto": {"target": "elsewhere"}}]]}},
                  {"chain": {"name": "%s"}}%s]}
                """.formatted(c, rules);
        KernelTable k = KernelTable.parse(json);
        assertThat(k.verdicts()).containsExactly(Map.entry(0, Verdict.OWN), Map.entry(1, Verdict.FRESH),
                Map.entry(2, Verdict.DRAIN), Map.entry(3, Verdict.DROP));
        assertThat(k.structureMatches(SPEC)).isTrue();
        assertThat(k.structureMatches(SPEC.withDrain(java.time.Duration.ZERO))).isFalse();
    }

    /** The rule lines of one chain of a script. */
    private static List<String> section(String script, String header) {
        List<String> lines = script.lines().map(String::strip).toList();
        int i = lines.indexOf(header);
        assertThat(i).as("%s in the script", header).isNotNegative();
        return lines.subList(i + 1, lines.subList(i, lines.size()).indexOf("}") + i);
    }
}
