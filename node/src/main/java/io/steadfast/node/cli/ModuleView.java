package io.steadfast.node.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Optional;

/** Reading the console's module JSON ({@code GET /api/v1/modules/M}) for the CLI. */
record ModuleView(JsonObject json) {
    String name() {
        return json.getString("name");
    }

    boolean mirror() {
        return "MIRROR".equals(json.getString("type"));
    }

    /** The node whose console answered. */
    String console() {
        return json.getString("console", "");
    }

    List<JsonObject> nodes() {
        return json.getJsonArray("nodes", new JsonArray()).stream().map(o -> (JsonObject) o).toList();
    }

    List<String> nodeNames() {
        return nodes().stream().map(n -> n.getString("node")).toList();
    }

    Optional<JsonObject> node(String name) {
        return nodes().stream().filter(n -> name.equals(n.getString("node"))).findFirst();
    }

    /** The state of a node, empty when unknown or stale (node down). */
    static Optional<String> state(JsonObject node) {
        return node.getBoolean("stale", false) ? Optional.empty() : Optional.ofNullable(node.getString("state"));
    }

    static String describe(JsonObject n) {
        String state = n.getString("state");
        if (state == null) {
            return n.getString("node") + " unknown (" + n.getString("reason", "") + ")";
        }
        String readiness = switch (n.getString("readiness", "")) {
            case "READY" -> "Ready";
            case "TRANSIENT" -> "Transient";
            case "NOT_READY" -> "NotReady";
            default -> "";
        };
        return n.getString("node") + " " + state + (n.getBoolean("stale", false) ? " (node down, last known)" : " " + readiness);
    }
}
