package io.steadfast.api;

import io.steadfast.bus.BusMessage;
import io.steadfast.bus.Fields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;

/**
 * Contract shared by every service and the node agent: health of each service, and the presence of each agent
 * JVM in the cluster (which node, which services, which Vert.x cluster node id — so that a Hazelcast
 * "member left" can be mapped back to a Steadfast node at once).
 */
public final class NodeApi {
    private NodeApi() {
    }

    /** Request-reply: empty body → {@link ServiceHealth}. Every service answers it. */
    public static String health(String node, ServiceName service) {
        return Addresses.request(node, service, "health");
    }

    /** Publication: {@link Presence}, every {@link #PRESENCE_INTERVAL} from every agent JVM. */
    public static final String PRESENCE = Addresses.event("presence");

    public static final Duration PRESENCE_INTERVAL = Duration.ofSeconds(1);

    /**
     * One service's health: {@code up} false = its work has failed ({@code reason} says what); {@code warnings}:
     * degraded but working (an up service with warnings answers 200 in {@code /health}).
     */
    public record ServiceHealth(String node, ServiceName service, boolean up, String reason, JsonObject details,
                                List<String> warnings) implements BusMessage {
        public ServiceHealth {
            warnings = List.copyOf(warnings);
        }

        public ServiceHealth(String node, ServiceName service, boolean up, String reason, JsonObject details) {
            this(node, service, up, reason, details, List.of());
        }

        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("node", node).put("service", service.id())
                    .put("up", up).put("reason", reason).put("warnings", new JsonArray(warnings))
                    .put("details", details);
        }

        public static ServiceHealth fromJson(JsonObject json) {
            Fields.version(json);
            String id = Fields.string(json, "service");
            ServiceName svc = ServiceName.of(id).orElseThrow(
                    () -> new io.steadfast.bus.BadMessageException("service: unknown service \"" + id + "\""));
            return new ServiceHealth(Fields.string(json, "node"), svc, Fields.bool(json, "up"),
                    Fields.optString(json, "reason").orElse(""),
                    json.getValue("details") == null ? new JsonObject() : Fields.obj(json, "details"),
                    json.getValue("warnings") == null ? List.of() : Fields.strings(json, "warnings"));
        }
    }

    /** One agent JVM: {@code steadfast node} runs all services, {@code steadfast svc X} one. */
    public record Presence(String node, String clusterNodeId, List<ServiceName> services, long pid, long startedAt)
            implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("node", node).put("clusterNodeId", clusterNodeId)
                    .put("services", new JsonArray(services.stream().map(ServiceName::id).toList()))
                    .put("pid", pid).put("startedAt", startedAt);
        }

        public static Presence fromJson(JsonObject json) {
            Fields.version(json);
            List<ServiceName> services = Fields.strings(json, "services").stream()
                    .map(s -> ServiceName.of(s).orElseThrow(
                            () -> new io.steadfast.bus.BadMessageException("services: unknown service \"" + s + "\"")))
                    .toList();
            return new Presence(Fields.string(json, "node"), Fields.string(json, "clusterNodeId"), services,
                    Fields.longValue(json, "pid"), Fields.longValue(json, "startedAt"));
        }
    }
}
