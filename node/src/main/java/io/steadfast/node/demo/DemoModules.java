package io.steadfast.node.demo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The modules the demo runs: a mirror {@code db} (node1 + node2, VIP 198.18.0.60: PostgreSQL of the project's
 * template, as user postgres, its data directory on the replicated directory) and a farm {@code web} (all three
 * nodes, VIP 198.18.0.50, the sample app on 8081, shared by client address).
 *
 * <p>The lab's nodes share this machine's file system, so each node's agent sees its own copy of two directories
 * (LabCluster.privateDir, bound in the agent's mount namespace): {@link #DATA} (the replicated directory) and
 * {@link #LOCAL} (what is local to a node on a real machine: PostgreSQL's socket directory, its log, and a file
 * naming the node). They are under /run, not under the checkout, so that user postgres can reach them (a checkout
 * in /root is not). The copies themselves live in the demo's directory ({@code <home>/.lab/demo/<node>/private/}).
 */
final class DemoModules {
    static final String MIRROR_VIP = "198.18.0.60";
    static final String FARM_VIP = "198.18.0.50";
    /** The mount points of the per-node directories (empty on the host). */
    static final Path BASE = Path.of("/run/steadfast-demo");
    /** The mirror's replicated directory. */
    static final Path DATA = BASE.resolve("db");
    /** Node-local: socket directory, server log, node.conf. */
    static final Path LOCAL = BASE.resolve("local");
    static final Path PGDATA = DATA.resolve("postgresql");
    static final int PG_PORT = 5432;
    /** The database, its role and the network allowed to log in as that role (the lab's lan1). */
    static final String PG_DATABASE = "demo";
    static final String PG_ROLE = "demo";
    static final String PG_CLIENTS = "198.18.0.0/16";
    /** Included by postgresql.conf: {@code cluster_name = '<node>'}, so a query tells which node served it. */
    static final Path NODE_CONF = LOCAL.resolve("node.conf");
    static final String NODE_CONF_NAME = "node.conf";
    /** The server's log, relative to a node's copy of {@link #LOCAL}. */
    static final String PG_LOG_NAME = "postgresql.log";

    enum Kind { HTTP, POSTGRESQL }

    /**
     * A module's service as the lab's client reaches it through the VIP: what the demo probes before it says it
     * works, and what it tells the user to type.
     */
    record Endpoint(String module, String addr, int port, Kind kind) {
        /** Without the password: what the summary shows. */
        String url() {
            return switch (kind) {
                case HTTP -> "http://" + addr + ":" + port + "/";
                case POSTGRESQL -> "postgresql://" + PG_ROLE + "@" + addr + ":" + port + "/" + PG_DATABASE;
            };
        }

        /** The probe, run in the client's namespace: exit 0 when the service answers. */
        List<String> probe(String pgPassword) {
            return switch (kind) {
                case HTTP -> List.of("curl", "-sS", "-f", "--max-time", "3", url());
                // a login and a query, as the user's command does: the role, its password, pg_hba and the table
                case POSTGRESQL -> List.of("psql", "-X", "-At", connection(this, pgPassword, 3),
                        "-c", "select count(*) || ' visits' from visits");
            };
        }
    }

    /** One per module of {@link #yaml}; change both together. */
    static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("db", MIRROR_VIP, PG_PORT, Kind.POSTGRESQL),
            new Endpoint("web", FARM_VIP, 8081, Kind.HTTP));

    private DemoModules() {
    }

    /** A libpq URI with the password; {@code connectTimeout} seconds (0: libpq's default). */
    static String connection(Endpoint e, String password, int connectTimeout) {
        return "postgresql://" + PG_ROLE + ":" + password + "@" + e.addr() + ":" + e.port() + "/" + PG_DATABASE
                + (connectTimeout > 0 ? "?connect_timeout=" + connectTimeout : "");
    }

    /** The SQL of the command the demo prints: one visit more, then the visits per node that served them. */
    static final String VISIT_SQL = "insert into visits default values; "
            + "select served_by, count(*) as visits, max(at) as last from visits group by 1 order by 1";

    /** The one-line command a user types on this machine to query the database through the VIP. */
    static String queryCommand(String clientNamespace, Endpoint e, String password) {
        return "ip netns exec " + clientNamespace + " psql \"" + connection(e, password, 0) + "\" -c '" + VISIT_SQL
                + "'";
    }

    /** The template's settings, as the module's scripts get them (argv for /usr/bin/env). */
    static List<String> pgEnv() {
        return List.of("PGDATA=" + PGDATA, "PGPORT=" + PG_PORT, "PG_SOCKET_DIR=" + LOCAL.resolve("run"),
                "PG_LOG=" + LOCAL.resolve(PG_LOG_NAME));
    }

    /** {@code [env, PGDATA=…, …, <home>/templates/postgresql/<script>]}. */
    static List<String> pgScript(Path home, String script) {
        List<String> argv = new ArrayList<>();
        argv.add("env");
        argv.addAll(pgEnv());
        argv.add(home.resolve("templates").resolve("postgresql").resolve(script).toString());
        return argv;
    }

    /**
     * Runs the template's {@code stop} with {@code force} in the mount namespace of {@code pid} (a node's agent, whose
     * namespace has the node's copies and the replicated mount): what {@code demo --down} does before it removes
     * the lab.
     */
    static List<String> pgForceStop(Path home, long pid, String node) {
        List<String> argv = new ArrayList<>(List.of("nsenter", "-t", String.valueOf(pid), "-m", "--", "env",
                "STEADFAST_NODE=" + node, "STEADFAST_MODULE=db"));
        argv.addAll(pgScript(home, "stop").subList(1, pgScript(home, "stop").size()));
        argv.addAll(List.of("PRIM", "STOP", "demo", "force"));
        return argv;
    }

    static String yaml(Path home) {
        String app = home.resolve("examples").resolve("app").toString();
        return """
                modules:
                  - name: db
                    type: mirror
                    nodes: [node1, node2]
                    heartbeat: { lans: [lan1, lan2], port: 8888 }
                    vip: { addr: %2$s/16, interface: eth0 }
                    service: { defaultprim: node1 }
                    splitbrain: { witness: [198.18.0.1] }
                    replication: { dirs: [%4$s], port: 5600 }
                    scripts:
                      prestart: %5$s
                      start_prim: %6$s
                      stop_prim: %5$s
                      timeout: 60s
                    checkers:
                      - { name: pg-port, type: tcp, target: "127.0.0.1:%7$d", interval: 2s, timeout: 1s, on_failure: restart }
                      - { name: pg-query, type: custom, command: %8$s, interval: 10s, timeout: 5s, on_failure: restart }
                  - name: web
                    type: farm
                    nodes: [node1, node2, node3]
                    heartbeat: { lans: [lan1], port: 8890 }
                    vip: { addr: %3$s/32, interface: eth0 }
                    farm:
                      rules:
                        - { proto: tcp, port: 8081, filter: on_addr }
                    scripts:
                      start_both: [env, PORT=8081, %1$s/start]
                      stop_both: [%1$s/stop]
                      timeout: 20s
                """.formatted(app, MIRROR_VIP, FARM_VIP, DATA, flow(pgScript(home, "stop")),
                flow(pgScript(home, "start")), PG_PORT, flow(pgScript(home, "check")));
    }

    /** A YAML flow sequence of plain words (paths and KEY=value: no character YAML would need quoted). */
    private static String flow(List<String> argv) {
        return "[" + String.join(", ", argv) + "]";
    }
}
