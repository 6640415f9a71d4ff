package io.steadfast.replication;

import io.steadfast.api.ModuleRef;
import io.steadfast.api.ReplicationApi;
import io.steadfast.bus.ErrorCode;
import io.steadfast.config.ConfigLoader;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.config.TestConfigs;
import io.steadfast.service.Membership;
import io.steadfast.service.ServiceContext;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Bus contract of the verticle without FUSE: clear errors for bad requests and unusable modules. */
class ReplicationVerticleTest {
    @TempDir
    Path dir;
    Vertx vertx;

    ReplicationVerticle deploy(String node) throws Exception {
        Path cfg = TestConfigs.writeMirrorAndFarm(dir);
        // point the cluster secret at a file that does not exist: the mirror module cannot start
        String yaml = Files.readString(cfg).replace("  state_dir:", "  secret_file: '" + dir.resolve("no-secret")
                + "'\n  state_dir:");
        Files.writeString(cfg, yaml);
        SteadfastConfig config = ConfigLoader.loadOrThrow(cfg);
        vertx = Vertx.vertx();
        ReplicationVerticle v = new ReplicationVerticle(new ServiceContext(config, node, Membership.standalone("m")));
        vertx.deployVerticle(v).await(20, TimeUnit.SECONDS);
        return v;
    }

    @AfterEach
    void stop() throws Exception {
        if (vertx != null) {
            vertx.close().await(20, TimeUnit.SECONDS);
        }
    }

    ReplyException failure(String address, Object body) {
        try {
            vertx.eventBus().request(address, body).await(10, TimeUnit.SECONDS);
        } catch (ReplyException e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected a failure");
    }

    @Test
    void garbageAndUnknownModulesGetClearErrors() throws Exception {
        ReplicationVerticle v = deploy("node3"); // node3 runs no mirror: nothing to mount
        ReplyException bad = failure(ReplicationApi.status("node3"), new JsonObject().put("v", 1));
        assertThat(bad.failureCode()).isEqualTo(ErrorCode.BAD_MESSAGE.code());
        ReplyException unknown = failure(ReplicationApi.promote("node3"),
                new ReplicationApi.RoleRequest("db", Optional.empty(), "G1", false).toJson());
        assertThat(unknown.failureCode()).isEqualTo(ErrorCode.NOT_FOUND.code());
        assertThat(unknown.getMessage()).contains("db");
        assertThat(v.badMessages()).isEqualTo(1);
    }

    @Test
    void aModuleThatCannotStartAnswersWithTheReason() throws Exception {
        deploy("node1");
        ReplyException e = failure(ReplicationApi.status("node1"), new ModuleRef("db").toJson());
        assertThat(e.failureCode()).isEqualTo(ErrorCode.UNAVAILABLE.code());
        assertThat(e.getMessage()).contains("no-secret");
        // the service itself keeps serving
        ReplyException again = failure(ReplicationApi.verify("node1"), new ModuleRef("db").toJson());
        assertThat(again.failureCode()).isEqualTo(ErrorCode.UNAVAILABLE.code());
        assertThat(List.of(again.getMessage())).isNotEmpty();
    }
}
