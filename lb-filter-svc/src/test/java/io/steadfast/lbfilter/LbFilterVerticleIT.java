package io.steadfast.lbfilter;

import static io.steadfast.testing.LabSupport.T;
import static io.steadfast.testing.LabSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.api.HeartbeatApi.DesiredState;
import io.steadfast.api.HeartbeatApi.ModuleDesired;
import io.steadfast.api.HeartbeatApi.Role;
import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.LbFilterApi.FilterStatus;
import io.steadfast.api.LbFilterApi.FilterStatuses;
import io.steadfast.api.LbFilterApi;
import io.steadfast.config.BusConfig;
import io.steadfast.config.ClusterConfig;
import io.steadfast.config.ConsoleConfig;
import io.steadfast.config.FarmRule;
import io.steadfast.config.FilterMode;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.ModuleType;
import io.steadfast.config.NodeConfig;
import io.steadfast.config.Proto;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.exec.CommandRunner;
import io.steadfast.lab.Lab;
import io.steadfast.lab.LabNode;
import io.steadfast.lab.LabSpec;
import io.steadfast.lbfilter.impl.FilterSpec;
import io.steadfast.lbfilter.impl.KernelTable;
import io.steadfast.lbfilter.impl.LbFilter;
import io.steadfast.service.Membership;
import io.steadfast.service.ServiceContext;
import io.steadfast.testing.LabSupport;
import io.steadfast.testing.TestModules;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The verticle on a local Vert.x driving node1's lab namespace, with a stand-in heartbeat-svc: desired members
 * become the kernel's verdicts, stale and bad publications change nothing, a role other than MEMBER removes the
 * table, stopping the service leaves the table, and a restarted service reconciles from the kernel.
 */
class LbFilterVerticleIT {
    private static final List<String> ALL = List.of("node1", "node2", "node3");

    @BeforeAll
    static void root() throws Exception {
        LabSupport.requireRoot();
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
    }

    private static DesiredState desired(long seq, Role role, List<String> members) {
        return new DesiredState("node1", seq, List.of(new ModuleDesired("web", ModuleType.FARM, role,
                Optional.empty(), members, "")));
    }

    @Test
    void followsDesiredMembers() throws Exception {
        String rootBefore = LabSupport.rootSnapshot();
        Vertx vertx = Vertx.vertx();
        try (Lab lab = Lab.create(LabSpec.builder().nodes(1).clients(0).build())) {
            LabNode n1 = lab.node(1);
            ModuleConfig web = TestModules.farm("web", "198.18.0.50/32", "eth0", ALL,
                    List.of(new FarmRule(Proto.TCP, 8080, FilterMode.ON_ADDR)), Map.of());
            FilterSpec spec = FilterSpec.of(web);
            SteadfastConfig config = new SteadfastConfig(Path.of("test.yml"),
                    new ClusterConfig("t", Path.of("/nonexistent"), Path.of("/nonexistent"),
                            new BusConfig(5701, 5801, Optional.empty()),
                            new ConsoleConfig(9400, "127.0.0.1", Optional.empty(), Optional.empty()),
                            ALL.stream().map(n -> new NodeConfig(n, "198.18.0.1" + n.charAt(4), Map.of())).toList()),
                    List.of(web));
            ServiceContext ctx = new ServiceContext(config, "node1", Membership.standalone("m1"));
            LbFilter probe = new LbFilter("node1", CommandRunner.inNetns(n1.namespace()), T);

            AtomicReference<DesiredState> current = new AtomicReference<>(desired(1, Role.MEMBER, ALL));
            vertx.eventBus().consumer(HeartbeatApi.desired("node1"), msg -> msg.reply(current.get().toJson()));
            List<FilterStatus> events = new CopyOnWriteArrayList<>();
            vertx.eventBus().<JsonObject>consumer(LbFilterApi.EVENTS, m -> events.add(FilterStatus.fromJson(m.body())));

            String id = await(vertx.deployVerticle(new LbFilterVerticle(ctx, CommandRunner.inNetns(n1.namespace()))));
            List<Integer> own3 = spec.table(ALL).ownedBy("node1");
            assertThat(eventually(Duration.ofSeconds(10), () -> events.stream().anyMatch(e -> e.owned().equals(own3))))
                    .isTrue();
            assertThat(owned(probe)).isEqualTo(own3);
            FilterStatuses st = FilterStatuses.fromJson((JsonObject) await(vertx.eventBus()
                    .request(LbFilterApi.status("node1"), new JsonObject())).body());
            assertThat(st.modules()).singleElement().satisfies(s -> {
                assertThat(s.owned()).isEqualTo(own3);
                assertThat(s.packets()).hasSameSizeAs(own3);
            });

            // node3 leaves
            List<Integer> own2 = spec.table(List.of("node1", "node2")).ownedBy("node1");
            current.set(desired(2, Role.MEMBER, List.of("node1", "node2")));
            vertx.eventBus().publish(HeartbeatApi.DESIRED, current.get().toJson());
            assertThat(eventually(Duration.ofSeconds(5), () -> owned(probe).equals(own2))).isTrue();

            // a late, older state and garbage change nothing
            vertx.eventBus().publish(HeartbeatApi.DESIRED, desired(1, Role.MEMBER, ALL).toJson());
            vertx.eventBus().publish(HeartbeatApi.DESIRED, new JsonObject().put("v", 1).put("seq", "x"));
            await(vertx.eventBus().request(LbFilterApi.status("node1"), new JsonObject())); // ordered after them
            assertThat(owned(probe)).isEqualTo(own2);

            // not a member any more: no table
            current.set(desired(3, Role.NONE, List.of()));
            vertx.eventBus().publish(HeartbeatApi.DESIRED, current.get().toJson());
            assertThat(eventually(Duration.ofSeconds(5), () -> probe.read("web").isEmpty())).isTrue();

            // member again, then the service stops: the kernel filter stays
            current.set(desired(4, Role.MEMBER, ALL));
            vertx.eventBus().publish(HeartbeatApi.DESIRED, current.get().toJson());
            assertThat(eventually(Duration.ofSeconds(5), () -> owned(probe).equals(own3))).isTrue();
            await(vertx.undeploy(id));
            assertThat(owned(probe)).isEqualTo(own3);

            // while it is down node2 leaves; the restarted service asks heartbeat-svc and fixes the table
            List<Integer> own13 = spec.table(List.of("node1", "node3")).ownedBy("node1");
            current.set(desired(5, Role.MEMBER, List.of("node1", "node3")));
            await(vertx.deployVerticle(new LbFilterVerticle(ctx, CommandRunner.inNetns(n1.namespace()))));
            assertThat(eventually(Duration.ofSeconds(10), () -> owned(probe).equals(own13))).isTrue();
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        assertThat(LabSupport.rootSnapshot()).isEqualTo(rootBefore);
    }

    private static List<Integer> owned(LbFilter probe) {
        return probe.read("web").map(KernelTable::verdicts).orElse(Map.of()).entrySet().stream()
                .filter(e -> e.getValue().owned()).map(Map.Entry::getKey).sorted().toList();
    }
}
