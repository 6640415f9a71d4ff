package io.steadfast.heartbeat.impl;

import io.steadfast.api.Readiness;
import io.steadfast.api.State;
import io.steadfast.heartbeat.impl.BeatCodec.Rejected;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BeatCodecTest {
    private final BeatCodec codec = new BeatCodec("s3cret-0123456789abcdef".getBytes(StandardCharsets.UTF_8));

    static Beat beat(String node, String lan, String boot, long seq, long sentAt) {
        PeerStatus s = new PeerStatus(node, State.PRIM, Readiness.READY, "0000000000001-0000abcd", true, false, true,
                true, false, false, true, "node1");
        return new Beat("demo", "db", lan, boot, 0, seq, sentAt, s, 77, 3);
    }

    @Test
    void roundTrip() {
        Beat b = beat("node1", "lan1", "boot-a", 5, 1000);
        byte[] wire = codec.encode(b);
        assertThat(codec.decode(wire, wire.length)).isEqualTo(b);
    }

    @Test
    void aSecretShorterThanTheClusterMinimumIsRefused() {
        assertThatThrownBy(() -> new BeatCodec("0123456789abcde".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 16 bytes");
        new BeatCodec("0123456789abcdef".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void forgedAlteredMalformedOversizeAreRejected() {
        byte[] wire = codec.encode(beat("node1", "lan1", "boot-a", 5, 1000));
        BeatCodec other = new BeatCodec("other-0123456789abcdef".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> other.decode(wire, wire.length))
                .isInstanceOfSatisfying(Rejected.class, r -> assertThat(r.kind()).isEqualTo(Rejected.Kind.FORGED));
        byte[] altered = wire.clone();
        altered[20] ^= 1;
        assertThatThrownBy(() -> codec.decode(altered, altered.length))
                .isInstanceOfSatisfying(Rejected.class, r -> assertThat(r.kind()).isEqualTo(Rejected.Kind.FORGED));
        assertThatThrownBy(() -> codec.decode(new byte[]{1, 2, 3}, 3))
                .isInstanceOfSatisfying(Rejected.class, r -> assertThat(r.kind()).isEqualTo(Rejected.Kind.MALFORMED));
        assertThatThrownBy(() -> codec.decode(new byte[2000], 2000))
                .isInstanceOfSatisfying(Rejected.class, r -> assertThat(r.kind()).isEqualTo(Rejected.Kind.OVERSIZE));
        assertThatThrownBy(() -> codec.decode(wire, wire.length - 1))
                .isInstanceOf(Rejected.class);
    }

    @Test
    void trackerDropsReplaysStaleAndForeignBeats() {
        PeerTracker t = new PeerTracker("demo", "db", "node2", Map.of("node1", List.of("lan1", "lan2")), 700);
        long wall = 1_000_000;
        t.admit(beat("node1", "lan1", "boot-a", 1, wall), "lan1", wall, 10);
        assertReject(t, beat("node1", "lan1", "boot-a", 1, wall), "lan1", wall, Rejected.Kind.REPLAYED);
        // the same beat replayed on the other lan is refused: the lan is inside the MAC
        assertReject(t, beat("node1", "lan1", "boot-a", 2, wall), "lan2", wall, Rejected.Kind.FOREIGN);
        assertReject(t, beat("node3", "lan1", "boot-a", 2, wall), "lan1", wall, Rejected.Kind.FOREIGN);
        // an old boot's beat (sent before the current boot's latest) is stale
        assertReject(t, beat("node1", "lan1", "boot-old", 99, wall - 1), "lan1", wall, Rejected.Kind.STALE);
        // a restart (new boot, later send time) is accepted with its sequence from 1
        t.admit(beat("node1", "lan1", "boot-b", 1, wall + 5), "lan1", wall + 5, 15);
        assertThat(t.alive("node1", 15 + 700)).isPresent();
        assertThat(t.alive("node1", 15 + 701)).isEmpty();
        // first contact far from our clock: stale
        PeerTracker fresh = new PeerTracker("demo", "db", "node2", Map.of("node1", List.of("lan1")), 700);
        assertReject(fresh, beat("node1", "lan1", "boot-a", 1, wall - 60_000), "lan1", wall, Rejected.Kind.STALE);
    }

    @Test
    void oneLanOfTwoSilentIsDegradedNotLost() {
        PeerTracker t = new PeerTracker("demo", "db", "node2", Map.of("node1", List.of("lan1", "lan2")), 700);
        long wall = 1_000_000;
        for (int i = 1; i <= 20; i++) {
            t.admit(beat("node1", "lan1", "boot-a", i, wall + i * 100), "lan1", wall + i * 100, i * 100);
        }
        assertThat(t.alive("node1", 2000)).isPresent();
        assertThat(t.degraded("node1", 2000)).isTrue();
        assertThat(t.details(2000).getJsonObject("peers").getJsonObject("node1").getJsonObject("lans")
                .getJsonObject("lan2").getBoolean("up")).isFalse();
    }

    private static void assertReject(PeerTracker t, Beat b, String lan, long wall, Rejected.Kind kind) {
        assertThatThrownBy(() -> t.admit(b, lan, wall, 10))
                .isInstanceOfSatisfying(Rejected.class, r -> assertThat(r.kind()).isEqualTo(kind));
    }

    /** A beat slow on one lan must not bring back an older state than the other lan already delivered. */
    @Test
    void theNewestBeatOverAllLansGivesThePeersStatus() {
        PeerTracker t = new PeerTracker("demo", "db", "node2", Map.of("node1", List.of("lan1", "lan2")), 700);
        long wall = System.currentTimeMillis();
        PeerStatus waiting = new PeerStatus("node1", State.WAIT, Readiness.NOT_READY, "g", false, false, false,
                true, false, false, false, "");
        PeerStatus alone = new PeerStatus("node1", State.ALONE, Readiness.READY, "g", true, true, false,
                true, false, false, false, "node1");
        t.admit(new Beat("demo", "db", "lan1", "boot-a", 0, 10, wall, waiting, 0, 0), "lan1", wall, 10);
        t.admit(new Beat("demo", "db", "lan1", "boot-a", 0, 12, wall + 100, alone, 0, 0), "lan1", wall + 100, 110);
        // beat 11 (still WAIT) was delayed on lan2 and arrives last
        PeerStatus seen = t.admit(new Beat("demo", "db", "lan2", "boot-a", 0, 11, wall + 50, waiting, 0, 0), "lan2",
                wall + 150, 150);
        assertThat(seen.state()).isEqualTo(State.ALONE);
        assertThat(t.alive("node1", 160)).hasValueSatisfying(s -> assertThat(s.state()).isEqualTo(State.ALONE));
    }
}
