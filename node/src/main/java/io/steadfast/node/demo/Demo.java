package io.steadfast.node.demo;

import io.steadfast.lab.Lab;
import io.steadfast.lab.LabProcess;
import io.steadfast.lab.LabSpec;
import io.steadfast.console.PasswordHash;
import io.steadfast.console.Role;
import io.steadfast.console.UsersFile;
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
import java.util.List;
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
    static final String ADMIN = "admin";

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
        clearLogs();
        step(1, "creating the lab: a switch, " + NODES + " nodes on two lans, one client (namespaces " + PREFIX + "-*)");
        Lab lab = Lab.create(LabSpec.builder().prefix(PREFIX).nodes(NODES).clients(1).secondLan(true).extraAddrs(50).build());
        try {
            String password = newPassword();
            Path users = dir.resolve("users");
            Files.deleteIfExists(users);
            UsersFile.add(users, ADMIN, Role.ADMIN, password.toCharArray(), false, PasswordHash.DEFAULT_ITERATIONS);
            Files.writeString(dir.resolve("admin.credentials"), ADMIN + ":" + password + "\n");
            Files.setPosixFilePermissions(dir.resolve("admin.credentials"), PosixFilePermissions.fromString("rw-------"));
            LabCluster cluster = LabCluster.configure(lab, home, dir, DemoModules.yaml(home), Optional.of(users))
                    .privateDir(DemoModules.dataDir(home)).withWatchdog();
            step(2, "starting a node agent in each node (logs in " + dir + ")");
            cluster.startAll();
            step(3, "waiting for the cluster to form");
            waitForCluster(cluster);
            step(4, "publishing node1's console on 127.0.0.1:" + LabCluster.CONSOLE_PORT);
            // the console listens inside node1's namespace: relayed to 127.0.0.1 here (only a listening socket)
            long forwarder = cluster.relayConsole("node1", "127.0.0.1", LabCluster.CONSOLE_PORT,
                    dir.resolve("forwarder.log")).pid();
            JsonArray pids = new JsonArray();
            cluster.agents().values().forEach(p -> pids.add(p.pid()));
            Files.writeString(dir.resolve("demo.json"), new JsonObject().put("prefix", PREFIX).put("agents", pids)
                    .put("forwarder", forwarder).encodePrettily());
            lab.detach();
            printAccess();
            return 0;
        } catch (IOException | RuntimeException | InterruptedException e) {
            lab.close();
            throw e;
        }
    }

    /** Each demo starts afresh: logs, persisted states and replicated data of an earlier one would mislead. */
    private void clearLogs() throws IOException {
        if (Files.isDirectory(dir)) {
            try (var files = Files.walk(dir)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    if (!f.equals(dir)) {
                        Files.delete(f);
                    }
                }
            }
        }
    }

    /** A password for the demo's admin user: 12 random letters and digits, printed once and kept in a 0600 file. */
    private static String newPassword() {
        String alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        SecureRandom random = new SecureRandom();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    private void step(int n, String what) {
        out.println("[" + n + "/4] " + what);
        out.flush();
    }

    /** Asks node1's console for the cluster until every node's services answer; prints progress. */
    private void waitForCluster(LabCluster cluster) throws InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        int lastUp = -1;
        while (System.nanoTime() < deadline) {
            Optional<LabProcess> dead = cluster.deadAgent();
            if (dead.isPresent()) {
                throw new IllegalStateException("a node agent exited (" + dead.get().exitCode() + "); see "
                        + dead.get().logFile());
            }
            Optional<JsonObject> view = cluster.cluster("node1");
            int up = view.map(LabCluster::nodesFullyUp).orElse(0);
            if (up != lastUp) {
                out.printf("      %d/%d nodes up%n", up, NODES);
                out.flush();
                lastUp = up;
            }
            if (up == NODES) {
                view.ifPresent(this::printMembership);
                return;
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new IllegalStateException("the cluster did not form within " + READY_TIMEOUT.toSeconds()
                + " s; see the logs in " + dir);
    }

    private void printMembership(JsonObject cluster) {
        out.println("      cluster " + cluster.getString("cluster") + ":");
        for (Object o : cluster.getJsonArray("nodes")) {
            JsonObject node = (JsonObject) o;
            out.printf("        %-6s %-12s %s%n", node.getString("name"), node.getString("addr"),
                    node.getBoolean("up") ? "up (" + node.getJsonArray("services").size() + " services)" : "down");
        }
    }

    private void printAccess() {
        out.println();
        out.println("Console:   http://127.0.0.1:" + LabCluster.CONSOLE_PORT + "/  (API: /api/v1/cluster, /health)");
        out.println("Sign in:   " + credentials() + "   (also for the CLI: export STEADFAST_TOKEN=" + credentials() + ")");
        out.println("State:     ./steadfast state          Mirror VIP: " + DemoModules.MIRROR_VIP + ":8080   Farm VIP: "
                + DemoModules.FARM_VIP + ":8081");
        out.println("Try:       ip netns exec " + PREFIX + "-c1 curl http://" + DemoModules.MIRROR_VIP + ":8080/ ;"
                + " STEADFAST_TOKEN=" + credentials() + " ./steadfast swap -m db");
        out.println("Inside:    ip netns exec " + PREFIX + "-n1 bash   (nodes " + PREFIX + "-n1..n" + NODES
                + ", client " + PREFIX + "-c1)");
        out.println("Config:    " + dir.resolve("steadfast.yml"));
        out.println("Remove:    ./steadfast demo --down");
        out.flush();
    }

    private String credentials() {
        try {
            return Files.readString(dir.resolve("admin.credentials")).strip();
        } catch (IOException e) {
            return "(see " + dir.resolve("admin.credentials") + ")";
        }
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
                ProcessHandle.of(pid).filter(Demo::isOurs).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        List<String> removed = Lab.destroy(PREFIX);
        Files.deleteIfExists(state);
        out.println(removed.isEmpty() ? "No demo lab was running." : "Removed the demo lab: " + String.join(" ", removed));
        return 0;
    }

    /** A recorded PID is only killed if it is still one of ours (a steadfast agent or the socat relay). */
    private static boolean isOurs(ProcessHandle h) {
        String cmd = h.info().commandLine().orElse("");
        return cmd.contains("steadfast") || cmd.contains("socat");
    }
}
