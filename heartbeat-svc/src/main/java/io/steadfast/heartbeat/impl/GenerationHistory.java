package io.steadfast.heartbeat.impl;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The data generations of one copy of a mirror module, after DRBD's UUID scheme: no clock is involved anywhere.
 * A generation is a random 64-bit id (0 = none) that a copy takes when it starts writing on its own (ALONE, a forced
 * {@code prim}, the first {@code prim} of a fresh module); a copy that resynchronised from its peer takes the peer's
 * history. Each copy keeps
 * <ul>
 * <li>{@code current}: the generation its data belongs to;</li>
 * <li>{@code lastContact} (DRBD's bitmap UUID): the generation both copies shared the last time they were in sync;
 * kept apart from {@code older} so that a copy that starts alone many times never forgets it;</li>
 * <li>{@code older}: the generations it held before {@code current}, newest first, at most {@link #MAX_OLDER}.</li>
 * </ul>
 * Two copies decide from the two histories alone ({@link #compare}): the same current generation → up to date;
 * one's current generation among the other's ancestors → the other descends from it (resync in that direction);
 * neither → they diverged (split brain: both wrote on their own since they last shared a generation). A history
 * too short to show a descent errs towards DIVERGED, which keeps both copies: never towards overwriting one.
 * Immutable.
 */
public record GenerationHistory(long current, long lastContact, List<Long> older) {
    public static final int MAX_OLDER = 4;
    public static final GenerationHistory FRESH = new GenerationHistory(0, 0, List.of());
    /** Wire and file form: {@code g2:<current>.<lastContact>.<older,…>} in hex; "" = fresh. */
    static final String PREFIX = "g2:";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    /** How two copies relate, from one side's point of view. */
    public enum Relation {
        UP_TO_DATE, I_AM_AHEAD, PEER_IS_AHEAD, DIVERGED;

        public Relation inverse() {
            return switch (this) {
                case I_AM_AHEAD -> PEER_IS_AHEAD;
                case PEER_IS_AHEAD -> I_AM_AHEAD;
                default -> this;
            };
        }
    }

    public GenerationHistory {
        if (current == 0 && (lastContact != 0 || !older.isEmpty())) {
            throw new IllegalArgumentException("a fresh history has no ancestors");
        }
        if (older.size() > MAX_OLDER || older.contains(0L) || older.contains(current)) {
            throw new IllegalArgumentException("bad history: " + older);
        }
        older = List.copyOf(older);
    }

    public boolean isFresh() {
        return current == 0;
    }

    /** The generations this copy descends from (not including {@code current}). */
    public Set<Long> ancestors() {
        Set<Long> a = new LinkedHashSet<>(older);
        if (lastContact != 0 && lastContact != current) {
            a.add(lastContact);
        }
        return a;
    }

    /** The copy starts writing on its own: a new random generation, the current one moves to {@code older}. */
    public GenerationHistory next() {
        return next(RANDOM);
    }

    public GenerationHistory next(RandomGenerator random) {
        long id;
        do {
            id = random.nextLong();
        } while (id == 0 || id == current || ancestors().contains(id));
        if (current == 0) {
            return new GenerationHistory(id, 0, List.of());
        }
        List<Long> o = new ArrayList<>();
        o.add(current);
        for (Long g : older) {
            if (o.size() < MAX_OLDER && g != id) {
                o.add(g);
            }
        }
        return new GenerationHistory(id, lastContact, o);
    }

    /** This copy and its peer share {@code current} now (a SECOND is up to date): remember it as the last contact. */
    public GenerationHistory contact() {
        return current == 0 || lastContact == current ? this : new GenerationHistory(current, current, older);
    }

    /** After a complete resync from a peer holding {@code source}: this copy now is the peer's copy. */
    public static GenerationHistory adopt(GenerationHistory source) {
        return source.contact();
    }

    /**
     * How {@code mine} relates to {@code theirs}: equal current generations → UP_TO_DATE (two fresh copies too);
     * a fresh copy is behind any other; one current generation among the other's ancestors → that other is ahead;
     * else DIVERGED.
     */
    public static Relation compare(GenerationHistory mine, GenerationHistory theirs) {
        if (mine.current == theirs.current) {
            return Relation.UP_TO_DATE;
        }
        if (mine.isFresh()) {
            return Relation.PEER_IS_AHEAD;
        }
        if (theirs.isFresh()) {
            return Relation.I_AM_AHEAD;
        }
        boolean theyDescend = theirs.ancestors().contains(mine.current);
        boolean iDescend = mine.ancestors().contains(theirs.current);
        if (theyDescend == iDescend) {
            return Relation.DIVERGED; // neither, or a cycle no honest history makes
        }
        return theyDescend ? Relation.PEER_IS_AHEAD : Relation.I_AM_AHEAD;
    }

    public Relation compareTo(GenerationHistory theirs) {
        return compare(this, theirs);
    }

    /** The current generation as shown to operators and given to replication-svc: 16 hex digits, "" when fresh. */
    public String id() {
        return idOf(current);
    }

    public static String idOf(long g) {
        return g == 0 ? "" : HEX.toHexDigits(g);
    }

    /** Wire and file form (see {@link #parse}). */
    public String encode() {
        if (isFresh()) {
            return "";
        }
        StringBuilder b = new StringBuilder(PREFIX).append(HEX.toHexDigits(current)).append('.')
                .append(HEX.toHexDigits(lastContact)).append('.');
        for (int i = 0; i < older.size(); i++) {
            b.append(i == 0 ? "" : ",").append(HEX.toHexDigits(older.get(i)));
        }
        return b.toString();
    }

    /**
     * Reads {@link #encode}'s form; "" is fresh; any other text is a generation of the wall-clock era
     * ({@code <13-digit epoch ms>-<8 hex>}, before wave 2) and converts with {@link #fromLegacy}.
     *
     * @throws IllegalArgumentException when a {@code g2:} text is damaged
     */
    public static GenerationHistory parse(String s) {
        if (s.isEmpty()) {
            return FRESH;
        }
        if (!s.startsWith(PREFIX)) {
            return fromLegacy(s);
        }
        String[] parts = s.substring(PREFIX.length()).split("\\.", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a generation history: \"" + s + "\"");
        }
        try {
            long cur = hex(parts[0]);
            long lc = hex(parts[1]);
            List<Long> o = new ArrayList<>();
            if (!parts[2].isEmpty()) {
                for (String g : parts[2].split(",", -1)) {
                    o.add(hex(g));
                }
            }
            if (cur == 0) {
                throw new IllegalArgumentException("current generation 0");
            }
            return new GenerationHistory(cur, lc, o);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a generation history: \"" + s + "\" (" + e.getMessage() + ")", e);
        }
    }

    private static long hex(String s) {
        if (s.length() != 16) {
            throw new IllegalArgumentException("\"" + s + "\" is not 16 hex digits");
        }
        return HEX.fromHexDigitsToLong(s);
    }

    /**
     * A generation string written before wave 2 ({@code 0001700000000000-1a2b3c4d}): its id is derived from the text
     * (the first 8 bytes of its SHA-256), so the two nodes of an upgraded pair that held the same old generation
     * hold the same id and are up to date with each other. Nothing is derived from the time in it: an upgraded pair
     * whose old generations differ is DIVERGED, and the follower's copy is kept.
     */
    public static GenerationHistory fromLegacy(String legacy) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(legacy.getBytes(StandardCharsets.UTF_8));
            long id = 0;
            for (int i = 0; i < 8; i++) {
                id = (id << 8) | (d[i] & 0xff);
            }
            return new GenerationHistory(id == 0 ? 1 : id, 0, List.of());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    @Override
    public String toString() {
        return isFresh() ? "fresh" : encode();
    }
}
