package io.steadfast.lbfilter.impl;

import io.steadfast.api.LbFilterApi;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Connection-preserving handover (issue 20), the plain logic: the state of each bucket on <em>this</em> node, and how
 * it changes when the membership (or a weight) changes and as time passes. No I/O: {@link LbFilter} turns the states
 * into verdicts of the kernel's map ({@link FilterScript.Verdict}).
 *
 * <p>Why it works without any node talking to another: every node sees every frame to the VIP (flooded virtual MAC)
 * and tracks, in its own kernel, the flows it accepted (a dynamic nft set updated by the packet path). When a bucket
 * moves from a live node A to a node B:
 * <ul>
 *   <li>A puts it in {@link Mode#DRAIN}: packets of flows in A's set are still accepted (A has their sockets), a SYN
 *       or a packet of any other flow is dropped (it belongs to B; A's stack would answer it with a RST);
 *   <li>B puts it in {@link Mode#FRESH}: a SYN (a new connection) is accepted and tracked, later packets of flows B
 *       tracks are accepted, any other packet is dropped (it belongs to A: B's stack would reset A's connection).
 * </ul>
 * A's drain ends when the bucket has no tracked flow left (closed connections leave the set: FIN/RST, or silence
 * beyond the idle timeout) or after {@code drain}; B's fresh state ends after {@code drain} (B cannot see A's set;
 * from then on it answers stray packets of unknown flows with RSTs, which is what a client of a closed connection
 * should get). A node that <em>dies</em> drains nothing: its buckets are taken at once ({@link Mode#OWN}, not FRESH)
 * by whoever is next in their order, and a FRESH bucket whose old owner leaves the membership becomes OWN at once.
 */
public final class Handover {
    /** What this node does with one bucket. */
    public enum Mode {
        /** Ours: every packet accepted (and its flow tracked). */
        OWN,
        /** Ours, but a live node still drains it: new connections and our own flows only. */
        FRESH,
        /** Not ours any more: only the flows we already have, until they end or the drain times out. */
        DRAIN,
        /** Not ours: dropped. */
        NONE
    }

    /**
     * @param from  FRESH: the node draining the bucket (null: unknown — the state was read back from the kernel)
     * @param until FRESH/DRAIN: when the state ends at the latest (ms, the caller's clock); else 0
     */
    public record State(Mode mode, String from, long until) {
        public static final State OWN = new State(Mode.OWN, null, 0);
        public static final State NONE = new State(Mode.NONE, null, 0);

        public State {
            Objects.requireNonNull(mode, "mode");
        }

        static State fresh(String from, long until) {
            return new State(Mode.FRESH, from, until);
        }

        static State drain(long until) {
            return new State(Mode.DRAIN, null, until);
        }

        /** This node accepts new connections of the bucket. */
        public boolean owned() {
            return mode == Mode.OWN || mode == Mode.FRESH;
        }
    }

    private Handover() {
    }

    /**
     * The states after a change of table.
     *
     * @param me        this node
     * @param before    the table this node applied last; null when unknown (first table of a joining node, or a
     *                  restarted service that read {@code current} back from the kernel)
     * @param after     the table of the new membership
     * @param members   the new UP members
     * @param withoutMe the table of {@code members} without this node: who owned a bucket before this node took it,
     *                  when {@code before} is unknown
     * @param current   the states now (a missing bucket is {@link State#NONE})
     * @param drainMs   {@code farm.drain}; 0: no handover, buckets move at once (OWN/NONE only)
     */
    public static Map<Integer, State> next(String me, BucketTable before, BucketTable after, Collection<String> members,
                                           BucketTable withoutMe, Map<Integer, State> current, long now,
                                           long drainMs) {
        Set<String> up = Set.copyOf(members);
        Map<Integer, State> next = new TreeMap<>();
        for (int b = 0; b < LbFilterApi.BUCKETS; b++) {
            State cur = current.getOrDefault(b, State.NONE);
            String owner = after.owner(b);
            State s;
            if (drainMs <= 0) {
                s = me.equals(owner) ? State.OWN : State.NONE;
            } else if (me.equals(owner)) {
                if (cur.mode() == Mode.OWN) {
                    s = State.OWN;
                } else if (cur.mode() == Mode.FRESH) {
                    s = cur.from() != null && !up.contains(cur.from()) ? State.OWN : cur;
                } else { // taking it (NONE, or back while we still drain it)
                    String prev = before != null ? before.owner(b) : withoutMe.owner(b);
                    s = prev != null && !prev.equals(me) && up.contains(prev) ? State.fresh(prev, now + drainMs)
                            : State.OWN;
                }
            } else if (owner == null || !up.contains(me)) {
                s = State.NONE; // leaving: every bucket dropped (LbFilter#leave)
            } else if (cur.owned()) {
                s = State.drain(now + drainMs);
            } else {
                s = cur; // DRAIN goes on, NONE stays
            }
            next.put(b, s);
        }
        return next;
    }

    /**
     * The states once time passed: FRESH and DRAIN end at their deadline; a DRAIN ends earlier once the kernel holds
     * no flow of its bucket.
     *
     * @param withFlows buckets that still have a tracked flow; null when not read (only deadlines apply)
     */
    public static Map<Integer, State> tick(Map<Integer, State> states, long now, Set<Integer> withFlows) {
        Map<Integer, State> next = new TreeMap<>();
        states.forEach((b, s) -> {
            State n = s;
            if (s.mode() == Mode.FRESH && now >= s.until()) {
                n = State.OWN;
            } else if (s.mode() == Mode.DRAIN && (now >= s.until() || withFlows != null && !withFlows.contains(b))) {
                n = State.NONE;
            }
            next.put(b, n);
        });
        return next;
    }

    /** True when a state waits for time or flows to pass. */
    public static boolean pending(Map<Integer, State> states) {
        return states.values().stream().anyMatch(s -> s.mode() == Mode.FRESH || s.mode() == Mode.DRAIN);
    }

    /** True when some bucket drains (the flows must be read to end it early). */
    public static boolean draining(Map<Integer, State> states) {
        return states.values().stream().anyMatch(s -> s.mode() == Mode.DRAIN);
    }
}
