package io.steadfast.config;

import io.steadfast.config.impl.Formats;

import java.util.Objects;

/**
 * A split-brain witness: {@code "198.18.0.1"} (or {@code "ping:198.18.0.1"}) is reached by ping,
 * {@code "tcp:198.18.0.1:80"} by a TCP connect. IPv4 only: an HA decision must not wait on DNS.
 * {@code port} is 0 for ping.
 */
public record WitnessTarget(Kind kind, String host, int port) {
    public enum Kind { PING, TCP }

    private static final String FORMAT = "(use an IPv4 address for ping, or tcp:<addr>:<port>)";

    public WitnessTarget {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(host, "host");
    }

    /** @throws IllegalArgumentException with a message fit for an operator */
    public static WitnessTarget parse(String text) {
        String bad = "\"" + text + "\" is not a witness " + FORMAT;
        if (text.startsWith("tcp:")) {
            String rest = text.substring(4);
            int colon = rest.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException(bad);
            }
            String host = rest.substring(0, colon);
            String port = rest.substring(colon + 1);
            if (!Formats.isIpv4(host) || !port.matches("[1-9]\\d{0,4}") || Integer.parseInt(port) > 65535) {
                throw new IllegalArgumentException(bad);
            }
            return new WitnessTarget(Kind.TCP, host, Integer.parseInt(port));
        }
        String host = text.startsWith("ping:") ? text.substring(5) : text;
        if (!Formats.isIpv4(host)) {
            throw new IllegalArgumentException(bad);
        }
        return new WitnessTarget(Kind.PING, host, 0);
    }

    /** The config spelling, so that {@code parse(t.toString()).equals(t)}. */
    @Override
    public String toString() {
        return kind == Kind.TCP ? "tcp:" + host + ":" + port : host;
    }
}
