package io.steadfast.bus.auth;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The signature every event-bus message carries in its {@value #HEADER} header:
 * {@code v1 <node> <instance> <boot> <bootTime> <seq> <mac>}, where the MAC is HMAC-SHA256 (key
 * {@link BusKeys#busKey}) over every one of those fields, send/publish, the address, the reply address and the
 * body's bytes. {@code instance} names the sending JVM on its node ({@code node} for the agent, else the service
 * run alone), {@code boot} is a random 64-bit id drawn when that JVM started ({@code bootTime}, its clock, ms) and
 * {@code seq} counts its messages from 1: together they let a receiver refuse a replayed message
 * ({@link ReplayGuard}).
 *
 * <p>The body is signed as the JSON text the codec puts on the wire; the receiver signs the body it decoded, encoded
 * again (Jackson writes a decoded value back to the same text).
 */
public final class BusMac {
    public static final String HEADER = "sf-auth";
    static final String VERSION = "v1";
    private static final byte[] DOMAIN = "steadfast bus v1".getBytes(StandardCharsets.UTF_8);

    private final ThreadLocal<Mac> mac;

    public BusMac(byte[] key) {
        SecretKeySpec spec = new SecretKeySpec(key.clone(), BusKeys.HMAC);
        this.mac = ThreadLocal.withInitial(() -> {
            try {
                Mac m = Mac.getInstance(BusKeys.HMAC);
                m.init(spec);
                return m;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is mandatory in every JDK", e);
            }
        });
    }

    /** The parsed header; {@code mac} as sent. */
    public record Signature(String node, String instance, long boot, long bootTime, long seq, byte[] mac) {
        public String header() {
            return VERSION + " " + node + " " + instance + " " + HexFormat.of().toHexDigits(boot) + " " + bootTime
                    + " " + seq + " " + Base64.getUrlEncoder().withoutPadding().encodeToString(mac);
        }

        /** Empty when the header is absent or malformed. */
        public static Optional<Signature> parse(String header) {
            if (header == null || header.length() > 512) {
                return Optional.empty();
            }
            String[] f = header.split(" ", -1);
            if (f.length != 7 || !f[0].equals(VERSION) || f[1].isEmpty() || f[2].isEmpty() || f[3].length() != 16) {
                return Optional.empty();
            }
            try {
                long boot = HexFormat.fromHexDigitsToLong(f[3]);
                long bootTime = Long.parseLong(f[4]);
                long seq = Long.parseLong(f[5]);
                byte[] mac = Base64.getUrlDecoder().decode(f[6]);
                if (seq < 1 || mac.length != 32) {
                    return Optional.empty();
                }
                return Optional.of(new Signature(f[1], f[2], boot, bootTime, seq, mac));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
    }

    /** The MAC of a message signed as {@code s} (its {@code mac} field is ignored). */
    public byte[] mac(Signature s, String address, boolean send, String replyAddress, Object body) {
        Mac m = mac.get();
        m.update(DOMAIN);
        field(m, s.node().getBytes(StandardCharsets.UTF_8));
        field(m, s.instance().getBytes(StandardCharsets.UTF_8));
        m.update(ByteBuffer.allocate(25).putLong(s.boot()).putLong(s.bootTime()).putLong(s.seq())
                .put((byte) (send ? 1 : 0)).array());
        field(m, address.getBytes(StandardCharsets.UTF_8));
        field(m, replyAddress == null ? new byte[0] : replyAddress.getBytes(StandardCharsets.UTF_8));
        field(m, bodyBytes(body));
        return m.doFinal();
    }

    public boolean valid(Signature s, String address, boolean send, String replyAddress, Object body) {
        return MessageDigest.isEqual(s.mac(), mac(s, address, send, replyAddress, body));
    }

    private static void field(Mac m, byte[] bytes) {
        m.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
        m.update(bytes);
    }

    /** The bytes a body is signed as: its JSON text for JSON, type-tagged text for the other codecs. */
    static byte[] bodyBytes(Object body) {
        return switch (body) {
            case null -> new byte[] {'n'};
            case JsonObject o -> ("o" + o.encode()).getBytes(StandardCharsets.UTF_8);
            case JsonArray a -> ("a" + a.encode()).getBytes(StandardCharsets.UTF_8);
            case String s -> ("s" + s).getBytes(StandardCharsets.UTF_8);
            case Buffer b -> concat((byte) 'b', b.getBytes());
            case byte[] b -> concat((byte) 'b', b);
            case ReplyException r -> ("f" + r.failureType() + " " + r.failureCode() + " " + r.getMessage())
                    .getBytes(StandardCharsets.UTF_8);
            case Number n -> ("#" + n).getBytes(StandardCharsets.UTF_8);
            case Boolean b -> ("?" + b).getBytes(StandardCharsets.UTF_8);
            case Character c -> ("c" + c).getBytes(StandardCharsets.UTF_8);
            default -> ("x" + body.getClass().getName()).getBytes(StandardCharsets.UTF_8);
        };
    }

    private static byte[] concat(byte tag, byte[] rest) {
        byte[] out = new byte[rest.length + 1];
        out[0] = tag;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }
}
