package io.steadfast.node.templates;

import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.node.LabTesting;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The application templates (templates/postgresql, templates/mariadb, templates/nginx) with the real Debian servers,
 * as root, on temporary directories and free loopback ports: init, start (bounded; the call's output pipe closes,
 * so no server keeps it), the server answers and the template's checker says up, a row written, stop (server gone,
 * the checker says down), stop again (exit 0), start, a crash
 * (SIGKILL of the server's processes, by PID from its pid file, and a stale pid file naming a live unrelated
 * process, as after a failover), start again (crash recovery) with the row there, stop. Whatever a test started is
 * killed by PID and its directories removed in {@code finally}.
 */
class TemplatesIT {
    /** A start script must return within this (the scripts' own startup timeouts are set to 40 s below). */
    static final Duration START_BOUND = Duration.ofSeconds(60);
    static final Duration STOP_BOUND = Duration.ofSeconds(60);
    static final Path TEMPLATES = Path.of("..").toAbsolutePath().normalize().resolve("templates");

    @BeforeAll
    static void root() {
        LabTesting.requireRoot();
    }

    /** One template under test: its settings, its pid file and how to talk to its server. */
    interface App {
        String name();

        Map<String, String> env();

        /** The server's pid file (its first line is the PID). */
        Path pidFile();

        int port();

        void init(TemplatesIT t) throws Exception;

        /** Throws unless the server answers a trivial request. */
        void answers(TemplatesIT t) throws Exception;

        void writeRow(TemplatesIT t) throws Exception;

        boolean rowPresent(TemplatesIT t) throws Exception;
    }

    record Run(int exit, String output, long millis) {
    }

    // ---- the three templates

    @Test
    void postgresql() throws Exception {
        Path dir = tempDir("pg");
        int port = freePort();
        Path sock = ownedDir(dir.resolve("sock"), "postgres");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PGDATA", dir.resolve("data").toString());
        env.put("PGPORT", String.valueOf(port));
        env.put("PG_LISTEN", "127.0.0.1");
        env.put("PG_SOCKET_DIR", sock.toString());
        env.put("PG_LOG", dir.resolve("log/postgresql.log").toString());
        env.put("PG_START_TIMEOUT", "40");
        App pg = new App() {
            public String name() {
                return "postgresql";
            }

            public Map<String, String> env() {
                return env;
            }

            public Path pidFile() {
                return dir.resolve("data/postmaster.pid");
            }

            public int port() {
                return port;
            }

            public void init(TemplatesIT t) throws Exception {
                Run r = t.script(this, "init");
                assertThat(r.exit()).as(r.output()).isZero();
                assertThat(Files.getOwner(dir.resolve("data")).getName()).isEqualTo("postgres");
                assertThat(Files.readString(dir.resolve("data/PG_VERSION")).strip()).isNotEmpty();
            }

            String psql(TemplatesIT t, String sql) throws Exception {
                Run r = t.command(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--",
                        "psql", "-X", "-w", "-v", "ON_ERROR_STOP=1", "-h", sock.toString(), "-p", String.valueOf(port),
                        "-d", "postgres", "-Atq", "-c", sql), Map.of(), Duration.ofSeconds(20));
                assertThat(r.exit()).as(sql + ": " + r.output()).isZero();
                return r.output().strip();
            }

            public void answers(TemplatesIT t) throws Exception {
                assertThat(psql(t, "select 1")).isEqualTo("1");
                assertThat(psql(t, "show fsync") + " " + psql(t, "show synchronous_commit") + " "
                        + psql(t, "show full_page_writes")).isEqualTo("on on on");
            }

            public void writeRow(TemplatesIT t) throws Exception {
                psql(t, "create table ledger (id int primary key, note text); insert into ledger values (1, 'committed')");
            }

            public boolean rowPresent(TemplatesIT t) throws Exception {
                return psql(t, "select note from ledger where id = 1").equals("committed");
            }
        };
        lifecycle(pg, dir);
    }

    @Test
    void mariadb() throws Exception {
        Path dir = tempDir("mariadb");
        int port = freePort();
        Path run = ownedDir(dir.resolve("run"), "mysql");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("MYSQL_DATADIR", dir.resolve("data").toString());
        env.put("MYSQL_PORT", String.valueOf(port));
        env.put("MYSQL_BIND", "127.0.0.1");
        env.put("MYSQL_SOCKET", run.resolve("mysqld.sock").toString());
        env.put("MYSQL_PIDFILE", run.resolve("mysqld.pid").toString());
        env.put("MYSQL_LOG", dir.resolve("log/mariadb.err").toString());
        env.put("MYSQL_START_TIMEOUT", "40");
        App my = new App() {
            public String name() {
                return "mariadb";
            }

            public Map<String, String> env() {
                return env;
            }

            public Path pidFile() {
                return run.resolve("mysqld.pid");
            }

            public int port() {
                return port;
            }

            public void init(TemplatesIT t) throws Exception {
                Run r = t.script(this, "init");
                assertThat(r.exit()).as(r.output()).isZero();
                assertThat(Files.getOwner(dir.resolve("data")).getName()).isEqualTo("mysql");
                assertThat(dir.resolve("data/mysql")).isDirectory();
            }

            String sql(TemplatesIT t, String sql) throws Exception {
                Run r = t.command(List.of("mariadb", "--no-defaults", "--socket=" + run.resolve("mysqld.sock"),
                        "--connect-timeout=5", "-N", "-B", "-e", sql), Map.of(), Duration.ofSeconds(20));
                assertThat(r.exit()).as(sql + ": " + r.output()).isZero();
                return r.output().strip();
            }

            public void answers(TemplatesIT t) throws Exception {
                assertThat(sql(t, "select 1")).isEqualTo("1");
                assertThat(sql(t, "select @@innodb_flush_log_at_trx_commit, @@sync_binlog, @@innodb_doublewrite"))
                        .isEqualTo("1\t1\t1");
            }

            public void writeRow(TemplatesIT t) throws Exception {
                sql(t, "create database app; create table app.ledger (id int primary key, note text) engine=InnoDB;"
                        + " insert into app.ledger values (1, 'committed')");
            }

            public boolean rowPresent(TemplatesIT t) throws Exception {
                return sql(t, "select note from app.ledger where id = 1").equals("committed");
            }
        };
        lifecycle(my, dir);
    }

    @Test
    void nginx() throws Exception {
        Path dir = tempDir("nginx");
        int port = freePort();
        Path www = Files.createDirectories(dir.resolve("www"));
        Files.writeString(www.resolve("index.html"), "hello from the farm\n");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("NGINX_PORT", String.valueOf(port));
        env.put("NGINX_LISTEN", "127.0.0.1");
        env.put("NGINX_ROOT", www.toString());
        env.put("NGINX_RUNDIR", dir.resolve("run").toString());
        env.put("NGINX_LOGDIR", dir.resolve("log").toString());
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        App ngx = new App() {
            public String name() {
                return "nginx";
            }

            public Map<String, String> env() {
                return env;
            }

            public Path pidFile() {
                return dir.resolve("run/nginx.pid");
            }

            public int port() {
                return port;
            }

            public void init(TemplatesIT t) {
                // a farm replicates nothing: no data directory to initialise
            }

            String get(String path) throws Exception {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(path).isEqualTo(200);
                return r.body();
            }

            public void answers(TemplatesIT t) throws Exception {
                assertThat(get("/")).isEqualTo("hello from the farm\n");
                assertThat(get("/steadfast-health")).isEqualTo("itnode\n");
            }

            public void writeRow(TemplatesIT t) throws Exception {
                Files.writeString(www.resolve("row.txt"), "committed\n");
            }

            public boolean rowPresent(TemplatesIT t) throws Exception {
                return get("/row.txt").equals("committed\n");
            }
        };
        lifecycle(ngx, dir);
    }

    // ---- the scenario

    private final List<Long> serverPids = new ArrayList<>();

    private void lifecycle(App app, Path dir) throws Exception {
        try {
            app.init(this);

            Run start = start(app, "STOP", "PRIM", "start");
            long pid = serverPid(app);
            app.answers(this);
            Run up = script(app, "check");
            assertThat(up.exit()).as("the checker while it serves: " + up.output()).isZero();
            app.writeRow(this);

            Run stop = script(app, "stop", "PRIM", "STOP", "stop");
            assertThat(stop.exit()).as(stop.output()).isZero();
            assertThat(stop.millis()).isLessThan(STOP_BOUND.toMillis());
            assertGone(app, pid);
            Run down = script(app, "check");
            assertThat(down.exit()).as("the checker once stopped: " + down.output()).isNotZero();
            Run again = script(app, "stop", "STOP", "STOP", "stop");
            assertThat(again.exit()).as("stopping a stopped server: " + again.output()).isZero();
            Run againForce = script(app, "stop", "STOP", "STOP", "stop", "force");
            assertThat(againForce.exit()).as(againForce.output()).isZero();

            Run restart = start(app, "STOP", "PRIM", "start");
            long pid2 = serverPid(app);
            assertThat(app.rowPresent(this)).as("the row after a clean restart").isTrue();
            Run idempotent = start(app, "PRIM", "PRIM", "restart");
            assertThat(serverPid(app)).as("a start on a running server keeps it").isEqualTo(pid2);

            // a crash: every process of the server killed by PID, then its pid file names a live process that is
            // not the server (after a failover the file comes from the other node)
            crash(app, pid2);
            assertGone(app, pid2);
            assertThat(app.pidFile()).as("the crash leaves the pid file").exists();
            stalePid(app.pidFile(), ProcessHandle.current().pid());
            Run recovered = start(app, "SECOND", "ALONE", "failover");
            long pid3 = serverPid(app);
            assertThat(pid3).isNotEqualTo(ProcessHandle.current().pid());
            assertThat(app.rowPresent(this)).as("the committed row after the crash").isTrue();
            app.answers(this);

            Run forced = script(app, "stop", "ALONE", "STOP", "stop", "force");
            assertThat(forced.exit()).as(forced.output()).isZero();
            assertGone(app, pid3);

            System.out.printf("%s template: start %d ms, restart %d ms, start on a running server %d ms, "
                            + "start after a crash %d ms, stop %d ms, stop of a stopped server %d ms%n", app.name(),
                    start.millis(), restart.millis(), idempotent.millis(), recovered.millis(), stop.millis(),
                    again.millis());
        } finally {
            cleanUp(app, dir);
        }
    }

    private Run start(App app, String current, String next, String action) throws Exception {
        Run r = script(app, "start", current, next, action);
        assertThat(r.exit()).as(app.name() + " start: " + r.output()).isZero();
        assertThat(r.millis()).as("start returned within the bound").isLessThan(START_BOUND.toMillis());
        return r;
    }

    /** The server's PID from its pid file, remembered for the clean-up; it must be alive. */
    private long serverPid(App app) throws IOException {
        long pid = Long.parseLong(Files.readAllLines(app.pidFile()).get(0).strip());
        serverPids.add(pid);
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).as(app.name() + " pid " + pid).contains(true);
        return pid;
    }

    private void crash(App app, long pid) throws Exception {
        ProcessHandle server = ProcessHandle.of(pid).orElseThrow();
        List<ProcessHandle> all = new ArrayList<>(server.descendants().toList());
        all.add(0, server);
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : all) {
            assertThat(awaitDead(h.pid(), Duration.ofSeconds(10))).as(app.name() + " pid " + h.pid() + " killed").isTrue();
        }
    }

    /** The server process is gone and nothing listens on its port. */
    private static void assertGone(App app, long pid) throws Exception {
        assertThat(awaitDead(pid, Duration.ofSeconds(10))).as(app.name() + " pid " + pid + " gone").isTrue();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), app.port()), 2000);
            throw new AssertionError(app.name() + ": something still listens on port " + app.port());
        } catch (IOException expected) {
            // refused: nothing listens
        }
    }

    /** Rewrites the pid file's first line (the PID) to {@code pid}, keeping the owner and the other lines. */
    private static void stalePid(Path pidFile, long pid) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(pidFile));
        lines.set(0, String.valueOf(pid));
        Files.write(pidFile, lines);
    }

    private static boolean awaitDead(long pid, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    // ---- running the scripts

    /** Runs a template script as Steadfast does (argv, stdin /dev/null, the state arguments appended). */
    Run script(App app, String script, String... args) throws Exception {
        List<String> argv = new ArrayList<>();
        argv.add(TEMPLATES.resolve(app.name()).resolve(script).toString());
        argv.addAll(List.of(args));
        Map<String, String> env = new LinkedHashMap<>(app.env());
        env.put("STEADFAST_MODULE", app.name() + "-it");
        env.put("STEADFAST_NODE", "itnode");
        env.put("STEADFAST_SCRIPT", script);
        return command(argv, env, START_BOUND.plusSeconds(30));
    }

    /**
     * Runs a command with its output on a pipe and waits for it within {@code bound}; the output must then reach
     * end-of-file promptly: a server left holding the pipe (a starter that daemonizes without redirecting) would
     * make a caller reading the output hang.
     */
    Run command(List<String> argv, Map<String, String> env, Duration bound) throws Exception {
        // from /: the servers' users may not enter the checkout (a clone in a 0700 directory: psql then warns
        // "could not change directory" on its output)
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).directory(new java.io.File("/"))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // the process was killed
            }
        });
        if (!p.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError(argv + " did not return within " + bound + ": " + out.toString(StandardCharsets.UTF_8));
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        reader.join(5000);
        assertThat(reader.isAlive()).as(argv + ": its output pipe is still open after it exited (held by "
                + "a process it left running): " + out.toString(StandardCharsets.UTF_8)).isFalse();
        return new Run(p.exitValue(), out.toString(StandardCharsets.UTF_8), ms);
    }

    // ---- directories, ports, clean-up

    /** A fresh directory the application users can traverse (mode 0755, owned by root). */
    private static Path tempDir(String name) throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "steadfast-template-" + name + "-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    private static Path ownedDir(Path dir, String user) throws IOException {
        Files.createDirectories(dir);
        UserPrincipalLookupService lookup = dir.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(dir, lookup.lookupPrincipalByName(user));
        Optional<GroupPrincipal> group = Optional.of(lookup.lookupPrincipalByGroupName(user));
        Files.getFileAttributeView(dir, PosixFileAttributeView.class).setGroup(group.get());
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Kills by PID whatever server this test started that still runs (and its children), removes the directory. */
    private void cleanUp(App app, Path dir) throws Exception {
        List<Long> pids = new ArrayList<>(serverPids);
        try {
            if (Files.exists(app.pidFile())) {
                pids.add(Long.parseLong(Files.readAllLines(app.pidFile()).get(0).strip()));
            }
        } catch (IOException | RuntimeException e) {
            // no readable pid file
        }
        long self = ProcessHandle.current().pid();
        for (long pid : pids) {
            if (pid == self) {
                continue;
            }
            ProcessHandle.of(pid).filter(h -> h.info().command().map(c -> c.contains(app.name().equals("postgresql")
                    ? "postgres" : app.name().equals("mariadb") ? "mariadbd" : "nginx")).orElse(false)).ifPresent(h -> {
                        h.descendants().forEach(ProcessHandle::destroyForcibly);
                        h.destroyForcibly();
                    });
        }
        for (long pid : pids) {
            if (pid != self) {
                awaitDead(pid, Duration.ofSeconds(10));
            }
        }
        if (Files.exists(dir)) {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        }
    }
}
