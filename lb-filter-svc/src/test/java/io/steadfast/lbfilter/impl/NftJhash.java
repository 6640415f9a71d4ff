package io.steadfast.lbfilter.impl;

import io.steadfast.api.LbFilterApi;
import java.util.List;

/**
 * A model of the kernel's {@code jhash ip saddr mod 256 seed S} (net/netfilter/nft_hash.c: {@code jhash()} of
 * include/linux/jhash.h over the 4 address bytes, then {@code reciprocal_scale(h, 256)}), so that the share of a
 * farm can be simulated for many address sets. {@link FarmBench} checks it against the kernel's verdicts.
 */
final class NftJhash {
    private NftJhash() {
    }

    /** Bucket of an IPv4 address in dotted form. */
    static int bucket(String ip, long seed) {
        String[] p = ip.split("\\.");
        int addr = 0;
        for (String x : p) {
            addr = addr << 8 | Integer.parseInt(x);
        }
        return bucket(addr, seed);
    }

    /** Bucket of an IPv4 address ({@code addr} in host order, e.g. 0x0A000001 for 10.0.0.1). */
    static int bucket(int addr, long seed) {
        // the register holds the address in network order; jhash's tail reads k[0] + k[1]<<8 + k[2]<<16 + k[3]<<24
        int k0 = addr >>> 24;
        int k1 = addr >>> 16 & 0xff;
        int k2 = addr >>> 8 & 0xff;
        int k3 = addr & 0xff;
        int a = 0xdeadbeef + 4 + (int) seed;
        int b = a;
        int c = a;
        a += k3 << 24 | k2 << 16 | k1 << 8 | k0;
        c ^= b; c -= Integer.rotateLeft(b, 14);
        a ^= c; a -= Integer.rotateLeft(c, 11);
        b ^= a; b -= Integer.rotateLeft(a, 25);
        c ^= b; c -= Integer.rotateLeft(b, 16);
        a ^= c; a -= Integer.rotateLeft(c, 4);
        b ^= a; b -= Integer.rotateLeft(a, 14);
        c ^= b; c -= Integer.rotateLeft(b, 24);
        return (int) (((c & 0xffffffffL) * LbFilterApi.BUCKETS) >>> 32);
    }

    /** Owners by plain weighted rendezvous hashing, equal powers (the assignment before the balanced orders). */
    static String[] rendezvousOwners(String module, List<String> members) {
        String[] owners = new String[LbFilterApi.BUCKETS];
        long moduleKey = BucketOrders.fnv1a(module);
        for (int b = 0; b < owners.length; b++) {
            double best = Double.NEGATIVE_INFINITY;
            for (String m : members.stream().sorted().toList()) {
                long h = BucketOrders.mix((BucketOrders.fnv1a(m) ^ BucketOrders.mix(moduleKey))
                        + BucketOrders.mix(b + 0x9E3779B97F4A7C15L));
                double u = ((h >>> 11) + 0.5) / (double) (1L << 53);
                double score = 1 / -Math.log(u);
                if (score > best) {
                    best = score;
                    owners[b] = m;
                }
            }
        }
        return owners;
    }
}
