package io.steadfast.node.demo;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What the demo waits for, read from a console's /api/v1/cluster (shapes as ConsoleVerticle answers them). */
class DemoReadinessTest {

    static JsonObject node(String name, boolean up, String... downServices) {
        JsonArray services = new JsonArray();
        for (String s : new String[] {"heartbeat", "replication", "vip", "checker", "lb-filter", "console"}) {
            boolean down = java.util.List.of(downServices).contains(s);
            services.add(new JsonObject().put("node", name).put("service", s).put("up", !down)
                    .put("reason", down ? "cannot mount: libfuse3.so.3 not found" : "ok"));
        }
        return new JsonObject().put("name", name).put("addr", "198.18.0.1").put("up", up)
                .put("services", up ? services : new JsonArray());
    }

    static JsonObject at(String node, String state, String readiness) {
        return new JsonObject().put("node", node).put("nodeUp", true).put("state", state).put("readiness", readiness)
                .put("reason", "").put("resync", null);
    }

    static JsonObject module(String name, String type, JsonObject... nodes) {
        return new JsonObject().put("name", name).put("type", type).put("nodes", new JsonArray(java.util.List.of(nodes)));
    }

    static JsonObject cluster(JsonArray nodes, JsonObject... modules) {
        return new JsonObject().put("cluster", "sfdemo-abc").put("node", "node1").put("nodes", nodes)
                .put("modules", new JsonArray(java.util.List.of(modules)));
    }

    static JsonArray allUp() {
        return new JsonArray().add(node("node1", true)).add(node("node2", true)).add(node("node3", true));
    }

    static JsonObject farmUp() {
        return module("web", "FARM", at("node1", "UP", "READY"), at("node2", "UP", "READY"), at("node3", "UP", "READY"));
    }

    @Test
    void readyWhenTheMirrorIsPrimAndSecondReadyAndTheFarmUpEverywhere() {
        DemoReadiness r = DemoReadiness.of(cluster(allUp(),
                module("db", "MIRROR", at("node1", "PRIM", "READY"), at("node2", "SECOND", "READY")), farmUp()));
        assertThat(r.missing()).isEmpty();
        assertThat(r.ready()).isTrue();
        assertThat(r.progress()).isEqualTo("db node1 PRIM/Ready, node2 SECOND/Ready; "
                + "web node1 UP/Ready, node2 UP/Ready, node3 UP/Ready");
    }

    @Test
    void aSecondStillResyncingIsNotReadyAndShowsItsShare() {
        JsonObject second = at("node2", "SECOND", "TRANSIENT").put("reason", "resync running")
                .put("resync", new JsonObject().put("phase", "copy").put("fraction", 0.4));
        DemoReadiness r = DemoReadiness.of(cluster(allUp(), module("db", "MIRROR", at("node1", "PRIM", "READY"), second),
                farmUp()));
        assertThat(r.ready()).isFalse();
        assertThat(r.progress()).startsWith("db node1 PRIM/Ready, node2 SECOND/Transient 40%; web");
        assertThat(r.missing()).containsExactly(
                "db on node2: SECOND/Transient 40%, wanted SECOND/Ready (resync running)");
    }

    @Test
    void aMirrorWithoutPrimOrWithTwoIsNotReady() {
        DemoReadiness none = DemoReadiness.of(cluster(allUp(),
                module("db", "MIRROR", at("node1", "WAIT", "NOT_READY"), at("node2", "SECOND", "READY")), farmUp()));
        assertThat(none.ready()).isFalse();
        assertThat(none.missing()).contains("db: no node is PRIM", "db on node1: WAIT/Not ready, wanted SECOND/Ready");
        assertThat(none.progress()).startsWith("db node1 WAIT/Not ready, node2 SECOND/Ready;");

        DemoReadiness two = DemoReadiness.of(cluster(allUp(),
                module("db", "MIRROR", at("node1", "PRIM", "READY"), at("node2", "PRIM", "READY")), farmUp()));
        assertThat(two.ready()).isFalse();
        assertThat(two.missing()).containsExactly("db: PRIM on node1 and node2 (split brain)");
    }

    @Test
    void aFarmNodeNotUpIsNotReady() {
        DemoReadiness r = DemoReadiness.of(cluster(allUp(),
                module("db", "MIRROR", at("node1", "PRIM", "READY"), at("node2", "SECOND", "READY")),
                module("web", "FARM", at("node1", "UP", "READY"), at("node2", "UP", "READY"),
                        at("node3", "WAIT", "NOT_READY").put("reason", "start_both failed"))));
        assertThat(r.ready()).isFalse();
        assertThat(r.missing()).containsExactly("web on node3: WAIT/Not ready, wanted UP/Ready (start_both failed)");
    }

    @Test
    void aFailedServiceOrAMissingNodeIsNotReadyEvenWhenTheStatesLookFine() {
        JsonArray nodes = new JsonArray().add(node("node1", true)).add(node("node2", true, "replication"))
                .add(node("node3", false));
        DemoReadiness r = DemoReadiness.of(cluster(nodes,
                module("db", "MIRROR", at("node1", "PRIM", "READY"), at("node2", "SECOND", "READY")), farmUp()));
        assertThat(r.ready()).isFalse();
        assertThat(r.missing()).containsExactly(
                "node2: service replication is down (cannot mount: libfuse3.so.3 not found)",
                "node3: not a member of the cluster");
    }

    @Test
    void aNodeDownOrWithoutStateIsShownSo() {
        JsonObject gone = at("node2", "SECOND", "READY").put("nodeUp", false);
        JsonObject fresh = new JsonObject().put("node", "node3").put("nodeUp", true).put("state", null);
        DemoReadiness r = DemoReadiness.of(cluster(allUp(), module("db", "MIRROR", at("node1", "PRIM", "READY"), gone),
                module("web", "FARM", at("node1", "UP", "READY"), at("node2", "UP", "READY"), fresh)));
        assertThat(r.ready()).isFalse();
        assertThat(r.progress()).isEqualTo("db node1 PRIM/Ready, node2 down; web node1 UP/Ready, node2 UP/Ready, "
                + "node3 no state yet");
        assertThat(r.missing()).containsExactly("db on node2: down, wanted SECOND/Ready",
                "web on node3: no state yet, wanted UP/Ready");
    }

    @Test
    void anEmptyViewIsNotReady() {
        assertThat(DemoReadiness.of(new JsonObject()).ready()).isFalse();
    }
}
