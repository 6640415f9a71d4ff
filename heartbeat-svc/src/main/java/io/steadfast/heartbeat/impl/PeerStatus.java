package io.steadfast.heartbeat.impl;

import io.steadfast.api.Readiness;
import io.steadfast.api.State;

/**
 * What a node says about its module in every beat: enough for the peer's state machine to decide without asking.
 *
 * @param history    data generations of the copy this node holds ({@link GenerationHistory#FRESH}: no data yet)
 * @param upToDate   this copy holds everything of {@code generation}
 * @param exclusive  no other copy could have become primary since this node last wrote (it is the newest for sure)
 * @param holding    the primary's resources (VIP, application) may be active here: primary, or acquiring/releasing
 * @param eligible   this node may be chosen as primary automatically (not parked by a checker, no failed change)
 * @param yielding   this node prefers the peer as primary (stopstart, swap): chosen only when nobody else can be
 * @param wantPrim   an operator asked this node to become primary (swap/prim): the primary should hand over
 * @param handover   this node left the primary role on purpose (swap/second): the peer takes over even with
 *                   {@code failover: off}
 * @param lastPrim   the last primary this node knows of ("" = none)
 * @param forced     an operator forced this node's copy as the one to keep: a diverged peer follows it
 */
public record PeerStatus(String node, State state, Readiness readiness, GenerationHistory history, boolean upToDate,
                         boolean exclusive, boolean holding, boolean eligible, boolean yielding, boolean wantPrim, boolean handover,
                         String lastPrim, boolean forced) {
    /** A generation as text ("" fresh, a history's encoding, or a pre-wave-2 wall-clock string). */
    public PeerStatus(String node, State state, Readiness readiness, String generation, boolean upToDate,
                      boolean exclusive, boolean holding, boolean eligible, boolean yielding, boolean wantPrim,
                      boolean handover, String lastPrim) {
        this(node, state, readiness, GenerationHistory.parse(generation), upToDate, exclusive, holding, eligible,
                yielding, wantPrim, handover, lastPrim, false);
    }

    /** The current generation's id ("" fresh). */
    public String generation() {
        return history.id();
    }

    public boolean primary() {
        return state == State.PRIM || state == State.ALONE;
    }
}
