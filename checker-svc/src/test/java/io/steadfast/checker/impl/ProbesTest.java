package io.steadfast.checker.impl;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.steadfast.config.ProcessConfig;
import io.steadfast.config.SupervisionAction;
import io.steadfast.exec.CommandRunner;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real sockets, real processes. */
class ProbesTest {
    private static final Duration T = Duration.ofSeconds(1);
    private final CommandRunner runner = new CommandRunner();

    @TempDir
    Path dir;

    @Test
    void tcpUpRefusedAndNotAccepting() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
            assertThat(new TcpProbe("127.0.0.1", port).probe(T).up()).isTrue();
            // never accepting: once the accept queue is full the connect times out
            Outcome o = null;
            for (int i = 0; i < 10 && (o == null || o.up()); i++) {
                o = new TcpProbe("127.0.0.1", port).probe(Duration.ofMillis(300));
            }
            assertThat(o.up()).isFalse();
            assertThat(o.reason()).isEqualTo("connect to 127.0.0.1:" + port + " timed out after 300 ms");
        }
        Outcome refused = new TcpProbe("127.0.0.1", port).probe(T);
        assertThat(refused.up()).isFalse();
        assertThat(refused.reason()).startsWith("connect to 127.0.0.1:" + port + " failed: Connection refused");
        assertThat(TcpProbe.parse("10.0.0.1:80")).isEqualTo(new TcpProbe("10.0.0.1", 80));
    }

    @Test
    void httpStatusExpectAndHang() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 10);
        CountDownLatch release = new CountDownLatch(1);
        server.createContext("/ok", ex -> {
            byte[] b = "all good".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.createContext("/err", ex -> {
            ex.sendResponseHeaders(503, -1);
            ex.close();
        });
        server.createContext("/hang", ex -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        try (var client = new HttpProbe.SharedClient()) {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            assertThat(new HttpProbe(client, URI.create(base + "/ok"), Optional.of("good")).probe(T).up()).isTrue();
            Outcome missing = new HttpProbe(client, URI.create(base + "/ok"), Optional.of("ready")).probe(T);
            assertThat(missing.up()).isFalse();
            assertThat(missing.reason()).isEqualTo("GET " + base + "/ok answered 200 without \"ready\"");
            assertThat(new HttpProbe(client, URI.create(base + "/err"), Optional.empty()).probe(T).reason())
                    .isEqualTo("GET " + base + "/err answered 503");
            long t0 = System.nanoTime();
            Outcome hung = new HttpProbe(client, URI.create(base + "/hang"), Optional.empty()).probe(Duration.ofMillis(500));
            assertThat(hung.up()).isFalse();
            assertThat(hung.reason()).isEqualTo("GET " + base + "/hang timed out after 500 ms");
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5000);
        } finally {
            release.countDown();
            server.stop(0);
        }
    }

    @Test
    void customExitCodesMissingCommandAndTimeout() throws Exception {
        Path health = dir.resolve("health");
        Files.writeString(health, "#!/bin/sh\necho \"queue depth $1\"\necho second line\nexit $2\n");
        Files.setPosixFilePermissions(health, PosixFilePermissions.fromString("rwx------"));
        Outcome up = new CustomProbe(runner, List.of(health.toString(), "3", "0")).probe(T);
        assertThat(up).isEqualTo(Outcome.up("queue depth 3"));
        Outcome down = new CustomProbe(runner, List.of(health.toString(), "900", "2")).probe(T);
        assertThat(down).isEqualTo(Outcome.down(health + " 900 2: exit 2: queue depth 900"));
        Outcome missing = new CustomProbe(runner, List.of("/nonexistent/check-" + UUID.randomUUID())).probe(T);
        assertThat(missing.up()).isFalse();
        assertThat(missing.reason()).contains("/nonexistent/check-").contains("cannot run").contains("No such file");
        long t0 = System.nanoTime();
        Outcome slow = new CustomProbe(runner, List.of("sleep", "30")).probe(Duration.ofMillis(300));
        assertThat(slow).isEqualTo(Outcome.down("sleep 30: timed out after 300 ms (killed)"));
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(6000);
    }

    @Test
    void probeRunnerAbandonsAStuckProbe() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        Outcome o = new ProbeRunner().run("db/stuck", t -> {
            never.await();
            return Outcome.up("never");
        }, Duration.ofMillis(100)).get(5, TimeUnit.SECONDS);
        assertThat(o.up()).isFalse();
        assertThat(o.reason()).contains("stuck probe abandoned");
        Outcome boom = new ProbeRunner().run("db/boom", t -> {
            throw new IllegalStateException("bad");
        }, T).get(5, TimeUnit.SECONDS);
        assertThat(boom).isEqualTo(Outcome.down("db/boom: java.lang.IllegalStateException: bad"));
    }

    @Test
    void processSupervisionCountsMatchingProcesses() throws Exception {
        String marker = "sf-proc-" + UUID.randomUUID();
        ProcessConfig cfg = new ProcessConfig("app", "sleep 3[0-9]{2} " + marker, 1, 2, SupervisionAction.RESTART);
        ProcessProbe probe = new ProcessProbe(new ProcessTable(), cfg);
        Outcome none = probe.probe(T);
        assertThat(none.up()).isFalse();
        assertThat(none.reason()).isEqualTo("process app: 0 match \"sleep 3[0-9]{2} " + marker
                + "\", at least 1 expected");
        List<Process> ps = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                ps.add(new ProcessBuilder("sh", "-c", "while :; do sleep 1; done", marker).start());
            }
            ProcessProbe byShell = new ProcessProbe(new ProcessTable(), new ProcessConfig("app",
                    "done " + marker + "$", 1, 2, SupervisionAction.RESTART));
            Outcome tooMany = waitFor(byShell, false);
            assertThat(tooMany.reason()).startsWith("process app: 3 match").endsWith("at most 2 expected");
            ps.removeFirst().destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            Outcome ok = waitFor(byShell, true);
            assertThat(ok.reason()).startsWith("process app: 2 match");
        } finally {
            ps.forEach(Process::destroyForcibly);
        }
    }

    private static Outcome waitFor(ProcessProbe p, boolean up) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5000;
        Outcome o = p.probe(T);
        while (o.up() != up && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
            o = p.probe(T);
        }
        return o;
    }
}
