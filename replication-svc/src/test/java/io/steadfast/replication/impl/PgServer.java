package io.steadfast.replication.impl;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A PostgreSQL server of the project's template ({@code templates/postgresql}) run as user postgres on a
 * replication node's view of the replicated directory: the scripts run in the node's mount namespace
 * ({@code nsenter -m}), clients reach the server by its unix socket in a node-local directory (both nodes share
 * the host's network namespace; TCP is off).
 */
final class PgServer {
    static final Path TEMPLATE = Path.of("..", "templates", "postgresql").toAbsolutePath().normalize();
    static final Path PGBIN = pgbin();

    final TestNode node;
    final Path pgdata;     // as the node sees it
    final Path ownData;    // the node's real copy of it, from the host
    final Path socketDir;
    final Path log;
    final int port;

    PgServer(TestNode node, Path configured, Path run, int port) {
        this.node = node;
        this.pgdata = configured.resolve("pg");
        this.ownData = node.own.resolve("pg");
        this.socketDir = run.resolve("sock-" + node.name);
        this.log = run.resolve("pg-" + node.name + ".log");
        this.port = port;
    }

    private static Path pgbin() {
        try (var d = Files.list(Path.of("/usr/lib/postgresql"))) {
            return d.map(p -> p.resolve("bin")).filter(Files::isDirectory).max(Path::compareTo)
                    .orElseThrow(() -> new IllegalStateException("PostgreSQL is not installed (Debian postgresql)"));
        } catch (IOException e) {
            throw new IllegalStateException("PostgreSQL is not installed (Debian postgresql)", e);
        }
    }

    /** Runs a template script ({@code init}, {@code start}, {@code stop}) in the node's mount namespace. */
    Exec script(String name, String... args) throws IOException, InterruptedException {
        return scriptIn(node.pid(), name, args);
    }

    /** As {@link #script}, in the mount namespace of process {@code pid} (e.g. the server's, once the node died). */
    Exec scriptIn(long pid, String name, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("nsenter", "-t", Long.toString(pid), "-m", "--", "env",
                "PGDATA=" + pgdata, "PGPORT=" + port, "PG_SOCKET_DIR=" + socketDir, "PG_LOG=" + log, "PG_LISTEN=",
                "STEADFAST_MODULE=db", TEMPLATE.resolve(name).toString()));
        argv.addAll(List.of(args));
        return Exec.run(argv, 120);
    }

    /** A client program of PostgreSQL as user postgres on this server's socket. */
    List<String> client(String program, String... args) {
        List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid=postgres", "--regid=postgres",
                "--init-groups", "--", PGBIN.resolve(program).toString(), "-h", socketDir.toString(), "-p",
                Integer.toString(port)));
        argv.addAll(List.of(args));
        return argv;
    }

    /** psql -c {@code sql}: its output lines, failing the test when it fails. */
    List<String> sql(String sql) throws IOException, InterruptedException {
        Exec r = Exec.run(client("psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c", sql), 120);
        assertThat(r.code).as("psql -c %s: %s", sql, r.out).isZero();
        return r.out.lines().toList();
    }

    /** The postmaster's PID from the node's copy of postmaster.pid, or -1. */
    long postmaster() throws IOException {
        Path f = ownData.resolve("postmaster.pid");
        if (!Files.exists(f)) {
            return -1;
        }
        String first = Files.readAllLines(f).stream().findFirst().orElse("").strip();
        return first.matches("\\d+") ? Long.parseLong(first) : -1;
    }

    /** kill -9 of the postmaster and every process below it (a power loss of the server), when it runs. */
    void kill9() throws IOException {
        long pm = postmaster();
        if (pm > 0) { // a stale file may name a reused PID: only a postgres process
            ProcessHandle.of(pm).filter(p -> p.info().command().map(c -> c.endsWith("/postgres")).orElse(false))
                    .ifPresent(p -> {
                List<ProcessHandle> all = new ArrayList<>(p.descendants().toList());
                p.destroyForcibly();
                all.forEach(ProcessHandle::destroyForcibly);
            });
        }
    }

    /** Output and exit code of a finished command. */
    record Exec(int code, String out) {
        static Exec run(List<String> argv, int seconds) throws IOException, InterruptedException {
            // from /: user postgres may not enter the checkout (a clone in a 0700 directory: psql warns on stderr)
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).directory(new java.io.File("/")).start();
            p.getOutputStream().close();
            byte[][] out = new byte[1][];
            Thread reader = Thread.ofPlatform().start(() -> {
                try {
                    out[0] = p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    out[0] = new byte[0];
                }
            });
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError(argv + " did not end within " + seconds + " s");
            }
            reader.join(10_000);
            return new Exec(p.exitValue(), out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8));
        }
    }

    /**
     * A client that inserts rows 1, 2, 3 … one transaction each through one psql session and records every row
     * whose commit the server acknowledged (psql printed the row's id back); it stops at the first insert without
     * an answer within 10 s (the server is gone).
     */
    final class Ledger implements AutoCloseable {
        private final Process psql;
        private final Thread writer;
        private final List<Long> acked = new ArrayList<>();
        private volatile boolean stop;

        Ledger() throws IOException {
            psql = new ProcessBuilder(client("psql", "-X", "-At", "-q", "-d", "postgres"))
                    .directory(new java.io.File("/"))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(psql.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String l = r.readLine(); l != null; l = r.readLine()) {
                        lines.add(l.strip());
                    }
                } catch (IOException e) {
                    // the session ended
                }
            });
            Writer in = new java.io.OutputStreamWriter(psql.getOutputStream(), StandardCharsets.UTF_8);
            writer = Thread.ofPlatform().start(() -> {
                try {
                    for (long n = 1; !stop && n < 10_000_000; n++) {
                        in.write("insert into ledger(id) values (" + n + ") returning id;\n");
                        in.flush();
                        String got = lines.poll(10, TimeUnit.SECONDS);
                        if (got == null || !got.equals(Long.toString(n))) {
                            return;
                        }
                        synchronized (acked) {
                            acked.add(n);
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    // the server is gone
                }
            });
        }

        int count() {
            synchronized (acked) {
                return acked.size();
            }
        }

        List<Long> acked() {
            synchronized (acked) {
                return List.copyOf(acked);
            }
        }

        /** Waits until the writer ended by itself (the server died under it), at most 30 s. */
        void awaitEnd() throws InterruptedException {
            writer.join(30_000);
            assertThat(writer.isAlive()).as("the ledger client noticed the server's end").isFalse();
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            psql.destroyForcibly();
            writer.join(15_000);
        }
    }
}
