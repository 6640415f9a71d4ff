package io.steadfast.node.demo;

import io.steadfast.lab.ExecResult;
import io.steadfast.lab.Lab;
import io.steadfast.lab.LabNode;
import io.steadfast.lab.LabProcess;
import io.steadfast.lab.LabSpec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code steadfast demo}: a lab of network namespaces on this machine with a node agent in each, left running in
 * the background; {@code --down} removes it. The state (lab prefix, PIDs) is kept in {@code <home>/.lab/demo/}.
 */
public final class Demo {
    /** Fixed, so that {@code --down} finds the lab even when the state file is gone. */
    public static final String PREFIX = "sfdemo";
    static final int NODES = 3;
    static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    static final Duration POLL = Duration.ofMillis(500);

    private final Path home;
    private final Path dir;
    private final PrintWriter out;

    public Demo(Path home, PrintWriter out) {
        this.home = home;
        this.dir = home.resolve(".lab").resolve("demo");
        this.out = out;
    }

    public boolean running() {
        return Lab.listNamespaces().contains(PREFIX + "-sw");
    }

    public int up() throws IOException, InterruptedException {
        if (running()) {
            out.println("The demo is already running: ./steadfast demo --down removes it.");
            printAccess();
            return 0;
        }
        Files.createDirectories(dir);
        out.println("[1/4] creating the lab: a switch, " + NODES + " nodes on two lans, one client (namespaces " + PREFIX + "-*)");
        out.flush();
        Lab lab = Lab.create(LabSpec.builder().prefix(PREFIX).nodes(NODES).clients(1).secondLan(true).extraAddrs(50).build());
        try {
            Path secret = dir.resolve("secret");
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            Files.writeString(secret, HexFormat.of().formatHex(key) + "\n");
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
            Path config = dir.resolve("steadfast.yml");
            Files.writeString(config, DemoConfig.yaml(lab, "demo-" + HexFormat.of().formatHex(key, 0, 3), secret,
                    dir.resolve("state")));

            out.println("[2/4] starting a node agent in each node (logs in " + dir + ")");
            out.flush();
            List<Long> pids = new ArrayList<>();
            for (LabNode node : lab.nodes()) {
                LabProcess p = node.start(dir.resolve(node.name() + ".log"), Map.of("STEADFAST_NO_BUILD", "1"),
                        List.of("setsid"), home.resolve("steadfast").toString(), "node", "--config", config.toString(),
                        "--node", node.name(), "--state-dir", dir.resolve(node.name()).resolve("state").toString());
                pids.add(p.pid());
            }

            out.println("[3/4] waiting for the cluster to form");
            out.flush();
            waitForCluster(lab.node(1));

            out.println("[4/4] publishing node1's console on 127.0.0.1:" + DemoConfig.CONSOLE_PORT);
            out.flush();
            long forwarder = forward(lab.node(1));
            Files.writeString(dir.resolve("demo.json"), new JsonObject().put("prefix", PREFIX)
                    .put("agents", new JsonArray(pids)).put("forwarder", forwarder).encodePrettily());
            lab.detach();
            printAccess();
            return 0;
        } catch (IOException | RuntimeException | InterruptedException e) {
            lab.close();
            throw e;
        }
    }

    /** Asks node1's console for the cluster until every node's services answer; prints progress. */
    private void waitForCluster(LabNode node1) throws InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        int lastUp = -1;
        while (System.nanoTime() < deadline) {
            Optional<JsonObject> cluster = clusterSeenFrom(node1);
            int up = cluster.map(Demo::nodesFullyUp).orElse(0);
            if (up != lastUp) {
                out.printf("      %d/%d nodes up%n", up, NODES);
                out.flush();
                lastUp = up;
            }
            if (up == NODES) {
                cluster.ifPresent(this::printMembership);
                return;
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new IllegalStateException("the cluster did not form within " + READY_TIMEOUT.toSeconds()
                + " s; see the logs in " + dir);
    }

    static Optional<JsonObject> clusterSeenFrom(LabNode node) {
        ExecResult r = node.exec(Duration.ofSeconds(5), "curl", "-sf", "--max-time", "4",
                "http://" + node.addr() + ":" + DemoConfig.CONSOLE_PORT + "/api/v1/cluster");
        if (!r.ok()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new JsonObject(r.stdout()));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Nodes that are members and whose every service answers health. */
    static int nodesFullyUp(JsonObject cluster) {
        int n = 0;
        for (Object o : cluster.getJsonArray("nodes", new JsonArray())) {
            JsonObject node = (JsonObject) o;
            boolean allUp = node.getBoolean("up", false) && !node.getJsonArray("services").isEmpty()
                    && node.getJsonArray("services").stream().allMatch(s -> ((JsonObject) s).getBoolean("up", false));
            n += allUp ? 1 : 0;
        }
        return n;
    }

    private void printMembership(JsonObject cluster) {
        out.println("      cluster " + cluster.getString("cluster") + ":");
        for (Object o : cluster.getJsonArray("nodes")) {
            JsonObject node = (JsonObject) o;
            out.printf("        %-6s %-12s %s%n", node.getString("name"), node.getString("addr"),
                    node.getBoolean("up") ? "up (" + node.getJsonArray("services").size() + " services)" : "down");
        }
    }

    /**
     * The console listens inside node1's namespace; a socat in this namespace relays 127.0.0.1:9400 to it, each
     * connection entering the namespace through {@code ip netns exec}. Nothing is changed in this namespace's
     * network configuration: it is only a listening socket on loopback.
     */
    private long forward(LabNode node1) throws IOException {
        String target = "ip netns exec " + node1.namespace() + " socat STDIO TCP:" + node1.addr() + ":" + DemoConfig.CONSOLE_PORT;
        ProcessBuilder pb = new ProcessBuilder("setsid", "socat",
                "TCP-LISTEN:" + DemoConfig.CONSOLE_PORT + ",bind=127.0.0.1,fork,reuseaddr", "EXEC:" + target)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("forwarder.log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return pb.start().pid();
    }

    private void printAccess() {
        out.println();
        out.println("Console:   http://127.0.0.1:" + DemoConfig.CONSOLE_PORT + "/  (API: /api/v1/cluster, /health)");
        out.println("State:     ./steadfast state");
        out.println("Inside:    ip netns exec " + PREFIX + "-n1 bash   (nodes " + PREFIX + "-n1..n" + NODES
                + ", client " + PREFIX + "-c1)");
        out.println("Config:    " + dir.resolve("steadfast.yml"));
        out.println("Remove:    ./steadfast demo --down");
        out.flush();
    }

    /** Stops the agents and the forwarder (by the PIDs recorded), then removes the lab's namespaces. */
    public int down() throws IOException {
        Path state = dir.resolve("demo.json");
        if (Files.exists(state)) {
            JsonObject json = new JsonObject(Files.readString(state));
            List<Long> pids = new ArrayList<>();
            json.getJsonArray("agents", new JsonArray()).forEach(p -> pids.add(((Number) p).longValue()));
            pids.add(json.getLong("forwarder", -1L));
            for (long pid : pids) {
                ProcessHandle.of(pid).filter(this::isOurs).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        List<String> removed = Lab.destroy(PREFIX);
        Files.deleteIfExists(state);
        out.println(removed.isEmpty() ? "No demo lab was running." : "Removed the demo lab: " + String.join(" ", removed));
        return 0;
    }

    /** A recorded PID is only killed if it is still one of ours (a steadfast agent or the socat relay). */
    private boolean isOurs(ProcessHandle h) {
        String cmd = h.info().commandLine().orElse("");
        return cmd.contains("steadfast") || cmd.contains("socat");
    }
}
