package io.steadfast.console.impl;

import io.steadfast.console.impl.LoginThrottle.Allow;
import io.steadfast.console.impl.LoginThrottle.Deny;
import io.steadfast.console.impl.LoginThrottle.Limits;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The login throttling policy with a fake clock: windows, lockouts and their doubling, trusted addresses, bounds. */
class LoginThrottleTest {
    /** 3 per client in 10 s → 5 s lockout; 5 per user in 20 s → 8 s lockout; ×4 at most; trusted 60 s; 100 tracked. */
    static final Limits LIMITS = new Limits(3, 10_000, 5_000, 5, 20_000, 8_000, 4, 60_000, 100);

    final AtomicLong now = new AtomicLong(1_000_000);
    final LoginThrottle throttle = new LoginThrottle(LIMITS, now::get);

    void fail(String client, String user, int times) {
        for (int i = 0; i < times; i++) {
            assertThat(throttle.check(client, user)).as("attempt %d from %s", i, client).isInstanceOf(Allow.class);
            throttle.failed(client, user);
        }
    }

    @Test
    void aClientIsLockedOutAfterTooManyFailuresInItsWindow() {
        fail("10.0.0.9", "ada", 3);
        assertThat(throttle.check("10.0.0.9", "ada")).isEqualTo(new Deny("client", 5_000));
        assertThat(throttle.check("10.0.0.9", "someone-else")).as("any user from that address")
                .isInstanceOf(Deny.class);
        assertThat(throttle.check("10.0.0.1", "ada")).as("another address").isInstanceOf(Allow.class);
        now.addAndGet(4_999);
        assertThat(throttle.check("10.0.0.9", "ada")).isEqualTo(new Deny("client", 1));
        now.addAndGet(1);
        assertThat(throttle.check("10.0.0.9", "ada")).isInstanceOf(Allow.class);
    }

    @Test
    void theFailureThatStartsALockoutSaysSo() {
        assertThat(throttle.failed("10.0.0.9", "ada")).isEmpty();
        assertThat(throttle.failed("10.0.0.9", "ada")).isEmpty();
        assertThat(throttle.failed("10.0.0.9", "ada")).contains(new Deny("client", 5_000));
    }

    @Test
    void failuresOutsideTheWindowDoNotCount() {
        fail("10.0.0.9", "ada", 2);
        now.addAndGet(10_000);
        fail("10.0.0.9", "ada", 2);
        assertThat(throttle.check("10.0.0.9", "ada")).isInstanceOf(Allow.class);
        throttle.failed("10.0.0.9", "ada");
        assertThat(throttle.check("10.0.0.9", "ada")).isInstanceOf(Deny.class);
    }

    @Test
    void lockoutsInARowDoubleUpToTheCapAndQuietTimeResetsThem() {
        long[] expected = {5_000, 10_000, 20_000, 20_000};
        for (long lockout : expected) {
            fail("10.0.0.9", "u" + lockout, 3);
            assertThat(throttle.check("10.0.0.9", "x")).isEqualTo(new Deny("client", lockout));
            now.addAndGet(lockout);
        }
        now.addAndGet(10_001); // a whole window without failures after the last lockout
        fail("10.0.0.9", "y", 3);
        assertThat(throttle.check("10.0.0.9", "x")).isEqualTo(new Deny("client", 5_000));
    }

    @Test
    void aSuccessDoesNotClearTheClientsFailures() {
        fail("10.0.0.9", "eve", 2);
        throttle.succeeded("10.0.0.9", "mallory"); // the attacker's own valid account
        throttle.failed("10.0.0.9", "ada");
        assertThat(throttle.check("10.0.0.9", "ada")).isInstanceOf(Deny.class);
    }

    @Test
    void aUserNameIsLockedAfterFailuresFromManyAddresses() {
        for (int i = 0; i < 5; i++) {
            fail("10.0.1." + i, "ada", 1);
        }
        assertThat(throttle.check("10.0.2.1", "ada")).isEqualTo(new Deny("user", 8_000));
        assertThat(throttle.check("10.0.2.1", "cy")).as("other users").isInstanceOf(Allow.class);
        now.addAndGet(8_000);
        assertThat(throttle.check("10.0.2.1", "ada")).isInstanceOf(Allow.class);
    }

    @Test
    void anAddressThatSignedInAsTheUserIsNotLockedOutByOthersGuessing() {
        throttle.succeeded("10.0.0.1", "ada"); // the operator's workstation
        for (int i = 0; i < 5; i++) {
            fail("10.0.1." + i, "ada", 1);
        }
        assertThat(throttle.check("10.0.2.1", "ada")).isInstanceOf(Deny.class);
        assertThat(throttle.check("10.0.0.1", "ada")).as("the operator's address").isInstanceOf(Allow.class);
        now.addAndGet(60_000); // no longer trusted after trustedMs
        for (int i = 0; i < 5; i++) {
            fail("10.0.3." + i, "ada", 1);
        }
        assertThat(throttle.check("10.0.0.1", "ada")).isInstanceOf(Deny.class);
    }

    @Test
    void aSuccessClearsTheUsersFailures() {
        for (int i = 0; i < 4; i++) {
            fail("10.0.1." + i, "ada", 1);
        }
        throttle.succeeded("10.0.0.1", "ada");
        fail("10.0.1.9", "ada", 1);
        assertThat(throttle.check("10.0.2.1", "ada")).isInstanceOf(Allow.class);
    }

    @Test
    void unknownNamesAreCountedLikeKnownOnes() {
        // the policy never knows whether a name exists: the same calls, the same answers
        for (int i = 0; i < 5; i++) {
            fail("10.0.1." + i, "no-such-user", 1);
        }
        assertThat(throttle.check("10.0.2.1", "no-such-user")).isEqualTo(new Deny("user", 8_000));
    }

    @Test
    void malformedCredentialsCountForTheClientOnly() {
        throttle.failed("10.0.0.9");
        throttle.failed("10.0.0.9");
        throttle.failed("10.0.0.9");
        assertThat(throttle.check("10.0.0.9", "ada")).isInstanceOf(Deny.class);
        assertThat(throttle.check("10.0.0.8", "ada")).isInstanceOf(Allow.class);
    }

    @Test
    void memoryIsBoundedAndLockedEntriesAreKeptOverIdleOnes() {
        fail("10.0.0.9", "victim", 3); // locked client
        for (int i = 0; i < 500; i++) {
            throttle.failed("10.1." + (i / 250) + "." + (i % 250), "user" + i);
        }
        assertThat(throttle.tracked()).isLessThanOrEqualTo(2 * LIMITS.maxTracked());
        assertThat(throttle.check("10.0.0.9", "x")).as("still locked").isInstanceOf(Deny.class);
    }

    @Test
    void limitsAreChecked() {
        assertThatThrownBy(() -> new Limits(0, 1, 1, 1, 1, 1, 1, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Limits(1, 0, 1, 1, 1, 1, 1, 0, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
