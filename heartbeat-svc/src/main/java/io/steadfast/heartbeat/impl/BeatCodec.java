package io.steadfast.heartbeat.impl;

import io.steadfast.api.Readiness;
import io.steadfast.api.State;
import io.steadfast.config.SecretFiles;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Wire form of a {@link Beat}: {@code "SFHB" version payload HMAC-SHA256(secret, everything before it)}.
 * The MAC is checked (in constant time) before a single field is parsed; anything longer than {@link #MAX_SIZE}
 * is refused unread. Thread-safe (a fresh {@link Mac} per call: cheap next to a datagram).
 */
public final class BeatCodec {
    public static final int MAX_SIZE = 1024;
    private static final byte[] MAGIC = {'S', 'F', 'H', 'B'};
    /** 2: the boot epoch follows the boot id. Version 1 beats (no epoch) are still read, as epoch 0. */
    private static final int VERSION = 2;
    private static final int MAC_LEN = 32;
    private static final String ALG = "HmacSHA256";

    private final SecretKeySpec key;

    public BeatCodec(byte[] secret) {
        if (secret.length < SecretFiles.MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("the cluster secret must be at least " + SecretFiles.MIN_SECRET_BYTES
                    + " bytes");
        }
        this.key = new SecretKeySpec(secret, ALG);
    }

    public byte[] encode(Beat b) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(buf)) {
            out.write(MAGIC);
            out.writeByte(VERSION);
            out.writeUTF(b.cluster());
            out.writeUTF(b.module());
            out.writeUTF(b.lan());
            out.writeUTF(b.bootId());
            out.writeLong(b.epoch());
            out.writeLong(b.seq());
            out.writeLong(b.sentAt());
            PeerStatus s = b.status();
            out.writeUTF(s.node());
            out.writeUTF(s.state().name());
            out.writeUTF(s.readiness().name());
            out.writeUTF(s.history().encode());
            int flags = (s.upToDate() ? 1 : 0) | (s.exclusive() ? 2 : 0) | (s.holding() ? 4 : 0)
                    | (s.eligible() ? 8 : 0) | (s.wantPrim() ? 16 : 0) | (s.handover() ? 32 : 0)
                    | (s.yielding() ? 64 : 0) | (s.forced() ? 128 : 0);
            out.writeByte(flags);
            out.writeUTF(s.lastPrim());
            out.writeLong(b.echoSentAt());
            out.writeLong(b.echoHoldMs());
        } catch (IOException e) {
            throw new IllegalStateException(e); // in-memory stream
        }
        byte[] body = buf.toByteArray();
        byte[] mac = mac(body, body.length);
        byte[] all = Arrays.copyOf(body, body.length + MAC_LEN);
        System.arraycopy(mac, 0, all, body.length, MAC_LEN);
        if (all.length > MAX_SIZE) {
            throw new IllegalArgumentException("beat too large: " + all.length + " bytes (names too long?)");
        }
        return all;
    }

    /** @throws Rejected with the reason (counted by the caller): oversize, forged, malformed */
    public Beat decode(byte[] data, int length) {
        if (length > MAX_SIZE) {
            throw new Rejected(Rejected.Kind.OVERSIZE, length + " bytes");
        }
        if (length < MAGIC.length + 1 + MAC_LEN || !Arrays.equals(data, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new Rejected(Rejected.Kind.MALFORMED, "not a steadfast heartbeat");
        }
        int bodyLen = length - MAC_LEN;
        byte[] expected = mac(data, bodyLen);
        if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(data, bodyLen, length))) {
            throw new Rejected(Rejected.Kind.FORGED, "bad MAC (wrong secret or altered)");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, 0, bodyLen))) {
            in.skipNBytes(MAGIC.length);
            int version = in.readUnsignedByte();
            if (version != VERSION && version != 1) {
                throw new Rejected(Rejected.Kind.MALFORMED, "version " + version);
            }
            String cluster = in.readUTF();
            String module = in.readUTF();
            String lan = in.readUTF();
            String bootId = in.readUTF();
            long epoch = version >= 2 ? in.readLong() : 0;
            long seq = in.readLong();
            long sentAt = in.readLong();
            String node = in.readUTF();
            State state = State.valueOf(in.readUTF());
            Readiness readiness = Readiness.valueOf(in.readUTF());
            String generation = in.readUTF();
            int flags = in.readUnsignedByte();
            String lastPrim = in.readUTF();
            long echoSentAt = in.readLong();
            long echoHold = in.readLong();
            if (in.available() != 0) {
                throw new Rejected(Rejected.Kind.MALFORMED, "trailing bytes");
            }
            // a history (or, from a node not yet upgraded, a wall-clock generation string: converted)
            PeerStatus status = new PeerStatus(node, state, readiness, GenerationHistory.parse(generation),
                    (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, (flags & 8) != 0, (flags & 64) != 0,
                    (flags & 16) != 0, (flags & 32) != 0, lastPrim, (flags & 128) != 0);
            return new Beat(cluster, module, lan, bootId, epoch, seq, sentAt, status, echoSentAt, echoHold);
        } catch (IOException | IllegalArgumentException e) {
            throw new Rejected(Rejected.Kind.MALFORMED, String.valueOf(e.getMessage()));
        }
    }

    private byte[] mac(byte[] data, int len) {
        try {
            Mac mac = Mac.getInstance(ALG);
            mac.init(key);
            mac.update(data, 0, len);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** A datagram that is not a valid beat. */
    public static final class Rejected extends RuntimeException {
        public enum Kind {
            OVERSIZE, MALFORMED, FORGED, REPLAYED, STALE, FOREIGN,
            /** from an address that is not a peer's on that lan (dropped before the MAC check) */
            UNKNOWN_SOURCE,
            /** over the source's rate (dropped before the MAC check) */
            RATE_LIMITED
        }

        private final Kind kind;

        public Rejected(Kind kind, String message) {
            super(kind.name().toLowerCase(java.util.Locale.ROOT) + ": " + message, null, false, false);
            this.kind = kind;
        }

        public Kind kind() {
            return kind;
        }
    }
}
