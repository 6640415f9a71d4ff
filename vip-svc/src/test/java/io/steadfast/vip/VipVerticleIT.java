package io.steadfast.vip;

import static io.steadfast.testing.LabSupport.T;
import static io.steadfast.testing.LabSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.steadfast.api.HeartbeatApi.DesiredState;
import io.steadfast.api.HeartbeatApi.ModuleDesired;
import io.steadfast.api.HeartbeatApi.Role;
import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.ModuleRef;
import io.steadfast.api.VipApi.VipStatus;
import io.steadfast.api.VipApi.VipStatuses;
import io.steadfast.api.VipApi;
import io.steadfast.config.BusConfig;
import io.steadfast.config.ClusterConfig;
import io.steadfast.config.ConsoleConfig;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.ModuleType;
import io.steadfast.config.NodeConfig;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.exec.CommandRunner;
import io.steadfast.lab.Lab;
import io.steadfast.lab.LabNode;
import io.steadfast.lab.LabSpec;
import io.steadfast.service.Membership;
import io.steadfast.service.ServiceContext;
import io.steadfast.testing.LabSupport;
import io.steadfast.testing.TestModules;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The verticle on a local (non-clustered) Vert.x, driving a lab node's namespace, with a stand-in heartbeat-svc:
 * it asks for the desired state at start (retrying while unanswered), follows DESIRED publications, answers
 * up/down/status, refuses bad requests without changing anything, and leaves the VIP in place when stopped.
 */
class VipVerticleIT {
    private static final String VIP = "198.18.0.100";

    @BeforeAll
    static void root() throws Exception {
        LabSupport.requireRoot();
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
    }

    private static DesiredState desired(long seq, Role role) {
        return new DesiredState("node1", seq, List.of(new ModuleDesired("db", ModuleType.MIRROR, role,
                Optional.empty(), List.of(), "g1")));
    }

    @Test
    void followsHeartbeatAndAnswersRequests() throws Exception {
        String rootBefore = LabSupport.rootSnapshot();
        Vertx vertx = Vertx.vertx();
        try (Lab lab = Lab.create(LabSpec.builder().nodes(2).clients(0).build())) {
            LabNode n1 = lab.node(1);
            ModuleConfig db = TestModules.mirror("db", VIP + "/16", "eth0", 2);
            SteadfastConfig config = new SteadfastConfig(Path.of("test.yml"),
                    new ClusterConfig("t", Path.of("/nonexistent"), Path.of("/nonexistent"),
                            new BusConfig(5701, 5801, Optional.empty()),
                            new ConsoleConfig(9400, "127.0.0.1", Optional.empty(), Optional.empty()),
                            List.of(new NodeConfig("node1", n1.addr(), Map.of()),
                                    new NodeConfig("node2", lab.node(2).addr(), Map.of()))),
                    List.of(db));
            ServiceContext ctx = new ServiceContext(config, "node1", Membership.standalone("m1"));

            // stand-in heartbeat-svc: the first ask goes unanswered (the verticle must retry), then PRIMARY
            AtomicInteger asks = new AtomicInteger();
            AtomicReference<DesiredState> current = new AtomicReference<>(desired(1, Role.PRIMARY));
            vertx.eventBus().consumer(HeartbeatApi.desired("node1"), msg -> {
                if (asks.incrementAndGet() > 1) {
                    msg.reply(current.get().toJson());
                }
            });
            List<VipStatus> events = new CopyOnWriteArrayList<>();
            vertx.eventBus().<JsonObject>consumer(VipApi.EVENTS, m -> events.add(VipStatus.fromJson(m.body())));

            String id = await(vertx.deployVerticle(new VipVerticle(ctx, CommandRunner.inNetns(n1.namespace()))));
            assertThat(eventually(Duration.ofSeconds(10), () -> events.stream().anyMatch(VipStatus::present)))
                    .as("VIP up after the retried ask").isTrue();
            assertThat(asks.get()).isGreaterThanOrEqualTo(2);
            assertThat(n1.exec(T, "ip", "-o", "addr", "show", "dev", "eth0").stdout()).contains(VIP + "/16");
            VipStatuses st = VipStatuses.fromJson((JsonObject) await(vertx.eventBus()
                    .request(VipApi.status("node1"), new JsonObject())).body());
            assertThat(st.vips()).singleElement().satisfies(s -> assertThat(s.present()).isTrue());

            // bad input: clear failure codes, nothing changes
            assertThatThrownBy(() -> await(vertx.eventBus().request(VipApi.down("node1"), new JsonObject().put("v", 1))))
                    .hasCauseInstanceOf(ReplyException.class)
                    .satisfies(e -> assertThat(((ReplyException) e.getCause()).failureCode()).isEqualTo(400));
            assertThatThrownBy(() -> await(vertx.eventBus().request(VipApi.down("node1"), "garbage")))
                    .satisfies(e -> assertThat(((ReplyException) e.getCause()).failureCode()).isEqualTo(400));
            assertThatThrownBy(() -> await(vertx.eventBus().request(VipApi.down("node1"),
                    new ModuleRef("nope").toJson())))
                    .satisfies(e -> assertThat(((ReplyException) e.getCause()).failureCode()).isEqualTo(404));
            vertx.eventBus().publish(HeartbeatApi.DESIRED, new JsonObject().put("v", 1).put("node", "node1"));
            assertThat(n1.exec(T, "ip", "-o", "addr", "show", "dev", "eth0").stdout()).contains(VIP + "/16");

            // heartbeat-svc says SECONDARY: the VIP goes
            current.set(desired(2, Role.SECONDARY));
            vertx.eventBus().publish(HeartbeatApi.DESIRED, current.get().toJson());
            assertThat(eventually(Duration.ofSeconds(5), () -> !n1.exec(T, "ip", "-o", "addr", "show", "dev", "eth0")
                    .stdout().contains(VIP))).isTrue();

            // explicit up (choreography) wins over a republication of the old desired state
            VipStatus up = VipStatus.fromJson((JsonObject) await(vertx.eventBus()
                    .request(VipApi.up("node1"), new ModuleRef("db").toJson())).body());
            assertThat(up.present()).isTrue();
            vertx.eventBus().publish(HeartbeatApi.DESIRED, current.get().toJson());
            await(vertx.eventBus().request(VipApi.status("node1"), new JsonObject())); // ordered after the publication
            assertThat(n1.exec(T, "ip", "-o", "addr", "show", "dev", "eth0").stdout()).contains(VIP + "/16");

            // stopping the service leaves the kernel as it is
            await(vertx.undeploy(id));
            assertThat(n1.exec(T, "ip", "-o", "addr", "show", "dev", "eth0").stdout()).contains(VIP + "/16");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        assertThat(LabSupport.rootSnapshot()).isEqualTo(rootBefore);
    }
}
