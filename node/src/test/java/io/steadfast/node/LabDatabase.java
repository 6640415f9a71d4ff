package io.steadfast.node;

import io.steadfast.lab.ExecResult;
import io.steadfast.lab.LabHost;
import io.steadfast.node.demo.LabCluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the lab ITs of real databases on a mirror share (PostgreSQL, MariaDB from {@code templates/}): commands in a
 * node's view of its private directories (the agent's mount namespace), commands and background programs in the
 * client's namespace, a ledger client that records every acknowledged commit, and the power loss of a node (its
 * links cut, then every process of it killed -9: the agent and the database server's whole tree).
 */
public final class LabDatabase {
    /** Bounded wait for one client command (a load initialisation, a check of every table). */
    public static final Duration CMD = Duration.ofSeconds(300);

    private LabDatabase() {
    }

    /**
     * Runs {@code argv} in {@code node}'s namespace and in the mount namespace of its running agent, so that the
     * node's copy of each {@link LabCluster#privateDir} (and the replicated FUSE mount over it) is what it sees.
     */
    public static ExecResult onNode(LabCluster cluster, String node, Duration timeout, String... argv) {
        List<String> full = new ArrayList<>(List.of("nsenter", "-t", Long.toString(cluster.agent(node).pid()), "-m",
                "--"));
        full.addAll(List.of(argv));
        return cluster.lab().node(node).exec(timeout, full.toArray(String[]::new));
    }

    /** The command's output when it exits 0; fails the test with its output otherwise. */
    public static String expectOk(ExecResult r, String what) {
        assertThat(r.exitCode()).as("%s: exit %s\n%s\n%s", what, r.exitCode(), r.stdout(), r.stderr()).isZero();
        return r.stdout();
    }

    /** Polls a client command until it exits 0 (bounded by {@code timeout}); its last result either way. */
    public static ExecResult awaitOk(LabHost host, Duration timeout, String... argv) throws InterruptedException {
        ExecResult[] last = new ExecResult[1];
        LabTesting.await(timeout, Duration.ofMillis(500), () -> {
            last[0] = host.exec(Duration.ofSeconds(30), argv);
            return last[0].ok() ? Optional.of(true) : Optional.empty();
        });
        return last[0];
    }

    /** As {@link #awaitOk(LabHost, Duration, String...)} for a command {@link #onNode}. */
    public static ExecResult awaitOkOnNode(LabCluster cluster, String node, Duration timeout, String... argv)
            throws InterruptedException {
        ExecResult[] last = new ExecResult[1];
        LabTesting.await(timeout, Duration.ofMillis(500), () -> {
            last[0] = onNode(cluster, node, Duration.ofSeconds(30), argv);
            return last[0].ok() ? Optional.of(true) : Optional.empty();
        });
        return last[0];
    }

    /** A background program in {@code host}'s namespace, its output to {@code log}; stop it with {@link #stop}. */
    public static Process background(LabHost host, Path log, String... argv) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", host.namespace()));
        full.addAll(List.of(argv));
        return new ProcessBuilder(full).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    }

    /** SIGKILL of a {@link #background} program and what it started (by PID); null is ignored. */
    public static void stop(Process p) throws InterruptedException {
        if (p != null) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Power loss of {@code node}: every link cut first (nothing it does from now on reaches anyone), then its agent
     * killed -9 with everything it forked, then the database server's tree ({@link #killServer}); and, as the reboot
     * before its return would, the module's VIP {@code vip} (address/prefix) removed from its eth0 — left there, it
     * would answer ARP for the VIP once the links are back, until its new agent removes it.
     */
    public static void powerLoss(LabCluster cluster, String node, Path pidFile, String executable, String vip)
            throws IOException {
        cluster.lab().node(node).isolate();
        cluster.agent(node).kill9();
        killServer(pidFile, executable);
        cluster.lab().node(node).exec(Duration.ofSeconds(10), "ip", "addr", "del", vip, "dev", "eth0"); // if there
    }

    /**
     * kill -9 of the server whose PID is the first line of {@code pidFile} (as seen from the host, e.g. in a node's
     * {@link LabCluster#privateCopy}) and of every process below it — only when that PID is a live process whose
     * executable ends with {@code executable} (a stale file may name a reused PID). No file: nothing to do.
     */
    public static void killServer(Path pidFile, String executable) throws IOException {
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        String first = Files.readAllLines(pidFile).stream().findFirst().orElse("").strip();
        if (!first.matches("\\d+")) {
            return;
        }
        ProcessHandle.of(Long.parseLong(first))
                .filter(p -> p.info().command().map(c -> c.endsWith(executable)).orElse(false))
                .ifPresent(p -> {
                    List<ProcessHandle> below = new ArrayList<>(p.descendants().toList());
                    p.destroyForcibly();
                    below.forEach(ProcessHandle::destroyForcibly);
                    p.onExit().orTimeout(30, TimeUnit.SECONDS).join();
                });
    }

    /**
     * A client that commits rows 1, 2, 3 … one transaction each through one interactive SQL session (e.g.
     * {@code psql} or {@code mariadb} in the client's namespace, reading statements from its stdin) and records
     * every row whose commit the server acknowledged: for row n it sends {@code sql.apply(n)} — an autocommitted
     * insert followed by a query printing n, so that n is printed only once the insert's commit returned — and
     * waits for the line {@code n}. It stops at the first answer that is not that line, or none within 10 s (the
     * server is gone); the session must stop at the first error (psql {@code ON_ERROR_STOP}, mariadb's batch mode).
     */
    public static final class Ledger implements AutoCloseable {
        private final Process session;
        private final Thread writer;
        private final List<Long> acked = new ArrayList<>();
        private volatile boolean stop;

        public Ledger(LabHost host, Path log, LongFunction<String> sql, String... argv) throws IOException {
            List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", host.namespace()));
            full.addAll(List.of(argv));
            session = new ProcessBuilder(full).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(session.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String l = r.readLine(); l != null; l = r.readLine()) {
                        lines.add(l.strip());
                    }
                } catch (IOException e) {
                    // the session ended
                }
            });
            Writer in = new OutputStreamWriter(session.getOutputStream(), StandardCharsets.UTF_8);
            writer = Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (long n = 1; !stop && n < 10_000_000; n++) {
                        in.write(sql.apply(n) + "\n");
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
                    // the server or the session is gone
                }
            });
        }

        public int count() {
            synchronized (acked) {
                return acked.size();
            }
        }

        public List<Long> acked() {
            synchronized (acked) {
                return List.copyOf(acked);
            }
        }

        /** Waits (bounded) until at least {@code rows} commits were acknowledged; fails if the writer stopped. */
        public void awaitRows(int rows, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (count() < rows && writer.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(count()).as("rows committed by the ledger client (writer alive: %s)", writer.isAlive())
                    .isGreaterThanOrEqualTo(rows);
        }

        /** Waits until the writer ended by itself (the server went away under it), at most 60 s. */
        public void awaitEnd() throws InterruptedException {
            writer.join(60_000);
            assertThat(writer.isAlive()).as("the ledger client noticed the server's end").isFalse();
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            session.descendants().forEach(ProcessHandle::destroyForcibly);
            session.destroyForcibly();
            writer.join(15_000);
        }
    }
}
