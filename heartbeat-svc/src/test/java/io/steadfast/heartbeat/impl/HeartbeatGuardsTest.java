package io.steadfast.heartbeat.impl;

import io.steadfast.api.Readiness;
import io.steadfast.api.State;
import io.steadfast.heartbeat.impl.BeatCodec.Rejected;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The plain guards of the heartbeat receivers: token bucket, source gate, replay window, boot epoch, fatal errors. */
class HeartbeatGuardsTest {
    private static final long S = 1_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void tokenBucketAllowsItsBurstThenItsRate() {
        TokenBucket b = new TokenBucket(10, 5, 0);
        int n = 0;
        while (b.tryTake(0)) {
            n++;
        }
        assertThat(n).isEqualTo(5);
        assertThat(b.tryTake(S / 20)).isFalse(); // half a token
        assertThat(b.tryTake(S / 10)).isTrue();
        // a long pause refills at most the burst
        int m = 0;
        while (b.tryTake(100 * S)) {
            m++;
        }
        assertThat(m).isEqualTo(5);
        // a clock that does not move gives nothing more
        assertThat(b.tryTake(100 * S)).isFalse();
        assertThatThrownBy(() -> new TokenBucket(0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sourceGateDropsOtherAddressesAndBoundsUnknownPorts() throws Exception {
        InetAddress peer = InetAddress.getByName("10.0.0.2");
        SourceGate g = new SourceGate(Set.of(peer));
        assertThat(g.admit(new InetSocketAddress("10.0.0.9", 4000), 0)).isEqualTo(SourceGate.Verdict.FOREIGN_SOURCE);
        // a flood forging the peer's address from many ports: one shared budget
        int passed = 0;
        for (int i = 0; i < 10_000; i++) {
            if (g.admit(new InetSocketAddress(peer, 10_000 + i % 5000), i * 1000L) == SourceGate.Verdict.PASS) {
                passed++;
            }
        }
        assertThat(passed).isLessThanOrEqualTo((int) SourceGate.UNKNOWN_PER_SECOND + 1);
        // the peer's real socket, once it delivered an authentic beat, has a budget of its own
        InetSocketAddress real = new InetSocketAddress(peer, 39_999);
        g.authentic(real, 10 * S);
        for (int i = 0; i < 100; i++) {
            assertThat(g.admit(new InetSocketAddress(peer, 20_000 + i), 10 * S)).isIn(SourceGate.Verdict.PASS,
                    SourceGate.Verdict.RATE_LIMITED);
            assertThat(g.admit(real, 10 * S + i * (S / 100))).isEqualTo(SourceGate.Verdict.PASS);
        }
    }

    @Test
    void replayWindowRefusesOlderEpochsAndWhatWasSeenBeforeARestart() throws Exception {
        ReplayWindow w = new ReplayWindow(Map.of());
        assertThat(w.check("node1", 100, 1)).isEqualTo(ReplayWindow.Verdict.NEW_EPOCH);
        w.accepted("node1", 100, 1);
        w.accepted("node1", 100, 50);
        assertThat(w.check("node1", 100, 7)).isEqualTo(ReplayWindow.Verdict.SAME_EPOCH); // per-lan order: tracker's
        assertThat(w.check("node1", 99, 1000)).isEqualTo(ReplayWindow.Verdict.OLD_EPOCH);
        assertThat(w.check("node1", 101, 1)).isEqualTo(ReplayWindow.Verdict.NEW_EPOCH);
        Path f = dir.resolve("db.peers.json");
        ReplayWindow.save(f, w.takeChanges().orElseThrow());
        assertThat(w.takeChanges()).isEmpty();
        // this node restarts
        ReplayWindow after = new ReplayWindow(ReplayWindow.load(f));
        assertThat(after.check("node1", 100, 50)).isEqualTo(ReplayWindow.Verdict.BELOW_FLOOR);
        assertThat(after.check("node1", 100, 3)).isEqualTo(ReplayWindow.Verdict.BELOW_FLOOR);
        assertThat(after.check("node1", 100, 51)).isEqualTo(ReplayWindow.Verdict.SAME_EPOCH);
        assertThat(after.check("node1", 99, 51)).isEqualTo(ReplayWindow.Verdict.OLD_EPOCH);
        after.accepted("node1", 102, 1); // the peer restarted too: a new epoch, no floor
        assertThat(after.check("node1", 102, 2)).isEqualTo(ReplayWindow.Verdict.SAME_EPOCH);
        assertThat(ReplayWindow.load(dir.resolve("none.json"))).isEmpty();
        Files.writeString(f, "{not json");
        assertThatThrownBy(() -> ReplayWindow.load(f)).hasMessageContaining("damaged").hasMessageContaining(f.toString());
    }

    @Test
    void bootEpochGrowsWithTheFileOrTheClock() throws Exception {
        Path f = dir.resolve("state/heartbeat.epoch");
        long a = BootEpoch.next(f, 1000);
        assertThat(a).isEqualTo(1000);
        assertThat(BootEpoch.next(f, 1000)).isEqualTo(1001); // same clock (or set back): the file carries it
        assertThat(BootEpoch.next(f, 500)).isEqualTo(1002);
        assertThat(BootEpoch.next(f, 5000)).isEqualTo(5000);
        Files.delete(f);
        assertThat(BootEpoch.next(f, 6000)).isEqualTo(6000); // file lost: the clock carries it
    }

    static Beat beat(String bootId, long epoch, long seq, long sentAt) {
        PeerStatus s = new PeerStatus("node1", State.PRIM, Readiness.READY, "g", true, false, false, true, false,
                false, false, "node1");
        return new Beat("demo", "db", "lan1", bootId, epoch, seq, sentAt, s, 0, 0);
    }

    @Test
    void trackerRefusesBeatsOfAnEarlierBootAcrossARestartOfThisNode() {
        long wall = 10_000_000;
        PeerTracker t = new PeerTracker("demo", "db", "node2", Map.of("node1", List.of("lan1")), 700);
        t.admit(beat("boot-a", 500, 1, wall), "lan1", wall, 1);
        t.admit(beat("boot-a", 500, 2, wall + 10), "lan1", wall + 10, 2);
        // the peer restarts: a newer epoch is a new boot, even with an older send time (its clock was set back)
        t.admit(beat("boot-b", 600, 1, wall - 1000), "lan1", wall + 20, 3);
        reject(t, beat("boot-a", 500, 3, wall + 30), wall + 30, Rejected.Kind.STALE);
        reject(t, beat("boot-c", 600, 9, wall + 30), wall + 30, Rejected.Kind.STALE); // another boot, same epoch
        reject(t, beat("boot-b", 0, 9, wall + 30), wall + 30, Rejected.Kind.STALE); // epoch-less once epochs seen
        t.admit(beat("boot-b", 600, 2, wall + 40), "lan1", wall + 40, 4);
        Map<String, ReplayWindow.Mark> saved = t.replayChanges().orElseThrow();
        // this node restarts: neither the earlier boot's beats nor those seen before are accepted any more
        PeerTracker after = new PeerTracker("demo", "db", "node2", Map.of("node1", List.of("lan1")), 700, saved);
        reject(after, beat("boot-a", 500, 3, wall + 50), wall + 50, Rejected.Kind.STALE);
        reject(after, beat("boot-b", 600, 2, wall + 50), wall + 50, Rejected.Kind.REPLAYED);
        assertThat(after.alive("node1", 5)).isEmpty();
        after.admit(beat("boot-b", 600, 3, wall + 60), "lan1", wall + 60, 6);
        assertThat(after.alive("node1", 6)).isPresent();
    }

    private static void reject(PeerTracker t, Beat b, long wall, Rejected.Kind kind) {
        assertThatThrownBy(() -> t.admit(b, "lan1", wall, 5))
                .isInstanceOfSatisfying(Rejected.class, r -> assertThat(r.kind()).as(r.getMessage()).isEqualTo(kind));
    }

    @Test
    void aVersionOneBeatStillDecodes() {
        BeatCodec codec = new BeatCodec("0123456789abcdef-secret".getBytes());
        byte[] v2 = codec.encode(beat("boot-a", 77, 5, 1234));
        assertThat(codec.decode(v2, v2.length).epoch()).isEqualTo(77);
        assertThat(v2[4]).isEqualTo((byte) 2);
    }

    @Test
    void anErrorInACriticalTaskIsFatalARuntimeExceptionIsNot() {
        List<Throwable> fatal = new ArrayList<>();
        Fatal.guard("t", () -> {
            throw new IllegalStateException("a bug");
        }, fatal::add).run();
        assertThat(fatal).isEmpty();
        Fatal.guard("t", () -> {
            throw new StackOverflowError("deep");
        }, fatal::add).run();
        assertThat(fatal).singleElement().isInstanceOf(StackOverflowError.class);
    }

    /** Run as a process by the test below: an Error in a periodic task ends it with the fatal exit code. */
    public static final class ErrorInPeriodicTask {
        public static void main(String[] args) throws Exception {
            var pool = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            pool.scheduleAtFixedRate(Fatal.guard("test", () -> {
                throw new OutOfMemoryError("simulated");
            }, Fatal::exit), 10, 10, TimeUnit.MILLISECONDS);
            Thread.sleep(60_000);
            System.exit(0); // not reached: the error stops the process first
        }
    }

    @Test
    void theAgentProcessExitsNonZeroOnAnError() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Dsf.log=INFO", "-cp",
                System.getProperty("java.class.path"), ErrorInPeriodicTask.class.getName())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.exitValue()).as(out).isEqualTo(Fatal.EXIT_CODE);
        assertThat(out).contains("stopping the agent");
    }
}
