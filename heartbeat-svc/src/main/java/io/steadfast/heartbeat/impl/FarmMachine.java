package io.steadfast.heartbeat.impl;

import io.steadfast.api.Command;
import io.steadfast.api.HeartbeatApi.Role;
import io.steadfast.api.Readiness;
import io.steadfast.api.State;
import io.steadfast.bus.ErrorCode;
import io.steadfast.config.FailureAction;
import io.steadfast.config.ModuleConfig;
import io.steadfast.service.ServiceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The farm state machine of one module on one node: STOP, WAIT, UP (DESIGN §2). Every node runs the application;
 * the membership is the set of nodes that are UP and settled (READY), this one included, in config order. Every
 * node derives the same bucket table from it, so there is no coordinator.
 */
public final class FarmMachine implements ModuleMachine {
    private static final Logger LOG = LoggerFactory.getLogger(FarmMachine.class);

    public enum FarmState {
        STOP, WAIT, UP;

        public State api() {
            return State.valueOf(name());
        }
    }

    public interface Effects {
        void transition(Transition t);

        void persist(Persisted p);

        void roleChange(RoleChange change);
    }

    public record Settings(String module, String self, List<String> order, int maxloop, long loopIntervalMs) {
        public static Settings of(ModuleConfig m, String self) {
            return new Settings(m.name(), self, m.nodes(), m.service().maxloop(),
                    m.service().loopInterval().toMillis());
        }
    }

    private final Settings s;
    private final Effects fx;
    private Persisted p;
    private FarmState state = FarmState.STOP;
    private Readiness readiness = Readiness.NOT_READY;
    private String reason = "not started";
    private long since;
    private final Map<String, PeerStatus> peers = new LinkedHashMap<>();
    private long tokens;
    private RoleChange busy;
    /** After a RELEASE that is the first half of a stopstart / restart-by-wait: start again when done. */
    private boolean startAfter;
    private String parkedBy;
    private boolean failed;

    public FarmMachine(Settings settings, Persisted persisted, Effects effects) {
        this.s = settings;
        this.p = persisted;
        this.fx = effects;
    }

    @Override
    public void boot(long now) {
        since = now;
        if (p.adminStopped()) {
            toStop("stopped by an operator (before this restart): `start` to run it", now);
        } else {
            goUp("starting", "start", now);
        }
    }

    @Override
    public void tick(long now) {
    }

    @Override
    public void peerBeat(PeerStatus status, long now) {
        PeerStatus old = peers.put(status.node(), status);
        if (old == null || old.state() != status.state() || old.readiness() != status.readiness()) {
            LOG.info("{}: member {} is {}/{}", s.module(), status.node(), status.state(), status.readiness());
        }
    }

    @Override
    public void peerLost(String node, long now) {
        if (peers.remove(node) != null) {
            LOG.warn("{}: member {} lost (no heartbeat on any lan)", s.module(), node);
        }
    }

    @Override
    public String command(Command c, List<String> options, long now) {
        if (busy != null) {
            throw conflict("a role change is in progress (" + busy.kind().name().toLowerCase() + " to " + busy.to()
                    + "): try again when it is done");
        }
        switch (c) {
            case START -> {
                if (state != FarmState.STOP) {
                    throw conflict("already started (" + state + ")");
                }
                failed = false;
                parkedBy = null;
                p = p.withAdminStopped(false);
                fx.persist(p);
                goUp("started by an operator", "start", now);
                return "starting";
            }
            case STOP, FORCESTOP -> {
                if (state == FarmState.STOP) {
                    throw conflict("already stopped");
                }
                p = p.withAdminStopped(true);
                leave(FarmState.STOP, "stopped by an operator", c.id(), c == Command.FORCESTOP, now);
                return "stopped";
            }
            case RESTART -> {
                requireUp(c);
                busy = change(ChangeKind.RESTART, State.UP, "restart", false);
                set(FarmState.UP, Readiness.TRANSIENT, "restarting the application (operator)", now);
                fx.roleChange(busy);
                return "restarting the application";
            }
            case STOPSTART -> {
                requireUp(c);
                startAfter = true;
                leave(FarmState.WAIT, "stopstart by an operator", "stopstart", false, now);
                return "stopping, then starting again";
            }
            default -> throw conflict(c.id() + " applies to mirror modules; this one is a farm");
        }
    }

    @Override
    public String action(FailureAction a, String checker, String why, boolean resume, long now) {
        if (resume) {
            if (checker.equals(parkedBy)) {
                parkedBy = null;
                if (state == FarmState.WAIT && busy == null && !failed) {
                    goUp("checker " + checker + " is up again", "resume", now);
                }
                return "resumed";
            }
            return "nothing to resume";
        }
        if (busy != null) {
            throw conflict("a role change is in progress: action " + a + " not applied");
        }
        String because = "checker " + checker + ": " + why;
        if (a == FailureAction.NONE || state == FarmState.STOP) {
            return "no action";
        }
        if (a == FailureAction.WAIT) {
            parkedBy = checker;
            if (state == FarmState.UP) {
                leave(FarmState.WAIT, because + " → WAIT until it is up", "wait", false, now);
            }
            return "waiting";
        }
        if (a == FailureAction.STOP || loopsExceeded(now)) {
            leave(FarmState.STOP, because + (a == FailureAction.STOP ? " → STOP"
                    : "; maxloop " + s.maxloop() + " reached in loop_interval: stopped"), "stop", false, now);
            return "stopped";
        }
        if (state != FarmState.UP) {
            return "not UP here: nothing to " + a.name().toLowerCase();
        }
        countLoop(now);
        if (a == FailureAction.RESTART) {
            busy = change(ChangeKind.RESTART, State.UP, "restart", false);
            set(FarmState.UP, Readiness.TRANSIENT, because + " → restarting the application", now);
            fx.roleChange(busy);
            return "restarting";
        }
        startAfter = true;
        leave(FarmState.WAIT, because + " → stopstart", "stopstart", false, now);
        return "stopstart";
    }

    @Override
    public void roleDone(long token, long now) {
        if (busy == null || busy.token() != token) {
            return;
        }
        RoleChange c = busy;
        busy = null;
        if (c.kind() == ChangeKind.RELEASE) {
            set(state, Readiness.NOT_READY, reason, now);
            if (startAfter) {
                startAfter = false;
                goUp("starting again (" + c.action() + ")", c.action(), now);
            }
        } else {
            set(FarmState.UP, Readiness.READY, "serving: member of " + s.module(), now);
        }
    }

    @Override
    public void roleFailed(long token, String why, long now) {
        if (busy == null || busy.token() != token) {
            return;
        }
        RoleChange c = busy;
        busy = null;
        startAfter = false;
        if (c.kind() == ChangeKind.RELEASE && c.to() == State.STOP) {
            set(FarmState.STOP, Readiness.NOT_READY, "stopped, but stop_both failed: " + why, now);
            return;
        }
        failed = true;
        countLoop(now);
        FarmState to = loopsExceeded(now) ? FarmState.STOP : FarmState.WAIT;
        p = p.withRole(to.api(), "");
        fx.persist(p);
        set(to, Readiness.NOT_READY, c.kind().name().toLowerCase() + " failed: " + why + " (rolled back"
                + (to == FarmState.STOP ? "; maxloop reached" : "") + "; `start` to retry)", now);
    }

    // ------------------------------------------------------------------ views

    @Override
    public PeerStatus status(long now) {
        boolean holding = state == FarmState.UP || busy != null;
        return new PeerStatus(s.self(), state.api(), readiness, "", false, false, holding, parkedBy == null && !failed,
                false, false, false, "");
    }

    @Override
    public State state() {
        return state.api();
    }

    public FarmState farmState() {
        return state;
    }

    @Override
    public Readiness readiness() {
        return readiness;
    }

    @Override
    public String reason() {
        return reason;
    }

    @Override
    public long since() {
        return since;
    }

    @Override
    public Persisted persisted() {
        return p;
    }

    @Override
    public boolean busy() {
        return busy != null;
    }

    @Override
    public Role desiredRole() {
        return state == FarmState.UP && readiness != Readiness.NOT_READY ? Role.MEMBER : Role.NONE;
    }

    @Override
    public Optional<String> desiredPeer() {
        return Optional.empty();
    }

    @Override
    public List<String> members() {
        List<String> out = new ArrayList<>();
        for (String n : s.order()) {
            if (n.equals(s.self())) {
                if (state == FarmState.UP && readiness == Readiness.READY) {
                    out.add(n);
                }
            } else {
                PeerStatus ps = peers.get(n);
                if (ps != null && ps.state() == State.UP && ps.readiness() == Readiness.READY) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ transitions

    private void goUp(String why, String action, long now) {
        p = p.withRole(State.UP, "");
        fx.persist(p);
        FarmState from = state;
        set(FarmState.UP, Readiness.TRANSIENT, why, now);
        busy = change(ChangeKind.ACQUIRE, from.api(), action, false);
        fx.roleChange(busy);
    }

    private void leave(FarmState to, String why, String action, boolean force, long now) {
        p = p.withRole(to.api(), "");
        fx.persist(p);
        if (state != FarmState.UP) {
            set(to, Readiness.NOT_READY, why, now);
            return;
        }
        set(to, Readiness.TRANSIENT, why, now);
        busy = change(ChangeKind.RELEASE, State.UP, action, force);
        fx.roleChange(busy);
    }

    private void toStop(String why, long now) {
        set(FarmState.STOP, Readiness.NOT_READY, why, now);
    }

    private RoleChange change(ChangeKind kind, State from, String action, boolean force) {
        return new RoleChange(++tokens, s.module(), kind, from, state.api(), Optional.empty(), "", false, force,
                action);
    }

    private void set(FarmState to, Readiness r, String why, long now) {
        FarmState from = state;
        Readiness fromR = readiness;
        state = to;
        readiness = r;
        reason = why;
        if (from != to || fromR != r) {
            since = now;
            Transition t = new Transition(s.module(), from.api(), fromR, to.api(), r, why, now);
            LOG.info("{}", t);
            fx.transition(t);
        }
    }

    private void requireUp(Command c) {
        if (state != FarmState.UP) {
            throw conflict(c.id() + " needs the module UP; here it is " + state);
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
