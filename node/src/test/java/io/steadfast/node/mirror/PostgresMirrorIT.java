package io.steadfast.node.mirror;

import io.steadfast.lab.Lab;
import io.steadfast.lab.LabClient;
import io.steadfast.lab.LabSpec;
import io.steadfast.node.LabDatabase;
import io.steadfast.node.LabMirror;
import io.steadfast.node.LabTesting;
import io.steadfast.node.demo.LabCluster;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.steadfast.node.LabDatabase.expectOk;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15, item 3: PostgreSQL of {@code templates/postgresql} on a mirror module with real agents, real replication
 * (the data directory on the module's replicated directory) and the switch as witness. pgbench and a ledger client
 * (one committed row per transaction, each acknowledged one recorded) work through the VIP from the client; the
 * primary loses power (links cut, then the agent and the postmaster tree killed -9) → node2 serves through the VIP
 * from its replicated copy (the template's start runs crash recovery) with every acknowledged row, pg_amcheck clean;
 * node1 returns → SECOND, resynchronised; swap back → every acknowledged row still there, on node1.
 */
class PostgresMirrorIT {
    static final String VIP = "198.18.0.61";
    static final int PORT = 5432;
    static final Path TEMPLATE = Path.of("..", "templates", "postgresql").toAbsolutePath().normalize();
    static final Path PGBIN = pgbin();
    static final Duration SERVE = Duration.ofSeconds(180);

    /** Under /tmp (see {@link LabTesting#appWorkDir}), removed after the test. */
    Path dir;

    @org.junit.jupiter.api.AfterEach
    void removeWorkDir() throws Exception {
        LabTesting.removeTree(dir);
    }

    @Test
    void powerLossOfThePrimaryLosesNoCommittedRow() throws Exception {
        LabTesting.requireRoot();
        Path home = LabTesting.home();
        dir = LabTesting.appWorkDir("pg-mirror"); // the servers' users must reach it
        Path data = dir.resolve("pg");        // replicated (replication.dirs); each node has its own copy
        Path local = dir.resolve("pglocal");  // node-local: unix socket, server log
        Path pgdata = data.resolve("data");
        try (Lab lab = Lab.create(LabSpec.builder().nodes(2).clients(1).secondLan(true).build())) {
            LabClient client = lab.client(1);
            LabCluster cluster = LabCluster.configure(lab, home, dir.resolve("cluster"),
                    modules(pgdata, data, local)).privateDir(data).privateDir(local);
            LabMirror.addOperator(cluster);
            LabMirror pg = new LabMirror(cluster, "pg", VIP, PORT);
            List<Process> load = new ArrayList<>();
            try {
                cluster.startAll();
                pg.awaitRoles("node1"); // defaultprim: start_prim found no data directory yet, nothing to start

                // once, on the primary, through the replicated mount: initdb as postgres, the client trusted
                String[] env = {"env", "PGDATA=" + pgdata, "PG_SOCKET_DIR=" + local.resolve("sock"),
                        "PG_LOG=" + local.resolve("pg.log")};
                expectOk(LabDatabase.onNode(cluster, "node1", LabDatabase.CMD, concat(env,
                        TEMPLATE.resolve("init").toString())), "init");
                expectOk(LabDatabase.onNode(cluster, "node1", Duration.ofSeconds(30), "sh", "-c",
                        "echo 'host all all " + client.addr() + "/32 trust' >> '" + pgdata + "/pg_hba.conf'"),
                        "pg_hba.conf");
                LabMirror.post(cluster, "node1", "/api/v1/modules/pg/nodes/node1/restart"); // start_prim: the server
                expectOk(LabDatabase.awaitOk(client, SERVE, psql("select 1")), "psql through the VIP");
                expectOk(client.exec(LabDatabase.CMD, psql("create table ledger(id bigint primary key)")), "ledger");
                expectOk(client.exec(LabDatabase.CMD, pg("pgbench", "-i", "-s", "1", "-q")), "pgbench -i");
                load.add(LabDatabase.background(client, dir.resolve("pgbench.log"),
                        pg("pgbench", "-n", "-c", "2", "-j", "1", "-T", "900")));

                List<Long> acked;
                long lost;
                try (LabDatabase.Ledger ledger = new LabDatabase.Ledger(client, dir.resolve("ledger.log"),
                        n -> "insert into ledger(id) values (" + n + "); select " + n + ";",
                        pg("psql", "-X", "-At", "-q", "-v", "ON_ERROR_STOP=1"))) {
                    ledger.awaitRows(200, SERVE);
                    lost = System.nanoTime();
                    LabDatabase.powerLoss(cluster, "node1",
                            cluster.privateCopy("node1", data).resolve("data/postmaster.pid"), "/postgres", VIP + "/16");
                    ledger.awaitEnd();
                    acked = ledger.acked();
                }
                LabDatabase.stop(load.removeFirst());

                // node2 serves from its replicated copy: every acknowledged row, heap and indexes sound
                pg.awaitOwnState("node2", "ALONE");
                expectOk(LabDatabase.awaitOk(client, SERVE, psql("select 1")), "psql through the VIP on node2");
                System.out.printf("PostgresMirrorIT: %d rows acknowledged before the power loss; node2 answered "
                        + "through the VIP %d ms after it%n", acked.size(), (System.nanoTime() - lost) / 1_000_000);
                assertThat(pg.hasVip("node2")).isTrue();
                assertThat(rows(client)).as("every acknowledged row on node2").containsAll(acked);
                amcheck(client);
                expectOk(client.exec(LabDatabase.CMD, psql("insert into ledger(id) values (-1)")), "row on node2");

                // node1 returns: SECOND, resynchronised; swapped back, it has every row
                lab.node("node1").rejoin();
                cluster.start("node1");
                pg.awaitRoles("node2");
                LabMirror.post(cluster, "node1", "/api/v1/modules/pg/nodes/node1/swap");
                pg.awaitRoles("node1");
                pg.awaitVipOnlyOn("node1");
                expectOk(LabDatabase.awaitOk(client, SERVE, psql("select 1")), "psql through the VIP on node1");
                assertThat(rows(client)).as("every acknowledged row on node1 after the swap").containsAll(acked)
                        .contains(-1L);
                amcheck(client);
            } finally {
                for (Process p : load) {
                    LabDatabase.stop(p);
                }
                for (String n : LabMirror.NODES) { // the servers run outside the agents' trees
                    LabDatabase.killServer(cluster.privateCopy(n, data).resolve("data/postmaster.pid"), "/postgres");
                }
            }
        }
    }

    /**
     * The module: the replicated directory {@code data}, the template's scripts with PGDATA on it (start_prim does
     * nothing until the test initialised the data directory), the socket and log in {@code local}.
     */
    static String modules(Path pgdata, Path data, Path local) {
        String env = "/usr/bin/env, PGDATA=" + pgdata + ", PGPORT=" + PORT + ", PG_SOCKET_DIR=" + local.resolve("sock")
                + ", PG_LOG=" + local.resolve("pg.log");
        String t = TEMPLATE.toString();
        return """
                modules:
                  - name: pg
                    type: mirror
                    nodes: [node1, node2]
                    heartbeat: { lans: [lan1, lan2], port: 8892 }
                    vip: { addr: %1$s/16, interface: eth0 }
                    replication: { dirs: [%2$s], port: 5602 }
                    service: { defaultprim: node1 }
                    splitbrain: { witness: [198.18.0.1] }
                    scripts:
                      prestart: [%3$s, %4$s/stop]
                      start_prim: [%3$s, sh, -c, '[ -f "$PGDATA/PG_VERSION" ] || { echo "no data directory yet"; exit 0; }; exec "$0" "$@"', %4$s/start]
                      stop_prim: [%3$s, %4$s/stop]
                      timeout: 90s
                """.formatted(VIP, data, env, t);
    }

    /** A PostgreSQL client program run as root in the client namespace on the VIP, as the trusted user postgres. */
    static String[] pg(String program, String... args) {
        List<String> argv = new ArrayList<>(List.of("env", "PGCONNECT_TIMEOUT=5", "PGHOST=" + VIP, "PGPORT=" + PORT,
                "PGUSER=postgres", "PGDATABASE=postgres", PGBIN.resolve(program).toString()));
        argv.addAll(List.of(args));
        return argv.toArray(String[]::new);
    }

    static String[] psql(String sql) {
        return pg("psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql);
    }

    static List<Long> rows(LabClient client) {
        return expectOk(client.exec(LabDatabase.CMD, psql("select id from ledger order by id")), "ledger rows")
                .lines().map(String::strip).filter(l -> !l.isEmpty()).map(Long::parseLong).toList();
    }

    /** pg_amcheck of every table and index (heap and B-tree, the extension installed when missing). */
    static void amcheck(LabClient client) {
        expectOk(client.exec(LabDatabase.CMD, pg("pg_amcheck", "--install-missing", "--heapallindexed")),
                "pg_amcheck");
    }

    static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static Path pgbin() {
        try (var d = Files.list(Path.of("/usr/lib/postgresql"))) {
            return d.map(p -> p.resolve("bin")).filter(Files::isDirectory).max(Path::compareTo)
                    .orElseThrow(() -> new IllegalStateException("PostgreSQL is not installed (Debian postgresql)"));
        } catch (IOException e) {
            throw new IllegalStateException("PostgreSQL is not installed (Debian postgresql)", e);
        }
    }
}
