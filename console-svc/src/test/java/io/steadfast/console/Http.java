package io.steadfast.console;

import io.vertx.core.json.JsonObject;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;

/** A small blocking HTTP client for the tests (trusts any certificate: the TLS test uses a self-signed one). */
public final class Http {
    public record Reply(int status, String body, HttpResponse<String> raw) {
        public JsonObject json() {
            return new JsonObject(body);
        }

        public String error() {
            return json().getString("error");
        }
    }

    private final String base;
    private final HttpClient client;

    public Http(String base) {
        this.base = base;
        try {
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, new TrustManager[]{new X509TrustManager() {
                public void checkClientTrusted(X509Certificate[] c, String a) {
                }

                public void checkServerTrusted(X509Certificate[] c, String a) {
                }

                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, new SecureRandom());
            this.client = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    public Reply get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    /** POST with the CSRF header; {@code auth} null = no Authorization header. */
    public Reply post(String path, String auth, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .header(ConsoleVerticle.CSRF_HEADER, "test").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) {
            b.header("authorization", auth);
        }
        return send(b);
    }

    public Reply send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> r = client.send(request.timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body(), r);
    }

    public HttpClient client() {
        return client;
    }

    public String base() {
        return base;
    }
}
