package io.steadfast.checker.impl;

import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * One notification of a module's event on a node: {@code event} is {@code state} (a state change), {@code splitbrain},
 * {@code checker} (a checker failed) or {@code resync} (a resynchronisation ended). The script gets
 * {@link #args()} = module node old_state new_state reason; the webhook {@link #toJson()}.
 */
public record Notification(String module, String node, String event, String oldState, String newState,
                           String reason, long at) {
    public List<String> args() {
        return List.of(module, node, oldState, newState, reason);
    }

    public JsonObject toJson() {
        return new JsonObject().put("module", module).put("node", node).put("event", event)
                .put("old_state", oldState).put("new_state", newState).put("reason", reason).put("at", at);
    }

    @Override
    public String toString() {
        return event + " " + module + "@" + node + " " + oldState + " -> " + newState + ": " + reason;
    }
}
