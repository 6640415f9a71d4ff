package io.steadfast.heartbeat.impl;

/** What the choreographer is asked to do for a state change. */
public enum ChangeKind {
    /** become primary: promote → VIP up → prestart, start_prim (mirror); start_both + VIP up (farm) */
    ACQUIRE,
    /** leave the primary role: stop_prim (graceful, then force) → VIP down → demote (mirror); farm: stop_both */
    RELEASE,
    /** run the application scripts again in place: stop then start, the VIP stays */
    RESTART,
    /** become the replication target of the peer (mirror, non-primary → SECOND) */
    DEMOTE,
    /**
     * mirror primary that lost its peer and asks the witness: VIP down only, the application keeps running (a
     * cut-off primary must not answer on the VIP while the other side may take over)
     */
    FENCE,
    /** mirror primary whose peer came back or whose witness answered: VIP up again (announced) */
    UNFENCE
}
