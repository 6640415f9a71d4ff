package io.steadfast.service;

import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.NodeApi.ServiceHealth;
import io.steadfast.api.Readiness;
import io.steadfast.api.ServiceName;
import io.steadfast.api.State;
import io.steadfast.config.ModuleType;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The health decisions, from plain facts: DOWN with the reason, UP with warnings, UP. */
class HealthRulesTest {
    static ModuleState state(State st, Readiness r, boolean upToDate, JsonObject details) {
        return new ModuleState("node2", "db", ModuleType.MIRROR, st, r, "resync from node1", "G1", upToDate, 1,
                details);
    }

    static JsonObject peers(boolean alive, boolean lan1, boolean lan2) {
        return new JsonObject().put("peers", new JsonObject().put("node1", new JsonObject().put("alive", alive)
                .put("lans", new JsonObject().put("lan1", new JsonObject().put("up", lan1))
                        .put("lan2", new JsonObject().put("up", lan2)))));
    }

    @Test
    void replicationIsDownWhenAModuleDidNotMountOrLostItsMount() {
        assertThat(HealthRules.replication(Map.of(), Map.of()).up()).isTrue();
        HealthVerdict v = HealthRules.replication(Map.of("db", "cannot bind /srv/db to /srv/.db.sf-backing/data"),
                Map.of("files", List.of("/srv/files")));
        assertThat(v.up()).isFalse();
        assertThat(v.reasons()).containsExactly(
                "replication of module db is not mounted: cannot bind /srv/db to /srv/.db.sf-backing/data",
                "replication of module files is not mounted any more at /srv/files");
        assertThat(v.reason()).contains("db").contains("; ").contains("files");
        assertThat(HealthRules.replication(Map.of(), Map.of("db", List.of())).up()).isTrue();
    }

    @Test
    void lbFilterIsDownWhileAFilterIsNotApplied() {
        assertThat(HealthRules.lbFilter(Map.of()).up()).isTrue();
        HealthVerdict v = HealthRules.lbFilter(Map.of("web", "Cannot run program \"nft\""));
        assertThat(v.up()).isFalse();
        assertThat(v.reason()).isEqualTo("farm filter of module web not applied: Cannot run program \"nft\"");
    }

    @Test
    void checkerIsDownWhenAScriptRunsLongPastItsTimeout() {
        Duration timeout = Duration.ofSeconds(60);
        var running = Map.of("db", new HealthRules.RunningScript("start_prim", 1_000, timeout));
        assertThat(HealthRules.checker(running, 1_000 + 60_000, true).up()).isTrue(); // at its timeout: killed soon
        assertThat(HealthRules.checker(running, 1_000 + 60_000 + 30_000, true).up()).isTrue();
        HealthVerdict stuck = HealthRules.checker(running, 1_000 + 95_000, true);
        assertThat(stuck.up()).isFalse();
        assertThat(stuck.reason()).isEqualTo("script runner of module db stuck: start_prim running for 95 s "
                + "(timeout 60 s)");
        assertThat(HealthRules.checker(Map.of(), 0, false).reason()).contains("runner stopped");
    }

    @Test
    void heartbeatIsDownWhenItsTasksStopped() {
        Duration timeout = Duration.ofSeconds(2);
        assertThat(HealthRules.heartbeatDeadAfterMs(timeout)).isEqualTo(8_000);
        assertThat(HealthRules.heartbeatDeadAfterMs(Duration.ofMillis(500))).isEqualTo(5_000);
        var fine = Map.of("db", new HealthRules.HeartbeatTasks(40, 250, timeout));
        assertThat(HealthRules.heartbeat(Optional.empty(), fine, List.of()).up()).isTrue();
        var deadTick = Map.of("db", new HealthRules.HeartbeatTasks(9_000, 100, timeout));
        assertThat(HealthRules.heartbeat(Optional.empty(), deadTick, List.of()).reason())
                .isEqualTo("heartbeat tasks of module db dead: the engine has not run for 9000 ms");
        var deadPulse = Map.of("db", new HealthRules.HeartbeatTasks(10, 12_000, timeout));
        assertThat(HealthRules.heartbeat(Optional.empty(), deadPulse, List.of()).reason())
                .isEqualTo("heartbeat tasks of module db dead: no heartbeat sent for 12000 ms");
        assertThat(HealthRules.heartbeat(Optional.of("cannot bind the heartbeat socket"), Map.of(), List.of())
                .reason()).isEqualTo("heartbeat runtime not running: cannot bind the heartbeat socket");
    }

    @Test
    void heartbeatWarnsAboutDegradedModulesButStaysUp() {
        HealthVerdict v = HealthRules.heartbeat(Optional.empty(), Map.of(),
                List.of(state(State.SECOND, Readiness.READY, true, peers(true, true, false))));
        assertThat(v.up()).isTrue();
        assertThat(v.warnings()).containsExactly("db: heartbeat lan lan2 to node1 lost (still heard on lan1)");
    }

    @Test
    void moduleWarnings() {
        assertThat(HealthRules.moduleWarnings(state(State.SECOND, Readiness.READY, true, peers(true, true, true))))
                .isEmpty();
        // all lans silent: the peer is lost, a state change, not a lan warning
        assertThat(HealthRules.moduleWarnings(state(State.SECOND, Readiness.READY, true, peers(false, false, false))))
                .isEmpty();
        assertThat(HealthRules.moduleWarnings(state(State.SECOND, Readiness.TRANSIENT, false, new JsonObject())))
                .containsExactly("db: secondary node2 not up to date (SECOND/TRANSIENT: resync from node1)");
        assertThat(HealthRules.moduleWarnings(state(State.ALONE, Readiness.READY, true, new JsonObject())))
                .containsExactly("db: primary node2 ALONE: no up-to-date secondary");
        assertThat(HealthRules.moduleWarnings(state(State.PRIM, Readiness.READY, true,
                new JsonObject().put(HealthRules.SPLIT_BRAIN_DETAIL, "both sides wrote ALONE (generations G1, G2)"))))
                .containsExactly("db: split brain: both sides wrote ALONE (generations G1, G2)");
    }

    @Test
    void configDiffersNamesTheOddNodes() {
        assertThat(HealthRules.configDiffers(Map.of("node1", "a", "node2", "a"))).isEmpty();
        assertThat(HealthRules.configDiffers(Map.of("node1", "a"))).isEmpty();
        assertThat(HealthRules.configDiffers(Map.of("node1", "a", "node2", "a", "node3", "b")))
                .contains("config differs between nodes: node3 differ from node1, node2");
    }

    @Test
    void verdictCollectsAndServiceHealthCarriesWarnings() {
        HealthVerdict v = new HealthVerdict().warn("w").warn("w");
        assertThat(v.up()).isTrue();
        assertThat(v.warnings()).containsExactly("w");
        assertThat(v.toString()).isEqualTo("UP with warnings [w]");
        v.include(new HealthVerdict().down("broken"));
        assertThat(v.toString()).isEqualTo("DOWN: broken");

        ServiceHealth h = new ServiceHealth("node1", ServiceName.HEARTBEAT, true, "", new JsonObject(), List.of("w"));
        assertThat(ServiceHealth.fromJson(h.toJson())).isEqualTo(h);
        // a health from an older node has no warnings field
        JsonObject old = h.toJson();
        old.remove("warnings");
        assertThat(ServiceHealth.fromJson(old).warnings()).isEmpty();
    }
}
