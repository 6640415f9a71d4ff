package io.steadfast.replication.impl;

import io.steadfast.config.SecretFiles;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Mutual challenge-response on the replication channel with the cluster secret (HMAC-SHA256), before any frame.
 *
 * <pre>
 * server → client : MAGIC, nonceS[32]
 * client → server : MAGIC, str module, nonceC[32], HMAC(secret, "client" | module | nonceS | nonceC)
 * server → client : HMAC(secret, "server" | module | nonceC | nonceS)
 * </pre>
 * Each side proves knowledge of the secret on the other's fresh nonce, so neither a replayed handshake nor a
 * reflected one authenticates; the module name is bound in so a connection for one module cannot serve another.
 */
public final class ChannelAuth {
    /**
     * The handshake's first 8 bytes: "SFREPL" and the protocol version. Bumped whenever frames or replies change
     * meaning (02: listings carry an xattr digest and a "more" flag, the XATTRS op; 03: CREATE, MKDIR and SYMLINK
     * carry the creator's owner), so that two builds that would misread each other refuse at once, with a message
     * saying so, instead of failing on the first odd frame.
     */
    static final String PROTOCOL = "SFREPL03";
    private static final byte[] MAGIC = PROTOCOL.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FAMILY = "SFREPL".getBytes(StandardCharsets.US_ASCII);
    private static final int NONCE = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] secret;

    public ChannelAuth(byte[] secret) {
        if (secret.length < SecretFiles.MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("the cluster secret must be at least " + SecretFiles.MIN_SECRET_BYTES
                    + " bytes");
        }
        this.secret = secret.clone();
    }

    /**
     * Reads the secret file through {@link SecretFiles#readClusterSecret} (private to its owner, at least
     * {@link SecretFiles#MIN_SECRET_BYTES}; trailing whitespace, a final newline, is not part of the secret).
     */
    public static ChannelAuth fromFile(Path file) throws IOException {
        byte[] secret = SecretFiles.readClusterSecret(file);
        try {
            return new ChannelAuth(secret);
        } finally {
            java.util.Arrays.fill(secret, (byte) 0);
        }
    }

    public static final class AuthException extends IOException {
        public AuthException(String message) {
            super(message);
        }
    }

    public void serverSide(DataInputStream in, DataOutputStream out, String module) throws IOException {
        byte[] nonceS = nonce();
        out.write(MAGIC);
        out.write(nonceS);
        out.flush();
        expectMagic(in);
        byte[] m = new byte[in.readUnsignedShort()];
        if (m.length > 255) {
            throw new AuthException("module name too long");
        }
        in.readFully(m);
        String peerModule = new String(m, StandardCharsets.UTF_8);
        byte[] nonceC = new byte[NONCE];
        in.readFully(nonceC);
        byte[] proof = new byte[32];
        in.readFully(proof);
        if (!peerModule.equals(module)) {
            throw new AuthException("peer asked for module \"" + peerModule + "\", this port serves \"" + module + "\"");
        }
        if (!MessageDigest.isEqual(proof, mac("client", module, nonceS, nonceC))) {
            throw new AuthException("peer failed authentication (wrong cluster secret?)");
        }
        out.write(mac("server", module, nonceC, nonceS));
        out.flush();
    }

    public void clientSide(DataInputStream in, DataOutputStream out, String module) throws IOException {
        expectMagic(in);
        byte[] nonceS = new byte[NONCE];
        in.readFully(nonceS);
        byte[] nonceC = nonce();
        byte[] m = module.getBytes(StandardCharsets.UTF_8);
        out.write(MAGIC);
        out.writeShort(m.length);
        out.write(m);
        out.write(nonceC);
        out.write(mac("client", module, nonceS, nonceC));
        out.flush();
        byte[] proof = new byte[32];
        in.readFully(proof);
        if (!MessageDigest.isEqual(proof, mac("server", module, nonceC, nonceS))) {
            throw new AuthException("peer failed authentication (wrong cluster secret?)");
        }
    }

    private static void expectMagic(DataInputStream in) throws IOException {
        byte[] magic = new byte[MAGIC.length];
        in.readFully(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            if (Arrays.equals(magic, 0, FAMILY.length, FAMILY, 0, FAMILY.length)) {
                throw new AuthException("the peer speaks replication protocol "
                        + new String(magic, StandardCharsets.US_ASCII).replaceAll("[^\\x20-\\x7e]", "?")
                        + ", this node " + PROTOCOL + ": run the same Steadfast version on both nodes");
            }
            throw new AuthException("not a steadfast replication peer");
        }
    }

    private byte[] mac(String role, String module, byte[] n1, byte[] n2) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(role.getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) 0);
            mac.update(module.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            mac.update(n1);
            mac.update(n2);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private static byte[] nonce() {
        byte[] n = new byte[NONCE];
        RANDOM.nextBytes(n);
        return n;
    }
}
