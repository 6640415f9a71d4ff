package io.steadfast.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ValuesTest {
    private static VipConfig vip(String cidr, String vmac) {
        return new VipConfig(Cidr.parse(cidr), "eth0", new GarpConfig(5, Duration.ofMillis(200), Duration.ZERO), vmac);
    }

    @Test
    void resolvedVmacIsDerivedFromTheVipLocallyAdministeredAndUnicast() {
        String mac = vip("198.18.0.50/24", "auto").resolvedVmac();
        assertThat(mac).isEqualTo("02:53:c6:12:00:32");
        int first = Integer.parseInt(mac.substring(0, 2), 16);
        assertThat(first & 0x02).isNotZero();
        assertThat(first & 0x01).isZero();
        assertThat(vip("198.18.0.50/24", "auto").resolvedVmac()).isEqualTo(mac);
        assertThat(vip("10.0.0.50/24", "auto").resolvedVmac()).isEqualTo("02:53:0a:00:00:32");
        assertThat(vip("198.18.0.50/24", "02:AA:BB:CC:DD:EE").resolvedVmac()).isEqualTo("02:aa:bb:cc:dd:ee");
    }

    @Test
    void witnessTargetParse() {
        assertThat(WitnessTarget.parse("198.18.0.1"))
                .isEqualTo(new WitnessTarget(WitnessTarget.Kind.PING, "198.18.0.1", 0));
        assertThat(WitnessTarget.parse("ping:198.18.0.1"))
                .isEqualTo(new WitnessTarget(WitnessTarget.Kind.PING, "198.18.0.1", 0));
        WitnessTarget tcp = WitnessTarget.parse("tcp:198.18.0.1:80");
        assertThat(tcp).isEqualTo(new WitnessTarget(WitnessTarget.Kind.TCP, "198.18.0.1", 80));
        assertThat(tcp.toString()).isEqualTo("tcp:198.18.0.1:80");
        assertThat(WitnessTarget.parse(tcp.toString())).isEqualTo(tcp);
        for (String bad : new String[] {"tcp:198.18.0.1", "tcp:198.18.0.1:0", "tcp:198.18.0.1:65536", "udp:1.2.3.4:5",
                "witness.example", "1.2.3", ""}) {
            assertThatThrownBy(() -> WitnessTarget.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("\"" + bad + "\" is not a witness (use an IPv4 address for ping, or tcp:<addr>:<port>)");
        }
    }

    @Test
    void cidrParse() {
        assertThat(Cidr.parse("198.18.0.60/24")).isEqualTo(new Cidr("198.18.0.60", 24));
        assertThat(Cidr.parse("0.0.0.0/0").toString()).isEqualTo("0.0.0.0/0");
        assertThat(Cidr.parse("10.1.2.3/32").bytes()).containsExactly(10, 1, 2, 3);
        for (String bad : new String[] {"10.0.0.1", "10.0.0.1/33", "10.0.0.1/", "10.0.0/8", "10.0.0.01/8",
                "10.0.0.1/08", "a.b.c.d/8"}) {
            assertThatThrownBy(() -> Cidr.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void peerOfOnlyForAMirrorMember() {
        ModuleConfig m = new ModuleConfig("db", ModuleType.MIRROR, java.util.List.of("a", "b"),
                new HeartbeatConfig(Duration.ofMillis(200), Duration.ofMillis(800), java.util.List.of("lan1"), 1),
                Optional.empty(), Optional.empty(), new ServiceConfig("alone", true, 3, Duration.ofHours(24)),
                new SplitBrainConfig(java.util.List.of()), ScriptsConfig.none(), java.util.List.of(),
                java.util.List.of(), Optional.empty());
        assertThat(m.peerOf("a")).contains("b");
        assertThat(m.peerOf("b")).contains("a");
        assertThat(m.peerOf("c")).isEmpty();
    }
}
