package io.steadfast.console.impl;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The live feed of {@code GET /api/v1/events} (server-sent events): every change the {@link AggregateView}
 * accepts is written to each open stream whose filters match. A client that cannot keep up (its write queue is
 * full) is disconnected rather than buffered without bound; the page reconnects and reloads the state.
 * Event loop only.
 */
public final class EventStream {
    /** SSE event names. */
    public static final Set<String> TYPES = Set.of("state", "replication", "resync", "vip", "buckets", "checker",
            "log", "node");
    static final int MAX_CLIENTS = 200;

    /** {@code allowed}: whether its reader may still read (false once the session it opened with ended). */
    private record Client(HttpServerResponse response, String module, Set<String> types, BooleanSupplier allowed) {
    }

    private final Set<Client> clients = new LinkedHashSet<>();

    public int size() {
        return clients.size();
    }

    /** Starts a stream; {@code module} null = all modules, {@code types} empty = all types. */
    public void open(HttpServerResponse response, String module, Set<String> types) {
        open(response, module, types, () -> true);
    }

    /** As above; the stream is ended once {@code allowed} turns false (checked by {@link #revalidate}). */
    public void open(HttpServerResponse response, String module, Set<String> types, BooleanSupplier allowed) {
        if (clients.size() >= MAX_CLIENTS) {
            response.setStatusCode(503).putHeader("content-type", "application/json")
                    .end(new JsonObject().put("error", "unavailable").put("message", "too many event streams").encode());
            return;
        }
        Client client = new Client(response, module, Set.copyOf(types), allowed);
        response.setChunked(true).putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-store").putHeader("x-accel-buffering", "no");
        response.setWriteQueueMaxSize(1024 * 1024);
        response.closeHandler(v -> clients.remove(client));
        response.exceptionHandler(e -> clients.remove(client));
        clients.add(client);
        response.write("retry: 2000\n: connected\n\n");
    }

    public void publish(String type, JsonObject data) {
        String frame = frame(type, data.copy().put("emittedAt", System.currentTimeMillis()));
        for (Client c : new ArrayList<>(clients)) {
            if (!c.types.isEmpty() && !c.types.contains(type)) {
                continue;
            }
            String module = data.getString("module");
            if (c.module != null && module != null && !c.module.equals(module)) {
                continue;
            }
            if (c.response.writeQueueFull()) {
                clients.remove(c);
                c.response.reset();
                continue;
            }
            c.response.write(frame);
        }
    }

    /** A comment line now and then keeps proxies from closing an idle stream. */
    public void keepAlive() {
        revalidate();
        clients.forEach(c -> c.response.write(": keep-alive\n\n"));
    }

    /** Ends the streams whose reader may no longer read (signed out, session expired). */
    public void revalidate() {
        for (Client c : new ArrayList<>(clients)) {
            if (!c.allowed.getAsBoolean()) {
                clients.remove(c);
                c.response.end();
            }
        }
    }

    public void closeAll() {
        List<Client> all = new ArrayList<>(clients);
        clients.clear();
        all.forEach(c -> c.response.end());
    }

    /** One SSE frame; JSON has no raw newlines, so one data line suffices. */
    public static String frame(String type, JsonObject data) {
        return "event: " + type + "\ndata: " + data.encode() + "\n\n";
    }
}
