package io.steadfast.node;

import io.steadfast.console.Role;
import io.steadfast.console.UsersFile;
import io.steadfast.lab.ExecResult;
import io.steadfast.lab.Lab;
import io.steadfast.lab.LabProcess;
import io.steadfast.node.demo.LabCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One mirror module of a {@link LabCluster} (on node1 and node2) as the lab ITs see it: its state through the
 * nodes' consoles, its VIP in the node namespaces, its application's answers at client1 ({@code <module>@<node>}
 * from examples/app). Every wait is bounded and fails with what it saw last.
 */
public record LabMirror(LabCluster cluster, String module, String vip, int port) {
    /** Agents took 46 s to start at load 50 (shared machine). */
    public static final Duration SETTLE = Duration.ofSeconds(180);
    public static final Duration SERVE = Duration.ofSeconds(60);
    public static final List<String> NODES = List.of("node1", "node2");
    /** The operator {@link #addOperator} writes; {@link #post} uses it. */
    static final String OPERATOR = "it:it-pass";

    /**
     * One 2-node mirror module (an entry under {@code modules:}) whose sample app ({@code examples/app}, pid files in
     * {@code appDir}) is started by start_prim and answers {@code <name>@<node>} on {@code vip:port}; heartbeats on
     * lan1 + lan2 at {@code heartbeatPort}, defaultprim node1. {@code heartbeat} and {@code service} are added inside
     * those maps (e.g. {@code "pulse: 250ms, timeout: 5s, "}, {@code ", maxloop: 3"}); {@code more}: further module
     * keys, one per line, indented by four spaces (e.g. {@code "    splitbrain: { witness: [198.18.0.1] }\n"}).
     */
    public static String sampleModule(Path home, Path appDir, String name, String vip, int port, int heartbeatPort,
                                      String heartbeat, String service, String more) {
        String app = home.resolve("examples/app").toString();
        return """
                  - name: %1$s
                    type: mirror
                    nodes: [node1, node2]
                    heartbeat: { %7$slans: [lan1, lan2], port: %6$d }
                    vip: { addr: %2$s/16, interface: eth0 }
                    service: { defaultprim: node1%8$s }
                    scripts:
                      prestart: [env, APP_DIR=%3$s, %5$s/stop]
                      start_prim: [env, PORT=%4$d, APP_DIR=%3$s, %5$s/start]
                      stop_prim: [env, APP_DIR=%3$s, %5$s/stop]
                      timeout: 20s
                """.formatted(name, vip, appDir, port, app, heartbeatPort, heartbeat, service) + more;
    }

    /** {@link #sampleModule} named {@code db}, heartbeat port 8888, as the whole {@code modules:} section. */
    public static String sampleModules(Path home, Path appDir, String vip, int port, String heartbeat, String more) {
        return "modules:\n" + sampleModule(home, appDir, "db", vip, port, 8888, heartbeat, "", more);
    }

    public Lab lab() {
        return cluster.lab();
    }

    public static String other(String node) {
        return node.equals("node1") ? "node2" : "node1";
    }

    /** The module as {@code from}'s console shows it (every node, with the history of each). */
    public Optional<JsonObject> view(String from) {
        return cluster.console(from, "/api/v1/modules/" + module);
    }

    /** {@code node}'s entry in the module view of {@code from}'s console. */
    public Optional<JsonObject> nodeView(String from, String node) {
        return view(from).flatMap(m -> m.getJsonArray("nodes", new JsonArray()).stream().map(o -> (JsonObject) o)
                .filter(n -> node.equals(n.getString("node"))).findFirst());
    }

    /** The module's state on {@code node} as its own console shows it (works while the node is cut off). */
    public Optional<String> ownState(String node) {
        return nodeView(node, node).filter(n -> !"TRANSIENT".equals(n.getString("readiness")))
                .map(n -> n.getString("state"));
    }

    public void awaitOwnState(String node, String state) throws InterruptedException {
        List<String> seen = new ArrayList<>();
        Optional<String> got = LabTesting.await(SETTLE, Duration.ofMillis(200), () -> {
            LabProcess agent = cluster.agent(node);
            if (!agent.isAlive()) {
                throw new AssertionError("the agent of " + node + " exited, log " + agent.logFile());
            }
            Optional<String> st = ownState(node);
            st.ifPresent(seen::add);
            return st.filter(state::equals);
        });
        assertThat(got).as("%s: %s %s within %s (seen %s)", module, node, state, SETTLE,
                seen.subList(Math.max(0, seen.size() - 3), seen.size())).isPresent();
    }

    /** The reasons of {@code node}'s transitions to {@code state}, from its own console's history, oldest first. */
    public List<String> reasons(String node, String state) {
        return nodeView(node, node).map(n -> n.getJsonArray("history", new JsonArray()).stream()
                .map(o -> (JsonObject) o).filter(t -> state.equals(t.getString("state")))
                .map(t -> t.getString("reason")).toList()).orElse(List.of());
    }

    /** Waits until {@code node}'s own history has a transition to {@code state} whose reason contains {@code text}. */
    public String awaitReason(String node, String state, String text) throws InterruptedException {
        List<List<String>> seen = new ArrayList<>();
        Optional<String> got = LabTesting.await(SETTLE, Duration.ofMillis(250), () -> {
            List<String> r = reasons(node, state);
            seen.add(r);
            return r.stream().filter(x -> x.contains(text)).findFirst();
        });
        assertThat(got).as("%s: %s went %s because of \"%s\" (its %s reasons: %s)", module, node, state, text, state,
                seen.isEmpty() ? List.of() : seen.getLast()).isPresent();
        return got.get();
    }

    /** A checker of the module on {@code node} as {@code node}'s console last saw it (published on transitions). */
    public Optional<JsonObject> checker(String node, String name) {
        return nodeView(node, node).flatMap(n -> n.getJsonArray("checkers", new JsonArray()).stream()
                .map(o -> (JsonObject) o).filter(c -> name.equals(c.getString("checker"))).findFirst());
    }

    /** Waits until checker {@code name} on {@code node} is {@code status}; returns it. */
    public JsonObject awaitChecker(String node, String name, String status) throws InterruptedException {
        return awaitChecker(node, name, status, 0);
    }

    /** As {@link #awaitChecker(String, String, String)}, for a status reached at or after {@code since} (epoch ms). */
    public JsonObject awaitChecker(String node, String name, String status, long since) throws InterruptedException {
        List<String> seen = new ArrayList<>();
        Optional<JsonObject> got = LabTesting.await(SETTLE, Duration.ofMillis(250), () -> {
            Optional<JsonObject> c = checker(node, name);
            c.ifPresent(x -> seen.add(x.encode()));
            return c.filter(x -> status.equals(x.getString("status")) && x.getLong("at", 0L) >= since);
        });
        assertThat(got).as("%s: checker %s on %s %s (seen %s)", module, name, node, status,
                seen.subList(Math.max(0, seen.size() - 2), seen.size())).isPresent();
        return got.get();
    }

    /** The module log of {@code node} (its last {@code 1000} lines) through its own console; empty if none. */
    public List<String> log(String node) {
        return cluster.console(node, "/api/v1/modules/" + module + "/log?lines=1000&node=" + node)
                .map(l -> l.getJsonArray("lines", new JsonArray()).stream()
                        .map(o -> ((JsonObject) o).getString("line")).toList()).orElse(List.of());
    }

    /** Waits until the module log of {@code node} has a line containing {@code text}; returns it. */
    public String awaitLog(String node, String text) throws InterruptedException {
        List<String> last = new ArrayList<>();
        Optional<String> got = LabTesting.await(SETTLE, Duration.ofMillis(500), () -> {
            List<String> lines = log(node);
            last.clear();
            last.addAll(lines.subList(Math.max(0, lines.size() - 5), lines.size()));
            return lines.stream().filter(l -> l.contains(text)).findFirst();
        });
        assertThat(got).as("%s: a log line of %s containing \"%s\" (last lines %s)", module, node, text, last)
                .isPresent();
        return got.get();
    }

    /** Waits until {@code primary} (null: either node) is PRIM/READY and the other SECOND/READY; returns it. */
    public String awaitRoles(String primary) throws InterruptedException {
        List<String> seen = new ArrayList<>();
        Optional<String> prim = LabTesting.await(SETTLE, Duration.ofMillis(250), () -> {
            failOnDeadAgent();
            for (String from : NODES) {
                Optional<JsonObject> m = view(from);
                if (m.isEmpty()) {
                    continue;
                }
                String p = null;
                boolean second = false;
                JsonArray nodes = m.get().getJsonArray("nodes", new JsonArray());
                for (Object o : nodes) {
                    JsonObject n = (JsonObject) o;
                    boolean ready = "READY".equals(n.getString("readiness"));
                    if ("PRIM".equals(n.getString("state")) && ready) {
                        p = n.getString("node");
                    } else if ("SECOND".equals(n.getString("state")) && ready) {
                        second = true;
                    }
                }
                seen.add(nodes.stream().map(o -> (JsonObject) o).map(n -> n.getString("node") + "="
                        + n.getString("state") + "/" + n.getString("readiness") + " (" + n.getString("reason") + ")")
                        .toList().toString());
                if (p != null && (primary == null || primary.equals(p)) && second) {
                    return Optional.of(p);
                }
            }
            return Optional.empty();
        });
        assertThat(prim).as("%s: %s PRIM + the other SECOND Ready within %s; last views %s", module, primary, SETTLE,
                seen.subList(Math.max(0, seen.size() - 2), seen.size())).isPresent();
        return prim.get();
    }

    public void failOnDeadAgent() {
        cluster.deadAgent().ifPresent(p -> {
            throw new AssertionError("an agent exited: " + p + ", log " + p.logFile());
        });
    }

    /** Bounded polling of the client: the VIP answers with {@code who} (e.g. {@code db@node2}). */
    public void awaitAnswer(String who) throws InterruptedException {
        List<String> last = new ArrayList<>();
        Optional<String> got = LabTesting.await(SERVE, Duration.ofMillis(100), () -> {
            String body = answer();
            last.add(body);
            return body.contains(who) ? Optional.of(body) : Optional.empty();
        });
        assertThat(got).as("the VIP %s answers %s within %s (last answers %s)", vip, who, SERVE,
                last.subList(Math.max(0, last.size() - 3), last.size())).isPresent();
    }

    /** One request from client1 to the VIP (1 s at most); the body, or "" when none came. */
    public String answer() {
        ExecResult r = lab().client(1).exec(Duration.ofSeconds(5), "curl", "-s", "-m", "1",
                "http://" + vip + ":" + port + "/");
        return r.stdout().strip();
    }

    public boolean hasVip(String node) {
        ExecResult r = lab().node(node).exec(Duration.ofSeconds(5), "ip", "-j", "-4", "addr", "show", "dev", "eth0");
        assertThat(r.ok()).as("ip addr on %s: %s", node, r.stderr()).isTrue();
        for (Object o : new JsonArray(r.stdout())) {
            for (Object a : ((JsonObject) o).getJsonArray("addr_info", new JsonArray())) {
                if (vip.equals(((JsonObject) a).getString("local"))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The VIP is on {@code node} and not on the other one (bounded wait: releases are asynchronous). */
    public void awaitVipOnlyOn(String node) throws InterruptedException {
        String other = other(node);
        Optional<Boolean> ok = LabTesting.await(Duration.ofSeconds(15), Duration.ofMillis(200),
                () -> hasVip(node) && !hasVip(other) ? Optional.of(true) : Optional.empty());
        assertThat(ok).as("%s: VIP on %s only (on %s: %s, on %s: %s)", module, node, node, hasVip(node), other,
                hasVip(other)).isPresent();
    }

    /** Something listens on the app's port on {@code node} and on no other node. */
    public void awaitAppOnlyOn(String node) throws InterruptedException {
        String other = other(node);
        Optional<Boolean> ok = LabTesting.await(Duration.ofSeconds(15), Duration.ofMillis(200),
                () -> listens(node) && !listens(other) ? Optional.of(true) : Optional.empty());
        assertThat(ok).as("%s: app on %s only (on %s: %s, on %s: %s)", module, node, node, listens(node), other,
                listens(other)).isPresent();
    }

    public boolean listens(String node) {
        ExecResult r = lab().node(node).exec(Duration.ofSeconds(5), "ss", "-Hltn", "sport = :" + port);
        return r.ok() && !r.stdout().isBlank();
    }

    /** POST a console command as the operator of {@link #addOperator}, through {@code node}'s own console. */
    public static void post(LabCluster cluster, String node, String path) {
        ExecResult r = cluster.lab().node(node).exec(Duration.ofSeconds(70), "curl", "-s", "-m", "65", "-X", "POST",
                "-u", OPERATOR, "-H", "X-Steadfast-Request: it",
                "http://127.0.0.1:" + LabCluster.CONSOLE_PORT + path);
        assertThat(r.exitCode()).as("POST %s: %s", path, r.stdout()).isZero();
        assertThat(r.stdout()).as("POST %s", path).doesNotContain("\"error\"");
    }

    /** An admin in the lab's users file, so that the console accepts commands (no default password exists). */
    public static void addOperator(LabCluster cluster) throws Exception {
        int colon = OPERATOR.indexOf(':');
        UsersFile.add(cluster.usersFile(), OPERATOR.substring(0, colon), Role.ADMIN,
                OPERATOR.substring(colon + 1).toCharArray(), true, 1000);
        assertThat(Files.readString(cluster.config())).as("the lab config names the users file")
                .contains("users_file: " + cluster.usersFile());
    }
}
