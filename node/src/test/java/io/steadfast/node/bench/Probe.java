package io.steadfast.node.bench;

import io.steadfast.lab.LabClient;
import io.steadfast.lab.LabProcess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A client in a lab namespace that asks {@code http://VIP:PORT/} every {@link #INTERVAL_MS} ms with a short timeout
 * and logs {@code <epoch ns> <answer|FAIL>}: the failover benchmarks read from it when service came back, and
 * from which node (the sample app answers {@code module@node}).
 */
final class Probe implements AutoCloseable {
    static final int INTERVAL_MS = 10;
    static final int TIMEOUT_MS = 100;

    private static final String SCRIPT = """
            import socket, sys, time
            host, port, interval, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) / 1000, int(sys.argv[4]) / 1000
            out = sys.stdout
            end = time.time() + 3600
            while time.time() < end:
                t = time.time_ns()
                try:
                    with socket.create_connection((host, port), timeout=timeout) as s:
                        s.settimeout(timeout)
                        s.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n")
                        data = b""
                        while True:
                            chunk = s.recv(4096)
                            if not chunk:
                                break
                            data += chunk
                    body = data.split(b"\\r\\n\\r\\n", 1)[1].strip().decode() if b"\\r\\n\\r\\n" in data else "FAIL"
                    out.write(f"{t} {body or 'FAIL'}\\n")
                except OSError:
                    out.write(f"{t} FAIL\\n")
                out.flush()
                time.sleep(interval)
            """;

    private final LabProcess process;
    private final Path log;

    private Probe(LabProcess process, Path log) {
        this.process = process;
        this.log = log;
    }

    static Probe start(LabClient client, Path dir, String host, int port) throws IOException {
        Path script = dir.resolve("probe.py");
        Files.writeString(script, SCRIPT);
        Path log = dir.resolve("probe-" + System.nanoTime() + ".log");
        LabProcess p = client.start(log, Map.of(), "python3", "-u", script.toString(), host, String.valueOf(port),
                String.valueOf(INTERVAL_MS), String.valueOf(TIMEOUT_MS));
        return new Probe(p, log);
    }

    /** The first answer from {@code who} at or after {@code sinceNanos} (epoch ns), if any yet. */
    Optional<Long> firstAnswer(String who, long sinceNanos) throws IOException {
        List<String> lines = Files.readAllLines(log);
        for (String line : lines) {
            int sp = line.indexOf(' ');
            if (sp < 0) {
                continue;
            }
            long t = Long.parseLong(line.substring(0, sp));
            if (t >= sinceNanos && line.substring(sp + 1).equals(who)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** Waits (bounded) for an answer from {@code who} after {@code sinceNanos}; returns its epoch ns. */
    long await(String who, long sinceNanos, long timeoutMs) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            Optional<Long> t = firstAnswer(who, sinceNanos);
            if (t.isPresent()) {
                return t.get();
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no answer from " + who + " within " + timeoutMs + " ms (log " + log + ")");
    }

    static long nowNanos() {
        java.time.Instant i = java.time.Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    @Override
    public void close() {
        process.kill9();
    }
}
