package io.steadfast.lbfilter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.config.FarmRule;
import io.steadfast.config.FilterMode;
import io.steadfast.config.Proto;
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
        String s = FilterScript.full(SPEC, Set.of(1, 2));
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
        String s = FilterScript.elements("web", Map.of(7, true, 3, false), Set.of(3));
        assertThat(s).isEqualTo("delete element netdev sf_web owned { 3 }\n"
                + "add element netdev sf_web owned { 3 : drop, 7 : accept }\n");
        assertThat(FilterScript.elements("web", Map.of(), Set.of())).isEmpty();
    }

    @Test
    void parsesTheKernelsJson() {
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
                """.formatted(FilterScript.chainName(SPEC), FilterScript.chainName(SPEC), FilterScript.chainName(SPEC),
                FilterScript.chainName(SPEC));
        KernelTable k = KernelTable.parse(json);
        assertThat(k.verdicts()).containsExactly(Map.entry(0, true), Map.entry(1, false), Map.entry(2, true));
        assertThat(k.packets()).containsEntry(0, 5L).containsEntry(2, 0L);
        assertThat(k.structureMatches(SPEC)).isTrue();
        assertThat(k.structureMatches(new FilterSpec("web", "eth1", SPEC.vip(), SPEC.rules(), Map.of()))).isFalse();
    }

    @Test
    void garbageIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> KernelTable.parse("nope"))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> KernelTable.parse("{}"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
