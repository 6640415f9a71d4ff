package io.steadfast.api;

import io.steadfast.bus.BusMessage;
import io.steadfast.bus.Fields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * Contract of vip-svc. Mirror VIP: address on the interface + gratuitous ARP burst. Farm VIP: the shared address
 * with the invisible virtual MAC (DESIGN §4). Requests are idempotent: adding a VIP that is there is a no-op.
 */
public final class VipApi {
    private VipApi() {
    }

    /** Request {@link ModuleRef} → {@link VipStatus}: add the module's VIP here (and announce it). */
    public static String up(String node) {
        return Addresses.request(node, ServiceName.VIP, "up");
    }

    /** Request {@link ModuleRef} → {@link VipStatus}: remove the module's VIP here. */
    public static String down(String node) {
        return Addresses.request(node, ServiceName.VIP, "down");
    }

    /** Request {} → {@link VipStatuses}: every VIP of this node's modules, as the kernel has it. */
    public static String status(String node) {
        return Addresses.request(node, ServiceName.VIP, "status");
    }

    /** Publication: {@link VipStatus} on every change. */
    public static final String EVENTS = Addresses.event("vip");

    public record VipStatus(String node, String module, String addr, String iface, boolean present, String reason)
            implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("node", node).put("module", module).put("addr", addr)
                    .put("iface", iface).put("present", present).put("reason", reason);
        }

        public static VipStatus fromJson(JsonObject json) {
            Fields.version(json);
            return new VipStatus(Fields.string(json, "node"), Fields.string(json, "module"),
                    Fields.string(json, "addr"), Fields.string(json, "iface"), Fields.bool(json, "present"),
                    Fields.optString(json, "reason").orElse(""));
        }
    }

    public record VipStatuses(String node, List<VipStatus> vips) implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("node", node)
                    .put("vips", new JsonArray(vips.stream().map(VipStatus::toJson).toList()));
        }

        public static VipStatuses fromJson(JsonObject json) {
            Fields.version(json);
            return new VipStatuses(Fields.string(json, "node"), Fields.objects(json, "vips", VipStatus::fromJson));
        }
    }
}
