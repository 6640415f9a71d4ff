package io.steadfast.checker;

import static io.steadfast.checker.CheckerTestSupport.await;
import static io.steadfast.checker.CheckerTestSupport.eventually;
import static io.steadfast.checker.CheckerTestSupport.freePort;
import static io.steadfast.checker.CheckerTestSupport.publishState;
import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.api.CheckerApi;
import io.steadfast.api.CheckerApi.CheckerStatus;
import io.steadfast.api.CheckerApi.CheckerStatuses;
import io.steadfast.api.CheckerApi.LogLine;
import io.steadfast.api.CheckerApi.Script;
import io.steadfast.api.CheckerApi.ScriptRequest;
import io.steadfast.api.CheckerApi.ScriptResult;
import io.steadfast.api.CheckerApi.Status;
import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.HeartbeatApi.ActionRequest;
import io.steadfast.api.HeartbeatApi.CommandReply;
import io.steadfast.api.State;
import io.steadfast.bus.ErrorCode;
import io.steadfast.config.FailureAction;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.exec.CommandRunner;
import io.steadfast.service.Membership;
import io.steadfast.service.ServiceContext;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The verticle in a plain (non-clustered) Vert.x, with real applications (python3 http.server processes) and real
 * sockets. A consumer on {@link HeartbeatApi#action} stands in for heartbeat-svc: it records the requests and,
 * for a restart, starts the application again before answering.
 */
class CheckerVerticleIT {
    private static final Logger LOG = LoggerFactory.getLogger(CheckerVerticleIT.class);
    @TempDir
    Path dir;
    private Vertx vertx;
    private final List<Process> apps = new CopyOnWriteArrayList<>();
    private final BlockingQueue<ActionRequest> actions = new LinkedBlockingQueue<>();
    private final List<CheckerStatus> events = new CopyOnWriteArrayList<>();
    private final List<LogLine> logLines = new CopyOnWriteArrayList<>();
    private volatile Function<ActionRequest, Boolean> heartbeat = r -> true;

    @BeforeEach
    void bus() {
        vertx = Vertx.vertx();
        vertx.eventBus().<JsonObject>consumer(HeartbeatApi.action("node1"), msg -> {
            ActionRequest req = ActionRequest.fromJson(msg.body());
            actions.add(req);
            vertx.executeBlocking(() -> heartbeat.apply(req)).onComplete(ar -> {
                if (ar.succeeded() && ar.result()) {
                    msg.reply(new CommandReply("node1", req.module(), "done", State.PRIM).toJson());
                } else {
                    msg.fail(ErrorCode.CONFLICT.code(), "refused by the test");
                }
            });
        });
        vertx.eventBus().<JsonObject>consumer(CheckerApi.CHECKER_EVENTS, m -> events.add(CheckerStatus.fromJson(m.body())));
        vertx.eventBus().<JsonObject>consumer(CheckerApi.MODULE_LOG, m -> logLines.add(LogLine.fromJson(m.body())));
    }

    @AfterEach
    void cleanup() throws Exception {
        for (Process p : apps) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        await(vertx.close());
    }

    private CheckerVerticle deploy(String modulesYaml) throws Exception {
        SteadfastConfig cfg = CheckerTestSupport.config(dir, modulesYaml);
        CheckerVerticle v = new CheckerVerticle(new ServiceContext(cfg, "node1", Membership.standalone("t")),
                new CommandRunner(), dir.resolve("logs"));
        await(vertx.deployVerticle(v));
        return v;
    }

    /** A real application: python's http server on 127.0.0.1:port; returns once it accepts connections. */
    private Process startApp(int port) throws Exception {
        Process p = new ProcessBuilder("python3", "-m", "http.server", Integer.toString(port), "--bind", "127.0.0.1",
                "--directory", dir.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("app-" + port + ".out").toFile()).start();
        apps.add(p);
        assertThat(eventually(10_000, () -> listening(port))).as("app listening on " + port).isTrue();
        return p;
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private JsonObject request(String address, Object body) throws Exception {
        return (JsonObject) await(vertx.eventBus().request(address, body)).body();
    }

    private CheckerStatus status(String module, String checker) throws Exception {
        return CheckerStatuses.fromJson(request(CheckerApi.checkers("node1"), new JsonObject())).checkers().stream()
                .filter(c -> c.module().equals(module) && c.checker().equals(checker)).findFirst().orElseThrow();
    }

    private boolean waitStatus(String module, String checker, Status s) throws Exception {
        return eventually(10_000, () -> {
            try {
                return status(module, checker).status() == s;
            } catch (Exception e) {
                return false;
            }
        });
    }

    private ActionRequest nextAction() throws InterruptedException {
        ActionRequest r = actions.poll(10, TimeUnit.SECONDS);
        assertThat(r).as("an action request reached the bus").isNotNull();
        return r;
    }

    @Test
    void deadAppIsRestarted_fourDeathsWithinTheLoopIntervalStopTheModule() throws Exception {
        int port = freePort();
        Process[] app = {startApp(port)};
        heartbeat = req -> {
            if (req.action() == FailureAction.RESTART) {
                try {
                    app[0] = startApp(port);
                } catch (Exception e) {
                    return false;
                }
            }
            return true;
        };
        deploy("""
                - name: db
                  type: mirror
                  nodes: [node1, node2]
                  service: { maxloop: 3, loop_interval: 24h }
                  checkers:
                    - { name: app-port, type: tcp, target: "127.0.0.1:%d", interval: 1s, timeout: 500ms, on_failure: restart }
                """.formatted(port));
        assertThat(status("db", "app-port").status()).as("inactive until the module serves here")
                .isEqualTo(Status.DISABLED);
        publishState(vertx, "node1", "db", State.PRIM);
        assertThat(waitStatus("db", "app-port", Status.UP)).isTrue();
        List<Long> latencies = new ArrayList<>();
        for (int death = 1; death <= 4; death++) {
            long t0 = System.nanoTime();
            app[0].destroyForcibly(); // SIGKILL
            ActionRequest r = nextAction();
            latencies.add((System.nanoTime() - t0) / 1_000_000);
            assertThat(r.module()).isEqualTo("db");
            assertThat(r.checker()).isEqualTo("app-port");
            if (death < 4) {
                assertThat(r.action()).as("death %d", death).isEqualTo(FailureAction.RESTART);
                assertThat(r.reason()).startsWith("checker app-port down: connect to 127.0.0.1:" + port + " failed");
                assertThat(waitStatus("db", "app-port", Status.UP)).as("up again after restart %d", death).isTrue();
            } else {
                assertThat(r.action()).isEqualTo(FailureAction.STOP);
                assertThat(r.reason()).startsWith("checker app-port failed 4 times in 24h (maxloop 3): connect to");
            }
        }
        LOG.info("death -> action request latencies (interval 1s): {} ms", latencies);
        assertThat(actions.poll(1500, TimeUnit.MILLISECONDS)).as("no further action after STOP").isNull();
        assertThat(events).extracting(CheckerStatus::status).contains(Status.UP, Status.DOWN, Status.INIT);
        assertThat(logLines).extracting(LogLine::line).anyMatch(l -> l.startsWith("failover rule: asking heartbeat-svc for stop"));
        // the module stops here: application checkers switch off
        publishState(vertx, "node1", "db", State.STOP);
        assertThat(waitStatus("db", "app-port", Status.DISABLED)).isTrue();
        assertThat(status("db", "app-port").reason()).isEqualTo("module is STOP here: application checkers run only where it serves");
    }

    @Test
    void processSupervisionRestartsAMissingProcess() throws Exception {
        String marker = "sf-it-" + java.util.UUID.randomUUID();
        Process p = new ProcessBuilder("sh", "-c", "while :; do sleep 1; done", marker).start();
        apps.add(p);
        deploy("""
                - name: db
                  type: mirror
                  nodes: [node1, node2]
                  processes:
                    - { name: app, match: "done %s$", atleast: 1, action: restart }
                """.formatted(marker));
        publishState(vertx, "node1", "db", State.PRIM);
        assertThat(waitStatus("db", "process:app", Status.UP)).isTrue();
        p.destroyForcibly();
        ActionRequest r = nextAction();
        assertThat(r.action()).isEqualTo(FailureAction.RESTART);
        assertThat(r.checker()).isEqualTo("process:app");
        assertThat(r.reason()).isEqualTo("checker process:app down: process app: 0 match \"done " + marker
                + "$\", at least 1 expected");
    }

    /** heartbeat-svc answers at once and the app comes back 2.5 s later (2.5 intervals): one restart, not three. */
    @Test
    void aRestartInProgressIsNotANewFailure() throws Exception {
        int port = freePort();
        Process app = startApp(port);
        heartbeat = req -> {
            vertx.setTimer(2500, id -> vertx.executeBlocking(() -> startApp(port)));
            return true;
        };
        deploy("""
                - name: db
                  type: mirror
                  nodes: [node1, node2]
                  scripts: { timeout: 10s }
                  checkers:
                    - { name: app-port, type: tcp, target: "127.0.0.1:%d", interval: 1s, timeout: 500ms, on_failure: restart }
                """.formatted(port));
        publishState(vertx, "node1", "db", State.PRIM);
        assertThat(waitStatus("db", "app-port", Status.UP)).isTrue();
        app.destroyForcibly();
        assertThat(nextAction().action()).isEqualTo(FailureAction.RESTART);
        assertThat(waitStatus("db", "app-port", Status.UP)).isTrue();
        assertThat(actions).as("no second restart while the first was in progress").isEmpty();
    }

    /**
     * The module becomes primary here (PRIM/TRANSIENT): the app checker applies at once, but the start script has not
     * started the app yet; 2.5 s later the module is READY (script returned) and the slow app listens 1.5 s after
     * that: no action (before, the checker asked for restarts while heartbeat-svc was still starting the module, and
     * once its grace from activation was over, for a restart of an app that was only starting). A death once it was
     * seen up is a failure again.
     */
    @Test
    void anAppStillStartingIsNotAFailure() throws Exception {
        int port = freePort();
        deploy("""
                - name: db
                  type: mirror
                  nodes: [node1, node2]
                  scripts: { timeout: 10s }
                  checkers:
                    - { name: app-port, type: tcp, target: "127.0.0.1:%d", interval: 1s, timeout: 500ms, on_failure: restart }
                """.formatted(port));
        vertx.eventBus().publish(HeartbeatApi.MODULE_STATE, new HeartbeatApi.ModuleState("node1", "db",
                io.steadfast.config.ModuleType.MIRROR, State.PRIM, io.steadfast.api.Readiness.TRANSIENT, "acquiring",
                "g1", true, System.currentTimeMillis(), new JsonObject()).toJson());
        Thread.sleep(2500); // rounds fail while the app is not started (nothing to poll for: no action must come)
        publishState(vertx, "node1", "db", State.PRIM); // READY: the start script returned, the app is slow to listen
        Thread.sleep(1500);
        Process app = startApp(port);
        assertThat(waitStatus("db", "app-port", Status.UP)).isTrue();
        assertThat(actions).as("no action while the module was starting").isEmpty();
        app.destroyForcibly();
        assertThat(nextAction().action()).isEqualTo(FailureAction.RESTART);
    }

    @Test
    void hungHttpAppIsRestarted() throws Exception {
        int port = freePort();
        Process app = startApp(port);
        deploy("""
                - name: web
                  type: mirror
                  nodes: [node1, node2]
                  checkers:
                    - { name: http, type: http, target: "http://127.0.0.1:%d/", interval: 1s, timeout: 700ms, on_failure: restart }
                """.formatted(port));
        publishState(vertx, "node1", "web", State.ALONE);
        assertThat(waitStatus("web", "http", Status.UP)).isTrue();
        new ProcessBuilder("kill", "-STOP", Long.toString(app.pid())).start().waitFor(5, TimeUnit.SECONDS);
        try {
            ActionRequest r = nextAction();
            assertThat(r.action()).isEqualTo(FailureAction.RESTART);
            assertThat(r.reason()).isEqualTo("checker http down: GET http://127.0.0.1:" + port + "/ timed out after 700 ms");
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(app.pid())).start().waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void waitParksTheModuleAndResumesIt() throws Exception {
        Path flag = dir.resolve("healthy");
        Files.createFile(flag);
        deploy("""
                - name: db
                  type: mirror
                  nodes: [node1, node2]
                  checkers:
                    - { name: dep, type: custom, command: [test, -e, %s], interval: 1s, timeout: 1s, on_failure: wait }
                """.formatted(flag));
        publishState(vertx, "node1", "db", State.PRIM);
        assertThat(waitStatus("db", "dep", Status.UP)).isTrue();
        Files.delete(flag);
        ActionRequest park = nextAction();
        assertThat(park.action()).isEqualTo(FailureAction.WAIT);
        assertThat(park.resume()).isFalse();
        // heartbeat-svc parks the module: the checker that parked it keeps running
        publishState(vertx, "node1", "db", State.WAIT);
        Thread.sleep(1500); // let a few rounds run while parked (nothing to poll for: no action must come)
        assertThat(actions).isEmpty();
        assertThat(status("db", "dep").status()).isEqualTo(Status.DOWN);
        Files.createFile(flag);
        ActionRequest resume = nextAction();
        assertThat(resume.action()).isEqualTo(FailureAction.WAIT);
        assertThat(resume.resume()).isTrue();
        assertThat(resume.reason()).startsWith("checker dep is up again");
        // resumed while the module is still WAIT: now an application checker that does not apply
        assertThat(waitStatus("db", "dep", Status.DISABLED)).isTrue();
    }

    /**
     * heartbeat-svc refuses an action while a role change runs (e.g. the node is still becoming primary when its
     * checker first fails): the refused WAIT is asked again at the next failing check, and so is a refused resume
     * at the next good one — the checker's status did not change, so nothing else would fire the rule again.
     */
    @Test
    void refusedWaitAndResumeAreAskedAgain() throws Exception {
        Path flag = dir.resolve("healthy");
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        heartbeat = req -> {
            int n = calls.incrementAndGet();
            return n != 1 && n != 3; // refuse the first WAIT and the first resume
        };
        deploy("""
                - name: db
                  type: mirror
                  nodes: [node1, node2]
                  checkers:
                    - { name: dep, type: custom, command: [test, -e, %s], interval: 1s, timeout: 1s, on_failure: wait }
                """.formatted(flag));
        publishState(vertx, "node1", "db", State.PRIM);
        ActionRequest refused = nextAction();
        assertThat(refused.action()).isEqualTo(FailureAction.WAIT);
        assertThat(refused.resume()).isFalse();
        ActionRequest again = nextAction();
        assertThat(again.action()).isEqualTo(FailureAction.WAIT);
        assertThat(again.resume()).isFalse();
        publishState(vertx, "node1", "db", State.WAIT);
        Files.createFile(flag);
        ActionRequest resumeRefused = nextAction();
        assertThat(resumeRefused.resume()).isTrue();
        ActionRequest resume = nextAction();
        assertThat(resume.resume()).isTrue();
        assertThat(resume.reason()).startsWith("checker dep is up again");
        assertThat(actions.poll(2500, TimeUnit.MILLISECONDS)).as("nothing more once resumed").isNull();
        assertThat(logLines).extracting(LogLine::line)
                .anyMatch(l -> l.startsWith("heartbeat-svc did not carry out wait: "))
                .anyMatch(l -> l.startsWith("heartbeat-svc did not carry out wait (resume): "));
    }

    @Test
    void customCheckersReportExitCodesMissingCommandsAndTimeoutsAndTheServiceKeepsServing() throws Exception {
        Path health = dir.resolve("health");
        Files.writeString(health, "#!/bin/sh\necho \"state: $(cat " + dir.resolve("code") + ")\"\nexit $(cat "
                + dir.resolve("code") + ")\n");
        Files.setPosixFilePermissions(health, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(dir.resolve("code"), "0");
        deploy("""
                - name: db
                  type: mirror
                  nodes: [node1, node2]
                  checkers:
                    - { name: health, type: custom, command: [%s], interval: 1s, timeout: 1s }
                    - { name: missing, type: custom, command: [/nonexistent/steadfast-check], interval: 1s, timeout: 1s }
                    - { name: slow, type: custom, command: [sleep, "60"], interval: 1s, timeout: 300ms }
                """.formatted(health));
        publishState(vertx, "node1", "db", State.PRIM);
        assertThat(waitStatus("db", "health", Status.UP)).isTrue();
        assertThat(status("db", "health").reason()).isEqualTo("state: 0");
        Files.writeString(dir.resolve("code"), "3");
        assertThat(waitStatus("db", "health", Status.DOWN)).isTrue();
        assertThat(status("db", "health").reason()).isEqualTo(health + ": exit 3: state: 3");
        assertThat(waitStatus("db", "missing", Status.DOWN)).isTrue();
        assertThat(status("db", "missing").reason()).startsWith("/nonexistent/steadfast-check: cannot run")
                .contains("No such file");
        assertThat(waitStatus("db", "slow", Status.DOWN)).isTrue();
        assertThat(status("db", "slow").reason()).isEqualTo("sleep 60: timed out after 300 ms (killed)");
        assertThat(actions).as("on_failure defaults to none").isEmpty();
        // still serving requests
        ScriptResult skipped = ScriptResult.fromJson(request(CheckerApi.script("node1"),
                new ScriptRequest("db", Script.POSTSTOP, State.PRIM, State.STOP, "stop", false).toJson()));
        assertThat(skipped.skipped()).isTrue();
    }

    @Test
    void scriptsOverTheBus() throws Exception {
        Path args = dir.resolve("args");
        Path start = dir.resolve("start");
        Files.writeString(start, "#!/bin/sh\necho \"$*\" >> " + args + "\necho hello from $STEADFAST_SCRIPT\n"
                + "[ \"$4\" = force ] && exit 0\n[ \"$1\" = SLOW ] && sleep 30\nexit 0\n");
        Files.setPosixFilePermissions(start, PosixFilePermissions.fromString("rwx------"));
        deploy("""
                - name: db
                  type: mirror
                  nodes: [node1, node2]
                  scripts: { start_prim: [%1$s], stop_prim: [%1$s, stop], timeout: 1s }
                """.formatted(start));
        ScriptResult ok = ScriptResult.fromJson(request(CheckerApi.script("node1"),
                new ScriptRequest("db", Script.START_PRIM, State.SECOND, State.PRIM, "failover", false).toJson()));
        assertThat(ok.ok()).isTrue();
        assertThat(ok.output()).isEqualTo("hello from start_prim\n");
        ScriptResult stop1 = ScriptResult.fromJson(request(CheckerApi.script("node1"),
                new ScriptRequest("db", Script.STOP_PRIM, State.PRIM, State.STOP, "stop", false).toJson()));
        ScriptResult stop2 = ScriptResult.fromJson(request(CheckerApi.script("node1"),
                new ScriptRequest("db", Script.STOP_PRIM, State.PRIM, State.STOP, "stop", true).toJson()));
        assertThat(stop1.ok()).isTrue();
        assertThat(stop2.ok()).isTrue();
        assertThat(Files.readAllLines(args)).containsExactly("SECOND PRIM failover", "stop PRIM STOP stop",
                "stop PRIM STOP stop force");
        // a script that runs past scripts.timeout (1s): killed, timedOut
        ScriptResult late = ScriptResult.fromJson(request(CheckerApi.script("node1"),
                new ScriptRequest("db", Script.START_PRIM, State.WAIT, State.WAIT, "x", false).toJson()));
        assertThat(late.ok()).isTrue(); // "WAIT": not SLOW
        Files.writeString(start, "#!/bin/sh\necho slow\nsleep 30\n");
        ScriptResult timedOut = ScriptResult.fromJson(request(CheckerApi.script("node1"),
                new ScriptRequest("db", Script.START_PRIM, State.SECOND, State.PRIM, "failover", false).toJson()));
        assertThat(timedOut.timedOut()).isTrue();
        assertThat(timedOut.exitCode()).isEqualTo(-1);
        // the module log over the bus
        JsonObject log = request(CheckerApi.log("node1"), new CheckerApi.LogRequest("db", 100).toJson());
        List<LogLine> lines = CheckerApi.LogLines.fromJson(log).lines();
        assertThat(lines).extracting(LogLine::line).contains("start_prim: hello from start_prim", "start_prim: slow")
                .anyMatch(l -> l.startsWith("script start_prim: timed out after"));
        assertThat(logLines).extracting(LogLine::line).contains("start_prim: hello from start_prim");
        assertThat(dir.resolve("logs/db.log")).exists();
    }

    @Test
    void toggleDisablesAndEnablesForMaintenance() throws Exception {
        deploy("""
                - name: db
                  type: mirror
                  nodes: [node1, node2]
                  checkers:
                    - { name: a, type: custom, command: ["true"], interval: 1s }
                    - { name: b, type: custom, command: ["false"], interval: 1s }
                """);
        publishState(vertx, "node1", "db", State.PRIM);
        assertThat(waitStatus("db", "b", Status.DOWN)).isTrue();
        CheckerStatuses off = CheckerStatuses.fromJson(request(CheckerApi.toggle("node1"),
                new CheckerApi.CheckerToggle("db", "*", false).toJson()));
        assertThat(off.checkers()).extracting(CheckerStatus::status).containsOnly(Status.DISABLED);
        assertThat(off.checkers()).extracting(CheckerStatus::reason).containsOnly("disabled by operator");
        Thread.sleep(1500); // rounds pass while disabled: the status must not move
        assertThat(status("db", "a").status()).isEqualTo(Status.DISABLED);
        request(CheckerApi.toggle("node1"), new CheckerApi.CheckerToggle("db", "a", true).toJson());
        assertThat(waitStatus("db", "a", Status.UP)).isTrue();
        assertThat(status("db", "b").status()).isEqualTo(Status.DISABLED);
        ReplyException unknown = failure(CheckerApi.toggle("node1"), new CheckerApi.CheckerToggle("db", "zz", false).toJson());
        assertThat(unknown.failureCode()).isEqualTo(ErrorCode.NOT_FOUND.code());
    }

    @Test
    void garbageGetsBadMessageAndTheServiceKeepsServing() throws Exception {
        deploy("""
                - name: db
                  type: mirror
                  nodes: [node1, node2]
                  checkers:
                    - { name: a, type: custom, command: ["true"], interval: 1s }
                """);
        Object[] garbage = {"text", new JsonArray().add(1), new JsonObject(), new JsonObject().put("v", 99),
                new JsonObject().put("v", 1).put("module", 5)};
        for (String address : List.of(CheckerApi.script("node1"), CheckerApi.toggle("node1"), CheckerApi.log("node1"))) {
            for (Object g : garbage) {
                assertThat(failure(address, g).failureCode()).as(address + " " + g).isEqualTo(ErrorCode.BAD_MESSAGE.code());
            }
        }
        assertThat(failure(CheckerApi.script("node1"), new JsonObject().put("v", 1).put("module", "db")
                .put("script", "rm -rf").put("current", "PRIM").put("next", "STOP").put("action", "x")).failureCode())
                .isEqualTo(ErrorCode.BAD_MESSAGE.code());
        assertThat(failure(CheckerApi.checkers("node1"), "text").failureCode()).isEqualTo(ErrorCode.BAD_MESSAGE.code());
        assertThat(failure(CheckerApi.log("node1"), new CheckerApi.LogRequest("db", 0).toJson()).failureCode())
                .isEqualTo(ErrorCode.BAD_MESSAGE.code());
        assertThat(failure(CheckerApi.script("node1"), new ScriptRequest("nope", Script.START_PRIM, State.STOP,
                State.PRIM, "x", false).toJson()).failureCode()).isEqualTo(ErrorCode.NOT_FOUND.code());
        // garbage publications are ignored too
        vertx.eventBus().publish(HeartbeatApi.MODULE_STATE, new JsonObject().put("v", 1).put("state", "NOPE"));
        vertx.eventBus().publish(HeartbeatApi.MODULE_STATE, "junk");
        publishState(vertx, "node1", "db", State.PRIM);
        assertThat(waitStatus("db", "a", Status.UP)).isTrue();
    }

    private ReplyException failure(String address, Object body) throws Exception {
        try {
            await(vertx.eventBus().request(address, body));
        } catch (java.util.concurrent.ExecutionException e) {
            return (ReplyException) e.getCause();
        }
        throw new AssertionError("expected a failure reply from " + address + " for " + body);
    }
}
