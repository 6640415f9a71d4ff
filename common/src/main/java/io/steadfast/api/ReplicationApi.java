package io.steadfast.api;

import io.steadfast.bus.BusMessage;
import io.steadfast.bus.Fields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Optional;

/**
 * Contract of replication-svc. Bulk bytes never travel on the bus (they use the module's replication channel);
 * the bus carries role changes, status and resync progress only.
 */
public final class ReplicationApi {
    private ReplicationApi() {
    }

    /**
     * Request {@link RoleRequest} → {@link ReplicationStatus}: serve the directories read-write here; replicate to
     * {@code peer} when present (resynchronising it first), else record changes (ALONE).
     */
    public static String promote(String node) {
        return Addresses.request(node, ServiceName.REPLICATION, "promote");
    }

    /** Request {@link RoleRequest} → {@link ReplicationStatus}: become the read-only target of {@code peer}. */
    public static String demote(String node) {
        return Addresses.request(node, ServiceName.REPLICATION, "demote");
    }

    /** Request {@link ModuleRef} → {@link ReplicationStatus}. */
    public static String status(String node) {
        return Addresses.request(node, ServiceName.REPLICATION, "status");
    }

    /** Request {@link ModuleRef} → {@link VerifyReport}: compare both sides by content (asked of the primary). */
    public static String verify(String node) {
        return Addresses.request(node, ServiceName.REPLICATION, "verify");
    }

    /** Publication: {@link ReplicationStatus} on change (peer lost, up to date, …). */
    public static final String EVENTS = Addresses.event("replication");
    /** Publication: {@link ResyncProgress} during a resync, about once a second. */
    public static final String RESYNC = Addresses.event("resync");

    public enum Role {
        IDLE, SOURCE, TARGET
    }

    /**
     * @param keepCopyAt demote after a split brain: copy the replicated directories there first (under
     *                   {@code <state_dir>/diverged/<module>/}; refused elsewhere), and fail without demoting when the
     *                   copy cannot be made
     */
    public record RoleRequest(String module, Optional<String> peer, String generation, boolean fullsync,
                              Optional<String> keepCopyAt) implements BusMessage {
        public RoleRequest(String module, Optional<String> peer, String generation, boolean fullsync) {
            this(module, peer, generation, fullsync, Optional.empty());
        }

        public JsonObject toJson() {
            JsonObject json = new JsonObject().put("v", VERSION).put("module", module).put("generation", generation)
                    .put("fullsync", fullsync);
            peer.ifPresent(p -> json.put("peer", p));
            keepCopyAt.ifPresent(p -> json.put("keepCopyAt", p));
            return json;
        }

        public static RoleRequest fromJson(JsonObject json) {
            Fields.version(json);
            return new RoleRequest(Fields.string(json, "module"), Fields.optString(json, "peer"),
                    Fields.optString(json, "generation").orElse(""), Fields.optBool(json, "fullsync", false),
                    Fields.optString(json, "keepCopyAt"));
        }
    }

    /**
     * @param connected   the channel to the peer is up
     * @param upToDate    SOURCE: the peer has everything; TARGET: this copy has everything
     * @param recording   SOURCE without a peer: changes are being recorded for a later resync
     */
    public record ReplicationStatus(String node, String module, Role role, Optional<String> peer,
                                    boolean connected, boolean upToDate, boolean recording, long pendingAcks,
                                    long bytesReplicated, String reason) implements BusMessage {
        public JsonObject toJson() {
            JsonObject json = new JsonObject().put("v", VERSION).put("node", node).put("module", module)
                    .put("role", role.name()).put("connected", connected).put("upToDate", upToDate)
                    .put("recording", recording).put("pendingAcks", pendingAcks)
                    .put("bytesReplicated", bytesReplicated).put("reason", reason);
            peer.ifPresent(p -> json.put("peer", p));
            return json;
        }

        public static ReplicationStatus fromJson(JsonObject json) {
            Fields.version(json);
            return new ReplicationStatus(Fields.string(json, "node"), Fields.string(json, "module"),
                    Fields.enumValue(json, "role", Role.class), Fields.optString(json, "peer"),
                    Fields.bool(json, "connected"), Fields.bool(json, "upToDate"), Fields.bool(json, "recording"),
                    Fields.optLong(json, "pendingAcks", 0), Fields.optLong(json, "bytesReplicated", 0),
                    Fields.optString(json, "reason").orElse(""));
        }
    }

    /** {@code phase}: e.g. "scanning", "copying", "done". {@code etaSeconds} -1 when unknown. */
    public record ResyncProgress(String node, String module, String peer, String phase, long bytesDone,
                                 long bytesTotal, long rateBytesPerSecond, long etaSeconds) implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("node", node).put("module", module).put("peer", peer)
                    .put("phase", phase).put("bytesDone", bytesDone).put("bytesTotal", bytesTotal)
                    .put("rate", rateBytesPerSecond).put("eta", etaSeconds);
        }

        public static ResyncProgress fromJson(JsonObject json) {
            Fields.version(json);
            return new ResyncProgress(Fields.string(json, "node"), Fields.string(json, "module"),
                    Fields.string(json, "peer"), Fields.string(json, "phase"), Fields.longValue(json, "bytesDone"),
                    Fields.longValue(json, "bytesTotal"), Fields.optLong(json, "rate", 0),
                    Fields.optLong(json, "eta", -1));
        }
    }

    public record VerifyReport(String module, boolean equal, List<String> differences) implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("module", module).put("equal", equal)
                    .put("differences", new JsonArray(differences));
        }

        public static VerifyReport fromJson(JsonObject json) {
            Fields.version(json);
            return new VerifyReport(Fields.string(json, "module"), Fields.bool(json, "equal"),
                    Fields.strings(json, "differences"));
        }
    }
}
