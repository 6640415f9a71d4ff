package io.steadfast.lab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code ip}, {@code nft}, {@code sysctl} and other short commands with a timeout.
 *
 * <p>Every run is bounded: the process is killed at the deadline, and its output is read on separate threads
 * (a child that fills a pipe buffer would otherwise block forever) and capped in size. The threads are joined
 * with a bound too, because a background grandchild can inherit the pipe and keep it open after the child
 * exits.
 */
public final class Net {
    private static final Logger LOG = LoggerFactory.getLogger(Net.class);

    /** Default bound for a single {@code ip}/{@code nft} invocation. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private static final int MAX_OUTPUT = 8 * 1024 * 1024;
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(2);

    private Net() {
    }

    /** Runs {@code argv}; throws {@link LabException} (with the command and stderr) on non-zero exit or timeout. */
    public static ExecResult run(Duration timeout, List<String> argv) {
        return run(timeout, argv, null);
    }

    /** As {@link #run(Duration, List)}, feeding {@code stdin} to the command. */
    public static ExecResult run(Duration timeout, List<String> argv, String stdin) {
        ExecResult r = exec(timeout, argv, stdin);
        if (!r.ok()) {
            throw new LabException("command failed (exit " + r.exitCode() + "): " + String.join(" ", argv)
                    + (r.stderr().isBlank() ? "" : " -- " + r.stderr().strip()));
        }
        return r;
    }

    /** Runs {@code argv} and returns its result whatever the exit code; throws only on timeout or spawn failure. */
    public static ExecResult exec(Duration timeout, List<String> argv) {
        return exec(timeout, argv, null);
    }

    /** As {@link #exec(Duration, List)}, feeding {@code stdin} to the command. */
    public static ExecResult exec(Duration timeout, List<String> argv, String stdin) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty argv");
        }
        LOG.debug("exec: {}", argv);
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(argv);
            if (stdin == null) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            }
            p = pb.start();
        } catch (IOException e) {
            throw new LabException("cannot start: " + String.join(" ", argv) + " -- " + e.getMessage(), e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread to = Thread.ofVirtual().start(() -> drain(p.getInputStream(), out));
        Thread te = Thread.ofVirtual().start(() -> drain(p.getErrorStream(), err));
        try {
            if (stdin != null) {
                try (OutputStream os = p.getOutputStream()) {
                    os.write(stdin.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // the command may exit before reading everything; its exit code tells what happened
                    LOG.debug("stdin of {} closed early: {}", argv.get(0), e.getMessage());
                }
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                killTree(p.toHandle());
                p.waitFor(DRAIN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                throw new LabException("timed out after " + timeout + ": " + String.join(" ", argv));
            }
            to.join(DRAIN_GRACE);
            te.join(DRAIN_GRACE);
        } catch (InterruptedException e) {
            killTree(p.toHandle());
            Thread.currentThread().interrupt();
            throw new LabException("interrupted: " + String.join(" ", argv), e);
        }
        String so;
        String se;
        synchronized (out) {
            so = out.toString(StandardCharsets.UTF_8);
        }
        synchronized (err) {
            se = err.toString(StandardCharsets.UTF_8);
        }
        return new ExecResult(p.exitValue(), so, se);
    }

    private static void drain(InputStream in, ByteArrayOutputStream sink) {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                synchronized (sink) {
                    int room = MAX_OUTPUT - sink.size();
                    if (room > 0) {
                        sink.write(buf, 0, Math.min(n, room));
                    }
                }
            }
        } catch (IOException e) {
            // stream closed under us (process killed): what was read is kept
        }
    }

    /** SIGKILL {@code h} and its descendants (descendants first, so none is re-parented and missed). */
    static void killTree(ProcessHandle h) {
        List<ProcessHandle> desc = new ArrayList<>(h.descendants().toList());
        for (ProcessHandle d : desc.reversed()) {
            d.destroyForcibly();
        }
        h.destroyForcibly();
    }

    // ---- convenience wrappers -------------------------------------------------------------------------

    /**
     * {@code ip -n NS args...}. The namespace is mandatory so that no lab helper can change the machine's own
     * network namespace by accident.
     */
    public static ExecResult ip(String ns, String... args) {
        List<String> argv = new ArrayList<>(List.of("ip", "-n", requireNs(ns)));
        argv.addAll(List.of(args));
        return run(DEFAULT_TIMEOUT, argv);
    }

    /**
     * Runs many {@code ip} commands in one process inside {@code ns} ({@code ip -n NS -batch -}). {@code -n}
     * switches namespace while parsing options, so every batch line runs inside {@code ns}. The batch stops
     * at the first failing line and the error names it.
     */
    public static void ipBatch(String ns, List<String> lines) {
        if (lines.isEmpty()) {
            return;
        }
        run(DEFAULT_TIMEOUT, List.of("ip", "-n", requireNs(ns), "-batch", "-"), String.join("\n", lines) + "\n");
    }

    /** Applies an nft script inside {@code ns} as one transaction ({@code ip netns exec NS nft -f -}). */
    public static void nft(String ns, String script) {
        run(DEFAULT_TIMEOUT, List.of("ip", "netns", "exec", requireNs(ns), "nft", "-f", "-"), script);
    }

    /**
     * Sets sysctls inside {@code ns}. {@code /proc/sys/net} shows the network namespace of the task that opens
     * it, so this must run in a process inside the namespace; the JVM itself stays in the root namespace.
     */
    public static void sysctl(String ns, List<String> keyEqualsValue) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", requireNs(ns), "sysctl", "-q", "-w"));
        argv.addAll(keyEqualsValue);
        run(DEFAULT_TIMEOUT, argv);
    }

    /** Reads one sysctl inside {@code ns}; null if the key does not exist there. */
    public static String sysctlGet(String ns, String key) {
        ExecResult r = exec(DEFAULT_TIMEOUT, List.of("ip", "netns", "exec", requireNs(ns), "sysctl", "-n", key));
        return r.ok() ? r.stdout().strip() : null;
    }

    /** Sends {@code signal} (e.g. "STOP", "CONT", "KILL") to one PID. */
    static void signal(long pid, String signal) {
        run(DEFAULT_TIMEOUT, List.of("kill", "-s", signal, Long.toString(pid)));
    }

    private static String requireNs(String ns) {
        if (ns == null || ns.isBlank()) {
            throw new IllegalArgumentException("namespace required");
        }
        return ns;
    }
}
