package io.steadfast.lbfilter.impl;

import static io.steadfast.testing.LabSupport.T;
import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.api.LbFilterApi.FilterStatus;
import io.steadfast.exec.CommandRunner;
import io.steadfast.lab.LabNode;
import io.steadfast.lab.LabProcess;
import io.steadfast.lbfilter.impl.FarmLab.Reply;
import io.steadfast.testing.LabSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The farm in a lab: 3 nodes behind one VIP with a virtual MAC, the kernel filter sharing 60 client addresses.
 * Root; only lab namespaces are touched.
 */
class FarmIT {
    private static final Logger LOG = LoggerFactory.getLogger(FarmIT.class);
    private static final List<String> ALL = List.of("node1", "node2", "node3");

    @TempDir
    Path tmp;

    @BeforeAll
    static void root() throws Exception {
        LabSupport.requireRoot();
    }

    @Test
    void sharesClientsMovesOnlyTheBucketsOfWhoLeavesAndReconcilesAfterRestart() throws Exception {
        String rootBefore = LabSupport.rootSnapshot();
        try (FarmLab farm = new FarmLab(tmp, 3, 60)) {
            List<String> srcs = farm.sources();
            Map<String, LbFilter.Outcome> first = farm.members(ALL);
            first.values().forEach(o -> assertThat(o.action()).isEqualTo(LbFilter.Action.FULL));
            Set<Integer> union = new HashSet<>();
            first.values().forEach(o -> union.addAll(o.owned()));
            assertThat(union).hasSize(256);
            assertThat(first.values().stream().mapToInt(o -> o.owned().size()).sum()).isEqualTo(256);

            // --- on_addr: every request answered by exactly one node, an address always reaches the same node
            List<Reply> a = farm.requests(FarmLab.ADDR_PORT, 3, "a", srcs);
            assertThat(a).hasSize(180).allSatisfy(r -> assertThat(r.ok()).as("%s", r).isTrue());
            Map<String, String> owner = FarmLab.affinity(a);
            assertThat(new HashSet<>(owner.values())).as("every node serves some clients").containsExactlyInAnyOrderElementsOf(ALL);
            Map<String, List<String>> served = farm.served(FarmLab.ADDR_PORT);
            for (Reply r : a) {
                assertThat(served.get(r.id())).as("request %s served by", r.id()).containsExactly(r.node());
            }
            LOG.info("on_addr shares: {}", owner.values().stream().collect(Collectors.groupingBy(n -> n, Collectors.counting())));
            // the virtual MAC, never a real one, is what the client learnt for the VIP
            assertThat(LabSupport.neigh(farm.clientHost(), FarmLab.VIP)).isEqualTo(farm.module.vip().get().resolvedVmac());

            // per-bucket counters are exported
            FilterStatus st = farm.filters.get("node1").status(farm.spec);
            assertThat(st.owned()).isEqualTo(first.get("node1").owned());
            assertThat(st.packets().stream().mapToLong(Long::longValue).sum()).isPositive();

            // --- on_port: connections from one address spread over the nodes
            List<Reply> p = farm.requests(FarmLab.PORT_PORT, 30, "p", List.of(srcs.get(0)));
            assertThat(p).allSatisfy(r -> assertThat(r.ok()).as("%s", r).isTrue());
            assertThat(p.stream().map(Reply::node).distinct().count()).isGreaterThanOrEqualTo(2);
            Map<String, List<String>> servedP = farm.served(FarmLab.PORT_PORT);
            for (Reply r : p) {
                assertThat(servedP.get(r.id())).containsExactly(r.node());
            }

            // --- udp, on_port: every datagram answered by exactly one node, datagrams of one address spread
            List<List<String>> udp = farm.datagrams(12, "u", srcs.get(1));
            assertThat(udp).hasSize(12).allSatisfy(nodes -> assertThat(nodes).hasSize(1));
            assertThat(udp.stream().map(l -> l.get(0)).distinct().count()).isGreaterThanOrEqualTo(2);

            // --- node3 leaves: only its clients move
            farm.leave("node3");
            Map<String, LbFilter.Outcome> two = farm.members(List.of("node1", "node2"));
            for (String n : List.of("node1", "node2")) {
                assertThat(two.get(n).action()).isEqualTo(LbFilter.Action.ELEMENTS);
                assertThat(two.get(n).owned()).containsAll(first.get(n).owned());
                // the buckets taken from node3, plus (handover, issue 20) the kept buckets of a forming farm that
                // were fresh because node3 would have owned them without this node: plainly owned now node3 is gone
                assertThat(two.get(n).changed()).isBetween(two.get(n).owned().size() - first.get(n).owned().size(),
                        two.get(n).owned().size());
            }
            Map<String, String> after = FarmLab.affinity(ok(farm.requests(FarmLab.ADDR_PORT, 2, "b", srcs)));
            for (String src : srcs) {
                if (!owner.get(src).equals("node3")) {
                    assertThat(after.get(src)).as("client %s of a survivor keeps its node", src).isEqualTo(owner.get(src));
                } else {
                    assertThat(after.get(src)).isIn("node1", "node2");
                }
            }

            // --- node3 returns: it gets its share back, and every client is where it was at the start
            farm.members(ALL);
            Map<String, String> back = FarmLab.affinity(ok(farm.requests(FarmLab.ADDR_PORT, 2, "c", srcs)));
            assertThat(back).isEqualTo(owner);

            // --- lb-filter restart: a fresh instance (no memory) finds the table right and leaves it alone...
            LabNode n1 = farm.lab.node(1);
            long packetsBefore = sum(farm.filters.get("node1").status(farm.spec));
            LbFilter restarted = new LbFilter("node1", CommandRunner.inNetns(n1.namespace()), T);
            LbFilter.Outcome same = restarted.apply(farm.spec, ALL, false);
            assertThat(same.action()).isEqualTo(LbFilter.Action.NONE);
            assertThat(sum(restarted.status(farm.spec))).as("counters kept").isGreaterThanOrEqualTo(packetsBefore);

            // ...and fixes a damaged one in place while clients keep being served
            int stolen = first.get("node1").owned().get(0);
            n1.exec(T, "nft", "delete element netdev sf_web owned { " + stolen + " }");
            List<String> bgArgv = new ArrayList<>(List.of("/usr/bin/python3", farm.client.toString(), FarmLab.VIP,
                    String.valueOf(FarmLab.ADDR_PORT), "8", "bg"));
            bgArgv.addAll(srcs.subList(0, 30));
            LabProcess bg = farm.clientHost().start(tmp.resolve("bg.log"), Map.of(), bgArgv.toArray(String[]::new));
            LbFilter restarted2 = new LbFilter("node1", CommandRunner.inNetns(n1.namespace()), T);
            LbFilter.Outcome fixed = restarted2.apply(farm.spec, ALL, false);
            assertThat(fixed.action()).isEqualTo(LbFilter.Action.ELEMENTS);
            assertThat(fixed.changed()).isEqualTo(1);
            assertThat(restarted2.status(farm.spec).owned()).isEqualTo(first.get("node1").owned());
            assertThat(bg.waitFor(Duration.ofSeconds(60))).isTrue();
            List<Reply> during = FarmLab.parse(Files.readString(tmp.resolve("bg.log")));
            assertThat(during).hasSize(240);
            // a client in the damaged bucket may have been dropped before the fix: anyone else must have been served
            Map<String, String> expected = owner;
            for (Reply r : during) {
                if (r.ok()) {
                    assertThat(r.node()).isEqualTo(expected.get(r.src()));
                }
            }
            long failed = during.stream().filter(r -> !r.ok()).count();
            LOG.info("requests during reconcile: {} ok, {} failed", during.size() - failed, failed);
            Map<String, String> end = FarmLab.affinity(ok(farm.requests(FarmLab.ADDR_PORT, 1, "d", srcs)));
            assertThat(end).isEqualTo(owner);

            // the VIP never precedes its filter, and the filter never leaves before the VIP (either way the node
            // would take every bucket and reset the other members' connections)
            farm.leave("node3");
            farm.members(List.of("node1", "node2"));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> farm.vips.get("node3").up(farm.module, false))
                    .hasMessageContaining("not in the kernel");
            assertThat(farm.lab.node(3).exec(T, "ip", "-o", "addr").stdout()).doesNotContain(FarmLab.VIP);
            farm.members(ALL);
            LbFilter.Outcome blocked = farm.filters.get("node3").leave(farm.spec); // VIP still up on node3
            assertThat(blocked.owned()).isEmpty();
            assertThat(farm.filters.get("node3").read("web")).isPresent();
            farm.members(List.of("node1", "node2"));
            Map<String, String> whileLeaving = FarmLab.affinity(ok(farm.requests(FarmLab.ADDR_PORT, 1, "f", srcs)));
            assertThat(whileLeaving).isEqualTo(after);
            farm.vips.get("node3").down(farm.module);
            assertThat(farm.filters.get("node3").leave(farm.spec).action()).isEqualTo(LbFilter.Action.REMOVED);
            farm.members(ALL);
            assertThat(FarmLab.affinity(ok(farm.requests(FarmLab.ADDR_PORT, 1, "g", srcs)))).isEqualTo(owner);

            // a replacement of the whole table (structure changed, e.g. the tables of an older version) is one
            // transaction too, and serves the same
            n1.exec(T, "nft", "add chain netdev sf_web stray");
            assertThat(new LbFilter("node1", CommandRunner.inNetns(n1.namespace()), T).apply(farm.spec, ALL, false)
                    .action()).isEqualTo(LbFilter.Action.FULL);
            assertThat(FarmLab.affinity(ok(farm.requests(FarmLab.ADDR_PORT, 1, "e", srcs)))).isEqualTo(owner);
        }
        assertThat(LabSupport.rootSnapshot()).as("root namespace untouched").isEqualTo(rootBefore);
    }

    private static List<Reply> ok(List<Reply> replies) {
        List<Reply> bad = new ArrayList<>(replies.stream().filter(r -> !r.ok()).toList());
        assertThat(bad).as("failed requests").isEmpty();
        return replies;
    }

    private static long sum(FilterStatus s) {
        return s.packets().stream().mapToLong(Long::longValue).sum();
    }
}
