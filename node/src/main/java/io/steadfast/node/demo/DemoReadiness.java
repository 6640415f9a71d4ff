package io.steadfast.node.demo;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Whether the demo's cluster is really serving, read from a console's {@code /api/v1/cluster}: every node a member
 * with every service up, every mirror with one node PRIM/Ready and the others SECOND/Ready, every farm UP/Ready on
 * all its nodes. Generic over the modules of the config, so the demo's module list can change without touching it.
 *
 * @param ready    nothing is missing
 * @param missing  what is not there yet, one line each, with the console's reason (what a failed demo prints)
 * @param progress one line: every module's state/readiness per node (what the wait prints when it changes)
 */
public record DemoReadiness(boolean ready, List<String> missing, String progress) {

    public static DemoReadiness of(JsonObject cluster) {
        List<String> missing = new ArrayList<>();
        for (Object o : cluster.getJsonArray("nodes", new JsonArray())) {
            JsonObject node = (JsonObject) o;
            String name = node.getString("name");
            if (!node.getBoolean("up", false)) {
                missing.add(name + ": not a member of the cluster");
                continue;
            }
            for (Object s : node.getJsonArray("services", new JsonArray())) {
                JsonObject svc = (JsonObject) s;
                if (!svc.getBoolean("up", false)) {
                    missing.add(name + ": service " + svc.getString("service") + " is down"
                            + because(svc.getString("reason")));
                }
            }
        }
        JsonArray modules = cluster.getJsonArray("modules", new JsonArray());
        if (modules.isEmpty()) {
            missing.add("no module in the cluster's view");
        }
        List<String> progress = new ArrayList<>();
        for (Object o : modules) {
            JsonObject module = (JsonObject) o;
            progress.add(module.getString("name") + " " + String.join(", ", module.getJsonArray("nodes", new JsonArray())
                    .stream().map(n -> nodeProgress((JsonObject) n)).toList()));
            missing.addAll("FARM".equals(module.getString("type")) ? farm(module) : mirror(module));
        }
        return new DemoReadiness(missing.isEmpty(), List.copyOf(missing), String.join("; ", progress));
    }

    /** One node PRIM/Ready (exactly one: two would be a split brain), every other SECOND/Ready. */
    private static List<String> mirror(JsonObject module) {
        List<String> missing = new ArrayList<>();
        String name = module.getString("name");
        List<JsonObject> nodes = nodes(module);
        List<String> prims = nodes.stream().filter(n -> "PRIM".equals(n.getString("state")))
                .map(n -> n.getString("node")).toList();
        if (prims.isEmpty()) {
            missing.add(name + ": no node is PRIM");
        } else if (prims.size() > 1) {
            missing.add(name + ": PRIM on " + String.join(" and ", prims) + " (split brain)");
        }
        for (JsonObject n : nodes) {
            String wanted = prims.size() == 1 && prims.contains(n.getString("node")) ? "PRIM" : "SECOND";
            check(name, n, wanted).ifPresent(missing::add);
        }
        return missing;
    }

    /** UP/Ready on every node of the farm. */
    private static List<String> farm(JsonObject module) {
        List<String> missing = new ArrayList<>();
        for (JsonObject n : nodes(module)) {
            check(module.getString("name"), n, "UP").ifPresent(missing::add);
        }
        return missing;
    }

    private static Optional<String> check(String module, JsonObject n, String wanted) {
        String state = n.getString("state");
        boolean ok = n.getBoolean("nodeUp", false) && wanted.equals(state) && "READY".equals(n.getString("readiness"));
        if (ok || ("PRIM".equals(state) && "SECOND".equals(wanted))) {
            return Optional.empty(); // an extra PRIM is already reported as a split brain
        }
        return Optional.of(module + " on " + n.getString("node") + ": " + stateText(n) + ", wanted " + wanted
                + "/Ready" + because(n.getString("reason")));
    }

    private static List<JsonObject> nodes(JsonObject module) {
        return module.getJsonArray("nodes", new JsonArray()).stream().map(o -> (JsonObject) o).toList();
    }

    /** {@code node2 SECOND/Transient 40%}. */
    static String nodeProgress(JsonObject n) {
        return n.getString("node") + " " + stateText(n);
    }

    /** {@code SECOND/Transient 40%}: with the resync's share while it runs. */
    private static String stateText(JsonObject n) {
        if (!n.getBoolean("nodeUp", false)) {
            return "down";
        }
        String state = n.getString("state");
        if (state == null) {
            return "no state yet";
        }
        StringBuilder sb = new StringBuilder(state).append('/').append(readiness(n.getString("readiness")));
        JsonObject resync = n.getJsonObject("resync");
        if (resync != null && !"READY".equals(n.getString("readiness")) && !"done".equals(resync.getString("phase"))) {
            double fraction = resync.getDouble("fraction", 0.0);
            sb.append(' ').append(Math.round(fraction * 100)).append('%');
        }
        return sb.toString();
    }

    /** READY → Ready, NOT_READY → Not ready: as the console shows it. */
    private static String readiness(String r) {
        if (r == null) {
            return "?";
        }
        String s = r.replace('_', ' ').toLowerCase(Locale.ROOT);
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static String because(String reason) {
        return reason == null || reason.isBlank() ? "" : " (" + reason + ")";
    }
}
