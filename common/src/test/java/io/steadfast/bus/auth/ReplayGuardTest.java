package io.steadfast.bus.auth;

import org.junit.jupiter.api.Test;

import static io.steadfast.bus.auth.ReplayGuard.Verdict.ACCEPTED;
import static io.steadfast.bus.auth.ReplayGuard.Verdict.REPLAYED;
import static io.steadfast.bus.auth.ReplayGuard.Verdict.STALE_BOOT;
import static org.assertj.core.api.Assertions.assertThat;

class ReplayGuardTest {
    final ReplayGuard guard = new ReplayGuard();

    ReplayGuard.Verdict check(long boot, long bootTime, long seq) {
        return guard.check("node1", "node", boot, bootTime, seq, null);
    }

    @Test
    void aCounterIsAcceptedOnceEvenOutOfOrder() {
        assertThat(check(1, 100, 5)).isEqualTo(ACCEPTED);
        assertThat(check(1, 100, 5)).isEqualTo(REPLAYED);
        assertThat(check(1, 100, 3)).as("below the highest, not seen yet").isEqualTo(ACCEPTED);
        assertThat(check(1, 100, 3)).isEqualTo(REPLAYED);
        assertThat(check(1, 100, 6)).isEqualTo(ACCEPTED);
        assertThat(check(1, 100, 4)).isEqualTo(ACCEPTED);
        assertThat(check(1, 100, 4)).isEqualTo(REPLAYED);
    }

    @Test
    void countersFallingOutOfTheWindowAreRefused() {
        assertThat(check(1, 100, 10)).isEqualTo(ACCEPTED);
        assertThat(check(1, 100, 10 + ReplayGuard.WINDOW)).isEqualTo(ACCEPTED);
        assertThat(check(1, 100, 10)).isEqualTo(REPLAYED);
        assertThat(check(1, 100, 11)).as("in the window, never seen").isEqualTo(ACCEPTED);
        // a jump far ahead forgets nothing it should remember: the slots reused are cleared
        assertThat(check(1, 100, 10 * ReplayGuard.WINDOW + 1)).isEqualTo(ACCEPTED);
        assertThat(check(1, 100, 10 * ReplayGuard.WINDOW)).isEqualTo(ACCEPTED);
        assertThat(check(1, 100, 10 * ReplayGuard.WINDOW)).isEqualTo(REPLAYED);
        assertThat(check(1, 100, 9 * ReplayGuard.WINDOW + 1)).as("just out of the window").isEqualTo(REPLAYED);
    }

    @Test
    void aRestartedSenderIsHeardAndItsEarlierRunCannotBeReplayed() {
        assertThat(check(1, 100, 1)).isEqualTo(ACCEPTED);
        assertThat(check(1, 100, 2)).isEqualTo(ACCEPTED);
        // restart: new boot id, counter from 1 again
        assertThat(check(2, 200, 1)).isEqualTo(ACCEPTED);
        assertThat(check(2, 200, 1)).isEqualTo(REPLAYED);
        // a message of the previous run still in flight is heard once
        assertThat(check(1, 100, 3)).isEqualTo(ACCEPTED);
        assertThat(check(1, 100, 2)).isEqualTo(REPLAYED);
        // after more restarts the first run is forgotten, but it is older than the current one: refused
        assertThat(check(3, 300, 1)).isEqualTo(ACCEPTED);
        assertThat(check(4, 400, 1)).isEqualTo(ACCEPTED);
        assertThat(check(5, 500, 1)).isEqualTo(ACCEPTED);
        assertThat(check(1, 100, 4)).isEqualTo(STALE_BOOT);
        assertThat(check(0, 50, 1)).as("a run never seen, older than the current one").isEqualTo(STALE_BOOT);
    }

    @Test
    void sendersAreKeptApart() {
        assertThat(guard.check("node1", "node", 1, 100, 1, null)).isEqualTo(ACCEPTED);
        assertThat(guard.check("node2", "node", 1, 100, 1, null)).isEqualTo(ACCEPTED);
        assertThat(guard.check("node1", "vip", 1, 100, 1, null)).isEqualTo(ACCEPTED);
        assertThat(guard.check("node1", "node", 1, 100, 1, null)).isEqualTo(REPLAYED);
    }

    @Test
    void thConsumersOfOnePublicationShareItsTokenAReplayDoesNot() {
        Object received = new String("sf.events.replication"); // one per frame read from the wire
        assertThat(guard.check("node1", "node", 1, 100, 9, received)).isEqualTo(ACCEPTED);
        assertThat(guard.check("node1", "node", 1, 100, 9, received)).as("second consumer").isEqualTo(ACCEPTED);
        Object replayed = new String("sf.events.replication");
        assertThat(guard.check("node1", "node", 1, 100, 9, replayed)).isEqualTo(REPLAYED);
        assertThat(guard.check("node1", "node", 1, 100, 9, null)).isEqualTo(REPLAYED);
    }
}
