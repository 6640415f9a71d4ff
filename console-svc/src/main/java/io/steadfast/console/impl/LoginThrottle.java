package io.steadfast.console.impl;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Login throttling of the console: failed password checks counted per client address and per user name, each in a
 * sliding window; reaching the limit locks that client (or that user name) out for a while, doubling with each
 * lockout in a row. Asked before a password is hashed, so a locked-out guesser costs no PBKDF2.
 *
 * <ul>
 *   <li><b>Per client</b>: {@link Limits#clientFailures} failures within {@link Limits#clientWindowMs} lock the
 *       address for {@link Limits#clientLockoutMs} (×2 per further lockout, at most ×{@link Limits#maxBackoff}).
 *       A success does not clear a client's failures: one valid account must not buy an attacker new guesses
 *       at others.</li>
 *   <li><b>Per user</b>: {@link Limits#userFailures} failures from any addresses within {@link Limits#userWindowMs}
 *       lock the name for {@link Limits#userLockoutMs} (doubling likewise); a success clears them. A user's lockout
 *       does not apply to an address that signed in as that user within {@link Limits#trustedMs}: an operator
 *       keeps working while others guess at their name (locking them out would hand anyone a denial of
 *       service).</li>
 *   <li>Unknown user names are counted exactly like known ones, so the answers (401 or 429) do not tell which
 *       names exist.</li>
 * </ul>
 *
 * <p>Memory is bounded: at most {@link Limits#maxTracked} clients and as many user names; when full, entries that
 * are neither locked nor recently failed are dropped first, then the least recently used.
 *
 * <p>Thread-safe (one lock; every operation is a few map look-ups). Time comes from the given clock (tests use a
 * fake one).
 */
public final class LoginThrottle {
    /** The policy's numbers. */
    public record Limits(int clientFailures, long clientWindowMs, long clientLockoutMs,
                         int userFailures, long userWindowMs, long userLockoutMs,
                         int maxBackoff, long trustedMs, int maxTracked) {
        public Limits {
            if (clientFailures < 1 || userFailures < 1 || maxBackoff < 1 || maxTracked < 1) {
                throw new IllegalArgumentException("limits must be at least 1");
            }
            if (clientWindowMs <= 0 || clientLockoutMs <= 0 || userWindowMs <= 0 || userLockoutMs <= 0
                    || trustedMs < 0) {
                throw new IllegalArgumentException("durations must be positive");
            }
        }

        /**
         * 10 failures per address in 5 min lock it for 1 min (then 2, 4 … at most 16 min); 20 failures per user name
         * in 15 min lock it for 1 min likewise, except for addresses that signed in as that user in the last 24 h.
         */
        public static final Limits DEFAULT = new Limits(10, 5 * 60_000, 60_000, 20, 15 * 60_000, 60_000, 16,
                24 * 3600_000L, 10_000);
    }

    /** What to do with an attempt. */
    public sealed interface Decision permits Allow, Deny {
    }

    public record Allow() implements Decision {
    }

    /** Refused without checking the password; retry after {@code retryAfterMs}. {@code what}: "client" or "user". */
    public record Deny(String what, long retryAfterMs) implements Decision {
    }

    private static final Allow ALLOW = new Allow();

    /** Failures of one client or one user name. */
    private static final class Entry {
        final Deque<Long> failures = new ArrayDeque<>();
        long lockedUntil;
        int lockouts;
        long lastSeen;
        /** user entries: client address → until when it counts as known for that user */
        Map<String, Long> trusted;
    }

    private final Limits limits;
    private final LongSupplier clock;
    private final Map<String, Entry> clients = new HashMap<>();
    private final Map<String, Entry> users = new HashMap<>();

    public LoginThrottle(Limits limits, LongSupplier clock) {
        this.limits = Objects.requireNonNull(limits);
        this.clock = Objects.requireNonNull(clock);
    }

    /** May {@code client} try a password for {@code user} now? */
    public synchronized Decision check(String client, String user) {
        long now = clock.getAsLong();
        Entry c = clients.get(client);
        if (c != null && c.lockedUntil > now) {
            return new Deny("client", c.lockedUntil - now);
        }
        Entry u = users.get(user);
        if (u != null && u.lockedUntil > now && !trusted(u, client, now)) {
            return new Deny("user", u.lockedUntil - now);
        }
        return ALLOW;
    }

    /**
     * A wrong password (or an unknown user) from {@code client}. Returns the lockout this failure started ("client"
     * or "user", and for how long), for the log; empty when none started.
     */
    public synchronized java.util.Optional<Deny> failed(String client, String user) {
        long now = clock.getAsLong();
        Entry c = entry(clients, client, now);
        if (fail(c, now, limits.clientFailures(), limits.clientWindowMs(), limits.clientLockoutMs())) {
            return java.util.Optional.of(new Deny("client", c.lockedUntil - now));
        }
        if (user != null) {
            Entry u = entry(users, user, now);
            if (!trusted(u, client, now)
                    && fail(u, now, limits.userFailures(), limits.userWindowMs(), limits.userLockoutMs())) {
                return java.util.Optional.of(new Deny("user", u.lockedUntil - now));
            }
        }
        return java.util.Optional.empty();
    }

    /** A failure that names no user (malformed credentials): counted for the client only. */
    public java.util.Optional<Deny> failed(String client) {
        return failed(client, null);
    }

    /** The right password: the user's failures are forgotten and the address is known for that user. */
    public synchronized void succeeded(String client, String user) {
        long now = clock.getAsLong();
        Entry u = entry(users, user, now);
        u.failures.clear();
        u.lockouts = 0;
        u.lockedUntil = 0;
        if (limits.trustedMs() > 0) {
            if (u.trusted == null) {
                u.trusted = new HashMap<>();
            }
            if (u.trusted.size() >= 16) {
                u.trusted.values().removeIf(until -> until <= now);
                if (u.trusted.size() >= 16) {
                    u.trusted.remove(u.trusted.keySet().iterator().next());
                }
            }
            u.trusted.put(client, now + limits.trustedMs());
        }
        Entry c = clients.get(client);
        if (c != null) {
            c.lastSeen = now;
        }
    }

    /** Clients and user names currently tracked (tests: the bound). */
    public synchronized int tracked() {
        return clients.size() + users.size();
    }

    private boolean trusted(Entry u, String client, long now) {
        Long until = u.trusted == null ? null : u.trusted.get(client);
        return until != null && until > now;
    }

    /** Counts a failure; true when it starts a lockout. */
    private boolean fail(Entry e, long now, int max, long window, long lockout) {
        e.lastSeen = now;
        while (!e.failures.isEmpty() && e.failures.peekFirst() <= now - window) {
            e.failures.removeFirst();
        }
        if (e.lockedUntil <= now && e.lockedUntil > 0 && now - e.lockedUntil > window) {
            e.lockouts = 0; // quiet for a whole window after the last lockout: start again at the base
        }
        e.failures.addLast(now);
        if (e.failures.size() >= max) {
            e.failures.clear();
            long factor = Math.min(1L << Math.min(e.lockouts, 30), limits.maxBackoff());
            e.lockedUntil = now + lockout * factor;
            e.lockouts++;
            return true;
        }
        return false;
    }

    private Entry entry(Map<String, Entry> map, String key, long now) {
        Entry e = map.get(key);
        if (e == null) {
            if (map.size() >= limits.maxTracked()) {
                evict(map, now);
            }
            e = new Entry();
            map.put(key, e);
        }
        e.lastSeen = now;
        return e;
    }

    /** Drops idle entries (not locked, no failure in the longer window, nothing trusted); else the least recent. */
    private void evict(Map<String, Entry> map, long now) {
        long window = Math.max(limits.clientWindowMs(), limits.userWindowMs());
        map.values().removeIf(e -> e.lockedUntil <= now && e.lastSeen <= now - window
                && (e.trusted == null || e.trusted.values().stream().allMatch(t -> t <= now)));
        if (map.size() >= limits.maxTracked()) {
            Iterator<Map.Entry<String, Entry>> it = map.entrySet().iterator();
            Map.Entry<String, Entry> oldest = null;
            while (it.hasNext()) {
                Map.Entry<String, Entry> x = it.next();
                if (x.getValue().lockedUntil <= now
                        && (oldest == null || x.getValue().lastSeen < oldest.getValue().lastSeen)) {
                    oldest = x;
                }
            }
            if (oldest == null) { // everything is locked: drop the one whose lock ends first
                oldest = map.entrySet().stream().min((a, b) -> Long.compare(a.getValue().lockedUntil,
                        b.getValue().lockedUntil)).orElseThrow();
            }
            map.remove(oldest.getKey());
        }
    }
}
