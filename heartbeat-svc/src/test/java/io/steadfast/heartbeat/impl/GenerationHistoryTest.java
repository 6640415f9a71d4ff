package io.steadfast.heartbeat.impl;

import io.steadfast.heartbeat.impl.GenerationHistory.Relation;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The clock-free generation decisions, by example and over random histories (a fixed seed per property). */
class GenerationHistoryTest {
    private static final GenerationHistory F = GenerationHistory.FRESH;

    @Test
    void freshCopiesAreUpToDateAndAnyDataIsAheadOfFresh() {
        GenerationHistory a = F.next();
        assertThat(GenerationHistory.compare(F, F)).isEqualTo(Relation.UP_TO_DATE);
        assertThat(GenerationHistory.compare(F, a)).isEqualTo(Relation.PEER_IS_AHEAD);
        assertThat(GenerationHistory.compare(a, F)).isEqualTo(Relation.I_AM_AHEAD);
    }

    @Test
    void aFollowerThatAdoptedIsUpToDateAndAnAloneStartIsAhead() {
        GenerationHistory prim = F.next();
        GenerationHistory second = GenerationHistory.adopt(prim);
        assertThat(second.compareTo(prim)).isEqualTo(Relation.UP_TO_DATE);
        GenerationHistory alone = second.next(); // the SECOND took over alone
        assertThat(alone.compareTo(prim)).isEqualTo(Relation.I_AM_AHEAD);
        assertThat(prim.compareTo(alone)).isEqualTo(Relation.PEER_IS_AHEAD);
    }

    @Test
    void bothWritingAloneFromTheSamePointDiverge() {
        GenerationHistory shared = GenerationHistory.adopt(F.next());
        GenerationHistory a = shared.next();
        GenerationHistory b = shared.next();
        assertThat(a.compareTo(b)).isEqualTo(Relation.DIVERGED);
        assertThat(b.compareTo(a)).isEqualTo(Relation.DIVERGED);
    }

    @Test
    void aForcedStaleCopyDivergesFromTheNewestInsteadOfOutrankingIt() {
        GenerationHistory shared = GenerationHistory.adopt(F.next());
        GenerationHistory newest = shared.next().next().next(); // wrote alone, restarted alone twice
        GenerationHistory forced = shared.next(); // the stale copy, forced
        assertThat(forced.compareTo(newest)).isEqualTo(Relation.DIVERGED);
    }

    @Test
    void theLastContactSurvivesManyAloneStartsBeyondTheBoundedHistory() {
        GenerationHistory shared = GenerationHistory.adopt(F.next());
        GenerationHistory h = shared;
        for (int i = 0; i < 3 * GenerationHistory.MAX_OLDER; i++) {
            h = h.next();
        }
        assertThat(h.older()).hasSize(GenerationHistory.MAX_OLDER);
        assertThat(h.compareTo(shared)).isEqualTo(Relation.I_AM_AHEAD);
        assertThat(shared.compareTo(h)).isEqualTo(Relation.PEER_IS_AHEAD);
    }

    @Test
    void aDescentLongerThanTheHistoryErrsTowardsDivergedNeverTowardsOverwriting() {
        GenerationHistory start = F.next(); // never in contact: no lastContact
        GenerationHistory h = start;
        for (int i = 0; i <= GenerationHistory.MAX_OLDER; i++) {
            h = h.next();
        }
        assertThat(h.compareTo(start)).isEqualTo(Relation.DIVERGED);
    }

    @Test
    void encodeParseRoundTripsAndDamageIsRefused() {
        GenerationHistory h = GenerationHistory.adopt(F.next()).next().next();
        assertThat(GenerationHistory.parse(h.encode())).isEqualTo(h);
        assertThat(GenerationHistory.parse("")).isEqualTo(F);
        assertThat(F.encode()).isEmpty();
        assertThat(h.id()).hasSize(16);
        String enc = h.encode();
        for (String bad : List.of(enc.substring(0, enc.length() - 3), "g2:", "g2:zz.00.", "g2:" + "0".repeat(16) + "."
                + "0".repeat(16) + ".", enc + ",", enc.replace('.', ':'))) {
            assertThatThrownBy(() -> GenerationHistory.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void legacyWallClockGenerationsConvertTheSameWayOnBothNodesAndNeverByTheirTime() {
        String old = "1700000000000-0000abcd";
        String later = "1800000000000-0000abcd";
        assertThat(GenerationHistory.parse(old)).isEqualTo(GenerationHistory.fromLegacy(old));
        assertThat(GenerationHistory.parse(old).compareTo(GenerationHistory.parse(old))).isEqualTo(Relation.UP_TO_DATE);
        // two different old generations: nothing says which is newer without a clock — both copies are kept
        assertThat(GenerationHistory.parse(old).compareTo(GenerationHistory.parse(later))).isEqualTo(Relation.DIVERGED);
        GenerationHistory upgraded = GenerationHistory.parse(old).next();
        assertThat(upgraded.compareTo(GenerationHistory.parse(old))).isEqualTo(Relation.I_AM_AHEAD);
    }

    // ---- properties over random histories

    /** A random cluster history: two copies that sync, start alone, get forced, restart, in random order. */
    @Test
    void propertiesOverRandomHistories() {
        SplittableRandom rnd = new SplittableRandom(20240616L);
        Random ids = new Random(7);
        for (int run = 0; run < 2000; run++) {
            GenerationHistory a = F;
            GenerationHistory b = F;
            // ground truth: the set of "writes" each copy holds, by generation lineage
            List<Long> linA = new ArrayList<>();
            List<Long> linB = new ArrayList<>();
            int steps = rnd.nextInt(1, 12);
            for (int i = 0; i < steps; i++) {
                switch (rnd.nextInt(4)) {
                    case 0 -> { a = a.next(ids); linA.add(a.current()); }
                    case 1 -> { b = b.next(ids); linB.add(b.current()); }
                    case 2 -> { if (!a.isFresh()) { b = GenerationHistory.adopt(a); linB = new ArrayList<>(linA); } }
                    default -> { if (!b.isFresh()) { a = GenerationHistory.adopt(b); linA = new ArrayList<>(linB); } }
                }
                Relation r = GenerationHistory.compare(a, b);
                // antisymmetry
                assertThat(GenerationHistory.compare(b, a)).isEqualTo(r.inverse());
                // reflexivity
                assertThat(GenerationHistory.compare(a, a)).isEqualTo(Relation.UP_TO_DATE);
                // soundness: "ahead" only when the other's lineage is a prefix of this one's (nothing of it is lost
                // by resyncing in that direction); equal only on equal lineages
                boolean aHasAllOfB = linA.size() >= linB.size() && linA.subList(0, linB.size()).equals(linB);
                boolean bHasAllOfA = linB.size() >= linA.size() && linB.subList(0, linA.size()).equals(linA);
                switch (r) {
                    case UP_TO_DATE -> assertThat(linA).isEqualTo(linB);
                    case I_AM_AHEAD -> assertThat(aHasAllOfB).as("a ahead of b: %s %s", a, b).isTrue();
                    case PEER_IS_AHEAD -> assertThat(bHasAllOfA).as("b ahead of a: %s %s", a, b).isTrue();
                    case DIVERGED -> { }
                }
                // completeness within the bound: a real divergence is always seen as one
                if (!aHasAllOfB && !bHasAllOfA) {
                    assertThat(r).isEqualTo(Relation.DIVERGED);
                }
                // persisted and sent on the wire unchanged
                assertThat(GenerationHistory.parse(a.encode())).isEqualTo(a);
            }
        }
    }

    @Test
    void aCopyStartedAloneAfterAContactIsAlwaysSeenAheadOfTheCopyItLeft() {
        SplittableRandom rnd = new SplittableRandom(99);
        for (int run = 0; run < 1000; run++) {
            GenerationHistory h = F.next();
            for (int i = rnd.nextInt(0, 8); i > 0; i--) {
                h = h.next();
            }
            GenerationHistory left = GenerationHistory.adopt(h);
            GenerationHistory ahead = left;
            for (int i = rnd.nextInt(1, 20); i > 0; i--) {
                ahead = ahead.next();
            }
            assertThat(ahead.compareTo(left)).isEqualTo(Relation.I_AM_AHEAD);
            assertThat(left.compareTo(ahead)).isEqualTo(Relation.PEER_IS_AHEAD);
        }
    }
}
