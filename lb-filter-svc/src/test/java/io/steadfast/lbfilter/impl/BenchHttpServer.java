package io.steadfast.lbfilter.impl;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * Benchmark app (run inside a lab node namespace by {@link FarmBench}): answers every request with the node name,
 * keep-alive, no logging — fast enough that the kernel filter's cost is not hidden behind the app's.
 */
public final class BenchHttpServer {
    private BenchHttpServer() {
    }

    public static void main(String[] args) throws IOException {
        byte[] body = (args[0] + "\n").getBytes(StandardCharsets.UTF_8);
        HttpServer server = HttpServer.create(new InetSocketAddress(Integer.parseInt(args[1])), 1024);
        server.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }
}
