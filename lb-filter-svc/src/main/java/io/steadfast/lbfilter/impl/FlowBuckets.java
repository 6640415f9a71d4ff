package io.steadfast.lbfilter.impl;

import io.steadfast.api.LbFilterApi;
import io.steadfast.config.FarmRule;
import io.steadfast.config.FilterMode;
import io.steadfast.config.Proto;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Set;
import java.util.TreeSet;

/**
 * The bucket of a tracked flow, as the kernel's rule computes it ({@code jhash <key> mod 256 seed S}:
 * net/netfilter/nft_hash.c, {@code jhash()} of include/linux/jhash.h over the key's bytes, then
 * {@code reciprocal_scale}), so that a draining node can tell which of its buckets still hold flows by reading its
 * flow sets. Keys: on_addr {@code ip saddr} (4 bytes); on_port {@code ip saddr . tcp sport} (8 bytes: nft pads each
 * field of a concatenation to 4 bytes; the port in network order, then two zero bytes).
 */
public final class FlowBuckets {
    private FlowBuckets() {
    }

    /** One element of a flow set: client address, client port, VIP port. */
    public record Flow(Proto proto, String saddr, int sport, int dport) {
    }

    /** The bucket of {@code f} under {@code spec}'s rules; -1 when no rule has its protocol and port. */
    public static int bucket(FilterSpec spec, Flow f) {
        for (FarmRule r : spec.rules()) {
            if (r.proto() == f.proto() && r.port() == f.dport()) {
                byte[] a = ipv4(f.saddr());
                byte[] key = r.filter() == FilterMode.ON_PORT
                        ? new byte[] {a[0], a[1], a[2], a[3], (byte) (f.sport() >>> 8), (byte) f.sport(), 0, 0}
                        : a;
                return scale(jhash(key, (int) FilterScript.seed(spec.module())));
            }
        }
        return -1;
    }

    /** The buckets of the flows in an {@code nft -j list set} answer (elements of another shape are ignored). */
    public static Set<Integer> buckets(FilterSpec spec, Proto proto, String json) {
        Set<Integer> out = new TreeSet<>();
        for (Object o : new JsonObject(json).getJsonArray("nftables", new JsonArray())) {
            JsonObject set = o instanceof JsonObject j ? j.getJsonObject("set") : null;
            if (set == null) {
                continue;
            }
            for (Object e : set.getJsonArray("elem", new JsonArray())) {
                Object val = e;
                if (e instanceof JsonObject j && j.getJsonObject("elem") != null) {
                    val = j.getJsonObject("elem").getValue("val");
                }
                if (val instanceof JsonObject v && v.getJsonArray("concat") != null
                        && v.getJsonArray("concat").size() == 3) {
                    JsonArray c = v.getJsonArray("concat");
                    int b;
                    try {
                        b = bucket(spec, new Flow(proto, String.valueOf(c.getValue(0)), port(c.getValue(1)),
                                port(c.getValue(2))));
                    } catch (IllegalArgumentException ex) { // not ours (a port by name, …): ignored
                        continue;
                    }
                    if (b >= 0) {
                        out.add(b);
                    }
                }
            }
        }
        return out;
    }

    private static int port(Object v) {
        return v instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(v).strip());
    }

    static int scale(int hash) {
        return (int) (((hash & 0xffffffffL) * LbFilterApi.BUCKETS) >>> 32);
    }

    /** include/linux/jhash.h {@code jhash(key, length, initval)}. */
    static int jhash(byte[] k, int initval) {
        int length = k.length;
        int a = 0xdeadbeef + length + initval;
        int b = a;
        int c = a;
        int i = 0;
        while (length > 12) {
            a += le(k, i);
            b += le(k, i + 4);
            c += le(k, i + 8);
            // __jhash_mix
            a -= c; a ^= Integer.rotateLeft(c, 4); c += b;
            b -= a; b ^= Integer.rotateLeft(a, 6); a += c;
            c -= b; c ^= Integer.rotateLeft(b, 8); b += a;
            a -= c; a ^= Integer.rotateLeft(c, 16); c += b;
            b -= a; b ^= Integer.rotateLeft(a, 19); a += c;
            c -= b; c ^= Integer.rotateLeft(b, 4); b += a;
            length -= 12;
            i += 12;
        }
        if (length == 0) {
            return c;
        }
        int[] w = new int[3];
        for (int j = 0; j < length; j++) {
            w[j / 4] += (k[i + j] & 0xff) << (8 * (j % 4));
        }
        a += w[0];
        b += w[1];
        c += w[2];
        // __jhash_final
        c ^= b; c -= Integer.rotateLeft(b, 14);
        a ^= c; a -= Integer.rotateLeft(c, 11);
        b ^= a; b -= Integer.rotateLeft(a, 25);
        c ^= b; c -= Integer.rotateLeft(b, 16);
        a ^= c; a -= Integer.rotateLeft(c, 4);
        b ^= a; b -= Integer.rotateLeft(a, 14);
        c ^= b; c -= Integer.rotateLeft(b, 24);
        return c;
    }

    private static int le(byte[] k, int i) {
        return (k[i] & 0xff) | (k[i + 1] & 0xff) << 8 | (k[i + 2] & 0xff) << 16 | (k[i + 3] & 0xff) << 24;
    }

    private static byte[] ipv4(String dotted) {
        String[] p = dotted.split("\\.");
        if (p.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + dotted);
        }
        byte[] a = new byte[4];
        for (int i = 0; i < 4; i++) {
            a[i] = (byte) Integer.parseInt(p[i]);
        }
        return a;
    }
}
