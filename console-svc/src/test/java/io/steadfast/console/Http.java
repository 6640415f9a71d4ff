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
    /** Authorization sent with every GET (null: anonymous). */
    private final String auth;

    public Http(String base) {
        this(base, null, null);
    }

    private Http(String base, String auth, java.net.InetAddress local) {
        this.base = base;
        this.auth = auth;
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
            HttpClient.Builder b = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5));
            if (local != null) {
                b.localAddress(local);
            }
            this.client = b.build();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** The same console, sending {@code authorization} with every GET (e.g. {@link #basic}, "Bearer sft_…"). */
    public Http as(String authorization) {
        return new Http(base, authorization, null);
    }

    /** A client whose connections come from {@code local} (e.g. 127.0.0.2: another client address), anonymous. */
    public Http from(String local) throws java.net.UnknownHostException {
        return new Http(base, null, java.net.InetAddress.getByName(local));
    }

    public Reply get(String path) throws Exception {
        return get(path, auth);
    }

    /** GET with {@code authorization} (null: none). */
    public Reply get(String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).GET();
        if (authorization != null) {
            b.header("authorization", authorization);
        }
        return send(b);
    }

    /** A request with the CSRF header (and {@code authorization} unless null): DELETE, or POST with a body. */
    public Reply call(String method, String path, String authorization, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .header(ConsoleVerticle.CSRF_HEADER, "test").header("content-type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("authorization", authorization);
        }
        return send(b);
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
