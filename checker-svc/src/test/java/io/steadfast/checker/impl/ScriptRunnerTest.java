package io.steadfast.checker.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.api.CheckerApi.LogLine;
import io.steadfast.api.CheckerApi.Script;
import io.steadfast.api.CheckerApi.ScriptRequest;
import io.steadfast.api.CheckerApi.ScriptResult;
import io.steadfast.api.State;
import io.steadfast.config.ScriptsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real scripts, real processes. */
class ScriptRunnerTest {
    @TempDir
    Path dir;
    private final List<LogLine> published = Collections.synchronizedList(new ArrayList<>());
    private final List<Long> started = new ArrayList<>();
    private final ScriptRunner runner = new ScriptRunner("node1", new ProcessTable());
    private ModuleLog log;
    private OutputTailer out;

    private Path script(String name, String body) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    private ScriptsConfig startPrim(List<String> argv, Duration timeout) {
        return new ScriptsConfig(List.of(), argv, argv, List.of(), List.of(), List.of(), timeout);
    }

    private ScriptResult run(ScriptsConfig s, Script script, boolean force) {
        if (log == null) {
            log = new ModuleLog(dir.resolve("logs"), "node1", "db", 1 << 20, System::currentTimeMillis, published::add);
            out = new OutputTailer(dir.resolve("logs/db.out"), 1 << 20);
        }
        return runner.run(s, new ScriptRequest("db", script, State.SECOND, State.PRIM, "failover", force), log, out);
    }

    @AfterEach
    void killWhatWeStarted() {
        for (long pid : started) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void argumentsAreAppendedVerbatimWithoutAShell() throws Exception {
        Path args = dir.resolve("args");
        Path s = script("start", "for a in \"$@\"; do echo \"[$a]\"; done > " + args + "; echo \"env $STEADFAST_MODULE $STEADFAST_NODE $STEADFAST_SCRIPT\"");
        ScriptResult r = run(startPrim(List.of(s.toString(), "a b; touch " + dir.resolve("pwned")), Duration.ofSeconds(10)),
                Script.START_PRIM, false);
        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(Files.readAllLines(args)).containsExactly("[a b; touch " + dir.resolve("pwned") + "]", "[SECOND]",
                "[PRIM]", "[failover]");
        assertThat(dir.resolve("pwned")).doesNotExist();
        assertThat(r.output()).isEqualTo("env db node1 start_prim\n");
        assertThat(published).extracting(LogLine::line).contains("start_prim: env db node1 start_prim");
    }

    @Test
    void stopTwice_secondCallGetsForce() throws Exception {
        Path args = dir.resolve("args");
        Path s = script("stop", "echo \"$*\" >> " + args + "; [ \"$4\" = force ] || exit 3");
        ScriptsConfig cfg = startPrim(List.of(s.toString()), Duration.ofSeconds(10));
        ScriptResult graceful = run(cfg, Script.STOP_PRIM, false);
        assertThat(graceful.ok()).isFalse();
        assertThat(graceful.exitCode()).isEqualTo(3);
        ScriptResult forced = run(cfg, Script.STOP_PRIM, true);
        assertThat(forced.ok()).isTrue();
        assertThat(Files.readAllLines(args)).containsExactly("SECOND PRIM failover", "SECOND PRIM failover force");
        assertThat(log.tail(50)).extracting(LogLine::line).anyMatch(l -> l.startsWith("script stop_prim: exit 3"));
        assertThat(log.tail(50)).extracting(LogLine::line).anyMatch(l -> l.startsWith("script stop_prim (force): exit 0"));
    }

    @Test
    void timeoutKillsTheScriptAndItsChildren() throws Exception {
        Path pidFile = dir.resolve("child.pid");
        Path s = script("hang", "sleep 300 & echo $! > " + pidFile + "; echo waiting; wait");
        long t0 = System.nanoTime();
        ScriptResult r = run(startPrim(List.of(s.toString()), Duration.ofMillis(800)), Script.START_PRIM, false);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long child = Long.parseLong(Files.readString(pidFile).strip());
        started.add(child);
        assertThat(r.timedOut()).isTrue();
        assertThat(r.exitCode()).isEqualTo(-1);
        assertThat(r.ok()).isFalse();
        assertThat(r.output()).contains("waiting");
        assertThat(ms).as("returned soon after the timeout").isLessThan(8000);
        assertThat(waitDead(child)).as("child killed").isTrue();
        assertThat(log.tail(20)).extracting(LogLine::line).anyMatch(l -> l.contains("timed out after"));
    }

    /**
     * A hung script whose child left its parent (a daemonizing starter: the subshell that started it exited, so it
     * is no descendant of the script any more) is killed too — it stays in the script's process group — and the
     * log line names the script, its command and the timeout.
     */
    @Test
    void timeoutKillsTheScriptsWholeProcessGroupAndNamesTheScript() throws Exception {
        Path pidFile = dir.resolve("orphan.pid");
        Path s = script("hang", "(sleep 300 </dev/null >/dev/null 2>&1 & echo $! > " + pidFile + "); echo waiting; sleep 300");
        ScriptResult r = run(startPrim(List.of(s.toString()), Duration.ofSeconds(1)), Script.START_PRIM, false);
        long orphan = Long.parseLong(Files.readString(pidFile).strip());
        started.add(orphan);
        assertThat(r.timedOut()).isTrue();
        assertThat(ProcessHandle.current().descendants().map(ProcessHandle::pid)).doesNotContain(orphan);
        assertThat(waitDead(orphan)).as("the orphaned child is killed with the script's process group").isTrue();
        assertThat(log.tail(20)).extracting(LogLine::line).anyMatch(l -> l.startsWith("script start_prim: timed out")
                && l.contains(s.toString()) && l.contains("timeout 1000 ms"));
    }

    @Test
    void notConfiguredIsSkipped() {
        ScriptResult r = run(ScriptsConfig.none(), Script.POSTSTOP, false);
        assertThat(r.skipped()).isTrue();
        assertThat(r.ok()).isTrue();
        assertThat(published).extracting(LogLine::line).containsExactly("script poststop: not configured, skipped");
    }

    @Test
    void missingScriptFailsWithAReason() {
        ScriptResult r = run(startPrim(List.of(dir.resolve("nope").toString()), Duration.ofSeconds(5)),
                Script.START_PRIM, false);
        assertThat(r.ok()).isFalse();
        assertThat(r.output() + log.tail(10)).contains("nope");
    }

    /**
     * The application the start script backgrounds keeps the script's stdout: the script's exit still ends the
     * call, the application keeps running (no SIGPIPE), its later output reaches the module log, and its PID is
     * known as what the script launched.
     */
    @Test
    void backgroundedAppDoesNotHoldTheCallAndKeepsLogging() throws Exception {
        Path pidFile = dir.resolve("app.pid");
        Path app = script("app", "while true; do echo tick; sleep 0.1; done");
        Path s = script("start", app + " & echo $! > " + pidFile + "; echo started");
        long t0 = System.nanoTime();
        ScriptResult r = run(startPrim(List.of(s.toString()), Duration.ofSeconds(20)), Script.START_PRIM, false);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long appPid = Long.parseLong(Files.readString(pidFile).strip());
        started.add(appPid);
        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(ms).isLessThan(5000);
        assertThat(r.output()).contains("started");
        assertThat(runner.launched("db")).contains(appPid);
        published.clear();
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline
                && published.stream().noneMatch(l -> l.line().equals("app: tick"))) {
            runner.pollApp("db", out, log);
            Thread.sleep(100);
        }
        assertThat(published).extracting(LogLine::line).contains("app: tick");
        assertThat(ProcessHandle.of(appPid).map(ProcessHandle::isAlive)).contains(true);
    }

    static boolean waitDead(long pid) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline) {
            if (ProcessHandle.of(pid).map(ph -> !ph.isAlive()).orElse(true)) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }
}
