package io.steadfast.lbfilter.impl;

import static io.steadfast.testing.LabSupport.T;
import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.config.Proto;
import io.steadfast.exec.CommandRunner;
import io.steadfast.lab.LabNode;
import io.steadfast.lab.LabProcess;
import io.steadfast.lbfilter.impl.FarmLab.Reply;
import io.steadfast.testing.LabSupport;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 20, items 1–2: 3 farm nodes (the real vip/lb-filter classes driving each lab namespace, membership changes
 * applied as heartbeat-svc would), 50 client addresses each holding one TCP connection that exchanges a line every
 * 100 ms. node3 loses power (link cut, its app killed, its kernel state gone): its clients reconnect to the
 * survivors. node3 comes back: <b>no established connection breaks</b>, while new connections of node3's buckets
 * land on node3. Then a weight change (what a runtime {@code power} change applies on every node): again no break,
 * new connections follow the new table. Root; lab namespaces only. No timing assertion: generous bounds only.
 */
class HandoverIT {
    private static final Logger LOG = LoggerFactory.getLogger(HandoverIT.class);
    private static final List<String> ALL = List.of("node1", "node2", "node3");
    private static final List<String> TWO = List.of("node1", "node2");
    private static final Duration SETTLE = Duration.ofSeconds(90);

    @TempDir
    Path tmp;

    @BeforeAll
    static void root() throws Exception {
        LabSupport.requireRoot();
    }

    @Test
    void aRejoiningOrReweightedNodeBreaksNoEstablishedConnection() throws Exception {
        String rootBefore = LabSupport.rootSnapshot();
        try (FarmLab farm = new FarmLab(tmp, 3, 50)) {
            List<String> srcs = farm.sources();
            Path echo = LabSupport.resource(tmp, "echoname.py");
            Path hold = LabSupport.resource(tmp, "holdclient.py");
            Map<String, LabProcess> apps = new HashMap<>();
            for (LabNode n : farm.lab.nodes()) {
                apps.put(n.name(), startEcho(farm, n, echo));
            }
            farm.members(ALL);
            Path stop = tmp.resolve("stop");
            List<String> argv = new ArrayList<>(List.of("/usr/bin/python3", hold.toString(), FarmLab.VIP,
                    String.valueOf(FarmLab.ECHO_PORT), stop.toString()));
            argv.addAll(srcs);
            Path log = tmp.resolve("hold.log");
            LabProcess client = farm.clientHost().start(log, Map.of(), argv.toArray(String[]::new));
            try {
                assertThat(LabSupport.eventually(SETTLE, () -> current(log).size() == srcs.size()))
                        .as("50 connections up: %s", current(log)).isTrue();
                assertThat(new java.util.HashSet<>(current(log).values())).containsExactlyInAnyOrderElementsOf(ALL);

                // --- node3 loses power: link cut, app gone, its kernel state gone with it
                LabNode n3 = farm.lab.node("node3");
                n3.cutLink(1);
                apps.remove("node3").kill9();
                farm.vips.get("node3").down(farm.module);
                farm.filters.get("node3").remove(farm.spec.module());
                farm.members(TWO);
                assertThat(LabSupport.eventually(SETTLE, () -> current(log).size() == srcs.size()
                        && !current(log).containsValue("node3")))
                        .as("node3's clients reconnected to the survivors: %s", current(log)).isTrue();
                long lost = breaks(log).size();
                assertThat(lost).as("the clients of node3 broke (its sockets are gone)").isPositive();
                Map<String, String> beforeRejoin = current(log);
                LOG.info("after node3's power loss: {} breaks, owners {}", lost, count(beforeRejoin));

                // --- node3 comes back: a fresh agent (new LbFilter), its app, its VIP
                n3.healLink(1);
                apps.put("node3", startEcho(farm, n3, echo));
                farm.filters.put("node3", new LbFilter("node3", CommandRunner.inNetns(n3.namespace()), T));
                long t0 = System.nanoTime();
                Map<String, LbFilter.Outcome> rejoin = farm.members(List.of("node3", "node1", "node2"));
                assertThat(rejoin.get("node3").fresh()).as("node3 takes its buckets fresh")
                        .isEqualTo(farm.spec.table(ALL).ownedBy("node3"));
                assertThat(rejoin.get("node1").draining().size() + rejoin.get("node2").draining().size())
                        .isEqualTo(rejoin.get("node3").fresh().size());
                // new connections of node3's buckets land on node3 (every address, a new connection each)
                Map<String, String> table = ownersOf(farm, ALL, srcs);
                List<Reply> fresh = farm.requests(FarmLab.ADDR_PORT, 1, "rejoin", srcs);
                LOG.info("new connections served by node3 {} ms after its table", (System.nanoTime() - t0) / 1_000_000);
                assertThat(fresh).hasSize(srcs.size()).allSatisfy(r -> assertThat(r.node()).as("%s", r)
                        .isEqualTo(table.get(r.src())));
                assertThat(table).containsValue("node3");
                Thread.sleep(5000); // a few hundred exchanges on every held connection
                assertThat(breaks(log).subList((int) lost, breaks(log).size()))
                        .as("no established connection broke at node3's rejoin").isEmpty();
                assertThat(current(log)).as("every connection kept its node").isEqualTo(beforeRejoin);
                assertThat(lastTick(log)).as("replies per second on the held connections").isGreaterThan(0);

                // --- a weight change at runtime: node3 gets power 2 on every node
                FilterSpec heavier = new FilterSpec(farm.spec.module(), farm.spec.iface(), farm.spec.vip(),
                        farm.spec.rules(), Map.of("node1", 1, "node2", 1, "node3", 2), farm.spec.drain(),
                        farm.spec.tcpIdle(), farm.spec.udpIdle());
                Map<String, Integer> drained = new LinkedHashMap<>();
                for (String n : ALL) {
                    LbFilter.Outcome o = farm.filters.get(n).apply(heavier, ALL, false);
                    drained.put(n, o.draining().size());
                }
                LOG.info("weight change: draining per node {}", drained);
                Map<String, String> heavy = new LinkedHashMap<>();
                srcs.forEach(src -> heavy.put(src, heavier.table(ALL).owner(
                        FlowBuckets.bucket(heavier, new FlowBuckets.Flow(Proto.TCP, src, 1, FarmLab.ADDR_PORT)))));
                List<Reply> after = farm.requests(FarmLab.ADDR_PORT, 1, "weight", srcs);
                assertThat(after).allSatisfy(r -> assertThat(r.node()).as("%s", r).isEqualTo(heavy.get(r.src())));
                Thread.sleep(3000);
                assertThat(breaks(log).subList((int) lost, breaks(log).size()))
                        .as("no established connection broke at the weight change").isEmpty();
                assertThat(current(log)).isEqualTo(beforeRejoin);

                // --- the clients close: their flows leave the sets and the drains end (no deadline needed)
                Files.writeString(stop, "");
                assertThat(client.waitFor(Duration.ofSeconds(30))).isTrue();
                assertThat(LabSupport.eventually(Duration.ofSeconds(FilterScript.CLOSING_SECONDS + 90), () -> {
                    ALL.forEach(n -> farm.filters.get(n).tick(heavier));
                    return ALL.stream().allMatch(n -> farm.filters.get(n).draining(heavier.module()).isEmpty());
                })).as("drains ended once the connections closed").isTrue();
            } finally {
                Files.writeString(stop, "");
                client.kill9();
                apps.values().forEach(LabProcess::kill9);
            }
        }
        assertThat(LabSupport.rootSnapshot()).isEqualTo(rootBefore);
    }

    private static LabProcess startEcho(FarmLab farm, LabNode n, Path echo) throws InterruptedException {
        LabProcess p = n.start(farm.dir.resolve(n.name() + "-echo-" + System.nanoTime() + ".log"), Map.of(),
                "/usr/bin/python3", echo.toString(), n.name(), String.valueOf(FarmLab.ECHO_PORT));
        assertThat(LabSupport.eventually(T, () -> {
            try {
                return Files.readString(p.logFile()).contains("listening");
            } catch (IOException e) {
                return false;
            }
        })).as("echo app on %s", n.name()).isTrue();
        return p;
    }

    /** Address → node of the table for {@code members} (on_addr). */
    private static Map<String, String> ownersOf(FarmLab farm, List<String> members, List<String> srcs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String src : srcs) {
            m.put(src, farm.spec.table(members).owner(
                    FlowBuckets.bucket(farm.spec, new FlowBuckets.Flow(Proto.TCP, src, 1, FarmLab.ADDR_PORT))));
        }
        return m;
    }

    private static List<JsonObject> events(Path log) {
        try {
            return Files.readAllLines(log).stream().filter(l -> l.startsWith("{")).map(JsonObject::new).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Address → node of its connection now (the last "up" not followed by a break). */
    private static Map<String, String> current(Path log) {
        Map<String, String> m = new LinkedHashMap<>();
        for (JsonObject e : events(log)) {
            switch (e.getString("ev")) {
                case "up" -> m.put(e.getString("src"), e.getString("node"));
                case "break" -> m.remove(e.getString("src"));
                default -> { }
            }
        }
        return m;
    }

    private static List<JsonObject> breaks(Path log) {
        return events(log).stream().filter(e -> e.getString("ev").equals("break")).toList();
    }

    private static int lastTick(Path log) {
        List<JsonObject> t = events(log).stream().filter(e -> e.getString("ev").equals("tick")).toList();
        return t.isEmpty() ? 0 : t.getLast().getInteger("ok");
    }

    private static Map<String, Long> count(Map<String, String> owners) {
        return owners.values().stream().collect(java.util.stream.Collectors.groupingBy(n -> n,
                java.util.TreeMap::new, java.util.stream.Collectors.counting()));
    }
}
