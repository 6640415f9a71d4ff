package io.steadfast.checker.impl;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The notifications waiting to be delivered, and their retry policy (plain, clock injected; thread-safe).
 *
 * <p>Bounded: when {@code capacity} deliveries wait, offering one more drops the oldest (counted, returned so that
 * the caller logs it) — a notification storm costs memory once, never a delay to the state machine, which only
 * ever offers. A failed delivery is retried after a backoff ({@code base × 2^(attempt-1)}, at most {@code max}) up
 * to {@code maxAttempts} attempts in all, then given up (counted). A job is due at its time; among due jobs the
 * oldest goes first.
 */
public final class NotifyQueue {
    public enum Target { SCRIPT, WEBHOOK }

    /** {@code attempt}: 1 for the first delivery. */
    public record Job(Notification notification, Target target, int attempt, long dueAt) {
    }

    private final int capacity;
    private final int maxAttempts;
    private final long baseBackoffMs;
    private final long maxBackoffMs;
    private final LongSupplier clock;
    private final Deque<Job> jobs = new ArrayDeque<>();
    private long dropped;
    private long gaveUp;
    private long delivered;

    public NotifyQueue(int capacity, int maxAttempts, long baseBackoffMs, long maxBackoffMs, LongSupplier clock) {
        if (capacity < 1 || maxAttempts < 1 || baseBackoffMs < 0 || maxBackoffMs < baseBackoffMs) {
            throw new IllegalArgumentException("capacity and maxAttempts ≥ 1, 0 ≤ base ≤ max backoff");
        }
        this.capacity = capacity;
        this.maxAttempts = maxAttempts;
        this.baseBackoffMs = baseBackoffMs;
        this.maxBackoffMs = maxBackoffMs;
        this.clock = clock;
    }

    /** Queues a first delivery, due now. @return the job dropped to make room, if any */
    public synchronized Optional<Job> offer(Notification n, Target target) {
        return add(new Job(n, target, 1, clock.getAsLong()));
    }

    /** The oldest due job, removed; empty when none is due. */
    public synchronized Optional<Job> poll() {
        long now = clock.getAsLong();
        for (Iterator<Job> it = jobs.iterator(); it.hasNext(); ) {
            Job j = it.next();
            if (j.dueAt() <= now) {
                it.remove();
                return Optional.of(j);
            }
        }
        return Optional.empty();
    }

    /** Ms until the next job is due (0 = one is due now); {@link Long#MAX_VALUE} when empty. */
    public synchronized long waitMs() {
        long now = clock.getAsLong();
        return jobs.stream().mapToLong(j -> Math.max(0, j.dueAt() - now)).min().orElse(Long.MAX_VALUE);
    }

    public synchronized void delivered(Job j) {
        delivered++;
    }

    /**
     * A delivery failed: queued again after the backoff, or given up after {@code maxAttempts}.
     *
     * @return the retry queued (empty when given up); a retry may drop the oldest job like {@link #offer} — then
     *         that one is lost and counted as dropped
     */
    public synchronized Optional<Job> failed(Job j) {
        if (j.attempt() >= maxAttempts) {
            gaveUp++;
            return Optional.empty();
        }
        Job retry = new Job(j.notification(), j.target(), j.attempt() + 1, clock.getAsLong() + backoffMs(j.attempt()));
        add(retry);
        return Optional.of(retry);
    }

    /** The wait before attempt {@code failedAttempt + 1}: base × 2^(failedAttempt-1), capped. */
    public long backoffMs(int failedAttempt) {
        long b = baseBackoffMs;
        for (int i = 1; i < failedAttempt && b < maxBackoffMs; i++) {
            b *= 2;
        }
        return Math.min(b, maxBackoffMs);
    }

    private Optional<Job> add(Job j) {
        Job out = null;
        if (jobs.size() >= capacity) {
            out = jobs.removeFirst();
            dropped++;
        }
        jobs.addLast(j);
        return Optional.ofNullable(out);
    }

    public synchronized int size() {
        return jobs.size();
    }

    public synchronized long dropped() {
        return dropped;
    }

    public synchronized long gaveUp() {
        return gaveUp;
    }

    public synchronized long deliveredCount() {
        return delivered;
    }

    public int maxAttempts() {
        return maxAttempts;
    }
}
