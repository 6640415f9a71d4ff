package io.steadfast.console.impl;

import io.steadfast.console.Role;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Session tokens of the console: {@code POST /api/v1/session} checks a password once and answers an opaque random
 * token ({@value #PREFIX} + 32 random bytes, base64url); the page keeps it in memory and sends it as
 * {@code Authorization: Bearer <token>}, so the password is neither stored nor sent again.
 *
 * <p>A token expires {@link #ttlMs} after sign-in, or {@link #idleMs} after its last use, or at sign-out
 * ({@code DELETE /api/v1/session}), or when its user's line in the users file changes (new password or role,
 * removed user). Only a SHA-256 of each token is kept (in memory: a console restart signs everybody out).
 * Bounded: {@link #maxPerUser} per user and {@link #max} in all, the oldest dropped first. Thread-safe.
 */
public final class Sessions {
    public static final String PREFIX = "sft_";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One signed-in user; {@code userLine} is the users-file line it was checked against. */
    public record Session(String key, String user, Role role, String userLine, long created, long expiresAt,
                          long lastUsed) {
    }

    private final LongSupplier clock;
    private final long ttlMs;
    private final long idleMs;
    private final int maxPerUser;
    private final int max;
    private final Map<String, Session> sessions = new LinkedHashMap<>();

    public Sessions(LongSupplier clock, long ttlMs, long idleMs, int maxPerUser, int max) {
        this.clock = clock;
        this.ttlMs = ttlMs;
        this.idleMs = idleMs;
        this.maxPerUser = maxPerUser;
        this.max = max;
    }

    /** A token and its session. */
    public record Opened(String token, Session session) {
    }

    public synchronized Opened open(String user, Role role, String userLine) {
        long now = clock.getAsLong();
        purge(now);
        if (sessions.values().stream().filter(s -> s.user.equals(user)).count() >= maxPerUser) {
            sessions.values().stream().filter(s -> s.user.equals(user)).min(Comparator.comparingLong(Session::created))
                    .ifPresent(s -> sessions.remove(s.key));
        }
        if (sessions.size() >= max) {
            sessions.remove(sessions.keySet().iterator().next());
        }
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Session s = new Session(key(token), user, role, userLine, now, now + ttlMs, now);
        sessions.put(s.key, s);
        return new Opened(token, s);
    }

    /** The live session of {@code token} (its idle time restarts), or empty. */
    public synchronized Optional<Session> find(String token) {
        long now = clock.getAsLong();
        String key = key(token);
        Session s = sessions.get(key);
        if (s == null) {
            return Optional.empty();
        }
        if (!alive(s, now)) {
            sessions.remove(key);
            return Optional.empty();
        }
        Session touched = new Session(s.key, s.user, s.role, s.userLine, s.created, s.expiresAt, now);
        sessions.put(key, touched);
        return Optional.of(touched);
    }

    /**
     * Is the session of this key still there (not signed out, not expired)? Counts as a use: an open event stream
     * keeps its session from idling out (not beyond its maximum age).
     */
    public synchronized boolean live(String key) {
        Session s = sessions.get(key);
        long now = clock.getAsLong();
        if (s == null || !alive(s, now)) {
            return false;
        }
        sessions.put(key, new Session(s.key, s.user, s.role, s.userLine, s.created, s.expiresAt, now));
        return true;
    }

    /** Signs out; true when the token was live. */
    public synchronized boolean close(String token) {
        Session s = sessions.remove(key(token));
        return s != null && alive(s, clock.getAsLong());
    }

    /** Ends one session by its key (its user's line changed). */
    public synchronized void closeKey(String key) {
        sessions.remove(key);
    }

    public synchronized int size() {
        purge(clock.getAsLong());
        return sessions.size();
    }

    /** When a session stops being valid without further use: the earlier of its expiry and its idle limit. */
    public long validUntil(Session s) {
        return Math.min(s.expiresAt, s.lastUsed + idleMs);
    }

    private boolean alive(Session s, long now) {
        return now < validUntil(s);
    }

    private void purge(long now) {
        sessions.values().removeIf(s -> !alive(s, now));
    }

    /** What is stored for a token: its SHA-256, so a heap dump holds no usable token. */
    static String key(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
