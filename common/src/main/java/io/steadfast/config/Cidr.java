package io.steadfast.config;

import io.steadfast.config.impl.Formats;

import java.util.Objects;

/** An IPv4 address with a prefix length, written {@code a.b.c.d/len}. */
public record Cidr(String address, int prefix) {
    public Cidr {
        Objects.requireNonNull(address, "address");
    }

    /**
     * Parses {@code a.b.c.d/len} (strict dotted quad, len 0..32).
     *
     * @throws IllegalArgumentException with a message fit for an operator
     */
    public static Cidr parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("\"" + text + "\" is not an IPv4 CIDR (a.b.c.d/len, len 0..32)");
        }
        String addr = text.substring(0, slash);
        String len = text.substring(slash + 1);
        if (!Formats.isIpv4(addr) || !len.matches("\\d{1,2}") || (len.length() > 1 && len.charAt(0) == '0')
                || Integer.parseInt(len) > 32) {
            throw new IllegalArgumentException("\"" + text + "\" is not an IPv4 CIDR (a.b.c.d/len, len 0..32)");
        }
        return new Cidr(addr, Integer.parseInt(len));
    }

    /** The four address bytes. */
    public byte[] bytes() {
        return Formats.ipv4(address).orElseThrow(() -> new IllegalStateException("not IPv4: " + address));
    }

    @Override
    public String toString() {
        return address + "/" + prefix;
    }
}
