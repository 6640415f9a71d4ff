package io.steadfast.api;

import io.steadfast.bus.BusMessage;
import io.steadfast.bus.Fields;
import io.vertx.core.json.JsonObject;

/** A request that names only a module: the service reads the rest from the config. */
public record ModuleRef(String module) implements BusMessage {
    public JsonObject toJson() {
        return new JsonObject().put("v", VERSION).put("module", module);
    }

    public static ModuleRef fromJson(JsonObject json) {
        Fields.version(json);
        return new ModuleRef(Fields.string(json, "module"));
    }
}
