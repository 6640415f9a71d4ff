package io.steadfast.replication.impl;

import io.vertx.core.json.JsonObject;

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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A replication node ({@link NodeMain}) in its own JVM and its own mount namespace: {@code unshare -m} gives the
 * process a private mount table, in which the node's own directory is bound onto the configured path — so both
 * nodes use the same path, each seeing its own copy, and every mount dies with the process (even on kill -9).
 * The test reaches a node's view through {@code /proc/PID/root}.
 */
final class TestNode implements AutoCloseable {
    final String name;
    final Path own;        // this node's real directory on the host
    final Path configured; // the configured path (same on every node)
    final Path state;
    final String listen;
    final Path secret;
    final String async;
    final long sendTimeoutMs;
    final Path log;
    private Process process;
    private Writer stdin;
    private final LinkedBlockingQueue<JsonObject> replies = new LinkedBlockingQueue<>();
    final List<JsonObject> events = new CopyOnWriteArrayList<>();

    TestNode(String name, Path own, Path configured, Path state, String listen, Path secret, String async,
             long sendTimeoutMs, Path log) {
        this.name = name;
        this.own = own;
        this.configured = configured;
        this.state = state;
        this.listen = listen;
        this.secret = secret;
        this.async = async;
        this.sendTimeoutMs = sendTimeoutMs;
        this.log = log;
    }

    TestNode start() throws IOException, InterruptedException {
        replies.clear();
        List<String> argv = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
                "mount --bind \"$1\" \"$2\" && shift 2 && exec \"$@\"", "sh", own.toString(), configured.toString(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // 8 MiB regions: the 1 MiB write buffers are then ordinary (not humongous) G1 allocations
                "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-XX:G1HeapRegionSize=8m"));
        // extra JVM options for the nodes, e.g. a profiler (-Dsf.node.jvmopts="-XX:StartFlightRecording=...")
        String extra = System.getProperty("sf.node.jvmopts", "").replace("%n", name);
        if (!extra.isBlank()) {
            argv.addAll(List.of(extra.trim().split("\\s+")));
        }
        argv.addAll(List.of("-cp", System.getProperty("java.class.path"),
                NodeMain.class.getName(), name, "db", configured.toString(), state.toString(), listen,
                secret.toString(), async, Long.toString(sendTimeoutMs)));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        process = pb.start();
        stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Process p = process;
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (!line.startsWith("@@ ")) {
                        continue;
                    }
                    JsonObject j = new JsonObject(line.substring(3));
                    if (j.getBoolean("reply", false) || j.getBoolean("ready", false)) {
                        replies.add(j);
                    } else {
                        events.add(j.put("t", System.nanoTime()));
                    }
                }
            } catch (IOException ignored) {
                // process gone
            }
        });
        JsonObject ready = replies.poll(120, TimeUnit.SECONDS); // a JVM start under a load of 20+ took > 30 s
        if (ready == null || !ready.getBoolean("ready", false)) {
            throw new IOException(name + " did not start: " + Files.readString(log));
        }
        return this;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    /** The application's view of the replicated directory on this node. */
    Path view() {
        return Path.of("/proc/" + pid() + "/root" + configured);
    }

    JsonObject cmd(String line) throws IOException, InterruptedException {
        stdin.write(line + "\n");
        stdin.flush();
        JsonObject r = replies.poll(120, TimeUnit.SECONDS);
        if (r == null) {
            throw new IOException(name + ": no reply to " + line);
        }
        if (r.containsKey("error")) {
            throw new IOException(name + ": " + line + " failed: " + r.getString("error"));
        }
        return r.getJsonObject("body");
    }

    JsonObject status() throws IOException, InterruptedException {
        return cmd("status");
    }

    /** Polls status until {@code ok}, at most {@code max}. */
    JsonObject awaitStatus(Predicate<JsonObject> ok, Duration max) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        JsonObject s = status();
        while (!ok.test(s)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " status never reached the condition: " + s.encode());
            }
            Thread.sleep(50);
            s = status();
        }
        return s;
    }

    void kill9() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            try {
                cmd("quit");
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (IOException | RuntimeException e) {
                // fall through to kill
            }
            kill9();
        }
    }
}
