package io.steadfast.bus;

import io.steadfast.cluster.ClusterMembers;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Two clustered members on loopback: a request goes in-process when it can, over the cluster when it must. */
class LocalFirstIT {
    static final String ADDRESS = "localfirst.test.echo";
    final ClusterMembers cluster = new ClusterMembers("lf");

    @AfterEach
    void closeAll() throws Exception {
        cluster.close();
    }

    @Test
    void prefersTheServiceInThisJvmAndFallsBackToTheCluster() throws Exception {
        int base = ClusterMembers.basePort(16_400, 2);
        List<String> members = List.of("127.0.0.1:" + base, "127.0.0.1:" + (base + 1));
        Vertx a = cluster.start("a", base, members, Optional.empty());
        Vertx b = cluster.start("b", base + 1, members, Optional.empty());
        DeliveryOptions opts = new DeliveryOptions().setSendTimeout(10_000);

        // the service runs only in b's JVM (one service per process): the request crosses the cluster
        b.eventBus().consumer(ADDRESS, msg -> msg.reply(new JsonObject().put("from", "b")))
                .completion().await(10, TimeUnit.SECONDS);
        for (int i = 0; i < 3; i++) {
            assertThat(from(LocalFirst.request(a, ADDRESS, new JsonObject(), opts).await(15, TimeUnit.SECONDS)))
                    .isEqualTo("b");
        }

        // the same address served in a's own JVM too (the node agent): always the local one, never b
        a.eventBus().consumer(ADDRESS, msg -> msg.reply(new JsonObject().put("from", "a")))
                .completion().await(10, TimeUnit.SECONDS);
        for (int i = 0; i < 6; i++) {
            assertThat(from(LocalFirst.request(a, ADDRESS, new JsonObject(), opts).await(15, TimeUnit.SECONDS)))
                    .isEqualTo("a");
        }

        // a failure reply from the local service is the answer: it is not retried elsewhere
        a.eventBus().consumer("localfirst.test.refuse", msg -> msg.fail(409, "not now"))
                .completion().await(10, TimeUnit.SECONDS);
        b.eventBus().consumer("localfirst.test.refuse", msg -> msg.reply(new JsonObject().put("from", "b")))
                .completion().await(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> LocalFirst.request(a, "localfirst.test.refuse", new JsonObject(), opts)
                .await(15, TimeUnit.SECONDS)).hasMessageContaining("not now");

        // nobody serves it: unavailable, as with a plain request
        assertThatThrownBy(() -> LocalFirst.request(a, "localfirst.test.nobody", new JsonObject(), opts)
                .await(15, TimeUnit.SECONDS)).satisfies(e -> assertThat(ErrorCode.of(e)).isEqualTo(ErrorCode.UNAVAILABLE));
    }

    private static String from(Message<Object> reply) {
        return ((JsonObject) reply.body()).getString("from");
    }
}
