package io.steadfast.lbfilter.impl;

import static io.steadfast.testing.LabSupport.T;

import io.steadfast.config.FarmRule;
import io.steadfast.config.FilterMode;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.Proto;
import io.steadfast.exec.CommandRunner;
import io.steadfast.lab.ExecResult;
import io.steadfast.lab.Lab;
import io.steadfast.lab.LabClient;
import io.steadfast.lab.LabNode;
import io.steadfast.lab.LabSpec;
import io.steadfast.testing.LabSupport;
import io.steadfast.testing.TestModules;
import io.steadfast.vip.impl.VipManager;
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

/**
 * A 3-node farm in a lab, driven with the real vip-svc and lb-filter classes through {@code ip netns exec}: the
 * shared VIP with its virtual MAC on every member, the bucket filter, an HTTP app per node (ports 8080 and 8081)
 * answering its node name, and a client with many source addresses.
 */
final class FarmLab implements AutoCloseable {
    static final String VIP = "198.18.0.50";
    static final int ADDR_PORT = 8080;
    static final int PORT_PORT = 8081;
    /** Port of {@link BenchHttpServer} (on_addr), started only by the benchmark. */
    static final int BENCH_PORT = 9090;
    /** UDP app (on_port). */
    static final int UDP_PORT = 5353;
    /** Long-lived connections of {@link HandoverIT} (echoname.py, on_addr). */
    static final int ECHO_PORT = 7070;

    final Lab lab;
    final ModuleConfig module;
    final FilterSpec spec;
    final Map<String, VipManager> vips = new LinkedHashMap<>();
    final Map<String, LbFilter> filters = new LinkedHashMap<>();
    final Path client;
    final Path udpClient;
    final Path dir;

    /** One parsed client line. */
    record Reply(String src, int sport, String id, String node) {
        boolean ok() {
            return !node.startsWith("ERR");
        }
    }

    FarmLab(Path dir, int nodes, int clientAddrs) throws IOException {
        this.dir = dir;
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            names.add("node" + i);
        }
        module = TestModules.farm("web", VIP + "/32", "eth0", names,
                List.of(new FarmRule(Proto.TCP, ADDR_PORT, FilterMode.ON_ADDR),
                        new FarmRule(Proto.TCP, PORT_PORT, FilterMode.ON_PORT),
                        new FarmRule(Proto.TCP, BENCH_PORT, FilterMode.ON_ADDR),
                        new FarmRule(Proto.UDP, UDP_PORT, FilterMode.ON_PORT),
                        new FarmRule(Proto.TCP, ECHO_PORT, FilterMode.ON_ADDR)), Map.of());
        spec = FilterSpec.of(module);
        lab = Lab.create(LabSpec.builder().nodes(nodes).clients(1).extraAddrs(clientAddrs).build());
        try {
            Path app = LabSupport.resource(dir, "nameserver.py");
            client = LabSupport.resource(dir, "client.py");
            udpClient = LabSupport.resource(dir, "udpclient.py");
            Path udpApp = LabSupport.resource(dir, "udpname.py");
            for (LabNode n : lab.nodes()) {
                for (int port : new int[] {ADDR_PORT, PORT_PORT}) {
                    n.start(log(n.name(), port), Map.of(), "/usr/bin/python3", app.toString(), n.name(),
                            String.valueOf(port));
                }
                n.start(log(n.name(), UDP_PORT), Map.of(), "/usr/bin/python3", udpApp.toString(), n.name(),
                        String.valueOf(UDP_PORT));
                CommandRunner r = CommandRunner.inNetns(n.namespace());
                vips.put(n.name(), new VipManager(n.name(), r, T));
                filters.put(n.name(), new LbFilter(n.name(), r, T));
            }
            for (LabNode n : lab.nodes()) {
                for (int port : new int[] {ADDR_PORT, PORT_PORT}) {
                    String url = "http://" + n.addr() + ":" + port + "/";
                    if (!LabSupport.eventually(T, () -> LabSupport.curl(clientHost(), url).equals(n.name()))) {
                        throw new IllegalStateException("app " + n.name() + ":" + port + " did not start");
                    }
                }
            }
        } catch (InterruptedException e) {
            lab.close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (RuntimeException | IOException e) {
            lab.close();
            throw e;
        }
    }

    Path log(String node, int port) {
        return dir.resolve(node + "-" + port + ".log");
    }

    LabClient clientHost() {
        return lab.client(1);
    }

    List<String> sources() {
        return clientHost().extraAddrs();
    }

    /** Node joins: VIP (virtual MAC) + filter for {@code members}. */
    LbFilter.Outcome join(String node, List<String> members) {
        LbFilter.Outcome o = filters.get(node).apply(spec, members, false);
        vips.get(node).up(module, false);
        return o;
    }

    /** Node leaves UP: VIP down, filter removed. */
    void leave(String node) {
        vips.get(node).down(module);
        filters.get(node).remove(spec.module());
    }

    /** Every node in {@code members} gets the new membership. */
    Map<String, LbFilter.Outcome> members(List<String> members) {
        Map<String, LbFilter.Outcome> out = new LinkedHashMap<>();
        for (String m : members) {
            out.put(m, join(m, members));
        }
        return out;
    }

    List<Reply> requests(int port, int repeat, String tag, List<String> srcs) {
        List<String> argv = new ArrayList<>(List.of("/usr/bin/python3", client.toString(), VIP,
                String.valueOf(port), String.valueOf(repeat), tag));
        argv.addAll(srcs);
        ExecResult r = clientHost().exec(Duration.ofSeconds(120), argv.toArray(String[]::new));
        if (!r.ok()) {
            throw new IllegalStateException("client failed: " + r);
        }
        return parse(r.stdout());
    }

    /** UDP datagrams from {@code src}, each from a new source port: for each, the nodes that answered. */
    List<List<String>> datagrams(int count, String tag, String src) {
        ExecResult r = clientHost().exec(Duration.ofSeconds(60), "/usr/bin/python3", udpClient.toString(), VIP,
                String.valueOf(UDP_PORT), String.valueOf(count), tag, src);
        if (!r.ok()) {
            throw new IllegalStateException("udp client failed: " + r);
        }
        return r.stdout().lines().filter(l -> l.startsWith("{")).map(JsonObject::new)
                .map(j -> j.getJsonArray("nodes").stream().map(String::valueOf).toList()).toList();
    }

    static List<Reply> parse(String out) {
        return out.lines().filter(l -> l.startsWith("{")).map(JsonObject::new)
                .map(j -> new Reply(j.getString("src"), j.getInteger("sport"), j.getString("id"),
                        j.getString("node"))).toList();
    }

    /** Request id → the nodes whose app logged it. */
    Map<String, List<String>> served(int port) throws IOException {
        Map<String, List<String>> m = new HashMap<>();
        for (LabNode n : lab.nodes()) {
            Path p = log(n.name(), port);
            for (String line : Files.readAllLines(p)) {
                int i = line.indexOf(" /r/");
                if (i > 0) {
                    m.computeIfAbsent(line.substring(i + 4).strip(), k -> new ArrayList<>()).add(n.name());
                }
            }
        }
        return m;
    }

    /** src → node, failing if one address reached two nodes. */
    static Map<String, String> affinity(List<Reply> replies) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Reply r : replies) {
            String before = m.putIfAbsent(r.src(), r.node());
            if (before != null && !before.equals(r.node())) {
                throw new AssertionError(r.src() + " reached " + before + " and " + r.node());
            }
        }
        return m;
    }

    @Override
    public void close() {
        lab.close();
    }
}
