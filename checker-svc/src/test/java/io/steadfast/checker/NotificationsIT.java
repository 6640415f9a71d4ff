package io.steadfast.checker;

import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.Readiness;
import io.steadfast.api.ReplicationApi;
import io.steadfast.api.ReplicationApi.ResyncProgress;
import io.steadfast.api.State;
import io.steadfast.config.ModuleType;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.exec.CommandRunner;
import io.steadfast.service.Membership;
import io.steadfast.service.ServiceContext;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.steadfast.checker.CheckerTestSupport.await;
import static io.steadfast.checker.CheckerTestSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Notifications end to end on a local event bus: a real checker-svc whose module has {@code notify} with a real
 * script (it appends its arguments to a file) and a webhook on a real HTTP server on loopback; real state-change and
 * resync publications, as heartbeat-svc and replication-svc send them. The webhook refuses its first request: the
 * retry delivers it.
 */
class NotificationsIT {
    @TempDir
    Path dir;
    Vertx vertx;
    HttpServer server;
    final BlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
    final AtomicInteger requests = new AtomicInteger();
    final List<String> contentTypes = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        server = await(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
            contentTypes.add(String.valueOf(req.getHeader("Content-Type")));
            if (requests.incrementAndGet() == 1) {
                req.response().setStatusCode(503).end(); // the first delivery fails: retried
                return;
            }
            received.add(body.toJsonObject());
            req.response().setStatusCode(204).end();
        })).listen(0, "127.0.0.1"));
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    static void publish(Vertx vertx, State s, String reason) {
        vertx.eventBus().publish(HeartbeatApi.MODULE_STATE, new ModuleState("node1", "db", ModuleType.MIRROR, s,
                Readiness.READY, reason, "g1", true, System.currentTimeMillis(), new JsonObject()).toJson());
    }

    @Test
    void stateChangesAndResyncEndReachTheScriptAndTheWebhook() throws Exception {
        Path out = dir.resolve("notified.txt");
        Path script = dir.resolve("notify.sh");
        Files.writeString(script, "#!/bin/sh\nprintf '%s|' \"$@\" >> '" + out + "'\necho >> '" + out + "'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        SteadfastConfig cfg = CheckerTestSupport.config(dir, """
                - name: db
                  type: mirror
                  nodes: [node1, node2]
                  notify: { script: [%s], webhook: "http://127.0.0.1:%d/hook" }
                """.formatted(script, server.actualPort()));
        await(vertx.deployVerticle(new CheckerVerticle(new ServiceContext(cfg, "node1", Membership.standalone("t")),
                new CommandRunner(), dir.resolve("logs"))));

        publish(vertx, State.SECOND, "up to date");     // first sight: no notification
        publish(vertx, State.ALONE, "peer node2 lost");  // a failover
        assertThat(eventually(20_000, () -> lines(out).size() >= 1)).as("the script ran").isTrue();
        assertThat(lines(out)).containsExactly("db|node1|SECOND|ALONE|peer node2 lost|");

        JsonObject hook = received.poll(30, TimeUnit.SECONDS); // after one refusal and a backoff
        assertThat(hook).isNotNull();
        assertThat(hook.getString("module")).isEqualTo("db");
        assertThat(hook.getString("node")).isEqualTo("node1");
        assertThat(hook.getString("event")).isEqualTo("state");
        assertThat(hook.getString("old_state")).isEqualTo("SECOND");
        assertThat(hook.getString("new_state")).isEqualTo("ALONE");
        assertThat(hook.getString("reason")).isEqualTo("peer node2 lost");
        assertThat(requests.get()).isEqualTo(2);
        assertThat(contentTypes).allMatch(t -> t.startsWith("application/json"));

        vertx.eventBus().publish(ReplicationApi.RESYNC,
                new ResyncProgress("node1", "db", "node2", "done", 4096, 4096, 100, 0).toJson());
        assertThat(eventually(20_000, () -> lines(out).size() >= 2)).as("resync end notified").isTrue();
        assertThat(lines(out).get(1)).isEqualTo("db|node1|ALONE|ALONE|resync with node2 done (4096 bytes)|");
        JsonObject resync = received.poll(30, TimeUnit.SECONDS);
        assertThat(resync).isNotNull();
        assertThat(resync.getString("event")).isEqualTo("resync");
    }

    static List<String> lines(Path p) {
        try {
            return Files.exists(p) ? Files.readAllLines(p) : List.of();
        } catch (java.io.IOException e) {
            return List.of();
        }
    }
}
