package io.steadfast.bus.auth;

import io.steadfast.api.CheckerApi;
import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.LbFilterApi;
import io.steadfast.api.NodeApi;
import io.steadfast.api.ReplicationApi;
import io.steadfast.api.ServiceName;
import io.steadfast.api.VipApi;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class SenderRulesTest {
    final SenderRules rules = new SenderRules(Set.of("node1", "node2"));

    boolean may(String sender, String address) {
        return rules.refusal(sender, address, true, new JsonObject()).isEmpty();
    }

    boolean mayPublish(String sender, String address, JsonObject body) {
        return rules.refusal(sender, address, false, body).isEmpty();
    }

    /** What only the node itself sends: its choreography (heartbeat-svc) and its failover rules (checker-svc). */
    @Test
    void nodeLocalRequestsOnlyFromTheNodeItself() {
        for (String address : List.of(VipApi.up("node1"), VipApi.down("node1"), ReplicationApi.promote("node1"),
                ReplicationApi.demote("node1"), CheckerApi.script("node1"), HeartbeatApi.action("node1"),
                HeartbeatApi.desired("node1"), "sf.node1.vip.someday")) {
            assertThat(may("node1", address)).as(address).isTrue();
            assertThat(may("node2", address)).as(address).isFalse();
        }
    }

    /** What the console of any node asks of any node. */
    @Test
    void consoleRequestsFromAnyNode() {
        for (String address : List.of(HeartbeatApi.command("node1"), HeartbeatApi.states("node1"),
                ReplicationApi.status("node1"), ReplicationApi.verify("node1"), VipApi.status("node1"),
                CheckerApi.toggle("node1"), CheckerApi.checkers("node1"), CheckerApi.log("node1"),
                LbFilterApi.status("node1"))) {
            assertThat(may("node2", address)).as(address).isTrue();
        }
        for (ServiceName svc : ServiceName.values()) {
            assertThat(may("node2", NodeApi.health("node1", svc))).isTrue();
        }
    }

    @Test
    void aPublicationOnlyFromTheNodeItDescribes() {
        JsonObject aboutNode1 = new JsonObject().put("node", "node1").put("upToDate", true);
        for (String address : List.of(ReplicationApi.EVENTS, ReplicationApi.RESYNC, HeartbeatApi.MODULE_STATE,
                HeartbeatApi.DESIRED, VipApi.EVENTS, LbFilterApi.EVENTS, CheckerApi.CHECKER_EVENTS,
                CheckerApi.MODULE_LOG, NodeApi.PRESENCE)) {
            assertThat(mayPublish("node1", address, aboutNode1)).as(address).isTrue();
            assertThat(mayPublish("node2", address, aboutNode1)).as(address).isFalse();
            assertThat(mayPublish("node1", address, new JsonObject())).as("no node").isFalse();
            assertThat(mayPublish("node1", address, new JsonObject().put("node", 1))).isFalse();
        }
    }

    @Test
    void onlyConfiguredNodesAndContractShapes() {
        assertThat(may("node3", HeartbeatApi.states("node1"))).isFalse();
        assertThat(may("node3", "__vertx.reply.1")).isFalse();
        assertThat(may("node2", "__vertx.reply.1")).isTrue();
        assertThat(may("node2", "sf.node1.vip")).isFalse();
        assertThat(may("node2", "sf.node1.vip.up.x")).isFalse();
        assertThat(rules.refusal("node2", VipApi.down("node1"), true, new JsonObject()).orElseThrow())
                .contains("node-local");
    }
}
