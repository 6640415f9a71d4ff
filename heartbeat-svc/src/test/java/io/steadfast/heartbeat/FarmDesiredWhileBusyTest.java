package io.steadfast.heartbeat;

import io.steadfast.api.CheckerApi;
import io.steadfast.api.CheckerApi.ScriptRequest;
import io.steadfast.api.CheckerApi.ScriptResult;
import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.HeartbeatApi.DesiredState;
import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.HeartbeatApi.NodeStates;
import io.steadfast.api.HeartbeatApi.Role;
import io.steadfast.api.Readiness;
import io.steadfast.api.State;
import io.steadfast.api.VipApi;
import io.steadfast.api.VipApi.VipStatus;
import io.steadfast.config.ConfigLoader;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.service.Membership;
import io.steadfast.service.ServiceContext;
import io.steadfast.testing.TestFiles;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A farm node coming UP (node2 of the config never runs): vip-svc adds the farm VIP only once lb-filter-svc's table is in the kernel, and that
 * table follows heartbeat-svc's desired state. So the desired state must say MEMBER while the ACQUIRE that asks
 * for "VIP up" is still running (found end to end by the farm lab IT: every node ended in WAIT, "acquire failed:
 * VIP up"). The stand-in vip-svc here answers "VIP up" only after a desired MEMBER arrived, waiting (bounded) like
 * the real one.
 */
class FarmDesiredWhileBusyTest {
    @TempDir
    Path dir;
    Vertx vertx;

    @AfterEach
    void tearDown() {
        if (vertx != null) {
            vertx.close().await();
        }
    }

    @Test
    void aFarmNodeIsMemberInItsDesiredStateBeforeItsVipIsAsked() throws Exception {
        TestFiles.writeSecret(dir.resolve("secret"));
        int port = 20000 + ThreadLocalRandom.current().nextInt(20000);
        String yaml = """
                cluster:
                  name: farmtest
                  secret_file: %s
                  state_dir: %s
                  nodes:
                    - { name: node1, addr: 127.0.0.11, lans: { lan1: 127.0.0.11 } }
                    - { name: node2, addr: 127.0.0.12, lans: { lan1: 127.0.0.12 } }
                modules:
                  - name: web
                    type: farm
                    nodes: [node1, node2]
                    heartbeat: { pulse: 50ms, timeout: 400ms, lans: [lan1], port: %d }
                    vip: { addr: 198.18.0.50/32, interface: eth0 }
                    farm: { rules: [ { proto: tcp, port: 8081, filter: on_addr } ] }
                    scripts: { start_both: [/bin/true], stop_both: [/bin/true] }
                """.formatted(dir.resolve("secret"), dir.resolve("state"), port);
        SteadfastConfig config = ConfigLoader.parse(dir.resolve("hb.yml"), yaml).config().orElseThrow(
                () -> new AssertionError(ConfigLoader.parse(dir.resolve("hb.yml"), yaml).problems()));
        vertx = Vertx.vertx();
        AtomicReference<DesiredState> desired = new AtomicReference<>();
        vertx.eventBus().consumer(HeartbeatApi.DESIRED, m -> desired.set(DesiredState.fromJson((JsonObject) m.body())));
        vertx.eventBus().consumer(CheckerApi.script("node1"), m -> {
            ScriptRequest r = ScriptRequest.fromJson((JsonObject) m.body());
            m.reply(new ScriptResult("web", r.script(), 0, false, false, "").toJson());
        });
        vertx.eventBus().<JsonObject>consumer(VipApi.up("node1"), m -> vipUpWhenMember(m, desired, 60));
        vertx.eventBus().consumer(VipApi.down("node1"),
                m -> m.reply(new VipStatus("node1", "web", "198.18.0.50", "eth0", false, "").toJson()));

        vertx.deployVerticle(new HeartbeatVerticle(new ServiceContext(config, "node1", Membership.standalone("node1"))))
                .await();

        long end = System.currentTimeMillis() + 10_000;
        ModuleState s = state();
        while (!(s != null && s.state() == State.UP && s.readiness() == Readiness.READY)
                && System.currentTimeMillis() < end) {
            Thread.sleep(50);
            s = state();
        }
        assertThat(s).as("web UP/READY (not WAIT after a failed VIP up)").isNotNull();
        assertThat(s.state()).as("state, reason %s", s.reason()).isEqualTo(State.UP);
        assertThat(s.readiness()).isEqualTo(Readiness.READY);
        assertThat(desired.get().module("web").orElseThrow().role()).isEqualTo(Role.MEMBER);
        assertThat(desired.get().module("web").orElseThrow().members()).containsExactly("node1");
    }

    /** Like vip-svc: waits (bounded, 50 ms steps) for the filter, which exists once the desired role is MEMBER. */
    private void vipUpWhenMember(Message<JsonObject> m, AtomicReference<DesiredState> desired, int triesLeft) {
        DesiredState d = desired.get();
        boolean member = d != null && d.module("web").map(x -> x.role() == Role.MEMBER).orElse(false);
        if (member) {
            m.reply(new VipStatus("node1", "web", "198.18.0.50", "eth0", true, "").toJson());
        } else if (triesLeft == 0) {
            m.fail(503, "the farm filter of web is not in the kernel");
        } else {
            vertx.setTimer(50, id -> vipUpWhenMember(m, desired, triesLeft - 1));
        }
    }

    private ModuleState state() {
        JsonObject reply = (JsonObject) vertx.eventBus().request(HeartbeatApi.states("node1"), new JsonObject())
                .await().body();
        List<ModuleState> mods = NodeStates.fromJson(reply).modules();
        return mods.isEmpty() ? null : mods.getFirst();
    }
}
