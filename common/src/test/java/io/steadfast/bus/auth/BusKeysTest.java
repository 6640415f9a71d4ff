package io.steadfast.bus.auth;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

class BusKeysTest {
    static final byte[] SECRET = "test-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);

    /** RFC 5869, test case 1. */
    @Test
    void hkdfMatchesTheRfc() {
        HexFormat hex = HexFormat.of();
        byte[] okm = BusKeys.hkdf(hex.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
                hex.parseHex("000102030405060708090a0b0c"), hex.parseHex("f0f1f2f3f4f5f6f7f8f9"), 42);
        assertThat(hex.formatHex(okm)).isEqualTo("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                + "34007208d5b887185865");
    }

    @Test
    void keysDependOnTheSecretAndTheirUse() {
        byte[] other = "another-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
        assertThat(BusKeys.busKey(SECRET)).hasSize(32).isEqualTo(BusKeys.busKey(SECRET.clone()))
                .isNotEqualTo(BusKeys.busKey(other)).isNotEqualTo(BusKeys.hkdf(SECRET, "steadfast hazelcast v1", 32));
    }

    @Test
    void hazelcastNameNeedsTheSecret() {
        String name = BusKeys.hazelcastClusterName("prod", SECRET);
        assertThat(name).startsWith("prod-").hasSize("prod-".length() + 16)
                .isEqualTo(BusKeys.hazelcastClusterName("prod", SECRET.clone()))
                .isNotEqualTo(BusKeys.hazelcastClusterName("prod", "another-secret-0123456789".getBytes()))
                .isNotEqualTo(BusKeys.hazelcastClusterName("prod2", SECRET).replace("prod2", "prod"));
    }
}
