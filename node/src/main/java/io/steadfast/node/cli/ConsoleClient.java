package io.steadfast.node.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.function.BiPredicate;

/**
 * How admin commands reach the cluster: the console's HTTP API on any node (every console shows the whole
 * cluster). Credentials (from {@code STEADFAST_TOKEN} or {@code --user}) are {@code user:password}, sent as HTTP
 * Basic, or a session token of {@code POST /api/v1/session} (no ':'), sent as {@code Bearer}; they go with every
 * request, reads and the event stream included (the console serves only its probes anonymously). Every POST
 * carries the console's CSRF header.
 */
public final class ConsoleClient {
    public static final String DEFAULT_URL = "http://127.0.0.1:9400";
    /** Must match ConsoleVerticle.CSRF_HEADER. */
    static final String CSRF_HEADER = "X-Steadfast-Request";
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** A role change waits for scripts; the console gives heartbeat-svc 60 s. */
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);
    static final Duration VERIFY_TIMEOUT = Duration.ofMinutes(35);

    private final URI base;
    private final Optional<String> credentials;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();

    /** @param credentials {@code user:password}, or a session token */
    public ConsoleClient(String baseUrl, Optional<String> credentials) {
        this.base = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
        this.credentials = credentials;
    }

    /** A console answer: the HTTP status and its JSON body. */
    public record Answer(int status, JsonObject body) {
        public boolean ok() {
            return status / 100 == 2;
        }

        public String errorText() {
            return body.getString("error", "http-" + status) + ": " + body.getString("message", "")
                    + (status == 401 ? " — set STEADFAST_TOKEN=user:password (or a session token), or use --user NAME"
                    : "");
        }
    }

    public Answer get(String path) throws IOException {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET(), TIMEOUT);
    }

    public Answer post(String path, JsonObject body) throws IOException {
        return post(path, body, COMMAND_TIMEOUT);
    }

    public Answer post(String path, JsonObject body, Duration timeout) throws IOException {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("content-type", "application/json")
                .header(CSRF_HEADER, "cli").POST(HttpRequest.BodyPublishers.ofString(body.encode())), timeout);
    }

    /**
     * Follows a server-sent event stream, calling {@code onEvent(type, data)} for each event until it returns
     * false or the stream ends. Returns the HTTP status (200 when the stream was opened).
     */
    public int events(String path, BiPredicate<String, JsonObject> onEvent) throws IOException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path)).GET();
        authorization().ifPresent(a -> builder.header("authorization", a));
        HttpRequest request = builder.build();
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                if (response.statusCode() != 200) {
                    return response.statusCode();
                }
                String type = "message";
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("event: ")) {
                        type = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        JsonObject data;
                        try {
                            data = new JsonObject(line.substring(6));
                        } catch (DecodeException e) {
                            continue;
                        }
                        if (!onEvent.test(type, data)) {
                            break;
                        }
                    } else if (line.isEmpty()) {
                        type = "message";
                    }
                }
                return 200;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private Answer send(HttpRequest.Builder request, Duration timeout) throws IOException {
        request.timeout(timeout);
        authorization().ifPresent(a -> request.header("authorization", a));
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonObject body;
            try {
                body = response.body().isBlank() ? new JsonObject() : new JsonObject(response.body());
            } catch (DecodeException e) {
                body = new JsonObject().put("error", "bad-answer").put("message", response.body());
            }
            return new Answer(response.statusCode(), body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** {@code Basic} for user:password, {@code Bearer} for a session token. */
    Optional<String> authorization() {
        return credentials.map(c -> c.indexOf(':') > 0
                ? "Basic " + Base64.getEncoder().encodeToString(c.getBytes(StandardCharsets.UTF_8))
                : "Bearer " + c);
    }

    public String baseUrl() {
        return base.toString();
    }
}
