package io.steadfast.bus;

import io.vertx.core.json.JsonObject;

/**
 * A message on the event bus. Every message is an immutable record that writes itself as a {@link JsonObject}
 * (the wire form) with a {@code v} version field, and has a static {@code fromJson(JsonObject)} that throws
 * {@link BadMessageException} on anything it does not understand. Receivers never trust the sender.
 */
public interface BusMessage {
    /** Version written in every message; a receiver rejects versions newer than it knows. */
    int VERSION = 1;

    JsonObject toJson();
}
