package io.steadfast.node.demo;

import io.steadfast.console.Role;
import io.steadfast.console.UsersFile;
import io.steadfast.lab.ExecResult;
import io.steadfast.lab.Lab;
import io.steadfast.lab.LabNode;
import io.steadfast.lab.LabProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Node agents running in the nodes of a {@link Lab}: the demo and the integration tests use it. It writes the
 * cluster config (every lab node, consoles bound to the node address), a fresh secret, a console users file with a
 * read-only user of its own ({@value #READER}, monitor, random password: the consoles serve only their probes
 * anonymously, and {@link #console} reads as that user), and starts {@code <home>/steadfast node …} in each node's
 * namespace, each with its own state directory.
 */
public final class LabCluster {
    public static final int CONSOLE_PORT = 9400;
    /** The lab's own console user (role monitor), for {@link #console}. */
    public static final String READER = "lab-reader";
    /**
     * PBKDF2 rounds of the reader's hash: its password is 128 random bits, which no number of rounds makes harder to
     * guess; fewer rounds keep the lab's frequent reads cheap on a busy machine.
     */
    static final int READER_ITERATIONS = 10_000;

    private final Lab lab;
    private final Path home;
    private final Path dir;
    private final Path config;
    private final Path usersFile;
    private final String readerCredentials;
    private final Map<String, LabProcess> agents = new LinkedHashMap<>();
    private final List<Path> privateDirs = new java.util.ArrayList<>();
    private boolean watchdog;

    private LabCluster(Lab lab, Path home, Path dir, Path config, Path usersFile, String readerCredentials) {
        this.lab = lab;
        this.home = home;
        this.dir = dir;
        this.config = config;
        this.usersFile = usersFile;
        this.readerCredentials = readerCredentials;
    }

    /**
     * Writes the config into {@code dir} with {@code modulesYaml} (the {@code modules:} section, YAML text
     * including the key; may be {@code "modules: []\n"}).
     */
    public static LabCluster configure(Lab lab, Path home, Path dir, String modulesYaml) throws IOException {
        return configure(lab, home, dir, modulesYaml, java.util.Optional.empty());
    }

    /**
     * As above, with the consoles' {@code users_file} (commands need a user from it); the lab's reader is added to
     * it. Without one, {@code <dir>/users} is written with the reader only.
     */
    public static LabCluster configure(Lab lab, Path home, Path dir, String modulesYaml, Optional<Path> usersFile)
            throws IOException {
        Files.createDirectories(dir);
        Path users = usersFile.orElse(dir.resolve("users"));
        byte[] pw = new byte[16];
        new SecureRandom().nextBytes(pw);
        String readerPassword = HexFormat.of().formatHex(pw);
        UsersFile.add(users, READER, Role.MONITOR, readerPassword.toCharArray(), true, READER_ITERATIONS);
        Path secret = dir.resolve("secret");
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Files.writeString(secret, HexFormat.of().formatHex(key) + "\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Path config = dir.resolve("steadfast.yml");
        Files.writeString(config, clusterYaml(lab, lab.prefix() + "-" + HexFormat.of().formatHex(key, 0, 3), secret,
                dir.resolve("state"), Optional.of(users)) + modulesYaml);
        return new LabCluster(lab, home, dir, config, users, READER + ":" + readerPassword);
    }

    static String clusterYaml(Lab lab, String clusterName, Path secretFile, Path stateDir, Optional<Path> usersFile) {
        StringBuilder y = new StringBuilder();
        y.append("# Written for the lab ").append(lab.prefix()).append(".\n");
        y.append("cluster:\n");
        y.append("  name: ").append(clusterName).append('\n');
        y.append("  secret_file: ").append(secretFile).append('\n');
        y.append("  state_dir: ").append(stateDir).append('\n');
        y.append("  console: { port: ").append(CONSOLE_PORT).append(", bind: 0.0.0.0")
                .append(usersFile.map(u -> ", users_file: " + u).orElse("")).append(" }\n");
        y.append("  nodes:\n");
        for (LabNode n : lab.nodes()) {
            y.append("    - name: ").append(n.name()).append('\n');
            y.append("      addr: ").append(n.addr()).append('\n');
            y.append("      lans: {");
            for (int lan = 1; lan <= n.lans(); lan++) {
                y.append(lan > 1 ? ", " : " ").append("lan").append(lan).append(": ").append(n.addr(lan));
            }
            y.append(" }\n");
        }
        return y.toString();
    }

    /**
     * Lets the launcher start `steadfast watchdog` beside each agent, as in production. Off by default so that a
     * test decides: a test that freezes an agent and thaws it must not have it killed by a watchdog meanwhile.
     */
    public LabCluster withWatchdog() {
        this.watchdog = true;
        return this;
    }

    /**
     * Gives each node its own copy of {@code path} (a replicated directory of the config): the agent is started with
     * {@code <dir>/<node>/private/<i>} bound onto {@code path} in its own mount namespace ({@code ip netns exec}
     * already gives each started process one), so every node sees its copy at the configured path.
     */
    public LabCluster privateDir(Path path) throws IOException {
        Files.createDirectories(path);
        privateDirs.add(path);
        return this;
    }

    /** This node's copy of a {@link #privateDir(Path)}, as seen from outside the node. */
    public Path privateCopy(String node, Path path) {
        return dir.resolve(node).resolve("private").resolve(String.valueOf(privateDirs.indexOf(path)));
    }

    private List<String> wrapper(String node) {
        List<String> w = new java.util.ArrayList<>(List.of("setsid"));
        w.addAll(binds(node));
        return w;
    }

    /**
     * Runs {@code argv} in {@code node}'s namespace as the agent would see the file system: its copies of the
     * {@link #privateDir(Path) private directories} bound on their paths (in a mount namespace of its own, gone when
     * the command exits; the agent's mounts, FUSE included, are not there). Bounded by {@code timeout}.
     */
    public ExecResult execWithPrivateDirs(String node, Duration timeout, String... argv) {
        List<String> full = new java.util.ArrayList<>(binds(node));
        full.addAll(List.of(argv));
        return lab.node(node).exec(timeout, full.toArray(String[]::new));
    }

    /** {@code sh -c 'mount --bind … && exec "$@"' sh}: the bind mounts of the private directories, if any. */
    private List<String> binds(String node) {
        if (privateDirs.isEmpty()) {
            return List.of();
        }
        StringBuilder script = new StringBuilder();
        for (Path p : privateDirs) {
            Path copy = privateCopy(node, p);
            try {
                Files.createDirectories(copy);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            script.append("mount --bind '").append(copy).append("' '").append(p).append("' && ");
        }
        script.append("exec \"$@\"");
        return List.of("sh", "-c", script.toString(), "sh");
    }

    public Path config() {
        return config;
    }

    public Path dir() {
        return dir;
    }

    public Lab lab() {
        return lab;
    }

    /** Starts (or restarts, if its JVM is gone) the agent of one node; its log goes to {@code <dir>/<node>.log}. */
    public LabProcess start(String node) {
        return launch(node, node, List.of("node"));
    }

    /** The agent of one node running only the listed services ({@code --services}). */
    public LabProcess start(String node, List<String> services) {
        return launch(node, node, List.of("node", "--services", String.join(",", services)));
    }

    /** One service alone in its own JVM ({@code steadfast svc X}); key {@code node/service}. */
    public LabProcess startService(String node, String service) {
        return launch(node + "/" + service, node, List.of("svc", service));
    }

    private LabProcess launch(String key, String node, List<String> command) {
        LabProcess old = agents.get(key);
        if (old != null && old.isAlive()) {
            throw new IllegalStateException(key + " is still running (pid " + old.pid() + ")");
        }
        List<String> argv = new java.util.ArrayList<>();
        argv.add(home.resolve("steadfast").toString());
        argv.addAll(command);
        argv.addAll(List.of("--config", config.toString(), "--node", node,
                "--state-dir", dir.resolve(node).resolve("state").toString()));
        LabProcess p = lab.node(node).start(dir.resolve(key.replace('/', '-') + ".log"),
                Map.of("STEADFAST_NO_BUILD", "1", "STEADFAST_WATCHDOG", watchdog ? "1" : "0"), wrapper(node),
                argv.toArray(String[]::new));
        agents.put(key, p);
        return p;
    }

    public void startAll() {
        lab.nodes().forEach(n -> start(n.name()));
    }

    /** The JVM started for {@code key}: a node name, or {@code node/service} for a service alone. */
    public LabProcess agent(String key) {
        return Optional.ofNullable(agents.get(key)).orElseThrow(() -> new IllegalArgumentException("no agent " + key));
    }

    public Map<String, LabProcess> agents() {
        return Map.copyOf(agents);
    }

    /** An agent that exited, if any (for a wait loop to fail fast with its log). */
    public Optional<LabProcess> deadAgent() {
        return agents.values().stream().filter(p -> !p.isAlive()).findFirst();
    }

    /**
     * Publishes the console of {@code node} on {@code bind:port} of the calling namespace (the machine's own, for a
     * browser there): a socat listening here enters the node's namespace for each connection ({@code ip netns exec
     * … socat STDIO TCP:addr:9400}). Nothing in this namespace's network configuration changes: it is only a
     * listening socket. The relay runs in its own session ({@code setsid}) so that the demo can leave it behind;
     * stop it with {@link #stopRelay(Process)}. Its messages go to {@code log}.
     */
    public Process relayConsole(String node, String bind, int port, Path log) throws IOException {
        LabNode n = lab.node(node);
        // socat splits its address on ':' — the inner ones are escaped
        String target = "ip netns exec " + n.namespace() + " socat STDIO TCP\\:" + n.addr() + "\\:" + CONSOLE_PORT;
        ProcessBuilder pb = new ProcessBuilder("setsid", "socat",
                "TCP-LISTEN:" + port + ",bind=" + bind + ",fork,reuseaddr", "EXEC:" + target)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return pb.start();
    }

    /** Kills a {@link #relayConsole} relay and the connections it forked (by their PIDs), and waits for it. */
    public static void stopRelay(Process relay) throws InterruptedException {
        relay.descendants().forEach(ProcessHandle::destroyForcibly);
        relay.destroyForcibly();
        relay.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** The consoles' users file (the lab's reader is in it; tests add operators with {@code UsersFile.add}). */
    public Path usersFile() {
        return usersFile;
    }

    /** {@code user:password} of the lab's read-only console user ({@link #READER}). */
    public String readerCredentials() {
        return readerCredentials;
    }

    /**
     * GET a console path on {@code node} from inside its namespace, as the lab's reader; empty when it does not
     * answer 2xx.
     */
    public Optional<JsonObject> console(String node, String path) {
        LabNode n = lab.node(node);
        ExecResult r;
        try {
            // curl gives up after 5 s; the margin is for starting it on a saturated machine. The reader's password
            // on curl's command line is visible to local processes: acceptable for a lab, which is root's alone.
            r = n.exec(Duration.ofSeconds(15), "curl", "-sf", "--max-time", "5", "-u", readerCredentials,
                    "http://" + n.addr() + ":" + CONSOLE_PORT + path);
        } catch (io.steadfast.lab.LabException e) {
            return Optional.empty();
        }
        if (!r.ok()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new JsonObject(r.stdout()));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The cluster as {@code node}'s console sees it. */
    public Optional<JsonObject> cluster(String node) {
        return console(node, "/api/v1/cluster");
    }

    /** Nodes that are members and whose every service answers health. */
    public static int nodesFullyUp(JsonObject cluster) {
        int n = 0;
        for (Object o : cluster.getJsonArray("nodes", new JsonArray())) {
            if (fullyUp((JsonObject) o)) {
                n++;
            }
        }
        return n;
    }

    public static boolean fullyUp(JsonObject node) {
        JsonArray services = node.getJsonArray("services", new JsonArray());
        return node.getBoolean("up", false) && !services.isEmpty()
                && services.stream().allMatch(s -> ((JsonObject) s).getBoolean("up", false));
    }

    public static Optional<JsonObject> node(JsonObject cluster, String name) {
        return cluster.getJsonArray("nodes", new JsonArray()).stream().map(o -> (JsonObject) o)
                .filter(n -> name.equals(n.getString("name"))).findFirst();
    }
}
