package io.steadfast.api;

import io.steadfast.bus.BusMessage;
import io.steadfast.bus.Fields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * Contract of checker-svc: application scripts (run as argv with the module's timeout; arguments: current state,
 * next state, action), process supervision, checkers, and the module log.
 */
public final class CheckerApi {
    private CheckerApi() {
    }

    /** Request {@link ScriptRequest} → {@link ScriptResult}. A script that is not configured succeeds, skipped. */
    public static String script(String node) {
        return Addresses.request(node, ServiceName.CHECKER, "script");
    }

    /** Request {@link CheckerToggle} → {@link CheckerStatuses}: disable/enable checkers for maintenance. */
    public static String toggle(String node) {
        return Addresses.request(node, ServiceName.CHECKER, "toggle");
    }

    /** Request {} → {@link CheckerStatuses}: every checker of this node. */
    public static String checkers(String node) {
        return Addresses.request(node, ServiceName.CHECKER, "checkers");
    }

    /** Request {@link LogRequest} → {@link LogLines}: the tail of a module's log on this node. */
    public static String log(String node) {
        return Addresses.request(node, ServiceName.CHECKER, "log");
    }

    /** Publication: {@link CheckerStatus} when a checker changes (and its first result). */
    public static final String CHECKER_EVENTS = Addresses.event("checker");
    /** Publication: {@link LogLine} for each line of a module's log (script output, actions). */
    public static final String MODULE_LOG = Addresses.event("module-log");

    public enum Script {
        PRESTART, START_PRIM, STOP_PRIM, START_BOTH, STOP_BOTH, POSTSTOP
    }

    public enum Status {
        INIT, UP, DOWN, DISABLED
    }

    /** {@code force}: the second call of a stop script, after the graceful one failed or timed out. */
    public record ScriptRequest(String module, Script script, State current, State next, String action,
                                boolean force) implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("module", module).put("script", script.name())
                    .put("current", current.name()).put("next", next.name()).put("action", action)
                    .put("force", force);
        }

        public static ScriptRequest fromJson(JsonObject json) {
            Fields.version(json);
            return new ScriptRequest(Fields.string(json, "module"), Fields.enumValue(json, "script", Script.class),
                    Fields.enumValue(json, "current", State.class), Fields.enumValue(json, "next", State.class),
                    Fields.string(json, "action"), Fields.optBool(json, "force", false));
        }
    }

    /** {@code exitCode} -1 when it timed out or could not start; {@code skipped} when not configured. */
    public record ScriptResult(String module, Script script, int exitCode, boolean timedOut, boolean skipped,
                               String output) implements BusMessage {
        public boolean ok() {
            return skipped || (exitCode == 0 && !timedOut);
        }

        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("module", module).put("script", script.name())
                    .put("exitCode", exitCode).put("timedOut", timedOut).put("skipped", skipped).put("output", output);
        }

        public static ScriptResult fromJson(JsonObject json) {
            Fields.version(json);
            return new ScriptResult(Fields.string(json, "module"), Fields.enumValue(json, "script", Script.class),
                    Fields.intValue(json, "exitCode"), Fields.bool(json, "timedOut"), Fields.bool(json, "skipped"),
                    Fields.optString(json, "output").orElse(""));
        }
    }

    /** {@code checker} "*" = every checker of the module. */
    public record CheckerToggle(String module, String checker, boolean enabled) implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("module", module).put("checker", checker)
                    .put("enabled", enabled);
        }

        public static CheckerToggle fromJson(JsonObject json) {
            Fields.version(json);
            return new CheckerToggle(Fields.string(json, "module"), Fields.string(json, "checker"),
                    Fields.bool(json, "enabled"));
        }
    }

    public record CheckerStatus(String node, String module, String checker, Status status, String reason, long at)
            implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("node", node).put("module", module)
                    .put("checker", checker).put("status", status.name()).put("reason", reason).put("at", at);
        }

        public static CheckerStatus fromJson(JsonObject json) {
            Fields.version(json);
            return new CheckerStatus(Fields.string(json, "node"), Fields.string(json, "module"),
                    Fields.string(json, "checker"), Fields.enumValue(json, "status", Status.class),
                    Fields.optString(json, "reason").orElse(""), Fields.longValue(json, "at"));
        }
    }

    public record CheckerStatuses(String node, List<CheckerStatus> checkers) implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("node", node)
                    .put("checkers", new JsonArray(checkers.stream().map(CheckerStatus::toJson).toList()));
        }

        public static CheckerStatuses fromJson(JsonObject json) {
            Fields.version(json);
            return new CheckerStatuses(Fields.string(json, "node"),
                    Fields.objects(json, "checkers", CheckerStatus::fromJson));
        }
    }

    public record LogRequest(String module, int lines) implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("module", module).put("lines", lines);
        }

        public static LogRequest fromJson(JsonObject json) {
            Fields.version(json);
            return new LogRequest(Fields.string(json, "module"), (int) Fields.optLong(json, "lines", 200));
        }
    }

    public record LogLine(String node, String module, long at, String line) implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("node", node).put("module", module).put("at", at)
                    .put("line", line);
        }

        public static LogLine fromJson(JsonObject json) {
            Fields.version(json);
            return new LogLine(Fields.string(json, "node"), Fields.string(json, "module"),
                    Fields.longValue(json, "at"), Fields.optString(json, "line").orElse(""));
        }
    }

    public record LogLines(String node, String module, List<LogLine> lines) implements BusMessage {
        public JsonObject toJson() {
            return new JsonObject().put("v", VERSION).put("node", node).put("module", module)
                    .put("lines", new JsonArray(lines.stream().map(LogLine::toJson).toList()));
        }

        public static LogLines fromJson(JsonObject json) {
            Fields.version(json);
            return new LogLines(Fields.string(json, "node"), Fields.string(json, "module"),
                    Fields.objects(json, "lines", LogLine::fromJson));
        }
    }
}
