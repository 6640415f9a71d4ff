package io.steadfast.api;

import io.steadfast.bus.BadMessageException;
import io.steadfast.bus.BusMessage;
import io.steadfast.bus.Fields;
import io.steadfast.config.FailureAction;
import io.steadfast.config.ModuleType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Optional;

/**
 * Contract of heartbeat-svc, the authority for module roles on its node.
 *
 * <p>It publishes each module's {@link ModuleState} on change, and the node's {@link DesiredState} (what the
 * node-local services must make true: role, VIP, farm members, replication peer) on change and every
 * {@link #DESIRED_REPUBLISH_MS}. Node-local services reconcile to the latest desired state; a restarted service
 * asks for it with {@link #desired(String)}.
 */
public final class HeartbeatApi {
    private HeartbeatApi() {
    }

    public static final long DESIRED_REPUBLISH_MS = 2000;

    /** Request {@link CommandRequest} → {@link CommandReply}; failure CONFLICT when the command is not allowed now. */
    public static String command(String node) {
        return Addresses.request(node, ServiceName.HEARTBEAT, "command");
    }

    /** Request from checker-svc: a failover rule fired ({@link ActionRequest}) → {@link CommandReply}. */
    public static String action(String node) {
        return Addresses.request(node, ServiceName.HEARTBEAT, "action");
    }

    /** Request {} → {@link NodeStates}: every module of that node. */
    public static String states(String node) {
        return Addresses.request(node, ServiceName.HEARTBEAT, "states");
    }

    /** Request {} → {@link DesiredState} of that node. */
    public static String desired(String node) {
        return Addresses.request(node, ServiceName.HEARTBEAT, "desired");
    }

    /** Publication: {@link ModuleState} of one module on one node, on every change. */
    public static final String MODULE_STATE = Addresses.event("module-state");
    /** Publication: {@link DesiredState} of one node. */
    public static final String DESIRED = Addresses.event("desired");

    public record ModuleState(String node, String module, ModuleType type, State state, Readiness readiness,
                              String reason, String generation, boolean upToDate, long since, JsonObject details)
            implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("node", node).put("module", module)
                    .put("type", type.name()).put("state", state.name()).put("readiness", readiness.name())
                    .put("reason", reason).put("generation", generation).put("upToDate", upToDate)
                    .put("since", since).put("details", details);
        }

        public static ModuleState fromJson(JsonObject json) {
            Fields.version(json);
            return new ModuleState(Fields.string(json, "node"), Fields.string(json, "module"),
                    Fields.enumValue(json, "type", ModuleType.class), Fields.enumValue(json, "state", State.class),
                    Fields.enumValue(json, "readiness", Readiness.class),
                    Fields.optString(json, "reason").orElse(""), Fields.optString(json, "generation").orElse(""),
                    Fields.optBool(json, "upToDate", false), Fields.longValue(json, "since"),
                    json.getValue("details") == null ? new JsonObject() : Fields.obj(json, "details"));
        }
    }

    public record NodeStates(String node, List<ModuleState> modules) implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("node", node)
                    .put("modules", new JsonArray(modules.stream().map(ModuleState::toJson).toList()));
        }

        public static NodeStates fromJson(JsonObject json) {
            Fields.version(json);
            return new NodeStates(Fields.string(json, "node"), Fields.objects(json, "modules", ModuleState::fromJson));
        }
    }

    /** {@code options}: e.g. {@code fullsync} for prim/second. */
    public record CommandRequest(String module, Command command, List<String> options) implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("module", module).put("command", command.id())
                    .put("options", new JsonArray(options));
        }

        public static CommandRequest fromJson(JsonObject json) {
            Fields.version(json);
            String c = Fields.string(json, "command");
            Command command = Command.of(c).orElseThrow(() -> new BadMessageException(
                    "command: \"" + c + "\" is not one of start, stop, restart, stopstart, forcestop, prim, second, swap"));
            return new CommandRequest(Fields.string(json, "module"), command, Fields.strings(json, "options"));
        }
    }

    public record CommandReply(String node, String module, String message, State state) implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("node", node).put("module", module)
                    .put("message", message).put("state", state.name());
        }

        public static CommandReply fromJson(JsonObject json) {
            Fields.version(json);
            return new CommandReply(Fields.string(json, "node"), Fields.string(json, "module"),
                    Fields.optString(json, "message").orElse(""), Fields.enumValue(json, "state", State.class));
        }
    }

    /**
     * A failover rule fired on this node (checker-svc → heartbeat-svc). {@code resume} = the checker that parked
     * the module with WAIT is up again.
     */
    public record ActionRequest(String module, FailureAction action, String checker, String reason, boolean resume)
            implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("module", module).put("action", action.name())
                    .put("checker", checker).put("reason", reason).put("resume", resume);
        }

        public static ActionRequest fromJson(JsonObject json) {
            Fields.version(json);
            return new ActionRequest(Fields.string(json, "module"), Fields.enumValue(json, "action", FailureAction.class),
                    Fields.string(json, "checker"), Fields.optString(json, "reason").orElse(""),
                    Fields.optBool(json, "resume", false));
        }
    }

    /** What a node's services must make true for one module. */
    public enum Role {
        /** Nothing of this module runs here: no VIP, no filter, replication idle. */
        NONE,
        /** Mirror primary (PRIM or ALONE): VIP here, replication source. */
        PRIMARY,
        /** Mirror secondary: replication target, directory read-only, no VIP. */
        SECONDARY,
        /** Farm member (UP): shared VIP + kernel filter for the owned buckets. */
        MEMBER
    }

    /**
     * @param peer       mirror: the other node when replicating (empty when ALONE or NONE)
     * @param members    farm: the UP nodes of the module, in config order (every node computes the same buckets)
     * @param generation mirror: the data generation this node holds
     * @param fenced     mirror PRIMARY that lost its peer and asks the split-brain witness: the VIP is withdrawn
     *                   (the application keeps running) until the witness answers, so that a SECOND taking over on
     *                   the other side of a cut never shares the VIP with it
     */
    public record ModuleDesired(String module, ModuleType type, Role role, Optional<String> peer,
                                List<String> members, String generation, boolean fenced) implements BusMessage {
        public ModuleDesired(String module, ModuleType type, Role role, Optional<String> peer, List<String> members,
                             String generation) {
            this(module, type, role, peer, members, generation, false);
        }

        public JsonObject toJson() {
            JsonObject json = new JsonObject().put("v", VERSION).put("module", module).put("type", type.name())
                    .put("role", role.name()).put("members", new JsonArray(members)).put("generation", generation);
            peer.ifPresent(p -> json.put("peer", p));
            if (fenced) {
                json.put("fenced", true);
            }
            return json;
        }

        public static ModuleDesired fromJson(JsonObject json) {
            Fields.version(json);
            return new ModuleDesired(Fields.string(json, "module"), Fields.enumValue(json, "type", ModuleType.class),
                    Fields.enumValue(json, "role", Role.class), Fields.optString(json, "peer"),
                    Fields.strings(json, "members"), Fields.optString(json, "generation").orElse(""),
                    Fields.optBool(json, "fenced", false));
        }

        /** Whether this node's VIP of the module should be present ({@code want}: PRIMARY or MEMBER). */
        public boolean vipPresent(Role want) {
            return role == want && !fenced;
        }
    }

    /** {@code seq} grows with every change, so a service can ignore an older desired state that arrives late. */
    public record DesiredState(String node, long seq, List<ModuleDesired> modules) implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("node", node).put("seq", seq)
                    .put("modules", new JsonArray(modules.stream().map(ModuleDesired::toJson).toList()));
        }

        public static DesiredState fromJson(JsonObject json) {
            Fields.version(json);
            return new DesiredState(Fields.string(json, "node"), Fields.longValue(json, "seq"),
                    Fields.objects(json, "modules", ModuleDesired::fromJson));
        }

        public Optional<ModuleDesired> module(String name) {
            return modules.stream().filter(m -> m.module().equals(name)).findFirst();
        }
    }
}
