package io.steadfast.api;

import io.steadfast.bus.BusMessage;
import io.steadfast.bus.Fields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * Contract of lb-filter-svc: one nftables netdev table per farm module on its interface, whose verdict map keeps
 * the buckets this node owns. Ownership follows the farm members of heartbeat-svc's desired state: every node
 * computes the same bucket table from the same member list, so no coordinator is needed.
 */
public final class LbFilterApi {
    private LbFilterApi() {
    }

    /** Buckets per module (fixed, so that a membership change moves only the buckets of who left or joined). */
    public static final int BUCKETS = 256;

    /**
     * Name of the module's nftables table ({@code netdev}) holding the bucket filter: {@code sf_<module>}; a name
     * with {@code -} (not allowed unquoted in nft) gets {@code _} and a short hash so that {@code a-b} and
     * {@code a_b} never share a table. Part of the contract because vip-svc checks that this table exists before
     * it adds a farm VIP (a VIP without its filter would answer, and reset, every other member's connections).
     */
    public static String tableName(String module) {
        if (module.indexOf('-') < 0) {
            return "sf_" + module;
        }
        try {
            byte[] h = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(module.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return "sf_" + module.replace('-', '_') + "_" + java.util.HexFormat.of().formatHex(h).substring(0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
        }
    }

    /** Request {} → {@link FilterStatuses}. */
    public static String status(String node) {
        return Addresses.request(node, ServiceName.LB_FILTER, "status");
    }

    /** Publication: {@link FilterStatus} whenever the owned buckets of a module change here. */
    public static final String EVENTS = Addresses.event("buckets");

    /**
     * @param owned    buckets accepted on this node
     * @param packets  packets accepted per owned bucket since the bucket was last given to this node (same order
     *                 as owned); read from the kernel for {@link #status} replies, empty in {@link #EVENTS}
     *                 publications (a change is published before any packet could be counted)
     * @param appliedAt when the kernel got this table (ms since epoch)
     */
    public record FilterStatus(String node, String module, String iface, List<String> members, List<Integer> owned,
                               List<Long> packets, long appliedAt, String reason) implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("node", node).put("module", module).put("iface", iface)
                    .put("members", new JsonArray(members)).put("owned", new JsonArray(owned))
                    .put("packets", new JsonArray(packets)).put("appliedAt", appliedAt).put("reason", reason);
        }

        public static FilterStatus fromJson(JsonObject json) {
            Fields.version(json);
            return new FilterStatus(Fields.string(json, "node"), Fields.string(json, "module"),
                    Fields.string(json, "iface"), Fields.strings(json, "members"),
                    Fields.list(json, "owned", o -> ((Number) o).intValue()),
                    Fields.list(json, "packets", o -> ((Number) o).longValue()), Fields.longValue(json, "appliedAt"),
                    Fields.optString(json, "reason").orElse(""));
        }
    }

    public record FilterStatuses(String node, List<FilterStatus> modules) implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("node", node)
                    .put("modules", new JsonArray(modules.stream().map(FilterStatus::toJson).toList()));
        }

        public static FilterStatuses fromJson(JsonObject json) {
            Fields.version(json);
            return new FilterStatuses(Fields.string(json, "node"), Fields.objects(json, "modules", FilterStatus::fromJson));
        }
    }
}
