package io.steadfast.checker.impl;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * Up when a TCP connection to {@code host:port} is established within the timeout. An application that is hung
 * but whose listening socket is still open is seen once its accept queue is full (the kernel then drops new SYNs
 * and the connect times out); use an http or custom checker to see hangs sooner.
 */
public record TcpProbe(String host, int port) implements Probe {
    public static TcpProbe parse(String target) {
        int colon = target.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("\"" + target + "\" is not host:port");
        }
        return new TcpProbe(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)));
    }

    @Override
    public Outcome probe(Duration timeout) {
        String where = host + ":" + port;
        long t0 = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), (int) Math.max(1, timeout.toMillis()));
            return Outcome.up("connected to " + where + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (SocketTimeoutException e) {
            return Outcome.down("connect to " + where + " timed out after " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            return Outcome.down("connect to " + where + " failed: " + e.getMessage());
        }
    }
}
