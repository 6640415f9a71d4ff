package io.steadfast.exec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs external commands ({@code ip}, {@code nft}, {@code arping}, application scripts) as argv — never through a
 * shell — with a timeout, capturing output. Blocking: call it from a worker ({@code vertx.executeBlocking}),
 * never from an event loop. A command that outlives its timeout is killed with its descendants.
 */
public class CommandRunner {
    private static final Logger LOG = LoggerFactory.getLogger(CommandRunner.class);
    /** Output kept per stream; more is dropped so a chatty command cannot fill the heap. */
    static final int MAX_OUTPUT = 1 << 20;

    private final List<String> prefix;

    /** Runs commands as they are: in the agent's own namespaces. */
    public CommandRunner() {
        this(List.of());
    }

    /**
     * Runs every command behind {@code prefix}, e.g. {@code ip netns exec <ns>}: lets a test drive a lab
     * namespace from the test JVM with the same code the agent runs inside the namespace.
     */
    public CommandRunner(List<String> prefix) {
        this.prefix = List.copyOf(prefix);
    }

    public static CommandRunner inNetns(String namespace) {
        return new CommandRunner(List.of("ip", "netns", "exec", namespace));
    }

    public CommandResult run(List<String> argv, Duration timeout) {
        return run(argv, timeout, null, Map.of());
    }

    public CommandResult run(List<String> argv, Duration timeout, String stdin, Map<String, String> env) {
        List<String> full = new java.util.ArrayList<>(prefix);
        full.addAll(argv);
        ProcessBuilder pb = new ProcessBuilder(full);
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            LOG.debug("cannot start {}: {}", argv, e.getMessage());
            return new CommandResult(List.copyOf(argv), -1, "", "cannot run: " + e.getMessage(), false);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // the command did not read its input; its exit code tells the rest
        }
        boolean finished;
        try {
            finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finished = false;
        }
        if (!finished) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new CommandResult(List.copyOf(argv), -1, out.getNow(""), err.getNow(""), true);
        }
        return new CommandResult(List.copyOf(argv), p.exitValue(), out.join(), err.join(), false);
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] chunk = new byte[8192];
            try (stream) {
                int n;
                while ((n = stream.read(chunk)) >= 0) {
                    if (buf.size() < MAX_OUTPUT) {
                        buf.write(chunk, 0, Math.min(n, MAX_OUTPUT - buf.size()));
                    }
                }
            } catch (IOException e) {
                // process killed: keep what was read
            }
            return buf.toString(StandardCharsets.UTF_8);
        }, CommandRunner::virtual);
    }

    private static void virtual(Runnable r) {
        Thread.ofVirtual().name("cmd-drain").start(r);
    }
}
