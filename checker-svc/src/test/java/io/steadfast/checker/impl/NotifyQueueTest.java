package io.steadfast.checker.impl;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Queue and retry policy on a fake clock: bounded (oldest dropped, counted), backoff, give up. */
class NotifyQueueTest {
    final AtomicLong now = new AtomicLong(1_000);
    final NotifyQueue q = new NotifyQueue(3, 4, 1_000, 5_000, now::get);

    static Notification n(int i) {
        return new Notification("db", "node1", "state", "SECOND", "ALONE", "event " + i, i);
    }

    @Test
    void firstComeFirstServedWhenDue() {
        q.offer(n(1), NotifyQueue.Target.SCRIPT);
        q.offer(n(2), NotifyQueue.Target.WEBHOOK);
        assertThat(q.waitMs()).isZero();
        assertThat(q.poll()).hasValueSatisfying(j -> {
            assertThat(j.notification().reason()).isEqualTo("event 1");
            assertThat(j.attempt()).isEqualTo(1);
        });
        assertThat(q.poll()).hasValueSatisfying(j -> assertThat(j.target()).isEqualTo(NotifyQueue.Target.WEBHOOK));
        assertThat(q.poll()).isEmpty();
        assertThat(q.waitMs()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aFullQueueDropsTheOldestAndCountsIt() {
        for (int i = 1; i <= 3; i++) {
            assertThat(q.offer(n(i), NotifyQueue.Target.SCRIPT)).isEmpty();
        }
        assertThat(q.offer(n(4), NotifyQueue.Target.SCRIPT)).hasValueSatisfying(
                dropped -> assertThat(dropped.notification().reason()).isEqualTo("event 1"));
        assertThat(q.offer(n(5), NotifyQueue.Target.SCRIPT)).isPresent();
        assertThat(q.dropped()).isEqualTo(2);
        assertThat(q.size()).isEqualTo(3);
        assertThat(q.poll().orElseThrow().notification().reason()).isEqualTo("event 3");
    }

    @Test
    void failuresAreRetriedWithBackoffThenGivenUp() {
        assertThat(q.backoffMs(1)).isEqualTo(1_000);
        assertThat(q.backoffMs(2)).isEqualTo(2_000);
        assertThat(q.backoffMs(3)).isEqualTo(4_000);
        assertThat(q.backoffMs(4)).isEqualTo(5_000); // capped
        assertThat(q.backoffMs(60)).isEqualTo(5_000);

        q.offer(n(1), NotifyQueue.Target.WEBHOOK);
        NotifyQueue.Job j = q.poll().orElseThrow();
        long[] waits = {1_000, 2_000, 4_000};
        for (long wait : waits) {
            NotifyQueue.Job retry = q.failed(j).orElseThrow();
            assertThat(retry.attempt()).isEqualTo(j.attempt() + 1);
            assertThat(q.waitMs()).isEqualTo(wait);
            assertThat(q.poll()).as("not due yet").isEmpty();
            now.addAndGet(wait);
            j = q.poll().orElseThrow();
        }
        assertThat(j.attempt()).isEqualTo(4);
        assertThat(q.failed(j)).isEmpty();
        assertThat(q.gaveUp()).isEqualTo(1);
        assertThat(q.size()).isZero();
    }

    @Test
    void aRetryDoesNotBlockNewerDueJobs() {
        q.offer(n(1), NotifyQueue.Target.WEBHOOK);
        q.failed(q.poll().orElseThrow());
        q.offer(n(2), NotifyQueue.Target.WEBHOOK);
        assertThat(q.poll().orElseThrow().notification().reason()).isEqualTo("event 2");
        q.delivered(null);
        assertThat(q.deliveredCount()).isEqualTo(1);
    }

    @Test
    void badSettingsAreRefused() {
        assertThatThrownBy(() -> new NotifyQueue(0, 1, 0, 0, now::get)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NotifyQueue(1, 1, 10, 5, now::get)).isInstanceOf(IllegalArgumentException.class);
    }
}
