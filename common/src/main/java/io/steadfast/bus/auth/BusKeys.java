package io.steadfast.bus.auth;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;

/**
 * Keys derived from the cluster secret ({@code cluster.secret_file}, the one credential an operator provisions),
 * each with its own HKDF-SHA256 label (RFC 5869) so that a key for one use never serves another.
 */
public final class BusKeys {
    static final String HMAC = "HmacSHA256";
    private static final byte[] SALT = "steadfast cluster secret".getBytes(StandardCharsets.UTF_8);

    private BusKeys() {
    }

    /** The event-bus signing key: HKDF(secret, "steadfast bus v1"). */
    public static byte[] busKey(byte[] secret) {
        return hkdf(secret, "steadfast bus v1", 32);
    }

    /**
     * The Hazelcast cluster name: the configured name + an HMAC of it under a key derived from the secret. A process
     * without the secret cannot compute it, so Hazelcast (Community Edition: no member authentication) refuses its
     * join request for a wrong cluster name. Hazelcast sends the name in clear in its join messages: an on-path
     * attacker can read it, which is why every bus message is signed as well.
     */
    public static String hazelcastClusterName(String name, byte[] secret) {
        byte[] tag = hmac(hkdf(secret, "steadfast hazelcast v1", 32), name.getBytes(StandardCharsets.UTF_8));
        return name + "-" + HexFormat.of().formatHex(tag, 0, 8);
    }

    /** HKDF-SHA256 (extract with a fixed salt, then expand with {@code info}), {@code length} ≤ 255·32 bytes. */
    static byte[] hkdf(byte[] ikm, String info, int length) {
        return hkdf(ikm, SALT, info.getBytes(StandardCharsets.UTF_8), length);
    }

    static byte[] hkdf(byte[] ikm, byte[] salt, byte[] infoBytes, int length) {
        byte[] prk = hmac(salt, ikm);
        byte[] out = new byte[length];
        byte[] t = new byte[0];
        int done = 0;
        for (int i = 1; done < length; i++) {
            byte[] input = new byte[t.length + infoBytes.length + 1];
            System.arraycopy(t, 0, input, 0, t.length);
            System.arraycopy(infoBytes, 0, input, t.length, infoBytes.length);
            input[input.length - 1] = (byte) i;
            t = hmac(prk, input);
            int n = Math.min(t.length, length - done);
            System.arraycopy(t, 0, out, done, n);
            done += n;
        }
        return out;
    }

    static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(key, HMAC));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is mandatory in every JDK", e);
        }
    }
}
