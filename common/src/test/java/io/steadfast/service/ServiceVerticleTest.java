package io.steadfast.service;

import io.steadfast.api.NodeApi;
import io.steadfast.api.ServiceName;
import io.steadfast.bus.ErrorCode;
import io.steadfast.bus.Fields;
import io.steadfast.config.ConfigLoader;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.config.TestConfigs;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The base class turns garbage into BAD_MESSAGE failure replies and keeps serving. */
class ServiceVerticleTest {
    static final String ECHO = "test.echo";

    @TempDir
    Path dir;
    Vertx vertx;
    EchoVerticle verticle;

    /** A service that echoes a required "text" field. */
    static final class EchoVerticle extends ServiceVerticle {
        EchoVerticle(ServiceContext ctx) {
            super(ServiceName.VIP, ctx);
        }

        @Override
        protected Future<?> startService() {
            serve(ECHO, json -> Fields.string(json, "text"), text -> {
                if (text.equals("boom")) {
                    throw new IllegalStateException("kaboom");
                }
                if (text.equals("refuse")) {
                    return Future.failedFuture(new ServiceException(ErrorCode.CONFLICT, "not now"));
                }
                return Future.succeededFuture(new JsonObject().put("echo", text));
            });
            return Future.succeededFuture();
        }
    }

    @BeforeEach
    void start() throws Exception {
        SteadfastConfig config = ConfigLoader.loadOrThrow(TestConfigs.writeMirrorAndFarm(dir));
        vertx = Vertx.vertx();
        verticle = new EchoVerticle(new ServiceContext(config, "node1", Membership.standalone("m1")));
        vertx.deployVerticle(verticle).await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    JsonObject ask(String address, Object body) throws Exception {
        return (JsonObject) vertx.eventBus().request(address, body).await(5, TimeUnit.SECONDS).body();
    }

    ReplyException failure(String address, Object body) {
        try {
            ask(address, body);
        } catch (ReplyException e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError("expected a failure reply, got " + e, e);
        }
        throw new AssertionError("expected a failure reply");
    }

    @Test
    void answersWellFormedRequests() throws Exception {
        assertThat(ask(ECHO, new JsonObject().put("text", "hi")).getString("echo")).isEqualTo("hi");
    }

    @Test
    void garbageGetsBadMessageAndTheServiceKeepsServing() throws Exception {
        assertThat(failure(ECHO, "not json").failureCode()).isEqualTo(ErrorCode.BAD_MESSAGE.code());
        ReplyException wrongType = failure(ECHO, new JsonObject().put("text", 42));
        assertThat(wrongType.failureCode()).isEqualTo(400);
        assertThat(wrongType.getMessage()).contains("text: expected a non-empty string");
        assertThat(verticle.badMessages()).isEqualTo(2);
        assertThat(ask(ECHO, new JsonObject().put("text", "still here")).getString("echo")).isEqualTo("still here");
    }

    @Test
    void handlerFailuresBecomeCodedReplies() throws Exception {
        assertThat(failure(ECHO, new JsonObject().put("text", "refuse")).failureCode()).isEqualTo(409);
        ReplyException internal = failure(ECHO, new JsonObject().put("text", "boom"));
        assertThat(internal.failureCode()).isEqualTo(500);
        assertThat(internal.getMessage()).isEqualTo("kaboom");
        assertThat(ask(ECHO, new JsonObject().put("text", "ok")).getString("echo")).isEqualTo("ok");
    }

    @Test
    void answersHealthWithItsNodeAndService() throws Exception {
        NodeApi.ServiceHealth health = NodeApi.ServiceHealth.fromJson(
                ask(NodeApi.health("node1", ServiceName.VIP), new JsonObject()));
        assertThat(health.node()).isEqualTo("node1");
        assertThat(health.service()).isEqualTo(ServiceName.VIP);
        assertThat(health.up()).isTrue();
    }

    @Test
    void recordsRejectUnknownVersions() {
        assertThatThrownBy(() -> NodeApi.ServiceHealth.fromJson(new JsonObject().put("v", 99)))
                .hasMessageContaining("unsupported message version 99");
    }
}
