package io.steadfast.node.farm;

import io.steadfast.lab.ExecResult;
import io.steadfast.lab.Lab;
import io.steadfast.lab.LabNode;
import io.steadfast.lab.LabProcess;
import io.steadfast.lab.LabSpec;
import io.steadfast.node.LabTesting;
import io.steadfast.node.demo.LabCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The farm {@code web} end to end in a lab, shared by {@link FarmIT} and the recovery benchmark: a switch, three
 * node namespaces each running a real node agent ({@link LabCluster}), one client namespace with many source
 * addresses. The sample app (examples/app) is started by start_both on every UP node and answers
 * {@code web@<node>} on the VIP.
 *
 * <p>To see which kernel accepted a connection (not only which app answered), each node namespace gets a small
 * nft table of the test's own, {@code inet sfit_seen}: at the input hook — after routing decided the packet is
 * local, i.e. after the farm's ingress filter let it through and the VIP is on the node — it adds the source of
 * every SYN to the VIP's port to a set. A client address in two nodes' sets means two kernels accepted it.
 */
final class FarmRig implements AutoCloseable {
    static final String MODULE = "web";
    static final String VIP = "198.18.0.50";
    static final int PORT = 8081;
    static final List<String> NODES = List.of("node1", "node2", "node3");
    private static final Duration EXEC = Duration.ofSeconds(60);
    /** Requests in flight at once (see farmclient.py). */
    static final int WORKERS = 6;

    final Lab lab;
    final LabCluster cluster;
    final Path home;
    final Path dir;
    private final Path client;
    private final List<String> sources;
    private final Map<String, LabProcess> watchdogs = new HashMap<>();
    private final AppStop appStop;

    /** Stops the application of the module on one node for good (it runs outside the agents' JVMs). */
    interface AppStop {
        void stop(FarmRig rig, String node) throws IOException;
    }

    private FarmRig(Lab lab, LabCluster cluster, Path home, Path dir, Path client, AppStop appStop) {
        this.lab = lab;
        this.cluster = cluster;
        this.home = home;
        this.dir = dir;
        this.client = client;
        this.sources = lab.client(1).extraAddrs();
        this.appStop = appStop;
    }

    /** The lab (3 nodes, 1 client with {@code addrs} source addresses) and the config; no agent started yet. */
    static FarmRig open(Path home, Path dir, int addrs) throws IOException {
        return open(home, dir, addrs, modules(home, dir), List.of(), (rig, n) ->
                rig.lab.node(n).exec(Duration.ofSeconds(10), "env", "STEADFAST_MODULE=" + MODULE,
                        "STEADFAST_NODE=" + n, "APP_DIR=" + dir, home.resolve("examples/app/stop").toString(),
                        "force"));
    }

    /**
     * As {@link #open(Path, Path, int)} with another application: {@code modules} (the farm {@code web} answering
     * {@code web@<node>} on {@link #VIP}:{@link #PORT}), node-local directories ({@link LabCluster#privateDir}),
     * and how to stop its application on a node at the end.
     */
    static FarmRig open(Path home, Path dir, int addrs, String modules, List<Path> privateDirs, AppStop appStop)
            throws IOException {
        Lab lab = Lab.create(LabSpec.builder().nodes(3).clients(1).extraAddrs(addrs).build());
        try {
            LabCluster cluster = LabCluster.configure(lab, home, dir.resolve("cluster"), modules);
            for (Path p : privateDirs) {
                cluster.privateDir(p);
            }
            Path client = dir.resolve("farmclient.py");
            try (InputStream in = FarmRig.class.getResourceAsStream("/farm/farmclient.py")) {
                Files.write(client, in.readAllBytes());
            }
            FarmRig rig = new FarmRig(lab, cluster, home, dir, client, appStop);
            for (LabNode n : lab.nodes()) {
                rig.nft(n, "table inet sfit_seen {\n"
                        + "  set seen { type ipv4_addr; size 65535; flags dynamic; }\n"
                        + "  chain in { type filter hook input priority 0; policy accept;\n"
                        + "    ip daddr " + VIP + " tcp dport " + PORT + " tcp flags & (syn | ack) == syn"
                        + " add @seen { ip saddr }\n"
                        + "  }\n"
                        + "}\n");
            }
            return rig;
        } catch (IOException | RuntimeException e) {
            lab.close();
            throw e;
        }
    }

    static String modules(Path home, Path dir) {
        String app = home.resolve("examples/app").toString();
        return """
                modules:
                  - name: %2$s
                    type: farm
                    nodes: [node1, node2, node3]
                    heartbeat: { pulse: 250ms, timeout: 2s, lans: [lan1], port: 8890 }
                    vip: { addr: %3$s/32, interface: eth0 }
                    farm:
                      rules:
                        - { proto: tcp, port: %4$d, filter: on_addr }
                    scripts:
                      start_both: [env, PORT=%4$d, APP_DIR=%5$s, %1$s/start]
                      stop_both: [env, APP_DIR=%5$s, %1$s/stop]
                      timeout: 20s
                """.formatted(app, MODULE, VIP, PORT, dir);
    }

    List<String> sources() {
        return sources;
    }

    private void nft(LabNode n, String script) {
        Path f = dir.resolve("nft-" + n.name() + "-" + System.nanoTime() + ".nft");
        try {
            Files.writeString(f, script);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ExecResult r = n.exec(EXEC, "nft", "-f", f.toString());
        if (!r.ok()) {
            throw new IllegalStateException("nft on " + n.name() + ": " + r.stderr());
        }
    }

    /** One request from every source address (in parallel), with the kernels that accepted each SYN. */
    Round round(Duration timeout) {
        for (LabNode n : lab.nodes()) {
            n.exec(EXEC, "nft", "flush", "set", "inet", "sfit_seen", "seen");
        }
        List<String> argv = new ArrayList<>(List.of("python3", client.toString(), VIP, String.valueOf(PORT),
                String.valueOf(timeout.toMillis() / 1000.0), String.valueOf(WORKERS)));
        argv.addAll(sources);
        ExecResult r = lab.client(1).exec(EXEC, argv.toArray(String[]::new));
        if (!r.ok()) {
            throw new IllegalStateException("client: " + r.stderr());
        }
        Map<String, String> answers = new LinkedHashMap<>();
        for (String line : r.stdout().split("\n")) {
            String[] f = line.strip().split(" ", 2);
            if (f.length == 2) {
                answers.put(f[0], f[1]);
            }
        }
        Map<String, Set<String>> seen = new LinkedHashMap<>();
        for (LabNode n : lab.nodes()) {
            seen.put(n.name(), seen(n));
        }
        return new Round(answers, seen);
    }

    private Set<String> seen(LabNode n) {
        ExecResult r = n.exec(EXEC, "nft", "-j", "list", "set", "inet", "sfit_seen", "seen");
        Set<String> s = new TreeSet<>();
        if (!r.ok()) {
            return s;
        }
        for (Object o : new JsonObject(r.stdout()).getJsonArray("nftables", new JsonArray())) {
            JsonObject set = ((JsonObject) o).getJsonObject("set");
            if (set != null) {
                for (Object e : set.getJsonArray("elem", new JsonArray())) {
                    if (e instanceof String a) {
                        s.add(a);
                    } else if (e instanceof JsonObject j && j.getJsonObject("elem") != null) {
                        s.add(j.getJsonObject("elem").getString("val"));
                    }
                }
            }
        }
        return s;
    }

    /**
     * One round's answers ({@code src → web@nodeN} or {@code ERR:…}) and, per node, the sources whose SYN its
     * kernel accepted for local delivery.
     */
    record Round(Map<String, String> answers, Map<String, Set<String>> seen) {
        /** src → the node that answered it (answered sources only). */
        Map<String, String> owners() {
            Map<String, String> m = new LinkedHashMap<>();
            answers.forEach((src, a) -> {
                if (a.startsWith(MODULE + "@")) {
                    m.put(src, a.substring(MODULE.length() + 1));
                }
            });
            return m;
        }

        boolean allServed() {
            return answers.values().stream().allMatch(a -> a.startsWith(MODULE + "@"));
        }

        /** Nodes whose kernel accepted {@code src}. */
        List<String> acceptedBy(String src) {
            return seen.entrySet().stream().filter(e -> e.getValue().contains(src)).map(Map.Entry::getKey).toList();
        }

        /** Sources accepted by a number of kernels other than one, or by another node than the one that answered. */
        List<String> notExactlyOnce() {
            List<String> bad = new ArrayList<>();
            Map<String, String> owners = owners();
            for (String src : answers.keySet()) {
                List<String> by = acceptedBy(src);
                if (by.size() != 1 || !by.getFirst().equals(owners.get(src))) {
                    bad.add(src + "=" + answers.get(src) + " accepted by " + by);
                }
            }
            return bad;
        }

        /** Node → how many sources it served. */
        Map<String, Long> share() {
            return owners().values().stream().collect(Collectors.groupingBy(n -> n, java.util.TreeMap::new,
                    Collectors.counting()));
        }

        /** Every source served, each accepted by exactly one kernel: the farm is consistent. */
        boolean clean() {
            return allServed() && notExactlyOnce().isEmpty();
        }

        String describe() {
            return "share " + share() + ", errors " + answers.entrySet().stream()
                    .filter(e -> e.getValue().startsWith("ERR")).limit(5).toList()
                    + ", not exactly once " + notExactlyOnce().stream().limit(5).toList();
        }
    }

    /** Rounds until {@code ok} holds for one (bounded by {@code timeout}); the last round either way. */
    Round awaitRound(Duration timeout, java.util.function.Predicate<Round> ok) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Round last;
        do {
            cluster.deadAgent().filter(p -> !watchdogs.containsValue(p)).ifPresent(p -> {
                if (!killed.contains(p)) {
                    throw new AssertionError("an agent exited: " + p + ", log " + p.logFile());
                }
            });
            last = round(Duration.ofMillis(1500));
            if (ok.test(last)) {
                return last;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        return last;
    }

    private final Set<LabProcess> killed = new java.util.HashSet<>();

    /**
     * kill -9 of the JVM started for {@code key} alone, as an operator's or the OOM killer's would be (expected to be
     * dead from now on): what it started lives on — in production the launcher's watchdog, here the scripts or nft
     * runs in flight; the watchdog of {@link #watchdog} is outside its tree either way.
     */
    void kill9(String key) {
        LabProcess p = cluster.agent(key);
        killed.add(p);
        p.kill9Alone();
    }

    /**
     * Power loss of {@code node}: its link cut, then its agent killed -9 with everything it forked, then its
     * application ({@code AppStop}: what runs outside the agent's tree); expected to stay dead.
     */
    void powerLoss(String node) throws IOException {
        lab.node(node).isolate();
        LabProcess p = cluster.agent(node);
        killed.add(p);
        p.kill9();
        appStop.stop(this, node);
    }

    /** Nodes whose module {@code web} is UP and READY, as {@code from}'s console sees it. */
    List<String> upNodes(String from) {
        Optional<JsonObject> m = cluster.console(from, "/api/v1/modules/" + MODULE);
        List<String> up = new ArrayList<>();
        m.ifPresent(j -> j.getJsonArray("nodes", new JsonArray()).forEach(o -> {
            JsonObject n = (JsonObject) o;
            if ("UP".equals(n.getString("state")) && "READY".equals(n.getString("readiness"))) {
                up.add(n.getString("node"));
            }
        }));
        return up;
    }

    /** The module view of {@code from}'s console (empty when it does not answer). */
    Optional<JsonObject> module(String from) {
        return cluster.console(from, "/api/v1/modules/" + MODULE);
    }

    /** Starts {@code steadfast watchdog} beside the running agent of {@code node} and waits until it watches. */
    LabProcess watchdog(String node) throws InterruptedException {
        long pid = cluster.agent(node).pid();
        LabProcess dog = lab.node(node).start(cluster.dir().resolve(node + "-watchdog-" + System.nanoTime() + ".log"),
                Map.of("STEADFAST_NO_BUILD", "1"), home.resolve("steadfast").toString(), "watchdog",
                "--config", cluster.config().toString(), "--node", node, "--pid", String.valueOf(pid),
                "--state-dir", cluster.dir().resolve(node).resolve("state").toString());
        Optional<Boolean> watching = LabTesting.await(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
            try {
                return Files.exists(dog.logFile()) && Files.readString(dog.logFile()).contains("watching agent pid")
                        ? Optional.of(true) : Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            }
        });
        if (watching.isEmpty()) {
            throw new AssertionError("watchdog of " + node + " not watching; log " + dog.logFile());
        }
        watchdogs.put(node, dog);
        return dog;
    }

    boolean hasVip(String node) {
        ExecResult r = lab.node(node).exec(EXEC, "ip", "-j", "-4", "addr", "show", "dev", "eth0");
        for (Object o : new JsonArray(r.ok() ? r.stdout() : "[]")) {
            for (Object a : ((JsonObject) o).getJsonArray("addr_info", new JsonArray())) {
                if (VIP.equals(((JsonObject) a).getString("local"))) {
                    return true;
                }
            }
        }
        return false;
    }

    boolean hasFilterTable(String node) {
        return lab.node(node).exec(EXEC, "nft", "list", "table", "netdev", "sf_" + MODULE).ok();
    }

    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    /** Idempotent (also run by a benchmark's shutdown hook). */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            for (LabProcess p : cluster.agents().values()) {
                p.kill9();
            }
            for (LabProcess p : watchdogs.values()) {
                p.kill9();
            }
            for (String n : NODES) { // the app runs outside the agents' JVMs
                try {
                    appStop.stop(this, n);
                } catch (IOException | RuntimeException e) {
                    System.err.println("stopping the application on " + n + ": " + e);
                }
            }
        } finally {
            lab.close();
        }
    }
}
