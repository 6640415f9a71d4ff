package io.steadfast.lab;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Shape of a lab.
 *
 * @param prefix         unique per run; namespaces are {@code <prefix>-sw}, {@code <prefix>-n<i>}, {@code <prefix>-c<j>}
 * @param nodes          number of nodes (node1..nodeN), 1..200
 * @param clients        number of clients (client 1..M), 0..240
 * @param secondLan      whether lan2 (198.19.0.0/16, bridge br2, node interface eth1) exists
 * @param extraAddrs     extra source addresses per client on lan1 ({@code 198.18.(10+j).k/16}, k = 1..N), 0..250
 * @param ipv6           keep IPv6 enabled in the lab namespaces (off by default: the lab is IPv4-only)
 */
public record LabSpec(String prefix, int nodes, int clients, boolean secondLan, int extraAddrs, boolean ipv6) {

    /** Lowercase, starts with a letter, at most 10 chars: {@code <prefix>-c240} must stay within 15 chars. */
    static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9]{0,9}");

    public LabSpec {
        if (prefix == null || !PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("prefix must match " + PREFIX + ": " + prefix);
        }
        if (nodes < 1 || nodes > 200) {
            throw new IllegalArgumentException("nodes must be 1..200: " + nodes);
        }
        if (clients < 0 || clients > 240) {
            throw new IllegalArgumentException("clients must be 0..240: " + clients);
        }
        if (extraAddrs < 0 || extraAddrs > 250) {
            throw new IllegalArgumentException("extraAddrs must be 0..250: " + extraAddrs);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** "sf" + 5 random hex chars. */
    public static String randomPrefix() {
        byte[] b = new byte[3];
        new SecureRandom().nextBytes(b);
        return "sf" + HexFormat.of().formatHex(b).substring(0, 5);
    }

    public static final class Builder {
        private String prefix;
        private int nodes = 2;
        private int clients = 0;
        private boolean secondLan = false;
        private int extraAddrs = 0;
        private boolean ipv6 = false;

        public Builder prefix(String p) {
            this.prefix = p;
            return this;
        }

        public Builder nodes(int n) {
            this.nodes = n;
            return this;
        }

        public Builder clients(int n) {
            this.clients = n;
            return this;
        }

        public Builder secondLan(boolean b) {
            this.secondLan = b;
            return this;
        }

        public Builder extraAddrs(int n) {
            this.extraAddrs = n;
            return this;
        }

        public Builder ipv6(boolean b) {
            this.ipv6 = b;
            return this;
        }

        public LabSpec build() {
            return new LabSpec(prefix != null ? prefix : randomPrefix(), nodes, clients, secondLan, extraAddrs, ipv6);
        }
    }
}
