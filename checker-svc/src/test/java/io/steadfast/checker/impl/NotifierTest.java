package io.steadfast.checker.impl;

import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.Readiness;
import io.steadfast.api.ReplicationApi.ResyncProgress;
import io.steadfast.api.State;
import io.steadfast.config.ModuleType;
import io.steadfast.config.NotifyConfig;
import io.steadfast.service.HealthRules;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Which events become notifications, and to which targets (queue inspected; no delivery thread). */
class NotifierTest {
    final AtomicLong now = new AtomicLong(5_000);
    final NotifyQueue q = new NotifyQueue(100, 3, 10, 100, now::get);
    final List<String> log = new CopyOnWriteArrayList<>();
    final Notifier n = new Notifier("node1", Map.of(
            "db", new NotifyConfig(List.of("/bin/notify"), Optional.of("http://127.0.0.1:1/h")),
            "web", NotifyConfig.none()), q, null, now::get, (m, l) -> log.add(l));

    static ModuleState st(String node, String module, State s, JsonObject details) {
        return new ModuleState(node, module, ModuleType.MIRROR, s, Readiness.READY, "because", "g", true, 1, details);
    }

    List<Notification> drain() {
        List<Notification> out = new java.util.ArrayList<>();
        for (Optional<NotifyQueue.Job> j = q.poll(); j.isPresent(); j = q.poll()) {
            if (j.get().target() == NotifyQueue.Target.SCRIPT) {
                out.add(j.get().notification());
            }
        }
        return out;
    }

    @Test
    void stateChangesOfThisNodesModulesGoToScriptAndWebhook() {
        n.onState(st("node1", "db", State.SECOND, new JsonObject())); // first sight: remembered
        assertThat(q.size()).isZero();
        n.onState(st("node1", "db", State.SECOND, new JsonObject())); // no change
        assertThat(q.size()).isZero();
        n.onState(st("node1", "db", State.ALONE, new JsonObject()));
        assertThat(q.size()).isEqualTo(2); // script + webhook
        n.onState(st("node2", "db", State.PRIM, new JsonObject())); // another node's: its own notifier
        n.onState(st("node1", "web", State.UP, new JsonObject()));
        n.onState(st("node1", "web", State.STOP, new JsonObject())); // no notify configured
        assertThat(drain()).containsExactly(new Notification("db", "node1", "state", "SECOND", "ALONE", "because",
                5_000));
    }

    @Test
    void splitBrainCheckerFailureAndResyncEnd() {
        n.onState(st("node1", "db", State.PRIM, new JsonObject()));
        JsonObject sb = new JsonObject().put(HealthRules.SPLIT_BRAIN_DETAIL, "generations diverged");
        n.onState(st("node1", "db", State.PRIM, sb));
        n.onState(st("node1", "db", State.PRIM, sb)); // the same alert again: once
        n.onCheckerDown("db", "app-port", "connection refused");
        n.onCheckerDown("web", "http", "500");
        n.onResync(new ResyncProgress("node1", "db", "node2", "copying", 10, 100, 1, 1));
        n.onResync(new ResyncProgress("node1", "db", "node2", "done", 100, 100, 1, 0));
        n.onResync(new ResyncProgress("node1", "db", "node2", "done", 100, 100, 1, 0));
        assertThat(drain()).extracting(Notification::toString).containsExactly(
                "splitbrain db@node1 PRIM -> PRIM: split brain: generations diverged",
                "checker db@node1 PRIM -> PRIM: checker app-port down: connection refused",
                "resync db@node1 PRIM -> PRIM: resync with node2 done (100 bytes)");
    }

    @Test
    void theScriptGetsModuleNodeOldNewReasonAndTheWebhookTheSameAsJson() {
        Notification x = new Notification("db", "node1", "state", "SECOND", "ALONE", "peer lost", 7);
        assertThat(x.args()).containsExactly("db", "node1", "SECOND", "ALONE", "peer lost");
        assertThat(x.toJson()).isEqualTo(new JsonObject().put("module", "db").put("node", "node1")
                .put("event", "state").put("old_state", "SECOND").put("new_state", "ALONE").put("reason", "peer lost")
                .put("at", 7L));
    }
}
