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
    DEMOTE
}
