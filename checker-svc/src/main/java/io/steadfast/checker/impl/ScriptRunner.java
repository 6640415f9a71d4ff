package io.steadfast.checker.impl;

import io.steadfast.api.CheckerApi.Script;
import io.steadfast.api.CheckerApi.ScriptRequest;
import io.steadfast.api.CheckerApi.ScriptResult;
import io.steadfast.config.ScriptsConfig;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs a module's application scripts.
 *
 * <p>Contract with the scripts (documented for operators):
 * <ul>
 * <li>The configured argv is executed as given (never through a shell) with three arguments appended:
 *     the module's current state, the next state and the action (e.g. {@code PRIM STOP stopstart}); the second
 *     call of a stop script (after the graceful one failed or timed out) gets a fourth argument, {@code force}.
 *     The environment has {@code STEADFAST_MODULE}, {@code STEADFAST_NODE}, {@code STEADFAST_SCRIPT}.</li>
 * <li>stdin is {@code /dev/null}; stdout and stderr go, line by line, to the module log.</li>
 * <li>A start script must start the application <em>in the background</em> and exit: the script's exit code is
 *     the result (0 = success). Output the application keeps writing to the inherited stdout still reaches the
 *     module log (bounded), but redirecting it to the application's own log is better.</li>
 * <li>A script running longer than {@code scripts.timeout} is killed (SIGKILL) with its descendants and its whole
 *     process group (what it started and left behind included, unless that started its own session) and fails; the
 *     log line names the script, its command and the timeout.</li>
 * <li>A script that is not configured succeeds, marked skipped.</li>
 * </ul>
 * Scripts of one module never run concurrently (a later request waits for the earlier one).
 *
 * <p>Each script runs in a new session ({@code setsid}), so what a start script leaves running is its process
 * group: {@link #launched(String)} lists it, for supervision and for the operator.
 */
public final class ScriptRunner {
    /** Kept in the reply; the module log has everything. */
    static final int MAX_REPLY_OUTPUT = 64 * 1024;
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private final String node;
    private final ProcessTable processes;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final Map<String, Long> launchedGroup = new ConcurrentHashMap<>();
    /** module → the script running for it now (for health: a script long past its timeout = a stuck runner). */
    private final Map<String, io.steadfast.service.HealthRules.RunningScript> running = new ConcurrentHashMap<>();

    public ScriptRunner(String node, ProcessTable processes) {
        this.node = node;
        this.processes = processes;
    }

    public static List<String> configured(ScriptsConfig scripts, Script script) {
        return switch (script) {
            case PRESTART -> scripts.prestart();
            case START_PRIM -> scripts.startPrim();
            case STOP_PRIM -> scripts.stopPrim();
            case START_BOTH -> scripts.startBoth();
            case STOP_BOTH -> scripts.stopBoth();
            case POSTSTOP -> scripts.poststop();
        };
    }

    /** The argv actually executed (without the setsid prefix). */
    public static List<String> argv(List<String> configured, ScriptRequest req) {
        List<String> argv = new ArrayList<>(configured);
        argv.add(req.current().name());
        argv.add(req.next().name());
        argv.add(req.action());
        if (req.force()) {
            argv.add("force");
        }
        return argv;
    }

    /** Blocking: runs the script to its exit or its timeout. */
    public ScriptResult run(ScriptsConfig scripts, ScriptRequest req, ModuleLog log, OutputTailer out) {
        String tag = req.script().name().toLowerCase(java.util.Locale.ROOT) + (req.force() ? " (force)" : "");
        List<String> configured = configured(scripts, req.script());
        if (configured.isEmpty()) {
            log.append("script " + tag + ": not configured, skipped");
            return new ScriptResult(req.module(), req.script(), 0, false, true, "");
        }
        ReentrantLock lock = locks.computeIfAbsent(req.module(), m -> new ReentrantLock());
        lock.lock();
        try {
            running.put(req.module(), new io.steadfast.service.HealthRules.RunningScript(tag,
                    System.currentTimeMillis(), scripts.timeout()));
            return runLocked(scripts.timeout(), req, configured, tag, log, out);
        } finally {
            running.remove(req.module());
            lock.unlock();
        }
    }

    private ScriptResult runLocked(Duration timeout, ScriptRequest req, List<String> configured, String tag,
                                   ModuleLog log, OutputTailer out) {
        List<String> argv = argv(configured, req);
        out.poll(l -> log.append("app: " + l), true); // what the application wrote since the last script
        List<String> full = new ArrayList<>();
        boolean session = Files.isExecutable(SETSID);
        if (session) {
            full.add(SETSID.toString());
        }
        full.addAll(argv);
        ProcessBuilder pb = new ProcessBuilder(full)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.file().toFile()));
        pb.environment().put("STEADFAST_MODULE", req.module());
        pb.environment().put("STEADFAST_NODE", node);
        pb.environment().put("STEADFAST_SCRIPT", req.script().name().toLowerCase(java.util.Locale.ROOT));
        StringBuilder output = new StringBuilder();
        java.util.function.Consumer<String> line = l -> {
            log.append(tag + ": " + l);
            if (output.length() < MAX_REPLY_OUTPUT) {
                output.append(l).append('\n');
            }
        };
        long started = System.nanoTime();
        Process p;
        try {
            Files.createDirectories(out.file().getParent());
            p = pb.start();
        } catch (IOException e) {
            log.append("script " + tag + ": cannot run " + argv + ": " + e.getMessage());
            return new ScriptResult(req.module(), req.script(), -1, false, false, "cannot run: " + e.getMessage());
        }
        log.append("script " + tag + " started (pid " + p.pid() + "): " + String.join(" ", argv));
        long deadline = started + timeout.toNanos();
        boolean exited = false;
        try {
            while (!exited && System.nanoTime() < deadline) {
                long wait = Math.min(TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 1, 50);
                exited = p.waitFor(wait, TimeUnit.MILLISECONDS);
                out.poll(line, false);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        if (!exited) {
            List<Long> killed = killTree(p, session);
            out.poll(line, true);
            log.append("script " + tag + ": timed out after " + ms + " ms (timeout " + timeout.toMillis()
                    + " ms): " + String.join(" ", argv) + " killed with "
                    + (session ? "its process group and descendants" : "its descendants") + " (pids " + killed + ")");
            return new ScriptResult(req.module(), req.script(), -1, true, false, output.toString());
        }
        out.poll(line, true);
        int code = p.exitValue();
        if (session && code == 0 && (req.script() == Script.START_PRIM || req.script() == Script.START_BOTH)) {
            launchedGroup.put(req.module(), p.pid());
            List<Long> left = launched(req.module());
            if (!left.isEmpty()) {
                log.append("script " + tag + " left running: pids " + left);
            }
        }
        log.append("script " + tag + ": exit " + code + " in " + ms + " ms");
        return new ScriptResult(req.module(), req.script(), code, false, false, output.toString());
    }

    /**
     * SIGKILLs a timed-out script, its descendants and — when it runs in its own session — every process of its
     * process group: a child that a daemonizing starter left behind is no descendant any more (it was reparented)
     * but stays in the group. Repeated until nothing is left (a fork racing the kill), bounded.
     */
    private List<Long> killTree(Process p, boolean session) {
        java.util.Set<Long> killed = new java.util.TreeSet<>();
        for (int round = 0; round < 20; round++) {
            List<ProcessHandle> victims = new ArrayList<>();
            p.toHandle().descendants().forEach(victims::add);
            if (session) {
                for (ProcessTable.Proc pr : processes.group(p.pid())) {
                    ProcessHandle.of(pr.pid()).ifPresent(victims::add);
                }
            }
            if (p.isAlive()) {
                victims.add(p.toHandle());
            }
            victims.removeIf(h -> !h.isAlive());
            if (victims.isEmpty()) {
                break;
            }
            for (ProcessHandle h : victims) {
                if (h.destroyForcibly()) {
                    killed.add(h.pid());
                }
            }
            try {
                p.waitFor(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return List.copyOf(killed);
    }

    /**
     * Moves what the applications wrote to the script output file since the last look into the module log
     * (as {@code app: …} lines); does nothing while a script of the module runs (that one reads it itself).
     */
    public void pollApp(String module, OutputTailer out, ModuleLog log) {
        ReentrantLock lock = locks.computeIfAbsent(module, m -> new ReentrantLock());
        if (lock.tryLock()) {
            try {
                out.poll(l -> log.append("app: " + l), false);
            } finally {
                lock.unlock();
            }
        }
    }

    /** module → the script running for it now, since when (ms since epoch), with which timeout. */
    public Map<String, io.steadfast.service.HealthRules.RunningScript> running() {
        return Map.copyOf(running);
    }

    /** The live processes the last successful start script of {@code module} left running (its process group). */
    public List<Long> launched(String module) {
        Long pgrp = launchedGroup.get(module);
        if (pgrp == null) {
            return List.of();
        }
        return processes.group(pgrp).stream().map(ProcessTable.Proc::pid).toList();
    }
}
