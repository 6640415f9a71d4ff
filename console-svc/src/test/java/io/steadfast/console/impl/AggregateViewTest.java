package io.steadfast.console.impl;

import io.steadfast.api.CheckerApi;
import io.steadfast.api.CheckerApi.CheckerStatus;
import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.Readiness;
import io.steadfast.api.ReplicationApi.ResyncProgress;
import io.steadfast.api.State;
import io.steadfast.config.ModuleType;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.console.StandInCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class AggregateViewTest {
    final AtomicLong now = new AtomicLong(10_000_000);
    final List<String> events = new ArrayList<>();
    SteadfastConfig config = StandInCluster.testConfig(Path.of("/tmp/unused"), Optional.empty());
    AggregateView view;

    @BeforeEach
    void setUp() {
        view = new AggregateView(config, now::get, (type, data) -> events.add(type + ":" + data.getString("node")));
        view.nodeUp("node1");
        view.nodeUp("node2");
        events.clear();
    }

    ModuleState st(String node, State s, Readiness r, String reason) {
        return new ModuleState(node, "db", ModuleType.MIRROR, s, r, reason, "g", true, now.get(), new JsonObject());
    }

    @Test
    void keepsTheLatestStatePerModuleAndNodeAndTellsTheListener() {
        view.state(st("node1", State.PRIM, Readiness.READY, "primary"));
        view.state(st("node2", State.SECOND, Readiness.TRANSIENT, "resync"));
        assertThat(view.state("db", "node1")).contains(State.PRIM);
        assertThat(view.state("db", "node2")).contains(State.SECOND);
        assertThat(view.serving(config.module("db").orElseThrow())).containsExactly("node1");
        assertThat(events).containsExactly("state:node1", "state:node2");
        JsonObject json = view.nodeJson(config.module("db").orElseThrow(), "node2", false);
        assertThat(json.getString("readiness")).isEqualTo("TRANSIENT");
        assertThat(json.getBoolean("serves")).isFalse();
    }

    @Test
    void aRefreshWithTheSameStateIsNoEventButUpdatesTheRoundTrip() {
        view.state(st("node1", State.PRIM, Readiness.READY, "primary"));
        JsonObject details = new JsonObject().put("peers", new JsonObject().put("node2", new JsonObject()
                .put("lans", new JsonObject().put("lan1", new JsonObject().put("rttMs", 7)))));
        view.state(new ModuleState("node1", "db", ModuleType.MIRROR, State.PRIM, Readiness.READY, "primary", "g",
                true, now.get(), details));
        assertThat(events).containsExactly("state:node1");
        assertThat(view.heartbeatRtt("db", "node1", "node2", "lan1")).contains(7L);
        assertThat(view.heartbeatRtt("db", "node1", "node2", "lan2")).isEmpty();
        assertThat(AggregateView.heartbeatLinks(view.moduleState("db", "node1").orElseThrow()))
                .singleElement().satisfies(l -> assertThat(l).containsExactly("node2", "lan1"));
    }

    @Test
    void ignoresModulesAndNodesNotInTheConfig() {
        view.state(new ModuleState("node9", "db", ModuleType.MIRROR, State.PRIM, Readiness.READY, "", "", true, 1,
                new JsonObject()));
        view.state(new ModuleState("node1", "nope", ModuleType.MIRROR, State.PRIM, Readiness.READY, "", "", true, 1,
                new JsonObject()));
        view.state(st("node3", State.PRIM, Readiness.READY, "")); // node3 is not a node of db
        assertThat(view.ignored()).isEqualTo(3);
        assertThat(events).isEmpty();
    }

    @Test
    void aLatePublicationDoesNotOverwriteANewerState() {
        view.state(st("node1", State.PRIM, Readiness.READY, ""));
        ModuleState old = new ModuleState("node1", "db", ModuleType.MIRROR, State.SECOND, Readiness.READY, "", "",
                true, now.get() - 5000, new JsonObject());
        view.state(old);
        assertThat(view.state("db", "node1")).contains(State.PRIM);
    }

    @Test
    void countsFailoversAsSecondBecomingAlone() {
        view.state(st("node2", State.SECOND, Readiness.READY, ""));
        now.addAndGet(1000);
        view.state(st("node2", State.ALONE, Readiness.READY, "primary lost"));
        now.addAndGet(1000);
        view.state(st("node2", State.PRIM, Readiness.READY, "peer back"));
        assertThat(view.failovers("db", "node2")).isEqualTo(1);
    }

    @Test
    void historyKeepsTheLastHourAndTheStateInForceAtItsStart() {
        view.state(st("node1", State.WAIT, Readiness.NOT_READY, "start"));
        now.addAndGet(10 * 60_000);
        view.state(st("node1", State.PRIM, Readiness.READY, "prim"));
        now.addAndGet(10 * 60_000);
        view.state(st("node1", State.PRIM, Readiness.READY, "prim")); // no change: no new point
        assertThat(view.history("db", "node1")).hasSize(2);
        now.addAndGet(2 * 3_600_000);
        assertThat(view.history("db", "node1")).extracting(AggregateView.Transition::state).containsExactly(State.PRIM);
    }

    @Test
    void aNodeDownMakesItsFactsStaleAndTheTimelineUnknown() {
        view.state(st("node1", State.PRIM, Readiness.READY, ""));
        now.addAndGet(1000);
        view.nodeDown("node1");
        assertThat(view.state("db", "node1")).isEmpty();
        assertThat(view.moduleState("db", "node1")).isPresent();
        JsonObject json = view.nodeJson(config.module("db").orElseThrow(), "node1", true);
        assertThat(json.getBoolean("stale")).isTrue();
        assertThat(json.getString("state")).isEqualTo("PRIM");
        assertThat(view.history("db", "node1").getLast().state()).isNull();
        assertThat(events).contains("node:node1");
        // back: the same state again becomes a new point on the timeline
        view.nodeUp("node1");
        now.addAndGet(1000);
        view.state(st("node1", State.PRIM, Readiness.READY, ""));
        assertThat(view.history("db", "node1").getLast().state()).isEqualTo(State.PRIM);
    }

    @Test
    void resyncProgressAndCheckersAreKept() {
        view.resync(new ResyncProgress("node2", "db", "node1", "copying", 250, 1000, 100, 7));
        JsonObject json = view.nodeJson(config.module("db").orElseThrow(), "node2", false);
        assertThat(json.getJsonObject("resync").getDouble("fraction")).isEqualTo(0.25);
        assertThat(json.getJsonObject("resync").getLong("eta")).isEqualTo(7);
        view.checker(new CheckerStatus("node2", "db", "port", CheckerApi.Status.DOWN, "refused", 5));
        view.checker(new CheckerStatus("node2", "db", "port", CheckerApi.Status.UP, "ok", 6));
        assertThat(view.checkers("db", "node2")).singleElement()
                .satisfies(c -> assertThat(c.status()).isEqualTo(CheckerApi.Status.UP));
    }

    @Test
    void checkersPerModuleAndNodeAreBounded() {
        for (int i = 0; i < AggregateView.CHECKERS_MAX + 50; i++) {
            view.checker(new CheckerStatus("node1", "db", "c" + i, CheckerApi.Status.UP, "", i));
        }
        assertThat(view.checkers("db", "node1")).hasSize(AggregateView.CHECKERS_MAX);
        assertThat(view.ignored()).isEqualTo(50);
    }
}
