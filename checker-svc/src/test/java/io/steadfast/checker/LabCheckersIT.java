package io.steadfast.checker;

import static io.steadfast.checker.CheckerTestSupport.await;
import static io.steadfast.checker.CheckerTestSupport.eventually;
import static io.steadfast.checker.CheckerTestSupport.publishState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.HeartbeatApi.ActionRequest;
import io.steadfast.api.HeartbeatApi.CommandReply;
import io.steadfast.api.State;
import io.steadfast.checker.impl.InterfaceProbe;
import io.steadfast.checker.impl.IpProbe;
import io.steadfast.checker.impl.Outcome;
import io.steadfast.checker.impl.PingProbe;
import io.steadfast.checker.impl.WitnessProbe;
import io.steadfast.config.FailureAction;
import io.steadfast.config.WitnessTarget;
import io.steadfast.exec.CommandRunner;
import io.steadfast.lab.Lab;
import io.steadfast.lab.LabNode;
import io.steadfast.lab.LabSpec;
import io.steadfast.service.Membership;
import io.steadfast.service.ServiceContext;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ping, interface, ip and witness checkers against a lab network (namespaces; needs root). The probes run their
 * commands through {@code ip netns exec <node ns>}, as the agent does from inside the node's namespace.
 */
class LabCheckersIT {
    private static final Duration T = Duration.ofSeconds(1);

    @TempDir
    Path dir;

    @BeforeAll
    static void requireRoot() throws Exception {
        String uid = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow().split("\\s+")[2];
        if (!"0".equals(uid)) {
            fail("LabCheckersIT must run as root (network namespaces); effective uid is " + uid);
        }
    }

    @Test
    void pingInterfaceIpAndWitnessInALab() throws Exception {
        try (Lab lab = Lab.create(LabSpec.builder().nodes(1).clients(0).build())) {
            LabNode n1 = lab.node(1);
            CommandRunner r = CommandRunner.inNetns(n1.namespace());
            assertThat(new PingProbe(r, lab.witnessAddr()).probe(T).up()).isTrue();
            Outcome noReply = new PingProbe(r, "198.18.0.99").probe(T);
            assertThat(noReply).isEqualTo(Outcome.down("ping 198.18.0.99: no reply within 1 s"));

            String eth = n1.iface(1);
            assertThat(new InterfaceProbe(r, eth).probe(T).up()).isTrue();
            Outcome none = new InterfaceProbe(r, "nosuch0").probe(T);
            assertThat(none.up()).isFalse();
            assertThat(none.reason()).startsWith("interface nosuch0: ").contains("nosuch0");
            n1.cutLink(1);
            Outcome cut = new InterfaceProbe(r, eth).probe(T);
            assertThat(cut.up()).isFalse();
            assertThat(cut.reason()).startsWith("interface " + eth + " is down");
            WitnessTarget w = WitnessTarget.parse(lab.witnessAddr());
            assertThat(new WitnessProbe(r, List.of(w)).probe(T).reason()).startsWith("no witness reached: ping");
            n1.healLink(1);
            assertThat(eventually(10_000, () -> new InterfaceProbe(r, eth).probe(T).up())).isTrue();
            assertThat(eventually(10_000, () -> new WitnessProbe(r, List.of(WitnessTarget.parse("198.18.0.98"), w))
                    .probe(T).up())).isTrue();

            String vip = "198.18.0.60";
            IpProbe shouldBe = new IpProbe(r, vip, () -> true);
            IpProbe shouldNot = new IpProbe(r, vip, () -> false);
            assertThat(shouldBe.probe(T)).isEqualTo(Outcome.down("ip " + vip + " is missing but the module serves here"));
            assertThat(shouldNot.probe(T).up()).isTrue();
            assertThat(n1.exec(T, "ip", "addr", "add", vip + "/24", "dev", eth).ok()).isTrue();
            assertThat(shouldBe.probe(T)).isEqualTo(Outcome.up("ip " + vip + " is on " + eth + " (module serves here)"));
            assertThat(shouldNot.probe(T)).isEqualTo(Outcome.down("ip " + vip + " is on " + eth
                    + " but the module does not serve here"));
        }
    }

    /** The verticle with a ping checker (on_failure: wait) on the node's gateway: cut → WAIT, heal → resume. */
    @Test
    void pingCheckerParksAndResumesTheModule() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (Lab lab = Lab.create(LabSpec.builder().nodes(1).clients(0).build())) {
            LabNode n1 = lab.node(1);
            BlockingQueue<ActionRequest> actions = new LinkedBlockingQueue<>();
            vertx.eventBus().<JsonObject>consumer(HeartbeatApi.action("node1"), msg -> {
                ActionRequest req = ActionRequest.fromJson(msg.body());
                actions.add(req);
                msg.reply(new CommandReply("node1", req.module(), "ok", State.WAIT).toJson());
            });
            var cfg = CheckerTestSupport.config(dir, """
                    - name: db
                      type: mirror
                      nodes: [node1, node2]
                      checkers:
                        - { name: gw, type: ping, target: %s, interval: 1s, timeout: 1s, on_failure: wait }
                    """.formatted(lab.witnessAddr()));
            await(vertx.deployVerticle(new CheckerVerticle(new ServiceContext(cfg, "node1",
                    Membership.standalone("t")), CommandRunner.inNetns(n1.namespace()), dir.resolve("logs"))));
            publishState(vertx, "node1", "db", State.SECOND); // ping runs whatever the state
            Thread.sleep(2500); // a few rounds with the link up: no action (nothing else to wait for)
            assertThat(actions).isEmpty();
            n1.cutLink(1);
            ActionRequest park = actions.poll(10, TimeUnit.SECONDS);
            assertThat(park).isNotNull();
            assertThat(park.action()).isEqualTo(FailureAction.WAIT);
            assertThat(park.resume()).isFalse();
            assertThat(park.reason()).isEqualTo("checker gw down: ping " + lab.witnessAddr() + ": no reply within 1 s");
            n1.healLink(1);
            ActionRequest resume = actions.poll(15, TimeUnit.SECONDS);
            assertThat(resume).isNotNull();
            assertThat(resume.resume()).isTrue();
        } finally {
            await(vertx.close());
        }
    }
}
