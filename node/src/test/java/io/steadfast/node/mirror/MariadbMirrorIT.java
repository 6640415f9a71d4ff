package io.steadfast.node.mirror;

import io.steadfast.lab.Lab;
import io.steadfast.lab.LabClient;
import io.steadfast.lab.LabSpec;
import io.steadfast.node.LabDatabase;
import io.steadfast.node.LabMirror;
import io.steadfast.node.LabTesting;
import io.steadfast.node.demo.LabCluster;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.steadfast.node.LabDatabase.expectOk;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15, item 3: MariaDB (InnoDB) of {@code templates/mariadb} on a mirror module with real agents, real
 * replication (the data directory on the module's replicated directory) and the switch as witness. A write load
 * (mariadb-slap) and a ledger client (one committed row per transaction, each acknowledged one recorded) work through
 * the VIP from the client; the primary loses power (links cut, then the agent and mariadbd killed -9) → node2 serves
 * through the VIP from its replicated copy (InnoDB crash recovery in the template's start) with every acknowledged
 * row, CHECK TABLE clean; node1 returns → SECOND, resynchronised; swap back → every acknowledged row still there.
 */
class MariadbMirrorIT {
    static final String VIP = "198.18.0.62";
    static final int PORT = 3306;
    static final Path TEMPLATE = Path.of("..", "templates", "mariadb").toAbsolutePath().normalize();
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
        dir = LabTesting.appWorkDir("mariadb-mirror"); // the servers' users must reach it
        Path data = dir.resolve("db");          // replicated (replication.dirs); each node has its own copy
        Path local = dir.resolve("dblocal");    // node-local: socket, pid file, error log
        Path datadir = data.resolve("mysql");
        try (Lab lab = Lab.create(LabSpec.builder().nodes(2).clients(1).secondLan(true).build())) {
            LabClient client = lab.client(1);
            LabCluster cluster = LabCluster.configure(lab, home, dir.resolve("cluster"),
                    modules(datadir, data, local)).privateDir(data).privateDir(local);
            LabMirror.addOperator(cluster);
            LabMirror db = new LabMirror(cluster, "mariadb", VIP, PORT);
            List<Process> load = new ArrayList<>();
            try {
                cluster.startAll();
                db.awaitRoles("node1"); // defaultprim: start_prim found no data directory yet, nothing to start

                // once, on the primary, through the replicated mount: mariadb-install-db as mysql; then the server
                // (start_prim), a user for the client's address and the ledger table, over the node's socket
                expectOk(LabDatabase.onNode(cluster, "node1", LabDatabase.CMD, "env", "MYSQL_DATADIR=" + datadir,
                        TEMPLATE.resolve("init").toString()), "init");
                LabMirror.post(cluster, "node1", "/api/v1/modules/mariadb/nodes/node1/restart");
                String user = "'it'@'" + client.addr() + "'";
                expectOk(LabDatabase.awaitOkOnNode(cluster, "node1", SERVE, "mariadb-admin", "--no-defaults",
                        "--socket=" + local.resolve("run/mysqld.sock"), "ping"), "the server started");
                expectOk(LabDatabase.onNode(cluster, "node1", LabDatabase.CMD, "mariadb", "--no-defaults",
                        "--socket=" + local.resolve("run/mysqld.sock"), "-e", "create user " + user
                                + " identified by 'it'; grant all privileges on *.* to " + user + "; "
                                + "create database it; create table it.ledger(id bigint primary key) engine=InnoDB"),
                        "user and ledger table");
                expectOk(LabDatabase.awaitOk(client, SERVE, sql("select 1")), "mariadb through the VIP");
                load.add(LabDatabase.background(client, dir.resolve("slap.log"), "mariadb-slap", "--no-defaults",
                        "-h", VIP, "-P", String.valueOf(PORT), "-u", "it", "-pit", "--concurrency=2",
                        "--iterations=1", "--number-of-queries=100000000", "--auto-generate-sql",
                        "--auto-generate-sql-load-type=write", "--create-schema=slap", "--no-drop",
                        "--engine=InnoDB"));
                expectOk(LabDatabase.awaitOk(client, SERVE, sql("select count(*) from slap.t1")), "the load's table");

                List<Long> acked;
                long lost;
                try (LabDatabase.Ledger ledger = new LabDatabase.Ledger(client, dir.resolve("ledger.log"),
                        n -> "insert into ledger(id) values (" + n + "); select " + n + ";",
                        client("mariadb", "--connect-timeout=5", "-N", "-B", "--unbuffered", "it"))) {
                    ledger.awaitRows(200, SERVE);
                    lost = System.nanoTime();
                    LabDatabase.powerLoss(cluster, "node1",
                            cluster.privateCopy("node1", local).resolve("run/mysqld.pid"), "/mariadbd", VIP + "/16");
                    ledger.awaitEnd();
                    acked = ledger.acked();
                }
                LabDatabase.stop(load.removeFirst());

                // node2 serves from its replicated copy: every acknowledged row, every table checked
                db.awaitOwnState("node2", "ALONE");
                expectOk(LabDatabase.awaitOk(client, SERVE, sql("select 1")), "mariadb through the VIP on node2");
                System.out.printf("MariadbMirrorIT: %d rows acknowledged before the power loss; node2 answered "
                        + "through the VIP %d ms after it%n", acked.size(), (System.nanoTime() - lost) / 1_000_000);
                assertThat(db.hasVip("node2")).isTrue();
                assertThat(rows(client)).as("every acknowledged row on node2").containsAll(acked);
                check(client);
                expectOk(client.exec(LabDatabase.CMD, sql("insert into it.ledger(id) values (-1)")), "row on node2");

                // node1 returns: SECOND, resynchronised; swapped back, it has every row
                lab.node("node1").rejoin();
                cluster.start("node1");
                db.awaitRoles("node2");
                LabMirror.post(cluster, "node1", "/api/v1/modules/mariadb/nodes/node1/swap");
                db.awaitRoles("node1");
                db.awaitVipOnlyOn("node1");
                expectOk(LabDatabase.awaitOk(client, SERVE, sql("select 1")), "mariadb through the VIP on node1");
                assertThat(rows(client)).as("every acknowledged row on node1 after the swap").containsAll(acked)
                        .contains(-1L);
                check(client);
            } finally {
                for (Process p : load) {
                    LabDatabase.stop(p);
                }
                for (String n : LabMirror.NODES) { // the servers run outside the agents' trees
                    LabDatabase.killServer(cluster.privateCopy(n, local).resolve("run/mysqld.pid"), "/mariadbd");
                }
            }
        }
    }

    /**
     * The module: the replicated directory {@code data}, the template's scripts with the data directory on it
     * (start_prim does nothing until the test initialised it), socket, pid file and log in {@code local}. The user
     * is defined by the client's address: no name resolution.
     */
    static String modules(Path datadir, Path data, Path local) {
        String env = "/usr/bin/env, MYSQL_DATADIR=" + datadir + ", MYSQL_PORT=" + PORT + ", MYSQL_SOCKET="
                + local.resolve("run/mysqld.sock") + ", MYSQL_PIDFILE=" + local.resolve("run/mysqld.pid")
                + ", MYSQL_LOG=" + local.resolve("log/mariadb.err") + ", MYSQL_OPTS=--skip-name-resolve";
        return """
                modules:
                  - name: mariadb
                    type: mirror
                    nodes: [node1, node2]
                    heartbeat: { lans: [lan1, lan2], port: 8894 }
                    vip: { addr: %1$s/16, interface: eth0 }
                    replication: { dirs: [%2$s], port: 5604 }
                    service: { defaultprim: node1 }
                    splitbrain: { witness: [198.18.0.1] }
                    scripts:
                      prestart: [%3$s, %4$s/stop]
                      start_prim: [%3$s, sh, -c, '[ -d "$MYSQL_DATADIR/mysql" ] || { echo "no data directory yet"; exit 0; }; exec "$0" "$@"', %4$s/start]
                      stop_prim: [%3$s, %4$s/stop]
                      timeout: 90s
                """.formatted(VIP, data, env, TEMPLATE);
    }

    /** A MariaDB client program in the client namespace on the VIP, as the test's user. */
    static String[] client(String program, String... args) {
        List<String> argv = new ArrayList<>(List.of(program, "--no-defaults", "-h", VIP, "-P", String.valueOf(PORT),
                "-u", "it", "-pit"));
        argv.addAll(List.of(args));
        return argv.toArray(String[]::new);
    }

    static String[] sql(String sql) {
        return client("mariadb", "--connect-timeout=5", "-N", "-B", "-e", sql);
    }

    static List<Long> rows(LabClient client) {
        return expectOk(client.exec(LabDatabase.CMD, sql("select id from it.ledger order by id")), "ledger rows")
                .lines().map(String::strip).filter(l -> !l.isEmpty()).map(Long::parseLong).toList();
    }

    /** CHECK TABLE … EXTENDED of every table of the ledger's and the load's databases (InnoDB): all OK. */
    static void check(LabClient client) {
        String out = expectOk(client.exec(LabDatabase.CMD, client("mariadb-check", "--extended", "--databases", "it",
                "slap")), "mariadb-check");
        List<String> tables = out.lines().filter(l -> !l.isBlank()).toList();
        assertThat(tables).as("mariadb-check: %s", out).hasSizeGreaterThanOrEqualTo(2)
                .allMatch(l -> l.strip().endsWith("OK"));
    }
}
