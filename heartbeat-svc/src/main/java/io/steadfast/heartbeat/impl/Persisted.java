package io.steadfast.heartbeat.impl;

import io.steadfast.api.State;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * What a module remembers across restarts of heartbeat-svc (one file per module in {@code cluster.state_dir}).
 *
 * @param generation   data generation held here ("" = fresh: never ran)
 * @param upToDate     this copy holds all of {@code generation}
 * @param exclusive    no other copy could have become primary since this node last wrote: started alone, it may
 *                     become primary by itself. True only while ALONE without an up-to-date peer.
 * @param lastRole     last state (STOP after an operator's stop: the module stays stopped until {@code start})
 * @param lastPrim     last primary known ("" = none)
 * @param loops        times (wall ms) of automatic actions and failed role changes, for maxloop
 */
public record Persisted(String generation, boolean upToDate, boolean exclusive, State lastRole, String lastPrim,
                        boolean adminStopped, List<Long> loops) {
    public Persisted {
        loops = List.copyOf(loops);
    }

    public static Persisted fresh() {
        return new Persisted("", false, false, State.WAIT, "", false, List.of());
    }

    public boolean isFresh() {
        return generation.isEmpty();
    }

    public Persisted withGeneration(String g, boolean upToDate, boolean exclusive) {
        return new Persisted(g, upToDate, exclusive, lastRole, lastPrim, adminStopped, loops);
    }

    public Persisted withRole(State role, String prim) {
        return new Persisted(generation, upToDate, exclusive, role, prim, adminStopped, loops);
    }

    public Persisted withUpToDate(boolean u) {
        return new Persisted(generation, u, exclusive, lastRole, lastPrim, adminStopped, loops);
    }

    public Persisted withExclusive(boolean e) {
        return new Persisted(generation, upToDate, e, lastRole, lastPrim, adminStopped, loops);
    }

    public Persisted withAdminStopped(boolean s) {
        return new Persisted(generation, upToDate, exclusive, lastRole, lastPrim, s, loops);
    }

    public Persisted withLoops(List<Long> l) {
        return new Persisted(generation, upToDate, exclusive, lastRole, lastPrim, adminStopped, l);
    }

    public JsonObject toJson() {
        return new JsonObject().put("v", 1).put("generation", generation).put("upToDate", upToDate)
                .put("exclusive", exclusive).put("lastRole", lastRole.name()).put("lastPrim", lastPrim)
                .put("adminStopped", adminStopped).put("loops", new JsonArray(loops));
    }

    /** @throws IllegalArgumentException when the file content is not a state this code wrote */
    public static Persisted fromJson(JsonObject j) {
        try {
            return new Persisted(j.getString("generation", ""), j.getBoolean("upToDate", false),
                    j.getBoolean("exclusive", false), State.valueOf(j.getString("lastRole", "WAIT")),
                    j.getString("lastPrim", ""), j.getBoolean("adminStopped", false),
                    j.getJsonArray("loops", new JsonArray()).stream().map(o -> ((Number) o).longValue()).toList());
        } catch (ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException("not a module state: " + e.getMessage(), e);
        }
    }
}
