package io.steadfast.replication.impl;

import io.steadfast.config.SecretFiles;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
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
 * Mutual challenge-response on the replication channel with the cluster secret (HMAC-SHA256), before any frame,
 * and the derivation of the session's frame keys ({@link FrameCipher}).
 *
 * <pre>
 * server → client : MAGIC, str serverNode, nonceS[32]
 * client → server : MAGIC, str module, str clientNode, nonceC[32],
 *                   HMAC(secret, MAGIC "client" | module | clientNode | serverNode | nonceS | nonceC)
 * server → client : HMAC(secret, MAGIC "server" | module | clientNode | serverNode | nonceC | nonceS)
 * str = uint16 length (≤ 255) + UTF-8
 *
 * session keys: HKDF-SHA256(salt = nonceS | nonceC, ikm = secret,
 *                           info = MAGIC " c2s|s2c" | module | clientNode | serverNode), 32 bytes each
 * </pre>
 * Each side proves knowledge of the secret on the other's fresh nonce, so neither a replayed handshake nor a
 * reflected one authenticates; the module and both node names are bound in, and each side accepts only the node
 * its configuration names as the module's peer (the primary connects only to its configured peer, the secondary
 * accepts only its configured peer). Every frame after the handshake is sealed with AES-256-GCM under a key of
 * its direction; the keys depend on both fresh nonces, so no two sessions share one.
 */
public final class ChannelAuth {
    /**
     * The handshake's first 8 bytes: "SFREPL" and the protocol version. Bumped whenever frames or replies change
     * meaning (02: listings carry an xattr digest and a "more" flag, the XATTRS op; 03: CREATE, MKDIR and SYMLINK
     * carry the creator's owner; 04: node names in the handshake, every frame sealed with AES-256-GCM), so that
     * two builds that would misread each other refuse at once, with a message saying so, instead of failing on
     * the first odd frame.
     */
    static final String PROTOCOL = "SFREPL04";
    private static final byte[] MAGIC = PROTOCOL.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FAMILY = "SFREPL".getBytes(StandardCharsets.US_ASCII);
    private static final int NONCE = 32;
    private static final int MAX_NAME = 255;
    /** Nonce prefixes of the two directions (distinct even though their keys already are). */
    static final int PREFIX_C2S = 0x43325331; // "C2S1"
    static final int PREFIX_S2C = 0x53324331; // "S2C1"
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] secret;
    private final String self;
    private final String peer;

    /**
     * @param self this node's name
     * @param peer the node the module's configuration names as this node's peer: the only one this node's
     *             channel talks to
     */
    public ChannelAuth(byte[] secret, String self, String peer) {
        if (secret.length < SecretFiles.MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("the cluster secret must be at least " + SecretFiles.MIN_SECRET_BYTES
                    + " bytes");
        }
        checkName("this node's name", self);
        checkName("the peer's name", peer);
        this.secret = secret.clone();
        this.self = self;
        this.peer = peer;
    }

    private static void checkName(String what, String name) {
        if (name == null || name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME) {
            throw new IllegalArgumentException(what + " must be 1.." + MAX_NAME + " bytes: \"" + name + "\"");
        }
    }

    /**
     * Reads the secret file through {@link SecretFiles#readClusterSecret} (private to its owner, at least
     * {@link SecretFiles#MIN_SECRET_BYTES}; trailing whitespace, a final newline, is not part of the secret).
     */
    public static ChannelAuth fromFile(Path file, String self, String peer) throws IOException {
        byte[] secret = SecretFiles.readClusterSecret(file);
        try {
            return new ChannelAuth(secret, self, peer);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    public String self() {
        return self;
    }

    public String peer() {
        return peer;
    }

    public static final class AuthException extends IOException {
        public AuthException(String message) {
            super(message);
        }
    }

    /** The secondary's side: authenticates the configured peer and returns the session's sealed channel. */
    public SealedChannel serverSide(DataInputStream in, DataOutputStream out, String module) throws IOException {
        byte[] nonceS = nonce();
        out.write(MAGIC);
        writeStr(out, self);
        out.write(nonceS);
        out.flush();
        expectMagic(in);
        String peerModule = readStr(in, "module name");
        String clientNode = readStr(in, "node name");
        byte[] nonceC = new byte[NONCE];
        in.readFully(nonceC);
        byte[] proof = new byte[32];
        in.readFully(proof);
        if (!MessageDigest.isEqual(proof, mac("client", peerModule, clientNode, self, nonceS, nonceC))) {
            throw new AuthException("peer failed authentication (wrong cluster secret?)");
        }
        if (!peerModule.equals(module)) {
            throw new AuthException("peer asked for module \"" + peerModule + "\", this port serves \"" + module + "\"");
        }
        if (!clientNode.equals(peer)) {
            throw new AuthException("node \"" + clientNode + "\" asked to replicate module " + module
                    + " here, but its configured peer is \"" + peer + "\"");
        }
        out.write(mac("server", module, clientNode, self, nonceC, nonceS));
        out.flush();
        return keys(module, clientNode, self, nonceS, nonceC, false);
    }

    /** The primary's side: authenticates the configured peer and returns the session's sealed channel. */
    public SealedChannel clientSide(DataInputStream in, DataOutputStream out, String module) throws IOException {
        expectMagic(in);
        String serverNode = readStr(in, "node name");
        byte[] nonceS = new byte[NONCE];
        in.readFully(nonceS);
        if (!serverNode.equals(peer)) {
            throw new AuthException("the replication port of module " + module + " is served by node \""
                    + serverNode + "\", but the configured peer is \"" + peer + "\"");
        }
        byte[] nonceC = nonce();
        out.write(MAGIC);
        writeStr(out, module);
        writeStr(out, self);
        out.write(nonceC);
        out.write(mac("client", module, self, serverNode, nonceS, nonceC));
        out.flush();
        byte[] proof = new byte[32];
        in.readFully(proof);
        if (!MessageDigest.isEqual(proof, mac("server", module, self, serverNode, nonceC, nonceS))) {
            throw new AuthException("peer failed authentication (wrong cluster secret?)");
        }
        return keys(module, self, serverNode, nonceS, nonceC, true);
    }

    private SealedChannel keys(String module, String client, String server, byte[] nonceS, byte[] nonceC,
                               boolean clientSide) {
        byte[] salt = new byte[2 * NONCE];
        System.arraycopy(nonceS, 0, salt, 0, NONCE);
        System.arraycopy(nonceC, 0, salt, NONCE, NONCE);
        byte[] c2s = FrameCipher.hkdf(salt, secret, info("c2s", module, client, server), 32);
        byte[] s2c = FrameCipher.hkdf(salt, secret, info("s2c", module, client, server), 32);
        try {
            return clientSide
                    ? new SealedChannel(FrameCipher.sealer(c2s, PREFIX_C2S), FrameCipher.opener(s2c, PREFIX_S2C))
                    : new SealedChannel(FrameCipher.sealer(s2c, PREFIX_S2C), FrameCipher.opener(c2s, PREFIX_C2S));
        } finally {
            Arrays.fill(c2s, (byte) 0);
            Arrays.fill(s2c, (byte) 0);
        }
    }

    private static byte[] info(String direction, String module, String client, String server) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(MAGIC);
        b.writeBytes((" " + direction).getBytes(StandardCharsets.US_ASCII));
        for (String s : new String[]{module, client, server}) {
            b.write(0);
            b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        }
        return b.toByteArray();
    }

    private static void writeStr(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeShort(b.length);
        out.write(b);
    }

    /** Bounded before anything is allocated: the handshake of an unauthenticated peer costs at most a few bytes. */
    private static String readStr(DataInputStream in, String what) throws IOException {
        int n = in.readUnsignedShort();
        if (n > MAX_NAME) {
            throw new AuthException(what + " too long (" + n + " bytes)");
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
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

    private byte[] mac(String role, String module, String client, String server, byte[] n1, byte[] n2) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(MAGIC);
            mac.update(role.getBytes(StandardCharsets.US_ASCII));
            for (String s : new String[]{module, client, server}) {
                mac.update((byte) 0);
                mac.update(s.getBytes(StandardCharsets.UTF_8));
            }
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
