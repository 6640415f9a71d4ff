package io.steadfast.checker.impl;

import io.steadfast.api.CheckerApi.CheckerStatus;
import io.steadfast.api.CheckerApi.Status;
import io.steadfast.config.FailureAction;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The state of one checker on this node: {@link Status} INIT → UP/DOWN from results; DISABLED while switched off
 * for maintenance ({@link #disable}) or while the checker does not apply here ({@link #deactivate}, e.g. an
 * application checker where the module does not serve). Each named transition returns the {@link Transition}
 * (with its reason) when the status changed, which the service publishes; a result that does not change the
 * status only updates the reason. Not thread-safe: used from the event loop.
 */
public final class CheckerTracker {
    static final int HISTORY = 20;

    public record Transition(String module, String checker, Status from, Status to, String reason, long at) {
    }

    private final String node;
    private final String module;
    private final String name;
    private final CheckKind kind;
    private final Duration interval;
    private final Duration timeout;
    private final FailureAction onFailure;
    private final LongSupplier clock;
    private Status status = Status.INIT;
    private String reason = "not checked yet";
    private long at;
    private boolean maintenance;
    private boolean active = true;
    private String inactiveReason = "";
    private final Deque<Transition> history = new ArrayDeque<>();

    public CheckerTracker(String node, String module, String name, CheckKind kind, Duration interval,
                          Duration timeout, FailureAction onFailure, LongSupplier clock) {
        this.node = node;
        this.module = module;
        this.name = name;
        this.kind = kind;
        this.interval = interval;
        this.timeout = timeout;
        this.onFailure = onFailure;
        this.clock = clock;
        this.at = clock.getAsLong();
    }

    public String module() {
        return module;
    }

    public String name() {
        return name;
    }

    public CheckKind kind() {
        return kind;
    }

    public Duration interval() {
        return interval;
    }

    public Duration timeout() {
        return timeout;
    }

    public FailureAction onFailure() {
        return onFailure;
    }

    public Status status() {
        return status;
    }

    public String reason() {
        return reason;
    }

    /** Whether probes should run now: applies here and not switched off. */
    public boolean runnable() {
        return active && !maintenance;
    }

    public boolean maintenance() {
        return maintenance;
    }

    public CheckerStatus snapshot() {
        return new CheckerStatus(node, module, name, status, reason, at);
    }

    public List<Transition> history() {
        return List.copyOf(history);
    }

    /** A probe result; ignored while not runnable (a result that arrives after the checker was switched off). */
    public Optional<Transition> result(Outcome outcome) {
        if (!runnable()) {
            return Optional.empty();
        }
        return move(outcome.up() ? Status.UP : Status.DOWN, outcome.reason());
    }

    /** While INIT (e.g. waiting for a restarted application): a reason, without a status change. */
    public void pending(String why) {
        if (status == Status.INIT) {
            reason = why;
        }
    }

    /** Switched off for maintenance by an operator. */
    public Optional<Transition> disable(String why) {
        maintenance = true;
        return move(Status.DISABLED, why);
    }

    /** Switched on again after maintenance: checked afresh. */
    public Optional<Transition> enable() {
        if (!maintenance) {
            return Optional.empty();
        }
        maintenance = false;
        return active ? move(Status.INIT, "enabled by operator") : move(Status.DISABLED, inactiveReason);
    }

    /** Does not apply in the module's current state here. */
    public Optional<Transition> deactivate(String why) {
        boolean was = active;
        active = false;
        inactiveReason = why;
        if (maintenance) {
            return Optional.empty();
        }
        return was || !reason.equals(why) ? move(Status.DISABLED, why) : Optional.empty();
    }

    /** Applies again: checked afresh. */
    public Optional<Transition> activate(String why) {
        if (active) {
            return Optional.empty();
        }
        active = true;
        return maintenance ? Optional.empty() : move(Status.INIT, why);
    }

    /** After a failover action was carried out: forget the last result so that the next one counts again. */
    public Optional<Transition> rearm(String why) {
        return runnable() ? move(Status.INIT, why) : Optional.empty();
    }

    private Optional<Transition> move(Status to, String why) {
        Status from = status;
        status = to;
        reason = why;
        if (from == to) {
            return Optional.empty();
        }
        at = clock.getAsLong();
        Transition t = new Transition(module, name, from, to, why, at);
        if (history.size() == HISTORY) {
            history.removeFirst();
        }
        history.addLast(t);
        return Optional.of(t);
    }
}
