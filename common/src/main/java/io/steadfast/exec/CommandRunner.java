package io.steadfast.exec;

import io.steadfast.exec.impl.LibNftables;
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
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs external commands ({@code ip}, {@code nft}, {@code arping}, application scripts) as argv — never through a
 * shell — with a timeout, capturing output. Blocking: call it from a worker ({@code vertx.executeBlocking}),
 * never from an event loop. A command that outlives its timeout is killed with its descendants. {@code nft} runs
 * in-process through libnftables when the machine has it ({@link LibNftables}: no process start on the farm's
 * failover path), with the binary's semantics; with a prefix (another namespace) it stays a process.
 */
public class CommandRunner {
    private static final Logger LOG = LoggerFactory.getLogger(CommandRunner.class);
    /** Output kept per stream; more is dropped so a chatty command cannot fill the heap. */
    static final int MAX_OUTPUT = 1 << 20;
    /** After the command exited, its output is awaited at least this long (even past the timeout). */
    static final long OUTPUT_GRACE_MS = 200;

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
        if (prefix.isEmpty() && !argv.isEmpty() && argv.getFirst().equals("nft")) {
            Optional<LibNftables.Result> r = LibNftables.get().flatMap(lib -> lib.run(argv.subList(1, argv.size()), stdin));
            if (r.isPresent()) {
                return new CommandResult(List.copyOf(argv), r.get().status(), r.get().stdout(), r.get().stderr(), false);
            }
        }
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
        long deadline = System.nanoTime() + timeout.toNanos();
        Drain out = drain(p.getInputStream());
        Drain err = drain(p.getErrorStream());
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
            return new CommandResult(List.copyOf(argv), -1, out.text(), err.text(), true);
        }
        // A child the command left in the background may hold its stdout/stderr open: the output then never ends.
        // Wait for it no longer than the rest of the timeout (at least OUTPUT_GRACE_MS) and keep what came.
        long wait = Math.max(OUTPUT_GRACE_MS, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(wait);
        out.await(until);
        err.await(until);
        return new CommandResult(List.copyOf(argv), p.exitValue(), out.text(), err.text(), false);
    }

    /** One output stream being read on its own virtual thread, up to {@link #MAX_OUTPUT}. */
    private static final class Drain {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final CompletableFuture<Void> done = new CompletableFuture<>();

        synchronized void write(byte[] chunk, int n) {
            if (buf.size() < MAX_OUTPUT) {
                buf.write(chunk, 0, Math.min(n, MAX_OUTPUT - buf.size()));
            }
        }

        /** What was read so far. */
        synchronized String text() {
            return buf.toString(StandardCharsets.UTF_8);
        }

        /** Until the stream ended or {@code until} (System.nanoTime) passed. */
        void await(long until) {
            try {
                done.get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // the output is still open (or failed): keep what was read
            }
        }
    }

    private static Drain drain(InputStream stream) {
        Drain d = new Drain();
        virtual(() -> {
            byte[] chunk = new byte[8192];
            try (stream) {
                int n;
                while ((n = stream.read(chunk)) >= 0) {
                    d.write(chunk, n);
                }
            } catch (IOException e) {
                // process killed: keep what was read
            } finally {
                d.done.complete(null);
            }
        });
        return d;
    }

    private static void virtual(Runnable r) {
        Thread.ofVirtual().name("cmd-drain").start(r);
    }
}
