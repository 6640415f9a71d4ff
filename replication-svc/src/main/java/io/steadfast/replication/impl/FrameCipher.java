package io.steadfast.replication.impl;

import io.steadfast.replication.impl.Wire.FrameException;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * Authenticated encryption of the replication channel's frames, one direction of one session: AES-256-GCM with the
 * session key of that direction ({@link ChannelAuth}) and a 96-bit nonce = a 4-byte prefix fixed per direction +
 * a 64-bit frame counter that starts at 0 and grows by one per frame on both ends. The receiver uses its own
 * counter, so a frame dropped, reordered, replayed, injected or altered fails authentication, and so does a frame
 * cut short or lengthened: the outer length is the additional authenticated data.
 *
 * <pre>
 * sealed frame = int32 n (length of what follows: plaintext frame + 16-byte tag) + AES-GCM(plaintext frame) + tag
 * plaintext frame = the frame of {@link Wire} (int32 length + body)
 * </pre>
 *
 * Not thread-safe: one sealer per direction, used by whichever thread holds that direction's writing (or reading)
 * turn; every buffer and the {@link Cipher} are reused from frame to frame.
 */
final class FrameCipher {
    static final int TAG = 16;
    /** Largest sealed frame: a maximal {@link Wire} frame, its length word and the tag. */
    static final int MAX_SEALED = 4 + Wire.MAX_FRAME + TAG;
    private static final int MIN_SEALED = 4 + 1 + TAG;
    private static final int TAG_BITS = TAG * 8;

    private final Cipher cipher;
    private final SecretKeySpec key;
    private final byte[] iv = new byte[12];
    private final boolean encrypt;
    private long counter;
    /** Sealed bytes: the length word, then ciphertext + tag (reused; grows to the largest frame seen). */
    private byte[] sealed = new byte[64 * 1024];
    /** Plaintext of the frame being written or read (reused). */
    private final Buf plain = new Buf();
    private final DataOutputStream plainOut = new DataOutputStream(plain);
    private final In plainIn = new In();
    private final DataInputStream plainData = new DataInputStream(plainIn);

    private FrameCipher(byte[] key, int prefix, boolean encrypt) {
        try {
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM unavailable", e);
        }
        this.key = new SecretKeySpec(key, "AES");
        this.encrypt = encrypt;
        iv[0] = (byte) (prefix >>> 24);
        iv[1] = (byte) (prefix >>> 16);
        iv[2] = (byte) (prefix >>> 8);
        iv[3] = (byte) prefix;
    }

    static FrameCipher sealer(byte[] key, int prefix) {
        return new FrameCipher(key, prefix, true);
    }

    static FrameCipher opener(byte[] key, int prefix) {
        return new FrameCipher(key, prefix, false);
    }

    /** Frames sealed or opened so far (the next frame's counter). */
    long counter() {
        return counter;
    }

    private void nextNonce() throws IOException {
        if (counter == Long.MAX_VALUE) {
            throw new FrameException("frame counter exhausted: session ended"); // 2^63 frames: never in practice
        }
        long c = counter++;
        for (int i = 0; i < 8; i++) {
            iv[4 + i] = (byte) (c >>> (56 - 8 * i));
        }
    }

    // ------------------------------------------------------------------ sending

    /** Where the plaintext frame is written; {@link #seal} then encrypts it (and the data passed to it). */
    DataOutputStream begin() {
        if (!encrypt) {
            throw new IllegalStateException("an opener does not seal");
        }
        plain.reset();
        return plainOut;
    }

    /**
     * Seals what was written since {@link #begin} followed by {@code data} (an op's payload, encrypted straight
     * from its array, not copied first) and writes the sealed frame to {@code out} (not flushed).
     */
    void seal(byte[] data, OutputStream out) throws IOException {
        int plainLen = plain.size() + data.length;
        int n = plainLen + TAG;
        if (4 + n > sealed.length) {
            sealed = new byte[Math.max(4 + n, Math.min(MAX_SEALED, sealed.length * 2))];
        }
        sealed[0] = (byte) (n >>> 24);
        sealed[1] = (byte) (n >>> 16);
        sealed[2] = (byte) (n >>> 8);
        sealed[3] = (byte) n;
        nextNonce();
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(sealed, 0, 4);
            int w = cipher.update(plain.array(), 0, plain.size(), sealed, 4);
            w += cipher.doFinal(data, 0, data.length, sealed, 4 + w);
            if (w != n) {
                throw new IllegalStateException("sealed " + w + " bytes, expected " + n);
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot seal a frame: " + e, e);
        }
        out.write(sealed, 0, 4 + n);
    }

    // ------------------------------------------------------------------ receiving

    /**
     * Reads one sealed frame from {@code in} and authenticates it; returns a stream over its plaintext (valid until
     * the next call). A length out of bounds or a frame that fails authentication is a {@link FrameException}:
     * nothing of it is returned.
     */
    DataInputStream open(DataInputStream in) throws IOException {
        if (encrypt) {
            throw new IllegalStateException("a sealer does not open");
        }
        int n = in.readInt();
        if (n < MIN_SEALED - 4 || n > MAX_SEALED - 4) {
            throw new FrameException("sealed frame length out of bounds: " + n);
        }
        if (4 + n > sealed.length) {
            sealed = new byte[Math.max(4 + n, Math.min(MAX_SEALED, sealed.length * 2))];
        }
        sealed[0] = (byte) (n >>> 24);
        sealed[1] = (byte) (n >>> 16);
        sealed[2] = (byte) (n >>> 8);
        sealed[3] = (byte) n;
        in.readFully(sealed, 4, n);
        plain.ensure(n - TAG);
        nextNonce();
        int len;
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(sealed, 0, 4);
            len = cipher.doFinal(sealed, 4, n, plain.array(), 0);
        } catch (AEADBadTagException e) {
            throw new FrameException("frame " + (counter - 1) + " failed authentication (altered, injected, "
                    + "dropped or reordered on the way): session ended");
        } catch (GeneralSecurityException e) {
            throw new FrameException("cannot open frame " + (counter - 1) + ": " + e);
        }
        plainIn.set(plain.array(), len);
        return plainData;
    }

    /** After the frame was parsed from {@link #open}'s stream: it must have been read to its end. */
    void expectEnd() throws FrameException {
        if (plainIn.available() != 0) {
            throw new FrameException("trailing bytes in sealed frame");
        }
    }

    private static final class Buf extends ByteArrayOutputStream {
        Buf() {
            super(4096);
        }

        byte[] array() {
            return buf;
        }

        void ensure(int n) {
            if (buf.length < n) {
                buf = Arrays.copyOf(buf, Math.max(n, Math.min(FrameCipher.MAX_SEALED, buf.length * 2)));
            }
        }
    }

    private static final class In extends ByteArrayInputStream {
        In() {
            super(new byte[0]);
        }

        void set(byte[] b, int len) {
            buf = b;
            pos = 0;
            count = len;
            mark = 0;
        }
    }

    // ------------------------------------------------------------------ key derivation

    /** HKDF-SHA256 (RFC 5869): extract with {@code salt}, expand to {@code length} bytes with {@code info}. */
    static byte[] hkdf(byte[] salt, byte[] ikm, byte[] info, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(salt.length == 0 ? new byte[32] : salt, "HmacSHA256"));
            byte[] prk = mac.doFinal(ikm);
            mac.init(new SecretKeySpec(prk, "HmacSHA256"));
            byte[] okm = new byte[length];
            byte[] t = new byte[0];
            int done = 0;
            for (int i = 1; done < length; i++) {
                mac.update(t);
                mac.update(info);
                mac.update((byte) i);
                t = mac.doFinal();
                int k = Math.min(t.length, length - done);
                System.arraycopy(t, 0, okm, done, k);
                done += k;
            }
            Arrays.fill(prk, (byte) 0);
            return okm;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
