package io.steadfast.node.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * How admin commands reach the cluster: the console's HTTP API on any node (every console shows the whole
 * cluster). Credentials come from {@code STEADFAST_TOKEN}.
 */
public final class ConsoleClient {
    public static final String DEFAULT_URL = "http://127.0.0.1:9400";
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final URI base;
    private final Optional<String> token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    public ConsoleClient(String baseUrl, Optional<String> token) {
        this.base = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
        this.token = token;
    }

    /** A console answer: the HTTP status and its JSON body. */
    public record Answer(int status, JsonObject body) {
        public boolean ok() {
            return status / 100 == 2;
        }

        public String errorText() {
            return body.getString("error", "http-" + status) + ": " + body.getString("message", "");
        }
    }

    public Answer get(String path) throws IOException {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    public Answer post(String path, JsonObject body) throws IOException {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode())));
    }

    private Answer send(HttpRequest.Builder request) throws IOException {
        request.timeout(TIMEOUT);
        token.ifPresent(t -> request.header("authorization", "Bearer " + t));
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

    public String baseUrl() {
        return base.toString();
    }
}
