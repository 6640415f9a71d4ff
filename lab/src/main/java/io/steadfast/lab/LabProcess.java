package io.steadfast.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A background program running inside a lab namespace.
 *
 * <p>{@code ip netns exec} (and {@code unshare} without {@code --fork}) switch namespaces and then
 * {@code execvp} the program, so the PID of the spawned {@link Process} is the program's own PID: signals
 * reach the program, not a wrapper.
 */
public final class LabProcess {
    private static final Logger LOG = LoggerFactory.getLogger(LabProcess.class);
    private static final Duration KILL_WAIT = Duration.ofSeconds(5);
    private static final Duration STATE_WAIT = Duration.ofSeconds(2);

    private final Process process;
    private final String namespace;
    private final List<String> argv;
    private final Path logFile;

    LabProcess(Process process, String namespace, List<String> argv, Path logFile) {
        this.process = process;
        this.namespace = namespace;
        this.argv = List.copyOf(argv);
        this.logFile = logFile;
    }

    /**
     * Waits until the launcher chain ({@code ip netns exec NS} then the wrapper, if any) has exec'd the program.
     * Right after spawn the PID still runs {@code ip} (comm "ip", root network namespace): a signal or a
     * {@code /proc} check made then would hit the wrapper. Detected by {@code /proc/PID/cmdline} no longer
     * starting with a launcher's argv.
     */
    void awaitExec(List<List<String>> launchers, Duration timeout) {
        Path cmdline = Path.of("/proc", Long.toString(pid()), "cmdline");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (process.isAlive()) {
            String cl;
            try {
                cl = Files.readString(cmdline);
            } catch (IOException e) {
                return; // exited
            }
            boolean launching = cl.isEmpty() || launchers.stream()
                    .anyMatch(l -> !l.isEmpty() && cl.startsWith(String.join("\0", l) + "\0"));
            if (!launching) {
                return;
            }
            if (System.nanoTime() > deadline) {
                Net.killTree(process.toHandle());
                throw new LabException("pid " + pid() + " did not exec " + argv + " within " + timeout
                        + " (a wrapper must exec, not fork)");
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LabException("interrupted", e);
            }
        }
    }

    /** The program's own PID (not a wrapper's): see the class comment. */
    public long pid() {
        return process.pid();
    }

    public String namespace() {
        return namespace;
    }

    public List<String> argv() {
        return argv;
    }

    public Path logFile() {
        return logFile;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Exit code once the process has ended. */
    public OptionalInt exitCode() {
        return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
    }

    /** Waits up to {@code timeout} for the process to end; true if it has. */
    public boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    /**
     * SIGKILL the program (and anything it forked), then wait for it to be reaped. SIGKILL also ends a
     * stopped (frozen) process, so no thaw is needed first.
     */
    public void kill9() {
        if (!process.isAlive()) {
            return;
        }
        LOG.debug("kill -9 {} in {}: {}", pid(), namespace, argv);
        Net.killTree(process.toHandle());
        if (!waitFor(KILL_WAIT)) {
            throw new LabException("pid " + pid() + " still alive " + KILL_WAIT + " after SIGKILL");
        }
    }

    /**
     * SIGKILL this process alone, as {@code kill -9 PID} does: what it started lives on. The node agent's launcher
     * starts a watchdog beside the JVM that must outlive it (it releases the node); {@link #kill9()} would take the
     * watchdog down too and test a fault that cannot happen that way.
     */
    public void kill9Alone() {
        if (!process.isAlive()) {
            return;
        }
        LOG.debug("kill -9 {} alone in {}: {}", pid(), namespace, argv);
        process.destroyForcibly();
        if (!waitFor(KILL_WAIT)) {
            throw new LabException("pid " + pid() + " still alive " + KILL_WAIT + " after SIGKILL");
        }
    }

    /**
     * SIGSTOP: the program hangs without dying (sockets stay open, no FIN/RST), the way a stuck host looks to
     * its peers. Returns once the kernel reports the task stopped, since signal delivery is asynchronous.
     */
    public void freeze() {
        Net.signal(pid(), "STOP");
        awaitState(true);
    }

    /** SIGCONT, and wait until the task is no longer stopped. */
    public void thaw() {
        Net.signal(pid(), "CONT");
        awaitState(false);
    }

    /** Scheduler state letter from {@code /proc/PID/stat} ('R', 'S', 'T', 'Z', ...), or '?' if gone. */
    public char state() {
        return procState(pid());
    }

    static char procState(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // comm (field 2) may itself contain spaces and ')': the state follows the LAST ')'
            int i = stat.lastIndexOf(')');
            return i >= 0 && i + 2 < stat.length() ? stat.charAt(i + 2) : '?';
        } catch (IOException e) {
            return '?';
        }
    }

    private void awaitState(boolean stopped) {
        long deadline = System.nanoTime() + STATE_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            char s = state();
            if (s == '?' || s == 'Z' || s == 'X') {
                throw new LabException("pid " + pid() + " is gone");
            }
            if ((s == 'T') == stopped) {
                return;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LabException("interrupted", e);
            }
        }
        throw new LabException("pid " + pid() + " did not become " + (stopped ? "stopped" : "running")
                + " within " + STATE_WAIT);
    }

    @Override
    public String toString() {
        return "LabProcess[pid=" + pid() + ", ns=" + namespace + ", argv=" + argv + "]";
    }
}
