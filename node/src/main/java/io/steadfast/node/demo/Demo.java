package io.steadfast.node.demo;

import io.steadfast.lab.ExecResult;
import io.steadfast.lab.Lab;
import io.steadfast.lab.LabClient;
import io.steadfast.lab.LabProcess;
import io.steadfast.lab.LabSpec;
import io.steadfast.console.PasswordHash;
import io.steadfast.console.Role;
import io.steadfast.console.UsersFile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
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
    static final int STEPS = 8;
    static final Duration CLUSTER_TIMEOUT = Duration.ofSeconds(90);
    /** Starting the apps, the first resync and the farm's membership; generous for a loaded 2-core machine. */
    static final Duration MODULES_TIMEOUT = Duration.ofSeconds(180);
    static final Duration VIP_TIMEOUT = Duration.ofSeconds(30);
    static final Duration CONSOLE_TIMEOUT = Duration.ofSeconds(15);
    static final Duration POLL = Duration.ofMillis(500);
    static final String ADMIN = "admin";
    /** initdb, a server started and stopped once, on a loaded 2-core machine. */
    static final Duration DB_INIT_TIMEOUT = Duration.ofSeconds(150);
    /** The template's stop with force: an immediate shutdown, then SIGKILL. */
    static final Duration DB_STOP_TIMEOUT = Duration.ofSeconds(40);
    /** The nodes of the mirror {@code db}, node1 its first primary. */
    static final List<String> DB_NODES = List.of("node1", "node2");

    private final Path home;
    private final Path dir;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Map<String, String> env;
    private int step;
    private String stepWhat = "";

    public Demo(Path home, PrintWriter out, PrintWriter err, Map<String, String> env) {
        this.home = home;
        this.dir = home.resolve(".lab").resolve("demo");
        this.out = out;
        this.err = err;
        this.env = env;
    }

    public boolean running() {
        return Lab.listNamespaces().contains(PREFIX + "-sw");
    }

    /** A step of the demo could not be done: what is wrong (lines) and which logs tell more. */
    static final class Failed extends Exception {
        final List<String> lines;
        final List<Path> logs;

        Failed(List<String> lines, List<Path> logs) {
            super(String.join("; ", lines), null, false, false);
            this.lines = List.copyOf(lines);
            this.logs = List.copyOf(logs);
        }

        Failed(String line, List<Path> logs) {
            this(List.of(line), logs);
        }
    }

    /**
     * Creates the lab, starts the agents and returns 0 only once every module is Ready and every VIP answers from
     * the client; otherwise says what failed and where the logs are, removes what it created and returns 1.
     */
    public int up() throws IOException, InterruptedException {
        step(1, "checking the tools a node needs");
        List<String> tools = DemoTools.missing(env.get("PATH"), DemoTools.LIBRARY_DIRS);
        if (!tools.isEmpty()) {
            report(new Failed(List.of("missing: " + String.join(", ", tools),
                    "./steadfast demo run as root installs them (the list is scripts/lib/packages-node)"), List.of()),
                    false);
            return 1;
        }
        if (running()) {
            out.println("The demo is already running: ./steadfast demo --down removes it.");
            printAccess();
            return 0;
        }
        clearLogs();
        step(2, "creating the lab: a switch, " + NODES + " nodes on two lans, one client (namespaces " + PREFIX + "-*)");
        Lab lab;
        try {
            // Lab.create removes what it made when it fails part-way
            lab = Lab.create(LabSpec.builder().prefix(PREFIX).nodes(NODES).clients(1).secondLan(true).extraAddrs(50)
                    .build());
        } catch (RuntimeException e) {
            report(new Failed(String.valueOf(e.getMessage() == null ? e : e.getMessage()), List.of()), false);
            return 1;
        }
        Process relay = null;
        LabCluster cluster = null;
        try {
            String password = newPassword();
            Path users = dir.resolve("users");
            Files.deleteIfExists(users);
            UsersFile.add(users, ADMIN, Role.ADMIN, password.toCharArray(), false, PasswordHash.DEFAULT_ITERATIONS);
            Files.writeString(dir.resolve("admin.credentials"), ADMIN + ":" + password + "\n");
            Files.setPosixFilePermissions(dir.resolve("admin.credentials"), PosixFilePermissions.fromString("rw-------"));
            writeSecret(dir.resolve("db.password"), newPassword());
            cluster = LabCluster.configure(lab, home, dir, DemoModules.yaml(home), Optional.of(users))
                    .privateDir(DemoModules.DATA).privateDir(DemoModules.LOCAL).withWatchdog();
            step(3, "creating the PostgreSQL database in node1's copy of the replicated directory "
                    + DemoModules.DATA + " (node2's arrives by the first resync)");
            initDatabase(cluster);
            step(4, "starting a node agent in each node (logs in " + dir + ")");
            cluster.startAll();
            step(5, "waiting for the cluster to form");
            String clusterName = waitForCluster(cluster);
            step(6, "waiting for modules: mirror PRIM + SECOND Ready, farm UP/Ready on every node");
            waitForModules(cluster);
            step(7, "checking the VIPs from the client " + lab.client(1).namespace());
            probeEndpoints(cluster);
            step(8, "publishing node1's console on 127.0.0.1:" + LabCluster.CONSOLE_PORT);
            // the console listens inside node1's namespace: relayed to 127.0.0.1 here (only a listening socket)
            Path relayLog = dir.resolve("forwarder.log");
            relay = cluster.relayConsole("node1", "127.0.0.1", LabCluster.CONSOLE_PORT, relayLog);
            waitForRelay(relay, relayLog, clusterName, cluster.readerCredentials());
            JsonArray pids = new JsonArray();
            JsonObject nodes = new JsonObject();
            cluster.agents().forEach((node, p) -> {
                pids.add(p.pid());
                nodes.put(node, p.pid());
            });
            Files.writeString(dir.resolve("demo.json"), new JsonObject().put("prefix", PREFIX).put("agents", pids)
                    .put("nodes", nodes).put("forwarder", relay.pid()).encodePrettily());
            lab.detach();
            printAccess();
            return 0;
        } catch (Failed f) {
            report(f, true);
        } catch (IOException | RuntimeException e) {
            report(new Failed(String.valueOf(e.getMessage() == null ? e : e.getMessage()), logs(NODES)), true);
        } catch (InterruptedException e) {
            removeLab(lab, relay, cluster);
            throw e;
        }
        removeLab(lab, relay, cluster);
        return 1;
    }

    private void report(Failed f, boolean labCreated) {
        err.println("steadfast demo: FAILED at [" + step + "/" + STEPS + "] " + stepWhat);
        f.lines.forEach(l -> err.println("  " + l));
        if (!f.logs.isEmpty()) {
            err.println("  logs: " + String.join(" ", f.logs.stream().map(Path::toString).toList()));
        }
        if (labCreated) {
            err.println("  removing the lab (the logs stay in " + dir + ")");
        }
        err.flush();
    }

    /** Undoes a failed start: the relay by its PID, PostgreSQL, the lab's processes and namespaces. */
    private void removeLab(Lab lab, Process relay, LabCluster cluster) throws InterruptedException {
        if (relay != null) {
            LabCluster.stopRelay(relay);
        }
        if (cluster != null) {
            Map<String, Long> agents = new java.util.LinkedHashMap<>();
            cluster.agents().forEach((node, p) -> {
                if (p.isAlive()) {
                    agents.put(node, p.pid());
                }
            });
            stopDatabase(agents);
        }
        try {
            lab.close();
        } catch (RuntimeException e) {
            err.println("steadfast demo: removing the lab failed: " + e.getMessage() + "; try ./steadfast demo --down");
            err.flush();
        }
        removeMountPoints();
    }

    private static void writeSecret(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content + "\n");
    }

    /**
     * Creates the database once, in node1's copy of the replicated directory, before any agent runs
     * (examples/demo/db-init: the template's init, the role {@code demo}, the database {@code demo}, the table
     * {@code visits}); writes each db node's node.conf (its cluster_name) into its node-local copy.
     */
    private void initDatabase(LabCluster cluster) throws Failed, IOException {
        for (String node : DB_NODES) {
            Path local = Files.createDirectories(cluster.privateCopy(node, DemoModules.LOCAL));
            Files.writeString(local.resolve(DemoModules.NODE_CONF_NAME), "cluster_name = '" + node + "'\n");
        }
        List<String> argv = new ArrayList<>(List.of("env", "DEMO_PASSWORD_FILE=" + dir.resolve("db.password"),
                "DEMO_CLIENTS=" + DemoModules.PG_CLIENTS, "DEMO_NODE_CONF=" + DemoModules.NODE_CONF));
        argv.addAll(DemoModules.pgEnv());
        argv.add(home.resolve("examples").resolve("demo").resolve("db-init").toString());
        ExecResult r;
        try {
            r = cluster.execWithPrivateDirs("node1", DB_INIT_TIMEOUT, argv.toArray(String[]::new));
        } catch (io.steadfast.lab.LabException e) {
            r = new ExecResult(-1, "", String.valueOf(e.getMessage()));
        }
        Path log = cluster.privateCopy("node1", DemoModules.LOCAL).resolve(DemoModules.PG_LOG_NAME);
        if (!r.ok()) {
            List<String> lines = new ArrayList<>();
            lines.add("examples/demo/db-init failed (exit " + r.exitCode() + "):");
            (r.stdout() + r.stderr()).strip().lines().forEach(l -> lines.add("  " + l));
            throw new Failed(lines, List.of(log));
        }
        r.stdout().strip().lines().reduce((a, b) -> b).ifPresent(l -> out.println("      " + l));
        out.flush();
    }

    /**
     * A node's PostgreSQL log, seen from this machine: in its copy of {@link DemoModules#LOCAL}, the second private
     * directory (LabCluster.privateCopy).
     */
    private Path pgLog(String node) {
        return copy(node, 1).resolve(DemoModules.PG_LOG_NAME);
    }

    /**
     * Stops PostgreSQL wherever it runs: the template's stop with {@code force} (an immediate shutdown, then
     * SIGKILL of the postmaster named by postmaster.pid and its children, by PID) in each db node's agent's mount
     * namespace, where the replicated directory is mounted. Idempotent: "not running" where it does not run.
     */
    private void stopDatabase(Map<String, Long> agents) {
        for (String node : DB_NODES) {
            Long pid = agents.get(node);
            if (pid == null || ProcessHandle.of(pid).filter(Demo::isOurs).isEmpty()) {
                continue;
            }
            io.steadfast.exec.CommandResult r = new io.steadfast.exec.CommandRunner()
                    .run(DemoModules.pgForceStop(home, pid, node), DB_STOP_TIMEOUT);
            String said = (r.stdout() + r.stderr()).strip().lines().reduce((a, b) -> b).orElse("");
            out.println("PostgreSQL on " + node + ": " + (r.ok() ? said : "stop failed: " + r.describe()));
            out.flush();
        }
    }

    /** The mount points under /run (empty directories on this machine; the copies are in the demo's directory). */
    private void removeMountPoints() {
        if (!Files.isDirectory(DemoModules.BASE)) {
            return;
        }
        try (var files = Files.walk(DemoModules.BASE)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                try {
                    if (!Files.isDirectory(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        throw new IOException("not a directory");
                    }
                    Files.delete(f); // empty directories only: never a node's data
                } catch (IOException e) {
                    err.println("steadfast demo: left " + f + ": " + e);
                }
            }
        } catch (IOException e) {
            err.println("steadfast demo: cannot list " + DemoModules.BASE + ": " + e);
        }
        err.flush();
    }

    private List<Path> logs(int nodes) {
        List<Path> logs = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            logs.add(dir.resolve("node" + i + ".log"));
        }
        return logs;
    }

    /** The logs of the nodes a list of problems names (all nodes when it names none). */
    private List<Path> logsOf(List<String> problems) {
        List<Path> logs = new ArrayList<>();
        for (int i = 1; i <= NODES; i++) {
            java.util.regex.Pattern node = java.util.regex.Pattern.compile("\\bnode" + i + "\\b");
            if (problems.stream().anyMatch(p -> node.matcher(p).find())) {
                logs.add(dir.resolve("node" + i + ".log"));
            }
        }
        logs = logs.isEmpty() ? logs(NODES) : logs;
        if (problems.stream().anyMatch(p -> p.startsWith("db"))) {
            DB_NODES.stream().map(this::pgLog).filter(Files::exists).forEach(logs::add);
        }
        return logs;
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
        step = n;
        stepWhat = what;
        out.println("[" + n + "/" + STEPS + "] " + what);
        out.flush();
    }

    private void failIfAgentDied(LabCluster cluster) throws Failed {
        Optional<LabProcess> dead = cluster.deadAgent();
        if (dead.isPresent()) {
            throw new Failed("a node agent exited (" + dead.get().exitCode() + ")", List.of(dead.get().logFile()));
        }
    }

    /**
     * Asks node1's console for the cluster until every node's services answer; prints progress. Returns the
     * cluster's name.
     */
    private String waitForCluster(LabCluster cluster) throws InterruptedException, Failed {
        long deadline = System.nanoTime() + CLUSTER_TIMEOUT.toNanos();
        int lastUp = -1;
        while (System.nanoTime() < deadline) {
            failIfAgentDied(cluster);
            Optional<JsonObject> view = cluster.cluster("node1");
            int up = view.map(LabCluster::nodesFullyUp).orElse(0);
            if (up != lastUp) {
                out.printf("      %d/%d nodes up%n", up, NODES);
                out.flush();
                lastUp = up;
            }
            if (up == NODES && view.isPresent()) {
                printMembership(view.get());
                return view.get().getString("cluster");
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new Failed("the cluster did not form within " + CLUSTER_TIMEOUT.toSeconds() + " s (" + lastUp + "/"
                + NODES + " nodes with every service up)", logs(NODES));
    }

    /**
     * Waits until {@link DemoReadiness} finds nothing missing in node1's view; prints the modules' states when
     * they change.
     */
    private void waitForModules(LabCluster cluster) throws InterruptedException, Failed {
        long deadline = System.nanoTime() + MODULES_TIMEOUT.toNanos();
        String last = "";
        List<String> missing = List.of("node1's console did not answer");
        while (System.nanoTime() < deadline) {
            failIfAgentDied(cluster);
            Optional<JsonObject> view = cluster.cluster("node1");
            DemoReadiness r = view.map(DemoReadiness::of).orElse(null);
            String progress = r == null ? "node1's console does not answer" : r.progress();
            if (!progress.equals(last)) {
                out.println("[" + step + "/" + STEPS + "] waiting for modules: " + progress);
                out.flush();
                last = progress;
            }
            if (r != null && r.ready()) {
                return;
            }
            missing = r == null ? List.of("node1's console did not answer") : r.missing();
            Thread.sleep(POLL.toMillis());
        }
        List<String> lines = new ArrayList<>();
        lines.add("the modules were not all Ready within " + MODULES_TIMEOUT.toSeconds() + " s:");
        missing.forEach(m -> lines.add("  " + m));
        throw new Failed(lines, logsOf(missing));
    }

    /** Every module's service must answer through its VIP from the client, as a user would reach it. */
    private void probeEndpoints(LabCluster cluster) throws InterruptedException, Failed {
        LabClient client = cluster.lab().client(1);
        String pgPassword = dbPassword();
        for (DemoModules.Endpoint e : DemoModules.ENDPOINTS) {
            long deadline = System.nanoTime() + VIP_TIMEOUT.toNanos();
            String why = "no answer";
            while (true) {
                ExecResult r;
                try {
                    r = client.exec(Duration.ofSeconds(10), e.probe(pgPassword).toArray(String[]::new));
                } catch (io.steadfast.lab.LabException ex) {
                    r = new ExecResult(-1, "", String.valueOf(ex.getMessage()));
                }
                if (r.ok()) {
                    out.printf("      %-4s %s answers%s%n", e.module(), e.url(),
                            r.stdout().isBlank() ? "" : ": " + r.stdout().strip().lines().findFirst().orElse(""));
                    out.flush();
                    break;
                }
                why = r.stderr().isBlank() ? "exit " + r.exitCode() : r.stderr().strip();
                if (System.nanoTime() >= deadline) {
                    List<Path> logs = logs(NODES);
                    if (e.kind() == DemoModules.Kind.POSTGRESQL) {
                        DB_NODES.stream().map(this::pgLog).filter(Files::exists).forEach(logs::add);
                    }
                    throw new Failed(e.module() + ": " + e.url() + " does not answer from " + client.namespace()
                            + " within " + VIP_TIMEOUT.toSeconds() + " s: " + why, logs);
                }
                Thread.sleep(POLL.toMillis());
            }
        }
    }

    /**
     * The relay must be listening and reach this lab's console: a missing socat, or a port another program holds
     * (which would answer in its place), shows here.
     */
    private void waitForRelay(Process relay, Path log, String clusterName, String credentials)
            throws InterruptedException, Failed {
        // the console serves only its probes anonymously: read the cluster as the lab's read-only user
        String authorization = "Basic " + java.util.Base64.getEncoder().encodeToString(
                credentials.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI uri = URI.create("http://127.0.0.1:" + LabCluster.CONSOLE_PORT + "/api/v1/cluster");
        long deadline = System.nanoTime() + CONSOLE_TIMEOUT.toNanos();
        String why = "no answer";
        while (System.nanoTime() < deadline) {
            if (!relay.isAlive()) {
                throw new Failed("the console forwarder (socat) exited with " + relay.exitValue()
                        + " (is 127.0.0.1:" + LabCluster.CONSOLE_PORT + " taken?)", List.of(log));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5))
                                .header("Authorization", authorization).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && clusterName.equals(clusterNameIn(r.body()))) {
                    return;
                }
                why = "HTTP " + r.statusCode() + " without this lab's cluster " + clusterName;
            } catch (IOException e) {
                why = e.toString();
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new Failed("the console does not answer on " + uri + " within " + CONSOLE_TIMEOUT.toSeconds()
                + " s: " + why, List.of(log));
    }

    private static String clusterNameIn(String body) {
        try {
            return new JsonObject(body).getString("cluster");
        } catch (RuntimeException e) {
            return null;
        }
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
        out.println("State:     STEADFAST_TOKEN=" + credentials() + " ./steadfast state   (every read needs a user)");
        out.println("Modules:   " + String.join("   ", DemoModules.ENDPOINTS.stream()
                .map(e -> e.module() + " " + e.url()).toList()) + "   (VIPs, from the client " + PREFIX + "-c1)");
        DemoModules.Endpoint db = DemoModules.ENDPOINTS.getFirst();
        out.println("Query db:  " + DemoModules.queryCommand(PREFIX + "-c1", db, dbPassword()));
        out.println("           (PostgreSQL through the VIP: one visit more, then the visits per node that served"
                + " them; the password is also in " + dir.resolve("db.password") + ")");
        out.println("Swap:      STEADFAST_TOKEN=" + credentials() + " ./steadfast swap -m " + db.module()
                + "   (then query again: the rows are there, served by node2)");
        out.println("Inside:    ip netns exec " + PREFIX + "-n1 bash   (nodes " + PREFIX + "-n1..n" + NODES
                + ", client " + PREFIX + "-c1)");
        out.println("Config:    " + dir.resolve("steadfast.yml"));
        out.println("Remove:    ./steadfast demo --down");
        out.flush();
    }

    private String dbPassword() {
        try {
            return Files.readString(dir.resolve("db.password")).strip();
        } catch (IOException e) {
            return "(see " + dir.resolve("db.password") + ")";
        }
    }

    private String credentials() {
        try {
            return Files.readString(dir.resolve("admin.credentials")).strip();
        } catch (IOException e) {
            return "(see " + dir.resolve("admin.credentials") + ")";
        }
    }

    /**
     * Stops PostgreSQL (the template's stop with force, in each db node's agent's mount namespace), then the agents
     * and the forwarder (by the PIDs recorded), then PostgreSQL once more in each db node's own view of its copies
     * (a server an agent restarted meanwhile), then removes the lab's namespaces (and whatever still runs in them)
     * and the mount points in /run.
     */
    public int down() throws IOException {
        Path state = dir.resolve("demo.json");
        if (Files.exists(state)) {
            JsonObject json = new JsonObject(Files.readString(state));
            Map<String, Long> agents = new java.util.LinkedHashMap<>();
            json.getJsonObject("nodes", new JsonObject()).forEach(e -> agents.put(e.getKey(),
                    ((Number) e.getValue()).longValue()));
            stopDatabase(agents);
            List<Long> pids = new ArrayList<>();
            json.getJsonArray("agents", new JsonArray()).forEach(p -> pids.add(((Number) p).longValue()));
            pids.add(json.getLong("forwarder", -1L));
            List<ProcessHandle> killed = new ArrayList<>();
            for (long pid : pids) {
                ProcessHandle.of(pid).filter(Demo::isOurs).ifPresent(h -> {
                    h.destroyForcibly();
                    killed.add(h);
                });
            }
            for (ProcessHandle h : killed) {
                try {
                    h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (Exception e) {
                    err.println("steadfast demo: pid " + h.pid() + " did not exit: " + e);
                }
            }
            if (!agents.isEmpty()) {
                stopDatabaseInNodeViews();
            }
        }
        List<String> removed = Lab.destroy(PREFIX);
        Files.deleteIfExists(state);
        removeMountPoints();
        out.println(removed.isEmpty() ? "No demo lab was running." : "Removed the demo lab: " + String.join(" ", removed));
        return 0;
    }

    /**
     * With the agents gone (their replicated mounts with them): the template's stop with force in each db node's
     * namespace with its own copies bound on the configured paths, as the agent had them before its mount. Stops a
     * server left running (by the PID in postmaster.pid); "not running" otherwise.
     */
    private void stopDatabaseInNodeViews() {
        for (String node : DB_NODES) {
            String ns = PREFIX + "-n" + node.substring("node".length());
            if (!Lab.listNamespaces().contains(ns)) {
                continue;
            }
            List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns, "sh", "-c",
                    "mount --bind '" + copy(node, 0) + "' '" + DemoModules.DATA + "' && mount --bind '" + copy(node, 1)
                            + "' '" + DemoModules.LOCAL + "' && exec \"$@\"", "sh"));
            argv.addAll(DemoModules.pgScript(home, "stop"));
            argv.addAll(List.of("PRIM", "STOP", "demo", "force"));
            io.steadfast.exec.CommandResult r = new io.steadfast.exec.CommandRunner().run(argv, DB_STOP_TIMEOUT);
            if (!r.ok()) {
                err.println("steadfast demo: PostgreSQL on " + node + ": stop failed: " + r.describe());
                err.flush();
            }
        }
    }

    /** A node's copy of the i-th private directory (0: {@link DemoModules#DATA}, 1: {@link DemoModules#LOCAL}). */
    private Path copy(String node, int i) {
        return dir.resolve(node).resolve("private").resolve(String.valueOf(i));
    }

    /** A recorded PID is only killed if it is still one of ours (a steadfast agent or the socat relay). */
    private static boolean isOurs(ProcessHandle h) {
        String cmd = h.info().commandLine().orElse("");
        return cmd.contains("steadfast") || cmd.contains("socat");
    }
}
