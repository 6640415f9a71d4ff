package io.steadfast.heartbeat.impl;

import io.steadfast.api.Command;
import io.steadfast.api.HeartbeatApi.Role;
import io.steadfast.api.ReplicationApi;
import io.steadfast.api.Readiness;
import io.steadfast.api.State;
import io.steadfast.bus.ErrorCode;
import io.steadfast.config.FailureAction;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.ServiceConfig;
import io.steadfast.service.ServiceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.steadfast.config.SplitBrainConfig;
import io.steadfast.heartbeat.impl.GenerationHistory.Relation;

import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The mirror state machine of one module on one node (DESIGN §2). Pure and single-threaded: every input is a
 * method call with the current wall time; outputs go to {@link Effects} (transitions, durable state, role changes
 * for the choreographer, witness checks). It never becomes primary on data that may be stale:
 * <ul>
 * <li>each node persists its data generation, whether its copy is up to date, and whether it is
 * <em>exclusive</em> (primary alone, so no other copy can be newer);</li>
 * <li>with the peer in sight, the primary is the up-to-date node holding the newest generation (ties: the
 * {@code defaultprim} node, the node that was SECOND, the last primary, config order);</li>
 * <li>with the peer out of sight, only an exclusive node (or the {@code defaultprim} node of a fresh module)
 * starts alone; a SECOND that loses its primary takes over only when up to date, with failover on, and when the
 * witness (if configured) answers; a PRIM that loses its SECOND stays primary only if the witness answers.</li>
 * </ul>
 * With a witness, the two sides of a cut must never hold the VIP together. A witness that answers does so in
 * milliseconds, but one that does not is only known after its timeouts (seconds), so the sides decide at very
 * different times. Hence: a PRIM that loses its peer first <em>fences</em> itself (VIP down, application still
 * running) and only then waits for the witness (answer: VIP up again, ALONE; no answer: full step-down to WAIT);
 * and a SECOND whose witness answers takes over only {@code fenceGuardMs} after it lost the primary — the time a
 * cut-off primary needs to notice the same loss (up to one pulse and one tick later) and withdraw its VIP.
 */
public final class MirrorMachine implements ModuleMachine {
    private static final Logger LOG = LoggerFactory.getLogger(MirrorMachine.class);

    public enum MirrorState {
        STOP, WAIT, ALONE, PRIM, SECOND;

        public State api() {
            return State.valueOf(name());
        }

        public boolean primary() {
            return this == ALONE || this == PRIM;
        }
    }

    /** Effects of the machine, run synchronously on the machine's thread. */
    public interface Effects {
        void transition(Transition t);

        /** Must be durable when it returns: the machine acts on the new state right after. */
        void persist(Persisted p);

        /** Start a role change; answer {@link #roleDone} or {@link #roleFailed} later with its token. */
        void roleChange(RoleChange change);

        /** Ask the witness; answer {@link #witnessResult} later with the token. */
        void checkWitness(long token);
    }

    /**
     * @param after      what the follower of a split brain does with its diverged copy
     * @param divergedDir where it is kept: {@code <state_dir>/diverged/<module>}, one {@code <UTC time>} directory
     *                   per split brain
     */
    public record Settings(String module, String self, String peer, List<String> order,
                           Optional<String> defaultprimNode, boolean lastprim, boolean failover, int maxloop,
                           long loopIntervalMs, boolean witness, boolean replication, long startupGraceMs,
                           long wantPrimMs, long fenceGuardMs, SplitBrainConfig.After after, Path divergedDir) {
        public static Settings of(ModuleConfig m, String self) {
            return of(m, self, Path.of("/var/lib/steadfast"));
        }

        public static Settings of(ModuleConfig m, String self, Path stateDir) {
            ServiceConfig s = m.service();
            long timeout = m.heartbeat().timeout().toMillis();
            return new Settings(m.name(), self, m.peerOf(self).orElseThrow(), m.nodes(), s.defaultprimNode(),
                    ServiceConfig.LASTPRIM.equals(s.defaultprim()), s.failover(), s.maxloop(),
                    s.loopInterval().toMillis(), m.splitbrain().hasWitness(), m.replication().isPresent(),
                    timeout + m.heartbeat().pulse().toMillis(), Math.max(5000, 10 * timeout),
                    fenceGuardMs(m.heartbeat().pulse().toMillis()), m.splitbrain().after(),
                    stateDir.resolve("diverged").resolve(m.name()));
        }

        /**
         * The peer's loss is seen up to one pulse (its last beat) plus one tick (pulse / 2) later on the other side,
         * which then needs {@link #FENCE_ALLOWANCE_MS} to withdraw its VIP.
         */
        static long fenceGuardMs(long pulseMs) {
            return pulseMs + pulseMs / 2 + FENCE_ALLOWANCE_MS;
        }
    }

    private enum WitnessPurpose { TAKEOVER, KEEP }

    private record WitnessAnswer(boolean reached, String detail) {
    }

    /**
     * Time a primary needs to take its VIP down once it saw its peer lost: one in-process request to vip-svc and
     * one {@code ip addr del} (56–122 ms measured for the opposite step on this machine, quiet), with margin for load.
     */
    static final long FENCE_ALLOWANCE_MS = 250;

    private final Settings s;
    private final Effects fx;
    private Persisted p;

    private MirrorState state = MirrorState.STOP;
    private Readiness readiness = Readiness.NOT_READY;
    private String reason = "not started";
    private long since;

    private PeerStatus peer;
    private long bootedAt;
    private long tokens;
    private RoleChange busy;
    private long witnessToken;
    private WitnessPurpose witnessPurpose;
    /** PRIM with its VIP withdrawn (peer lost, witness asked): the application keeps running. */
    private boolean fenced;
    /** The witness answered while the fence was still being put up: decided when it is up. */
    private WitnessAnswer pendingAnswer;
    /** SECOND whose witness answered: takes over at this time unless the primary shows up again. */
    private long takeoverAt;
    /** When this node last lost its peer (wall ms). */
    private long peerLostAt;
    private Command queued;
    private String queuedReason = "";
    /** Why the module entered WAIT: kept at the head of the reason while WAIT explains what it waits for. */
    private String waitCause = "";

    /** A checker parked the module in WAIT (name of the checker), until it resumes. */
    private String parkedBy;
    /** The last role change failed: not chosen automatically until an operator starts it again. */
    private boolean failed;
    /** stopstart/swap/second: prefer the peer as primary (still allowed when nobody else can). */
    private boolean yielding;
    private long wantPrimUntil;
    private boolean handover;
    /** Keeping the diverged copy failed: no automatic follow until an operator acts (reason). */
    private String keepCopyFailed = "";
    /**
     * This node saw its primary go while it was an up-to-date SECOND (in this run): its copy holds every write the
     * primary had acknowledged, as when failover takes over by itself; `prim` needs no force then.
     */
    private boolean lostPrimaryInSync;
    private boolean fullsyncNext;
    private String lastAlert = "";
    /** The next RELEASE/DEMOTE to SECOND keeps this node's diverged copy there first (split brain, keep-copy). */
    private Optional<String> keepCopyNext = Optional.empty();
    /** The history this node takes once its diverged copy is kept (it is then the peer's copy, not up to date). */
    private GenerationHistory adoptAfterCopy;
    /** An operator chose the peer's copy (`second`) or this one (`prim --force`) after a split brain. */
    private boolean operatorChose;
    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    public MirrorMachine(Settings settings, Persisted persisted, Effects effects) {
        this.s = settings;
        this.p = persisted;
        this.fx = effects;
    }

    // ------------------------------------------------------------------ inputs

    /** heartbeat-svc started: resume, or stay stopped if an operator stopped the module. */
    public void boot(long now) {
        bootedAt = now;
        since = now;
        if (p.adminStopped()) {
            toStop("stopped by an operator (before this restart): `start` to run it", now);
            return;
        }
        if (p.isDamaged()) {
            toWait(p.damaged() + ": this node does not become primary on it; waiting for an operator (`prim --force`"
                    + " here, or `second` to follow the peer, this copy kept under " + s.divergedDir() + ")", now);
            evaluate(now);
            return;
        }
        toWait("starting: listening for the peer (last role " + p.lastRole() + ")", now);
        evaluate(now);
    }

    /** Called on a timer (pulse/2): startup grace, expiring requests. */
    public void tick(long now) {
        if (wantPrimUntil != 0 && now > wantPrimUntil) {
            wantPrimUntil = 0;
            LOG.info("{}: the primary did not hand over; swap request dropped", s.module());
        }
        evaluate(now);
    }

    /** A valid beat from the peer (every beat: cheap when nothing changed). */
    public void peerBeat(PeerStatus status, long now) {
        boolean changed = !status.equals(peer);
        if (peer == null) {
            LOG.info("{}: peer {} in sight ({})", s.module(), status.node(), status.state());
        }
        peer = status;
        if (witnessToken != 0 || takeoverAt != 0) {
            witnessToken = 0; // the peer is back: the question no longer matters
            takeoverAt = 0;
            changed = true;
        }
        if (changed) {
            evaluate(now);
        }
    }

    /** No valid beat from the peer on any lan within the timeout. */
    @Override
    public void peerLost(String node, long now) {
        if (peer == null) {
            return;
        }
        LOG.warn("{}: peer {} lost (was {})", s.module(), peer.node(), peer.state());
        peer = null;
        peerLostAt = now;
        evaluate(now);
    }

    public void witnessResult(long token, boolean reached, String detail, long now) {
        if (token != witnessToken || token == 0) {
            return;
        }
        witnessToken = 0;
        if (peer == null && busy != null && busy.kind() == ChangeKind.FENCE) {
            pendingAnswer = new WitnessAnswer(reached, detail); // decided once the VIP is down
            return;
        }
        if (peer != null || busy != null) {
            evaluate(now);
            return;
        }
        decide(new WitnessAnswer(reached, detail), now);
    }

    private void decide(WitnessAnswer answer, long now) {
        boolean reached = answer.reached();
        String detail = answer.detail();
        if (witnessPurpose == WitnessPurpose.TAKEOVER && state == MirrorState.SECOND) {
            if (reached) {
                takeoverAt = Math.max(now, peerLostAt + s.fenceGuardMs());
                note("primary lost (no heartbeat on any lan); witness " + detail + " answers: taking over once a"
                        + " cut-off primary has withdrawn its VIP", now);
                evaluate(now);
            } else {
                toWait("primary lost and the witness does not answer (" + detail
                        + "): this node may be the one cut off; waiting", now);
            }
        } else if (witnessPurpose == WitnessPurpose.KEEP && state == MirrorState.PRIM) {
            if (reached) {
                primToAlone("peer lost (no heartbeat on any lan); witness " + detail + " answers", now);
                unfence(now);
            } else {
                release(MirrorState.WAIT, "peer lost and the witness does not answer (" + detail
                        + "): stepping down so that two primaries never write", "splitbrain", false, now);
            }
        } else {
            evaluate(now);
        }
    }

    public void roleDone(long token, long now) {
        if (busy == null || busy.token() != token) {
            return;
        }
        RoleChange c = busy;
        busy = null;
        if (c.keepCopyAt().isPresent()) {
            // the diverged copy is safe: this copy is now the peer's, to be resynchronised
            String kept = c.keepCopyAt().get();
            GenerationHistory h = adoptAfterCopy != null ? adoptAfterCopy : p.history();
            adoptAfterCopy = null;
            p = p.withHistory(h, false, false).repaired()
                    .withAlert(p.alert() + (p.alert().isEmpty() ? "" : "; ") + "this node's copy was kept in " + kept);
            fx.persist(p);
            LOG.error("{}: split brain: the diverged copy of this node was kept in {}", s.module(), kept);
        }
        switch (c.kind()) {
            case FENCE -> {
                fenceUp(now);
                return;
            }
            case ACQUIRE, RESTART, UNFENCE -> set(state, Readiness.READY, reason, now);
            case RELEASE -> {
                if (c.to() == MirrorState.SECOND.api()) {
                    secondAfterDemote(now);
                } else {
                    set(state, Readiness.NOT_READY, reason, now);
                }
            }
            case DEMOTE -> secondAfterDemote(now);
        }
        afterChange(now);
    }

    public void roleFailed(long token, String why, long now) {
        if (busy == null || busy.token() != token) {
            return;
        }
        RoleChange c = busy;
        busy = null;
        LOG.error("{}: {} to {} failed: {}", s.module(), c.kind(), c.to(), why);
        if (c.keepCopyAt().isPresent()) {
            // no copy, no resync: the data of this node stays as it is until an operator looks
            adoptAfterCopy = null;
            keepCopyFailed = "SPLIT BRAIN: the diverged copy could not be kept in " + c.keepCopyAt().get() + " (" + why
                    + "): not resynchronising over it; waiting for an operator (`second` to retry)";
            toWait(keepCopyFailed, now);
            afterChange(now);
            return;
        }
        if (c.kind() == ChangeKind.FENCE) {
            fenceUp(now); // the witness still decides; a step-down takes the VIP down again
            return;
        }
        if (c.kind() == ChangeKind.UNFENCE) {
            release(MirrorState.WAIT, "the VIP could not be put back after the fence (" + why + "): stepping down",
                    "splitbrain", false, now);
            afterChange(now);
            return;
        }
        if (c.kind() == ChangeKind.RELEASE && c.to() == State.STOP) {
            set(MirrorState.STOP, Readiness.NOT_READY, "stopped, but leaving the primary role failed: " + why, now);
        } else {
            failed = true;
            countLoop(now);
            if (loopsExceeded(now)) {
                p = p.withAdminStopped(true);
                persistRole(MirrorState.STOP);
                set(MirrorState.STOP, Readiness.NOT_READY, c.kind().name().toLowerCase() + " failed: " + why
                        + "; maxloop " + s.maxloop() + " reached: stopped (`start` to retry)", now);
            } else {
                toWait(c.kind().name().toLowerCase() + " to " + c.to() + " failed: " + why
                        + " (rolled back; `start` or `prim` to retry)", now);
            }
        }
        afterChange(now);
    }

    /** Replication status of this module on this node (replication-svc). Ignored without replication. */
    public void replication(ReplicationApi.Role role, boolean upToDate, boolean recording, String why, long now) {
        if (!s.replication() || busy != null) {
            return;
        }
        if (state == MirrorState.SECOND && role == ReplicationApi.Role.TARGET) {
            if (upToDate && peer != null && peer.primary()) {
                if (!p.upToDate() || !p.history().equals(GenerationHistory.adopt(peer.history()))) {
                    p = p.withHistory(GenerationHistory.adopt(peer.history()), true, false).repaired();
                    fx.persist(p);
                }
                if (readiness != Readiness.READY) {
                    set(MirrorState.SECOND, Readiness.READY, "up to date with " + peer.node(), now);
                }
            } else if (!upToDate && readiness == Readiness.READY) {
                markNotUpToDate("resynchronising: " + why, now);
            }
        } else if (state == MirrorState.PRIM && role == ReplicationApi.Role.SOURCE && recording) {
            primToAlone("replication to " + s.peer() + " stopped answering (" + why + ")", now);
        }
    }

    /**
     * An operator's command (DESIGN §2). Returns what was done.
     *
     * @throws ServiceException CONFLICT when the command is not allowed in the current state
     */
    public String command(Command c, List<String> options, long now) {
        if (busy != null) {
            if (c == Command.STOP || c == Command.FORCESTOP) {
                queued = c;
                queuedReason = "by an operator";
                return c.id() + " queued after the running " + busy.kind().name().toLowerCase() + " to " + busy.to();
            }
            throw conflict("a role change is in progress (" + busy.kind().name().toLowerCase() + " to " + busy.to()
                    + "): try again when it is done");
        }
        boolean fullsync = options.contains("fullsync");
        switch (c) {
            case START -> {
                if (state != MirrorState.STOP) {
                    throw conflict("already started (" + state + ")");
                }
                clearOperatorFlags();
                p = p.withAdminStopped(false);
                fx.persist(p);
                toWait("started by an operator", now);
                evaluate(now);
                return "started: " + state;
            }
            case STOP, FORCESTOP -> {
                if (state == MirrorState.STOP) {
                    throw conflict("already stopped");
                }
                stopNow(c == Command.FORCESTOP, "stopped by an operator", true, now);
                return "stopped";
            }
            case RESTART -> {
                requirePrimary(c);
                startChange(ChangeKind.RESTART, state, "restart", false, false, now);
                set(state, Readiness.TRANSIENT, "restarting the application (operator)", now);
                return "restarting the application";
            }
            case STOPSTART -> {
                requirePrimary(c);
                yielding = true;
                release(MirrorState.WAIT, "stopstart by an operator: the peer takes over if it can", "stopstart",
                        false, now);
                return "stopping; the peer takes over if it is up to date";
            }
            case PRIM -> {
                boolean force = options.contains("force");
                if (state.primary()) {
                    if (force && peer != null && relation() == Relation.DIVERGED) {
                        // the survivor of a split brain, chosen by an operator: the peer follows, keeping its copy
                        operatorChose = true;
                        p = p.withForced(true);
                        fx.persist(p);
                        note("SPLIT BRAIN: an operator chose this copy (prim --force): " + peer.node()
                                + " follows it, keeping its own", now);
                        return "this copy is kept; " + peer.node() + " follows it (its own copy is kept by policy "
                                + s.after().id() + ")";
                    }
                    throw conflict("already primary (" + state + ")");
                }
                String stale = staleness(now);
                if (peer != null && peer.holding()) {
                    if (force && !stale.isEmpty() && peer.primary()) {
                        clearOperatorFlags();
                        operatorChose = true;
                        forceNewGeneration();
                        wantPrimUntil = now + s.wantPrimMs();
                        note("forced by an operator although " + stale + ": asked " + peer.node()
                                + " to hand over (its copy diverges from this one and is kept)", now);
                        return "asked the primary " + peer.node() + " to hand over (forced: " + stale + ")";
                    }
                    if (!p.upToDate() || state != MirrorState.SECOND || readiness != Readiness.READY) {
                        throw conflict("the peer is primary and this copy is not up to date ("
                                + (stale.isEmpty() ? "resynchronising" : stale) + "): wait for the resync, stop the"
                                + " peer first, or `prim --force` (the peer's copy is then kept apart as diverged)");
                    }
                    clearOperatorFlags();
                    wantPrimUntil = now + s.wantPrimMs();
                    return "asked the primary " + peer.node() + " to hand over";
                }
                if (!stale.isEmpty() && !force) {
                    throw conflict("refused: " + stale + ". `prim --force` makes this copy primary anyway; a newer"
                            + " copy elsewhere then diverges from it and is kept under diverged/ when it comes back,"
                            + " never overwritten");
                }
                clearOperatorFlags();
                operatorChose = force;
                p = p.withAdminStopped(false);
                fullsyncNext = fullsync;
                boolean newGen = false;
                if (!stale.isEmpty()) {
                    forceNewGeneration();
                    newGen = true;
                }
                acquire(peer != null && peer.state() == State.SECOND ? MirrorState.PRIM : MirrorState.ALONE,
                        "made primary by an operator" + (stale.isEmpty() ? "" : " (forced: " + stale + ")"),
                        "prim", now, newGen);
                return "becoming primary" + (stale.isEmpty() ? "" : " (forced: " + stale + ")");
            }
            case SECOND, SWAP -> {
                if (state.primary()) {
                    if (peer == null || peer.state() != State.SECOND || !peer.upToDate()
                            || !peer.generation().equals(p.generation())) {
                        throw conflict("no up-to-date SECOND to hand over to"
                                + (c == Command.SECOND ? ": use stop to leave anyway" : ""));
                    }
                    yielding = true;
                    handover = true;
                    fullsyncNext = fullsync;
                    release(MirrorState.SECOND, c.id() + " by an operator: handing over to " + peer.node(), c.id(),
                            false, now);
                    return "handing over to " + peer.node();
                }
                if (c == Command.SWAP) {
                    if (state != MirrorState.SECOND || peer == null || !peer.primary()) {
                        throw conflict("swap needs this module PRIM/SECOND on the two nodes; here it is " + state);
                    }
                    if (!p.upToDate() || readiness != Readiness.READY) {
                        throw conflict("this copy is still resynchronising: swap when SECOND is Ready");
                    }
                    wantPrimUntil = now + s.wantPrimMs();
                    return "asked the primary " + peer.node() + " to hand over";
                }
                if (state == MirrorState.SECOND) {
                    throw conflict("already SECOND");
                }
                clearOperatorFlags();
                yielding = true;
                operatorChose = true; // following the peer is this operator's choice, even over a diverged copy
                fullsyncNext = fullsync;
                if (state == MirrorState.STOP) {
                    p = p.withAdminStopped(false);
                    fx.persist(p);
                    toWait("started by an operator as SECOND", now);
                }
                evaluate(now);
                return "will be SECOND once the peer is primary";
            }
        }
        throw conflict("unknown command " + c);
    }

    /** {@code splitbrain ack}: the operator saw the split-brain alert (what diverged, what was kept where). */
    public String acknowledgeSplitBrain(long now) {
        if (p.alert().isEmpty()) {
            return "no split-brain alert";
        }
        String was = p.alert();
        p = p.withAlert("");
        fx.persist(p);
        LOG.warn("{}: split-brain alert acknowledged: {}", s.module(), was);
        set(state, readiness, reason, now);
        return "split-brain alert acknowledged (" + was + ")";
    }

    /** The split-brain alert no operator acknowledged yet ("" = none). */
    public String alert() {
        return p.alert();
    }

    /**
     * Why this copy may not be the newest ("" when it surely is): what an operator must know before forcing it.
     * Nothing here depends on a clock; "since" is this node's own time of entering its state.
     */
    private String staleness(long now) {
        String since = " (" + state + " since " + Instant.ofEpochMilli(this.since) + ")";
        if (p.isDamaged()) {
            return "the persisted state is damaged: " + p.damaged() + since;
        }
        if (peer == null) {
            if (p.isFresh()) {
                return "the peer is out of sight and may hold data (this copy is fresh)" + since;
            }
            if (!p.upToDate()) {
                return "this copy is not up to date (a resync of generation " + p.generation()
                        + " did not finish)" + since;
            }
            if (!p.exclusive() && !lostPrimaryInSync) {
                return "the peer is out of sight and may have written since this copy was in sync (generation "
                        + p.generation() + ", last role " + p.lastRole() + ")" + since;
            }
            return "";
        }
        Relation r = relation();
        if (r == Relation.PEER_IS_AHEAD && !(p.isFresh() && peer.history().isFresh())) {
            return "the copy on " + peer.node() + " is newer (its generation " + peer.generation()
                    + " descends from " + (p.isFresh() ? "nothing here: this copy is fresh" : p.generation() + " here")
                    + ")" + since;
        }
        if (r == Relation.DIVERGED) {
            return "the copies diverged (split brain: generation " + p.generation() + " here, " + peer.generation()
                    + " on " + peer.node() + ")" + since;
        }
        if (!p.upToDate() && !p.isFresh()) {
            return "this copy is not up to date (a resync of generation " + p.generation() + " did not finish)"
                    + since;
        }
        return "";
    }

    private void forceNewGeneration() {
        p = p.withHistory(p.history().next(), true, false).withForced(true).repaired();
        fx.persist(p);
    }

    private Relation relation() {
        return GenerationHistory.compare(p.history(), peer.history());
    }

    /**
     * A failover rule fired on this node (checker-svc). {@code resume}: the checker that parked the module is up.
     */
    public String action(FailureAction a, String checker, String why, boolean resume, long now) {
        if (resume) {
            if (checker.equals(parkedBy)) {
                parkedBy = null;
                if (state == MirrorState.WAIT && busy == null) {
                    toWait("checker " + checker + " is up again", now);
                }
                evaluate(now);
                return "resumed";
            }
            return "nothing to resume";
        }
        if (busy != null) {
            throw conflict("a role change is in progress: action " + a + " not applied");
        }
        String because = "checker " + checker + ": " + why;
        switch (a) {
            case NONE -> {
                return "no action";
            }
            case WAIT -> {
                parkedBy = checker;
                if (state.primary()) {
                    release(MirrorState.WAIT, because + " → WAIT", "wait", false, now);
                } else if (state != MirrorState.STOP) {
                    toWait(because + " → WAIT until it is up", now);
                }
                return "waiting";
            }
            case STOP -> {
                if (state == MirrorState.STOP) {
                    return "already stopped";
                }
                stopNow(false, because + " → STOP", false, now);
                return "stopped";
            }
            case RESTART, STOPSTART -> {
                if (!state.primary()) {
                    return "not primary here: nothing to " + a.name().toLowerCase();
                }
                if (loopsExceeded(now)) {
                    stopNow(false, because + "; maxloop " + s.maxloop() + " reached in loop_interval: stopped", false, now);
                    return "stopped (maxloop)";
                }
                countLoop(now);
                if (a == FailureAction.RESTART) {
                    startChange(ChangeKind.RESTART, state, "restart", false, false, now);
                    set(state, Readiness.TRANSIENT, because + " → restarting the application", now);
                    return "restarting";
                }
                yielding = true;
                release(MirrorState.WAIT, because + " → stopstart: the peer takes over if it can", "stopstart",
                        false, now);
                return "stopstart";
            }
        }
        return "no action";
    }

    // ------------------------------------------------------------------ views

    public MirrorState mirrorState() {
        return state;
    }

    @Override
    public State state() {
        return state.api();
    }

    @Override
    public List<String> members() {
        return List.of();
    }

    public Readiness readiness() {
        return readiness;
    }

    /** The reason, and the split-brain alert until an operator acknowledges it. */
    public String reason() {
        return p.alert().isEmpty() ? reason : reason + " [" + p.alert() + " — unacknowledged: `steadfast splitbrain"
                + " ack -m " + s.module() + "`]";
    }

    public long since() {
        return since;
    }

    public Persisted persisted() {
        return p;
    }

    public boolean busy() {
        return busy != null;
    }

    public Optional<PeerStatus> peer() {
        return Optional.ofNullable(peer);
    }

    /** What this node says in its beats. */
    public PeerStatus status(long now) {
        boolean holding = state.primary() || (busy != null && busy.kind() != ChangeKind.DEMOTE);
        return new PeerStatus(s.self(), state.api(), readiness, p.history(), p.upToDate(), p.exclusive(), holding,
                eligible(), yielding, wantPrimUntil != 0 && now <= wantPrimUntil, handover, p.lastPrim(), p.forced());
    }

    /** The role the node-local services must make true (published as DesiredState). */
    public Role desiredRole() {
        return state.primary() ? Role.PRIMARY : state == MirrorState.SECOND ? Role.SECONDARY : Role.NONE;
    }

    @Override
    public boolean fenced() {
        return fenced;
    }

    public Optional<String> desiredPeer() {
        return state == MirrorState.PRIM || state == MirrorState.SECOND ? Optional.of(s.peer()) : Optional.empty();
    }

    // ------------------------------------------------------------------ decisions

    private void evaluate(long now) {
        if (busy != null) {
            return;
        }
        if (queued != null) {
            Command c = queued;
            queued = null;
            if (state != MirrorState.STOP) {
                stopNow(c == Command.FORCESTOP, "stopped " + queuedReason, true, now);
            }
            return;
        }
        switch (state) {
            case STOP -> {
            }
            case WAIT -> evaluateWait(now);
            case SECOND -> evaluateSecond(now);
            case ALONE, PRIM -> evaluatePrimary(now);
        }
    }

    private void evaluateWait(long now) {
        if (parkedBy != null) {
            return;
        }
        if (peer == null) {
            if (now - bootedAt < s.startupGraceMs()) {
                return; // give the peer one timeout to show up before deciding alone
            }
            if (p.isFresh()) {
                if (s.defaultprimNode().filter(s.self()::equals).isPresent() && !failed) {
                    acquire(MirrorState.ALONE, "fresh module, this node is defaultprim; peer absent", "start", now);
                } else {
                    note("fresh module: waiting for the peer and `prim` (or defaultprim: <node>)", now);
                }
            } else if (p.exclusive() && p.upToDate() && !failed && !yielding) {
                acquire(MirrorState.ALONE, "peer absent; this node was primary alone, so it holds the newest data",
                        "start", now);
            } else {
                note("peer absent and this copy may be stale (last " + p.lastRole() + ", generation "
                        + p.generation() + "): waiting for the peer, or `prim --force`", now);
            }
            return;
        }
        if (peer.holding()) {
            if (peer.primary()) {
                follow(now);
            } else {
                note("the peer " + peer.node() + " is changing role", now);
            }
            return;
        }
        lead(now);
    }

    /**
     * WAIT, the peer primary: become its SECOND, unless this copy holds data the peer's lacks (the histories
     * diverged, or this one is ahead): then by policy, keep this copy before the resync (keep-copy), wait for an
     * operator (manual), or let the resync overwrite it (discard). A damaged state waits for an operator.
     */
    private void follow(long now) {
        if (!keepCopyFailed.isEmpty()) {
            note(keepCopyFailed, now);
            return;
        }
        if (p.isDamaged() && !operatorChose) {
            note(waitCause, now);
            return;
        }
        Relation r = relation();
        if (!p.isDamaged() && (r == Relation.UP_TO_DATE || r == Relation.PEER_IS_AHEAD)) {
            toSecond(now);
            return;
        }
        String what = p.isDamaged() ? "this node's state is damaged (" + p.damaged() + ")"
                : "the copies diverged (generation " + p.generation() + " here, " + peer.generation() + " on "
                + peer.node() + (r == Relation.I_AM_AHEAD ? ", which is older than this copy" : "") + ")";
        if (!prepareDivergedFollow(what, now)) {
            return;
        }
        toSecond(now);
    }

    /**
     * This node is about to follow the peer over a copy that holds data the peer lacks. Raises the alert; decides
     * by policy whether the copy is kept (the next demote copies it first) or discarded. False when it must not
     * follow (manual, until an operator chose): it then says so in its reason.
     */
    private boolean prepareDivergedFollow(String what, long now) {
        boolean chosen = operatorChose || peer.forced();
        raiseAlert("SPLIT BRAIN: " + what + (chosen ? "; an operator chose " + (operatorChose ? "the copy of "
                + peer.node() : peer.node() + "'s copy (prim --force)") : ""), now);
        if (s.after() == SplitBrainConfig.After.MANUAL && !chosen) {
            String why = "SPLIT BRAIN: " + what + "; policy manual: nothing is resynchronised until an operator picks"
                    + " the survivor (`prim --force` on it)";
            if (state.primary()) {
                release(MirrorState.WAIT, why, "splitbrain", false, now);
            } else if (state == MirrorState.WAIT) {
                note(why, now);
            } else {
                toWait(why, now);
            }
            return false;
        }
        fullsyncNext = true;
        if (s.after() == SplitBrainConfig.After.DISCARD) {
            LOG.error("{}: SPLIT BRAIN: {}; policy discard: the changes of this node are overwritten by a full"
                    + " resync from {}", s.module(), what, peer.node());
            keepCopyNext = Optional.empty();
            adoptAfterCopy = null;
        } else if (s.replication()) {
            keepCopyNext = Optional.of(s.divergedDir().resolve(UTC.format(Instant.ofEpochMilli(now))).toString());
            adoptAfterCopy = peer.history();
        }
        return true;
    }

    /** The alert stays (persisted, in the reason, in the module state) until an operator acknowledges it. */
    private void raiseAlert(String text, long now) {
        if (p.alert().contains(text)) {
            return;
        }
        LOG.error("{}: {}", s.module(), text);
        p = p.withAlert(p.alert().isEmpty() ? text : p.alert() + "; then " + text);
        fx.persist(p);
    }

    private void evaluateSecond(long now) {
        if (peer == null) {
            lostPrimaryInSync = p.upToDate();
            if (takeoverAt != 0) {
                if (now >= takeoverAt) {
                    takeoverAt = 0;
                    acquire(MirrorState.ALONE, "primary lost (no heartbeat on any lan); the witness answers: taking"
                            + " over", "failover", now);
                }
                return;
            }
            if (witnessToken != 0) {
                return;
            }
            if (!p.upToDate()) {
                toWait("primary lost while this copy was not up to date: waiting for it (or `prim --force`)", now);
            } else if (!s.failover()) {
                toWait("primary lost; failover is off: `prim` to take over", now);
            } else if (s.witness()) {
                witnessToken = ++tokens;
                witnessPurpose = WitnessPurpose.TAKEOVER;
                note("primary lost (no heartbeat on any lan): asking the witness", now);
                fx.checkWitness(witnessToken);
            } else {
                acquire(MirrorState.ALONE, "primary lost (no heartbeat on any lan); no witness configured",
                        "failover", now);
            }
            return;
        }
        if (peer.holding()) {
            if (peer.primary()) {
                handover = false;
                yielding = false;
                if (!s.replication()) {
                    if (!p.upToDate() || !peer.generation().equals(p.generation()) || readiness != Readiness.READY) {
                        secondAfterDemote(now); // no replicated data: nothing to resynchronise, follow at once
                    }
                } else if (p.upToDate() && !peer.generation().equals(p.generation())) {
                    markNotUpToDate("the primary writes generation " + peer.generation() + ": resynchronising", now);
                }
            }
            return;
        }
        // the primary left: stopped, parked, restarted, or handing over to us
        if (yielding && peer.state() == State.SECOND) {
            note("handing over: waiting for " + peer.node() + " to become primary", now);
            return;
        }
        if (!s.failover() && !peer.handover()) {
            toWait("the primary " + peer.node() + " left (" + peer.state() + "); failover is off", now);
            return;
        }
        lead(now);
    }

    private void evaluatePrimary(long now) {
        if (fenced && peer != null) {
            unfence(now); // the peer is back before the witness decided: nothing was split
            return;
        }
        if (peer == null) {
            if (state == MirrorState.PRIM && witnessToken == 0) {
                if (s.witness()) {
                    witnessToken = ++tokens;
                    witnessPurpose = WitnessPurpose.KEEP;
                    if (!fenced) { // else still fenced from a loss the peer's short return interrupted: ask again
                        fenced = true;
                        set(state, Readiness.TRANSIENT, "peer lost (no heartbeat on any lan): VIP withdrawn while"
                                + " asking the witness", now);
                        startChange(ChangeKind.FENCE, state, "splitbrain", false, false, now);
                    }
                    fx.checkWitness(witnessToken);
                } else {
                    primToAlone("peer lost (no heartbeat on any lan); no witness configured", now);
                }
            }
            return;
        }
        if (peer.primary()) {
            if (state == MirrorState.PRIM && peer.state() == State.ALONE && relation() == Relation.PEER_IS_AHEAD) {
                // This node never wrote alone (its generation is the shared one, every write of it acknowledged
                // by the peer): the peer took over while this node was unreachable or frozen. Not a split brain.
                release(MirrorState.SECOND, "the peer " + peer.node() + " took over (generation "
                        + peer.generation() + ") while this node was unreachable: following it", "failover", false, now);
                return;
            }
            splitBrain(now);
            return;
        }
        if (peer.state() == State.SECOND) {
            if (state == MirrorState.ALONE) {
                aloneToPrim(now);
            }
            if (peer.upToDate() && peer.generation().equals(p.generation())
                    && (p.forced() || p.history().lastContact() != p.history().current())) {
                p = p.withHistory(p.history().contact(), p.upToDate(), p.exclusive()).withForced(false);
                fx.persist(p); // in sync: the last contact, and a forced choice is settled
            }
            if (peer.wantPrim() && peer.upToDate() && peer.generation().equals(p.generation())) {
                yielding = true;
                handover = true;
                release(MirrorState.SECOND, "the peer " + peer.node() + " asked to become primary (swap/prim)",
                        "swap", false, now);
            }
            return;
        }
        if (peer.wantPrim() && peer.forced()) {
            // an operator forced the peer's copy (prim --force over a split brain, or over a copy that may be stale):
            // this one diverges from it and is kept by policy before the peer's resync
            operatorChose = false;
            String what = "an operator forced the copy of " + peer.node() + " (generation " + peer.generation()
                    + "); this copy (generation " + p.generation() + ") diverges from it";
            if (prepareDivergedFollow(what, now)) {
                yielding = true;
                handover = true;
                release(MirrorState.SECOND, "SPLIT BRAIN: " + what + ": handing over", "prim", false, now);
            }
            return;
        }
        if (state == MirrorState.PRIM) {
            primToAlone("the peer left SECOND (" + peer.state() + ")", now);
        }
    }

    /**
     * Two primaries met (both ran ALONE while cut apart, or one was forced). Decided from the histories alone: a copy
     * that descends from the other keeps; copies that diverged keep the one an operator forced, else the
     * {@code defaultprim} node, else the first in config order — and the other keeps its own copy by policy before
     * its full resync ({@code splitbrain.after}). Nothing depends on the clocks of the nodes.
     */
    private void splitBrain(long now) {
        Relation r = relation();
        String keeper;
        String rule;
        if (r == Relation.I_AM_AHEAD || r == Relation.PEER_IS_AHEAD) {
            keeper = r == Relation.I_AM_AHEAD ? s.self() : peer.node();
            rule = "its copy descends from the other's";
        } else if (p.forced() != peer.forced()) {
            keeper = p.forced() ? s.self() : peer.node();
            rule = "chosen by an operator (prim --force)";
        } else {
            keeper = s.defaultprimNode().orElse(s.order().getFirst());
            rule = s.defaultprimNode().isPresent() ? "defaultprim" : "first node in config order";
        }
        String what = "both nodes were primary (generation " + p.generation() + " here, " + peer.generation()
                + " on " + peer.node() + (r == Relation.DIVERGED ? ", diverged" : "") + "); keeping " + keeper
                + " (" + rule + ")";
        if (keeper.equals(s.self())) {
            String alert = "SPLIT BRAIN: " + what;
            if (r == Relation.DIVERGED) {
                raiseAlert(alert, now);
            }
            if (!alert.equals(lastAlert)) {
                LOG.error("{}: {}; {} follows with a full resync", s.module(), alert, peer.node());
                lastAlert = alert;
            }
            note(alert + "; " + peer.node() + " becomes SECOND with a full resync", now);
            return;
        }
        if (r == Relation.PEER_IS_AHEAD) {
            fullsyncNext = true;
            p = p.withUpToDate(false);
            release(MirrorState.SECOND, "SPLIT BRAIN: " + what + "; this node becomes SECOND with a full resync"
                    + " (it holds nothing the keeper lacks)", "splitbrain", false, now);
            return;
        }
        if (!prepareDivergedFollow(what, now)) {
            return; // manual: stepped down to WAIT, waiting for an operator
        }
        p = p.withUpToDate(false);
        release(MirrorState.SECOND, "SPLIT BRAIN: " + what + "; this node becomes SECOND with a full resync ("
                + (keepCopyNext.isPresent() ? "its own copy kept in " + keepCopyNext.get()
                : s.after() == SplitBrainConfig.After.DISCARD ? "policy discard: the changes made here since the split"
                + " are overwritten" : "no replicated data") + ")", "splitbrain", false, now);
    }

    /** Both in sight, no primary: the up-to-date node with the newest generation leads. */
    private void lead(long now) {
        Optional<String> leader = leader();
        if (leader.isEmpty()) {
            Relation r = relation();
            if (r == Relation.DIVERGED && !p.isDamaged()) {
                raiseAlert("SPLIT BRAIN: the copies diverged (generation " + p.generation() + " here, "
                        + peer.generation() + " on " + peer.node() + ")", now);
            }
            note(p.isFresh() && peer.generation().isEmpty()
                    ? "fresh module: waiting for `prim` (or defaultprim: <node>)"
                    : r == Relation.DIVERGED && s.after() == SplitBrainConfig.After.MANUAL
                    ? "SPLIT BRAIN: the copies diverged; policy manual: waiting for `prim --force` on the survivor"
                    : "no up-to-date copy that may start by itself: waiting for `prim`", now);
            if (state == MirrorState.SECOND) {
                toWait(reason, now);
            }
            return;
        }
        if (leader.get().equals(s.self())) {
            acquire(peer.state() == State.SECOND ? MirrorState.PRIM : MirrorState.ALONE,
                    state == MirrorState.SECOND ? "the primary " + peer.node() + " left (" + peer.state()
                            + "): taking over" : "this node holds the newest data (generation " + p.generation() + ")",
                    state == MirrorState.SECOND ? "failover" : "start", now);
        } else if (state == MirrorState.SECOND) {
            toWait("the primary left; " + leader.get() + " will become primary", now);
        } else {
            note(leader.get() + " will become primary (newest data); this node follows as SECOND", now);
        }
    }

    /**
     * The node that becomes primary when neither is, from the two histories: the copy the other descends from is
     * never chosen; copies that diverged lead by operator choice (prim --force), else — unless the policy is manual —
     * by defaultprim, else config order (the other keeps its copy when it follows).
     */
    private Optional<String> leader() {
        boolean peerCandidateState = peer.state() == State.WAIT || peer.state() == State.SECOND;
        if (p.isFresh() && peer.history().isFresh()) {
            return s.defaultprimNode().filter(n -> n.equals(s.self()) ? !failed && parkedBy == null
                    : n.equals(peer.node()) && peerCandidateState && peer.eligible());
        }
        Relation r = p.isDamaged() ? Relation.PEER_IS_AHEAD : relation();
        boolean selfNewest = r == Relation.UP_TO_DATE || r == Relation.I_AM_AHEAD;
        boolean peerNewest = r == Relation.UP_TO_DATE || r == Relation.PEER_IS_AHEAD;
        if (r == Relation.DIVERGED) {
            if (p.forced() != peer.forced()) {
                selfNewest = p.forced();
                peerNewest = peer.forced();
            } else if (s.after() != SplitBrainConfig.After.MANUAL) {
                String keeper = s.defaultprimNode().orElse(s.order().getFirst());
                selfNewest = keeper.equals(s.self());
                peerNewest = keeper.equals(peer.node());
            }
        }
        boolean selfOk = p.upToDate() && selfNewest && !p.isDamaged() && !failed && parkedBy == null;
        boolean peerOk = peerCandidateState && peer.upToDate() && peerNewest && peer.eligible();
        boolean selfPreferred = selfOk && !yielding;
        boolean peerPreferred = peerOk && !peer.yielding();
        if (selfPreferred && peerPreferred) {
            return Optional.of(tieBreak());
        }
        if (selfPreferred) {
            return Optional.of(s.self());
        }
        if (peerPreferred) {
            return Optional.of(peer.node());
        }
        // only yielding candidates left: yielding is a preference, not a veto
        if (selfOk) {
            return Optional.of(s.self());
        }
        return peerOk ? Optional.of(peer.node()) : Optional.empty();
    }

    private String tieBreak() {
        if (s.defaultprimNode().isPresent() && !s.lastprim()) {
            return s.defaultprimNode().get();
        }
        boolean selfSecond = state == MirrorState.SECOND;
        boolean peerSecond = peer.state() == State.SECOND;
        if (selfSecond != peerSecond) {
            return selfSecond ? s.self() : peer.node();
        }
        if (!p.lastPrim().isEmpty() && p.lastPrim().equals(peer.lastPrim())) {
            return p.lastPrim();
        }
        return s.order().getFirst();
    }

    // ------------------------------------------------------------------ transitions

    private void acquire(MirrorState to, String why, String action, long now) {
        acquire(to, why, action, now, false);
    }

    /** {@code newGenerationTaken}: the caller already gave this copy a new generation (forced prim). */
    private void acquire(MirrorState to, String why, String action, long now, boolean newGenerationTaken) {
        MirrorState from = state;
        lostPrimaryInSync = false;
        // a new generation, fsynced before anything is written under it, whenever this copy starts writing alone
        GenerationHistory gen = !newGenerationTaken && (to == MirrorState.ALONE || p.history().isFresh())
                ? p.history().next() : p.history();
        p = new Persisted(gen, true, to == MirrorState.ALONE, to.api(), s.self(), false, p.loops(), p.forced(),
                p.alert(), "");
        fx.persist(p);
        yielding = false;
        handover = false;
        wantPrimUntil = 0;
        takeoverAt = 0;
        set(to, Readiness.TRANSIENT, why, now);
        startChange(ChangeKind.ACQUIRE, from, action, fullsyncNext, false, now);
        fullsyncNext = false;
    }

    /** The fence is up (VIP down): act on the witness's answer if it came meanwhile. */
    private void fenceUp(long now) {
        WitnessAnswer a = pendingAnswer;
        pendingAnswer = null;
        if (a != null && peer == null) {
            decide(a, now);
        } else {
            evaluate(now);
        }
    }

    private void unfence(long now) {
        fenced = false;
        startChange(ChangeKind.UNFENCE, state, "splitbrain", false, false, now);
    }

    private void aloneToPrim(long now) {
        p = p.withExclusive(false).withRole(State.PRIM, s.self());
        fx.persist(p);
        set(MirrorState.PRIM, readiness, "replicating to " + s.peer() + " (SECOND)", now);
    }

    private void primToAlone(String why, long now) {
        p = p.withHistory(p.history().next(), true, true).withRole(State.ALONE, s.self());
        fx.persist(p);
        set(MirrorState.ALONE, readiness, why + ": primary alone, new generation " + p.generation(), now);
    }

    private void release(MirrorState to, String why, String action, boolean force, long now) {
        MirrorState from = state;
        fenced = false;
        pendingAnswer = null;
        if (to != MirrorState.SECOND) {
            p = p.withExclusive(false);
        }
        if (to == MirrorState.WAIT) {
            waitCause = why;
        }
        persistRole(to);
        set(to, Readiness.TRANSIENT, why, now);
        startChange(ChangeKind.RELEASE, from, action, fullsyncNext, force, now);
        fullsyncNext = false;
    }

    private void toSecond(long now) {
        MirrorState from = state;
        p = p.withRole(State.SECOND, peer.node());
        if (s.replication()) {
            p = p.withUpToDate(false); // up to date again only when replication says so
            fx.persist(p);
            set(MirrorState.SECOND, Readiness.TRANSIENT, "following " + peer.node() + ": resynchronising", now);
            startChange(ChangeKind.DEMOTE, from, "second", fullsyncNext, false, now);
            fullsyncNext = false;
        } else {
            fx.persist(p);
            secondAfterDemote(now);
        }
    }

    private void secondAfterDemote(long now) {
        if (!s.replication() && peer != null && peer.primary()) {
            p = p.withHistory(GenerationHistory.adopt(peer.history()), true, false).repaired();
            fx.persist(p);
            set(MirrorState.SECOND, Readiness.READY, "SECOND of " + peer.node() + " (no replicated data)", now);
        } else if (!s.replication()) {
            p = p.withUpToDate(true);
            fx.persist(p);
            set(MirrorState.SECOND, Readiness.READY, "SECOND (no replicated data)", now);
        } else {
            if (p.upToDate()) {
                p = p.withUpToDate(false);
                fx.persist(p);
            }
            set(MirrorState.SECOND, Readiness.TRANSIENT, "SECOND: resynchronising from " + s.peer(), now);
        }
    }

    private void markNotUpToDate(String why, long now) {
        p = p.withUpToDate(false);
        fx.persist(p);
        set(MirrorState.SECOND, Readiness.TRANSIENT, why, now);
    }

    private void stopNow(boolean force, String why, boolean byOperator, long now) {
        p = p.withAdminStopped(byOperator || p.adminStopped());
        witnessToken = 0;
        takeoverAt = 0;
        if (state.primary()) {
            release(MirrorState.STOP, why, force ? "forcestop" : "stop", force, now);
        } else {
            toStop(why, now);
        }
    }

    private void toStop(String why, long now) {
        persistRole(MirrorState.STOP);
        set(MirrorState.STOP, Readiness.NOT_READY, why, now);
    }

    private void toWait(String why, long now) {
        witnessToken = 0;
        takeoverAt = 0;
        waitCause = why;
        if (state != MirrorState.WAIT && state != MirrorState.STOP) {
            persistRole(MirrorState.WAIT);
        }
        set(MirrorState.WAIT, Readiness.NOT_READY, why, now);
    }

    private void persistRole(MirrorState role) {
        p = p.withRole(role.api(), p.lastPrim());
        fx.persist(p);
    }

    private void startChange(ChangeKind kind, MirrorState from, String action, boolean fullsync, boolean force,
                             long now) {
        Optional<String> replPeer = state == MirrorState.PRIM || state == MirrorState.SECOND
                ? Optional.of(s.peer()) : Optional.empty();
        Optional<String> keep = Optional.empty();
        if ((kind == ChangeKind.DEMOTE || kind == ChangeKind.RELEASE) && state == MirrorState.SECOND) {
            keep = keepCopyNext;
            keepCopyNext = Optional.empty();
        }
        busy = new RoleChange(++tokens, s.module(), kind, from.api(), state.api(), replPeer, p.generation(), fullsync,
                force, action, keep);
        fx.roleChange(busy);
    }

    /** After a role change ended: run what waited for it. */
    private void afterChange(long now) {
        evaluate(now);
    }

    private void set(MirrorState to, Readiness r, String why, long now) {
        MirrorState from = state;
        Readiness fromR = readiness;
        boolean changed = from != to || fromR != r;
        state = to;
        readiness = r;
        reason = why;
        if (changed) {
            since = now;
            Transition t = new Transition(s.module(), from.api(), fromR, to.api(), r, why, now);
            LOG.info("{}", t);
            fx.transition(t);
        }
    }

    /** Reason changes without a transition. */
    private void note(String why, long now) {
        String full = state == MirrorState.WAIT && !waitCause.isEmpty() && !why.startsWith(waitCause)
                ? waitCause + "; " + why : why;
        if (!full.equals(reason)) {
            set(state, readiness, full, now);
        }
    }

    private boolean eligible() {
        return parkedBy == null && !failed && state != MirrorState.STOP;
    }

    private void clearOperatorFlags() {
        keepCopyFailed = "";
        operatorChose = false;
        failed = false;
        parkedBy = null;
        yielding = false;
        handover = false;
    }

    private void requirePrimary(Command c) {
        if (!state.primary()) {
            throw conflict(c.id() + " applies to the primary; here the module is " + state);
        }
    }

    private void countLoop(long now) {
        List<Long> loops = new ArrayList<>(p.loops().stream().filter(t -> now - t < s.loopIntervalMs()).toList());
        loops.add(now);
        p = p.withLoops(loops);
        fx.persist(p);
    }

    private boolean loopsExceeded(long now) {
        return s.maxloop() > 0 && p.loops().stream().filter(t -> now - t < s.loopIntervalMs()).count() >= s.maxloop();
    }

    private static ServiceException conflict(String message) {
        return new ServiceException(ErrorCode.CONFLICT, message);
    }
}
