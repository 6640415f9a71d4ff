package io.steadfast.node.mirror;

import io.steadfast.lab.Lab;
import io.steadfast.lab.LabClient;
import io.steadfast.lab.LabSpec;
import io.steadfast.node.LabDatabase;
import io.steadfast.node.LabMirror;
import io.steadfast.node.LabTesting;
import io.steadfast.node.demo.LabCluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.steadfast.node.LabDatabase.expectOk;

/**
 * Issue 15, item 4 (run by {@code bench/postgresql/run.sh} from {@code node/}, as root): the lab and module of
 * {@link PostgresMirrorIT}. (1) pgbench TPC-B from the client, alternately against the module's server (data on
 * the replicated directory, through the VIP) and a second server of the same template on node1 with its data in a
 * plain local directory of the same filesystem (node1's address, port 5433): tps of each run and the ratio of the
 * medians. (2) {@code rounds} power losses of the primary (links cut, agent and postmaster tree killed -9) while a
 * ledger client commits through the VIP: the time from the cut to the first transaction committed through the VIP
 * on the other node (crash recovery included), and the acknowledged rows missing afterwards (must be 0); the lost
 * node then returns as SECOND and the next round cuts the new primary.
 *
 * <p>usage: PostgresMirrorBench [rounds=5] [pgbench-seconds=20] [pgbench-runs=2] [clients=2]
 */
public final class PostgresMirrorBench {
    static final int LOCAL_PORT = 5433;

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int clients = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        LabTesting.requireRoot();
        Path home = LabTesting.home();
        Path dir = LabTesting.workDir("pg-bench");
        Path data = dir.resolve("pg");
        Path local = dir.resolve("pglocal");
        Path pgdata = data.resolve("data");
        Path plain = java.nio.file.Files.createDirectories(dir.resolve("plain")); // the local comparison (node1)
        String[] plainEnv = {"env", "PGDATA=" + plain.resolve("data"), "PGPORT=" + LOCAL_PORT,
                "PG_SOCKET_DIR=" + plain.resolve("sock"), "PG_LOG=" + plain.resolve("pg.log")};
        System.out.printf("pg-bench: rounds %d, pgbench %d s x %d runs per side, %d clients, scale %d; %s%n",
                rounds, seconds, runs, clients, clients, uptime());
        try (Lab lab = Lab.create(LabSpec.builder().nodes(2).clients(1).secondLan(true).build())) {
            LabClient client = lab.client(1);
            LabCluster cluster = LabCluster.configure(lab, home, dir.resolve("cluster"),
                    PostgresMirrorIT.modules(pgdata, data, local)).privateDir(data).privateDir(local);
            LabMirror.addOperator(cluster);
            LabMirror pg = new LabMirror(cluster, "pg", PostgresMirrorIT.VIP, PostgresMirrorIT.PORT);
            List<String> servers = new ArrayList<>(); // node of each server started
            try {
                cluster.startAll();
                pg.awaitRoles("node1");
                String[] env = {"env", "PGDATA=" + pgdata, "PG_SOCKET_DIR=" + local.resolve("sock"),
                        "PG_LOG=" + local.resolve("pg.log")};
                String trust = "host all all " + client.addr() + "/32 trust";
                expectOk(LabDatabase.onNode(cluster, "node1", LabDatabase.CMD, PostgresMirrorIT.concat(env,
                        PostgresMirrorIT.TEMPLATE.resolve("init").toString())), "init");
                expectOk(LabDatabase.onNode(cluster, "node1", Duration.ofSeconds(30), "sh", "-c",
                        "echo '" + trust + "' >> '" + pgdata + "/pg_hba.conf'"), "pg_hba.conf");
                LabMirror.post(cluster, "node1", "/api/v1/modules/pg/nodes/node1/restart");
                expectOk(LabDatabase.awaitOk(client, PostgresMirrorIT.SERVE, PostgresMirrorIT.psql("select 1")),
                        "psql through the VIP");
                expectOk(LabDatabase.onNode(cluster, "node1", LabDatabase.CMD, PostgresMirrorIT.concat(plainEnv,
                        PostgresMirrorIT.TEMPLATE.resolve("init").toString())), "init (plain)");
                expectOk(LabDatabase.onNode(cluster, "node1", Duration.ofSeconds(30), "sh", "-c",
                        "echo '" + trust + "' >> '" + plain.resolve("data/pg_hba.conf") + "'"), "pg_hba.conf (plain)");
                servers.add("plain");
                expectOk(LabDatabase.onNode(cluster, "node1", LabDatabase.CMD, PostgresMirrorIT.concat(plainEnv,
                        PostgresMirrorIT.TEMPLATE.resolve("start").toString())), "start (plain)");

                // (1) tps, alternating: replicated, plain, replicated, plain …
                String vip = PostgresMirrorIT.VIP + ":" + PostgresMirrorIT.PORT;
                String node1 = lab.node("node1").addr() + ":" + LOCAL_PORT;
                for (String target : List.of(vip, node1)) {
                    expectOk(client.exec(LabDatabase.CMD, bench(target, "pgbench", "-i", "-q", "-s",
                            String.valueOf(clients))), "pgbench -i " + target);
                }
                List<Double> repl = new ArrayList<>();
                List<Double> loc = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    repl.add(tps(client, vip, seconds, clients));
                    loc.add(tps(client, node1, seconds, clients));
                    System.out.printf("pg-bench: run %d: replicated %.1f tps, local %.1f tps%n", i + 1,
                            repl.getLast(), loc.getLast());
                }
                double mr = median(repl);
                double ml = median(loc);
                System.out.printf(Locale.ROOT, "pg-bench: TPC-B tps median: replicated %.1f, local %.1f, ratio %.2f%n",
                        mr, ml, mr / ml);
                expectOk(LabDatabase.onNode(cluster, "node1", LabDatabase.CMD, PostgresMirrorIT.concat(plainEnv,
                        PostgresMirrorIT.TEMPLATE.resolve("stop").toString())), "stop (plain)");
                servers.remove("plain");
                expectOk(client.exec(LabDatabase.CMD, PostgresMirrorIT.psql(
                        "create table ledger(id bigint primary key)")), "ledger");

                // (2) power losses of the primary
                List<Long> backMs = new ArrayList<>();
                String prim = "node1";
                long base = 0;
                for (int r = 1; r <= rounds; r++) {
                    long offset = base;
                    List<Long> acked;
                    long cut;
                    try (LabDatabase.Ledger ledger = new LabDatabase.Ledger(client, dir.resolve("ledger.log"),
                            n -> "insert into ledger(id) values (" + (offset + n) + "); select " + n + ";",
                            PostgresMirrorIT.pg("psql", "-X", "-At", "-q", "-v", "ON_ERROR_STOP=1"))) {
                        ledger.awaitRows(50, PostgresMirrorIT.SERVE);
                        cut = System.nanoTime();
                        LabDatabase.powerLoss(cluster, prim,
                                cluster.privateCopy(prim, data).resolve("data/postmaster.pid"), "/postgres",
                                PostgresMirrorIT.VIP + "/16");
                        ledger.awaitEnd();
                        acked = ledger.acked().stream().map(n -> offset + n).toList();
                    }
                    base += 1_000_000;
                    long ms = firstCommitMs(client, cut, r);
                    List<Long> rows = PostgresMirrorIT.rows(client);
                    long missing = acked.stream().filter(a -> !rows.contains(a)).count();
                    backMs.add(ms);
                    String other = LabMirror.other(prim);
                    System.out.printf("pg-bench: round %d: power loss of %s, first commit on %s after %d ms; "
                            + "%d rows acknowledged, %d missing; %s%n", r, prim, other, ms, acked.size(), missing,
                            uptime());
                    lab.node(prim).rejoin();
                    cluster.start(prim);
                    pg.awaitRoles(other);
                    prim = other;
                }
                List<Long> sorted = backMs.stream().sorted().toList();
                System.out.printf("pg-bench: power loss -> first commit on the other node over %d rounds: p50 %d ms, "
                        + "p95 %d ms, max %d ms (all: %s)%n", rounds, pct(sorted, 50), pct(sorted, 95),
                        sorted.getLast(), backMs);
            } finally {
                for (String n : LabMirror.NODES) {
                    LabDatabase.killServer(cluster.privateCopy(n, data).resolve("data/postmaster.pid"), "/postgres");
                }
                LabDatabase.killServer(plain.resolve("data/postmaster.pid"), "/postgres");
                for (var p : cluster.agents().values()) {
                    p.kill9();
                }
            }
        }
    }

    /**
     * Inserts through the VIP, a new attempt every 200 ms (each its own psql, connect timeout 2 s, so attempts overlap
     * and one that waits for a lost SYN does not delay the measurement) until one commits: ms from {@code cut} to
     * the end of the first successful one.
     */
    static long firstCommitMs(LabClient client, long cut, int round) throws InterruptedException {
        java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
        List<Thread> attempts = new ArrayList<>();
        long deadline = System.nanoTime() + PostgresMirrorIT.SERVE.toNanos();
        for (int k = 1; done.get() == 0 && System.nanoTime() < deadline; k++) {
            String[] argv = PostgresMirrorIT.psql("insert into ledger(id) values (" + (-(round * 100_000L + k)) + ")");
            argv[1] = "PGCONNECT_TIMEOUT=2";
            attempts.add(Thread.ofPlatform().daemon().start(() -> {
                if (client.exec(Duration.ofSeconds(20), argv).ok()) {
                    done.compareAndSet(0, System.nanoTime());
                }
            }));
            Thread.sleep(200);
        }
        for (Thread t : attempts) {
            t.join(30_000);
        }
        if (done.get() == 0) {
            throw new AssertionError("no commit through the VIP within " + PostgresMirrorIT.SERVE);
        }
        return (done.get() - cut) / 1_000_000;
    }

    /** A PostgreSQL client program on {@code hostPort} as the trusted user postgres. */
    static String[] bench(String hostPort, String program, String... args) {
        String[] hp = hostPort.split(":");
        List<String> argv = new ArrayList<>(List.of("env", "PGCONNECT_TIMEOUT=5", "PGHOST=" + hp[0],
                "PGPORT=" + hp[1], "PGUSER=postgres", "PGDATABASE=postgres",
                PostgresMirrorIT.PGBIN.resolve(program).toString()));
        argv.addAll(List.of(args));
        return argv.toArray(String[]::new);
    }

    static double tps(LabClient client, String hostPort, int seconds, int clients) {
        String out = expectOk(client.exec(Duration.ofSeconds(seconds + 120L), bench(hostPort, "pgbench", "-n", "-c",
                String.valueOf(clients), "-j", "1", "-T", String.valueOf(seconds))), "pgbench " + hostPort);
        Matcher m = Pattern.compile("tps = ([0-9.]+)").matcher(out);
        if (!m.find()) {
            throw new AssertionError("no tps in: " + out);
        }
        return Double.parseDouble(m.group(1));
    }

    static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }

    /** Nearest-rank percentile of a sorted list. */
    static long pct(List<Long> sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    static String uptime() {
        try {
            return "load " + java.nio.file.Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (java.io.IOException e) {
            return "load ?";
        }
    }
}
