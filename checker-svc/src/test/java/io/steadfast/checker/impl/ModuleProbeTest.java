package io.steadfast.checker.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.Readiness;
import io.steadfast.api.State;
import io.steadfast.checker.ModuleTarget;
import io.steadfast.config.ModuleType;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ModuleProbeTest {
    private final Map<String, ModuleState> states = new HashMap<>();

    private ModuleProbe probe(String target) {
        return new ModuleProbe(ModuleTarget.parse(target), "node1",
                (m, n) -> Optional.ofNullable(states.get(m + "@" + n)));
    }

    private void put(String module, String node, State s) {
        states.put(module + "@" + node, new ModuleState(node, module, ModuleType.MIRROR, s, Readiness.READY, "", "g",
                true, 0, new JsonObject()));
    }

    @Test
    void followsTheOtherModulesState() {
        Duration t = Duration.ofSeconds(1);
        assertThat(probe("db").probe(t)).isEqualTo(Outcome.down("module db@node1: no state published yet"));
        put("db", "node1", State.SECOND);
        assertThat(probe("db").probe(t)).isEqualTo(Outcome.down("module db@node1 is SECOND, expected one of [ALONE, PRIM, UP]"));
        assertThat(probe("db=SECOND|PRIM").probe(t)).isEqualTo(Outcome.up("module db@node1 is SECOND"));
        put("db", "node2", State.PRIM);
        assertThat(probe("db@node2").probe(t).up()).isTrue();
        assertThat(probe("db@node2=STOP").probe(t).up()).isFalse();
    }

    @Test
    void aTargetThatDoesNotParseGivesADownCheckerNotACrash() throws Exception {
        var factory = new CheckerFactory(new CheckerFactory.Deps("node1", null, null, null, (m, n) -> Optional.empty(),
                System::currentTimeMillis));
        var m = io.steadfast.checker.CheckerTestSupport.config(java.nio.file.Files.createTempDirectory("mp"), """
                - name: db
                  type: mirror
                  nodes: [node1, node2]
                  checkers:
                    - { name: other, type: module, target: "web=NOPE" }
                - name: web
                  type: mirror
                  nodes: [node1, node2]
                """).module("db").orElseThrow();
        Outcome o = factory.build(m).getFirst().probe().probe(Duration.ofSeconds(1));
        assertThat(o.up()).isFalse();
        assertThat(o.reason()).startsWith("bad checker config: \"web=NOPE\": \"NOPE\" is not a state");
    }
}
