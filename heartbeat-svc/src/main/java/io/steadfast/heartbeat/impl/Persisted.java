package io.steadfast.heartbeat.impl;

import io.steadfast.api.State;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Objects;

/**
 * What a module remembers across restarts of heartbeat-svc (one file per module in {@code cluster.state_dir}).
 *
 * @param history      data generations of the copy held here ({@link GenerationHistory#FRESH} = never ran)
 * @param upToDate     this copy holds all of {@code history.current}
 * @param exclusive    no other copy could have become primary since this node last wrote: started alone, it may
 *                     become primary by itself. True only while ALONE without an up-to-date peer.
 * @param lastRole     last state (STOP after an operator's stop: the module stays stopped until {@code start})
 * @param lastPrim     last primary known ("" = none)
 * @param loops        times (wall ms) of automatic actions and failed role changes, for maxloop
 * @param forced       an operator forced this copy as the one to keep ({@code prim --force}): a peer whose copy
 *                     diverged follows it (keeping its own copy by policy). Cleared once the peer is in sync.
 * @param alert        a split brain that no operator acknowledged yet ("" = none): what diverged, what was kept where
 * @param damaged      "" normally; else this state could not be read at start (which file, why): nothing in it is
 *                     trusted, the node never becomes primary by itself on it and waits for an operator
 */
public record Persisted(GenerationHistory history, boolean upToDate, boolean exclusive, State lastRole,
                        String lastPrim, boolean adminStopped, List<Long> loops, boolean forced, String alert,
                        String damaged) {
    /** File format: 1 = a wall-clock generation string (before wave 2), 2 = a {@link GenerationHistory}. */
    static final int VERSION = 2;

    public Persisted {
        Objects.requireNonNull(history, "history");
        loops = List.copyOf(loops);
    }

    public Persisted(GenerationHistory history, boolean upToDate, boolean exclusive, State lastRole, String lastPrim,
                     boolean adminStopped, List<Long> loops) {
        this(history, upToDate, exclusive, lastRole, lastPrim, adminStopped, loops, false, "", "");
    }

    public static Persisted fresh() {
        return new Persisted(GenerationHistory.FRESH, false, false, State.WAIT, "", false, List.of());
    }

    /** The state of a module whose file could not be read: trusts nothing, waits for an operator. */
    public static Persisted damaged(String why) {
        return new Persisted(GenerationHistory.FRESH, false, false, State.WAIT, "", false, List.of(), false, "", why);
    }

    public boolean isFresh() {
        return history.isFresh() && damaged.isEmpty();
    }

    public boolean isDamaged() {
        return !damaged.isEmpty();
    }

    /** The current generation's id (16 hex digits, "" when fresh): what operators and replication-svc see. */
    public String generation() {
        return history.id();
    }

    public Persisted withHistory(GenerationHistory h, boolean upToDate, boolean exclusive) {
        return new Persisted(h, upToDate, exclusive, lastRole, lastPrim, adminStopped, loops, forced, alert, damaged);
    }

    public Persisted withRole(State role, String prim) {
        return new Persisted(history, upToDate, exclusive, role, prim, adminStopped, loops, forced, alert, damaged);
    }

    public Persisted withUpToDate(boolean u) {
        return new Persisted(history, u, exclusive, lastRole, lastPrim, adminStopped, loops, forced, alert, damaged);
    }

    public Persisted withExclusive(boolean e) {
        return new Persisted(history, upToDate, e, lastRole, lastPrim, adminStopped, loops, forced, alert, damaged);
    }

    public Persisted withAdminStopped(boolean s) {
        return new Persisted(history, upToDate, exclusive, lastRole, lastPrim, s, loops, forced, alert, damaged);
    }

    public Persisted withLoops(List<Long> l) {
        return new Persisted(history, upToDate, exclusive, lastRole, lastPrim, adminStopped, l, forced, alert, damaged);
    }

    public Persisted withForced(boolean f) {
        return new Persisted(history, upToDate, exclusive, lastRole, lastPrim, adminStopped, loops, f, alert, damaged);
    }

    public Persisted withAlert(String a) {
        return new Persisted(history, upToDate, exclusive, lastRole, lastPrim, adminStopped, loops, forced, a, damaged);
    }

    /** An operator decided (forced prim, second): the damaged file's state is replaced by what the machine writes. */
    public Persisted repaired() {
        return new Persisted(history, upToDate, exclusive, lastRole, lastPrim, adminStopped, loops, forced, alert, "");
    }

    public JsonObject toJson() {
        return new JsonObject().put("v", VERSION).put("history", history.encode()).put("generation", generation())
                .put("upToDate", upToDate).put("exclusive", exclusive).put("lastRole", lastRole.name())
                .put("lastPrim", lastPrim).put("adminStopped", adminStopped).put("loops", new JsonArray(loops))
                .put("forced", forced).put("alert", alert).put("damaged", damaged);
    }

    /**
     * Reads version 2, and version 1 (a wall-clock generation string, converted by
     * {@link GenerationHistory#fromLegacy}: the next save writes version 2).
     *
     * @throws IllegalArgumentException when the content is not a state this code wrote
     */
    public static Persisted fromJson(JsonObject j) {
        try {
            Object v = j.getValue("v");
            if (!(v instanceof Number n) || n.intValue() < 1 || n.intValue() > VERSION) {
                throw new IllegalArgumentException("unknown format version " + v);
            }
            GenerationHistory h = n.intValue() == 1
                    ? GenerationHistory.parse(required(j, "generation"))
                    : GenerationHistory.parse(required(j, "history"));
            Object up = j.getValue("upToDate");
            if (!(up instanceof Boolean)) {
                throw new IllegalArgumentException("upToDate missing");
            }
            return new Persisted(h, (Boolean) up, j.getBoolean("exclusive", false),
                    State.valueOf(j.getString("lastRole", "WAIT")), j.getString("lastPrim", ""),
                    j.getBoolean("adminStopped", false),
                    j.getJsonArray("loops", new JsonArray()).stream().map(o -> ((Number) o).longValue()).toList(),
                    j.getBoolean("forced", false), j.getString("alert", ""), j.getString("damaged", ""));
        } catch (ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException("not a module state: " + e.getMessage(), e);
        }
    }

    private static String required(JsonObject j, String key) {
        Object o = j.getValue(key);
        if (!(o instanceof String s)) {
            throw new IllegalArgumentException("\"" + key + "\" missing");
        }
        return s;
    }
}
