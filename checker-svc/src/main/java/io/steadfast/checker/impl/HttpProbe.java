package io.steadfast.checker.impl;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Up when {@code GET url} answers 2xx or 3xx (redirects are not followed) within the timeout, and, when
 * {@code expect} is set, the first 64 KiB of the body contain it.
 */
public record HttpProbe(Supplier<HttpClient> client, URI url, Optional<String> expect) implements Probe {
    static final int MAX_BODY = 64 * 1024;

    /** One client for all http checkers: it owns a selector thread. */
    public static HttpClient newClient() {
        return HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    /**
     * The shared client, built on first use by a probe (on its virtual thread): building one initialises the
     * JDK's TLS providers, which takes seconds on a busy machine and must not happen on the event loop.
     */
    public static final class SharedClient implements Supplier<HttpClient>, AutoCloseable {
        private HttpClient client;

        public synchronized HttpClient get() {
            if (client == null) {
                client = newClient();
            }
            return client;
        }

        public synchronized void close() {
            if (client != null) {
                client.close();
            }
        }
    }

    @Override
    public Outcome probe(Duration timeout) throws InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(url).timeout(timeout).GET().build();
        long t0 = System.nanoTime();
        try {
            HttpResponse<InputStream> resp = client.get().send(req, HttpResponse.BodyHandlers.ofInputStream());
            int status = resp.statusCode();
            try (InputStream body = resp.body()) {
                if (status < 200 || status >= 400) {
                    return Outcome.down("GET " + url + " answered " + status);
                }
                if (expect.isPresent()) {
                    String text = new String(body.readNBytes(MAX_BODY), StandardCharsets.UTF_8);
                    if (!text.contains(expect.get())) {
                        return Outcome.down("GET " + url + " answered " + status + " without \"" + expect.get() + "\"");
                    }
                }
            }
            return Outcome.up("GET " + url + " answered " + status + " in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (HttpTimeoutException e) {
            return Outcome.down("GET " + url + " timed out after " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            return Outcome.down("GET " + url + " failed: " + (e.getMessage() == null ? e.getClass().getSimpleName()
                    : e.getMessage()));
        }
    }
}
