package io.steadfast.heartbeat.impl;

import io.steadfast.api.Command;
import io.steadfast.api.HeartbeatApi.Role;
import io.steadfast.api.Readiness;
import io.steadfast.api.ReplicationApi;
import io.steadfast.api.State;
import io.steadfast.config.FailureAction;

import java.util.List;
import java.util.Optional;

/**
 * A module's state machine on one node (mirror or farm), as the engine drives it. Single-threaded; {@code now} is
 * wall-clock ms. Commands and actions throw {@link io.steadfast.service.ServiceException} CONFLICT when refused.
 */
public interface ModuleMachine {
    void boot(long now);

    void tick(long now);

    void peerBeat(PeerStatus status, long now);

    void peerLost(String node, long now);

    String command(Command c, List<String> options, long now);

    String action(FailureAction a, String checker, String reason, boolean resume, long now);

    void roleDone(long token, long now);

    void roleFailed(long token, String why, long now);

    default void witnessResult(long token, boolean reached, String detail, long now) {
    }

    default void replication(ReplicationApi.Role role, boolean upToDate, boolean recording, String why, long now) {
    }

    /** What this node says about the module in its beats. */
    PeerStatus status(long now);

    State state();

    Readiness readiness();

    String reason();

    long since();

    Persisted persisted();

    boolean busy();

    Role desiredRole();

    Optional<String> desiredPeer();

    /** Mirror: primary with its VIP withdrawn while the split-brain witness decides (published as desired). */
    default boolean fenced() {
        return false;
    }

    /** Farm: the UP nodes in config order (this node included when UP); mirror: empty. */
    List<String> members();
}
