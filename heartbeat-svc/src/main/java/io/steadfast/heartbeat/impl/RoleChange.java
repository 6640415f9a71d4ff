package io.steadfast.heartbeat.impl;

import io.steadfast.api.State;

import java.util.Optional;

/**
 * One role change for the choreographer. The machine answers {@code done(token)} or {@code failed(token, why)};
 * an answer with another token is stale and ignored.
 *
 * @param peer       mirror: the replication peer when replicating (PRIM or SECOND)
 * @param generation the data generation this node holds for the change
 * @param force      stop scripts straight with {@code force} (forcestop)
 * @param action     what caused it, passed to the scripts (e.g. "failover", "prim", "swap")
 * @param keepCopyAt mirror, to SECOND after a split brain: where replication-svc copies this node's replicated
 *                   directories before it accepts a resync (the change fails when the copy cannot be made)
 */
public record RoleChange(long token, String module, ChangeKind kind, State from, State to, Optional<String> peer,
                         String generation, boolean fullsync, boolean force, String action,
                         Optional<String> keepCopyAt) {
    public RoleChange(long token, String module, ChangeKind kind, State from, State to, Optional<String> peer,
                      String generation, boolean fullsync, boolean force, String action) {
        this(token, module, kind, from, to, peer, generation, fullsync, force, action, Optional.empty());
    }
}
