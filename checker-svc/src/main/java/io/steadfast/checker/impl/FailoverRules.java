package io.steadfast.checker.impl;

import io.steadfast.api.CheckerApi.Status;
import io.steadfast.api.HeartbeatApi.ActionRequest;
import io.steadfast.config.FailureAction;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Maps checker transitions to the actions checker-svc asks heartbeat-svc for ({@link ActionRequest}).
 * <ul>
 * <li>A checker going DOWN fires its rule once (restart | stopstart | wait | stop; none does nothing).</li>
 * <li>{@code wait} parks the module; when that checker is UP again, a WAIT request with {@code resume=true}
 *     follows. A parked checker keeps running even where application checkers would not (see
 *     {@link Activation}), otherwise it could never resume the module.</li>
 * <li>Loop protection per module: restart and stopstart actions carried out are remembered for
 *     {@code loopInterval}; when a new one would be the {@code maxloop + 1}-th within it, STOP is asked instead,
 *     with the reason "checker X failed N times in D". The memory is cleared when that STOP is carried out, so a
 *     module started again by an operator gets a fresh budget.</li>
 * </ul>
 * Not thread-safe: used from the event loop. Time comes from {@code clock} (milliseconds).
 */
public final class FailoverRules {
    public record Loop(int maxloop, Duration interval) {
    }

    private final LongSupplier clock;
    private final Map<String, Deque<Long>> actions = new HashMap<>();
    private final Set<String> parked = new HashSet<>();

    public FailoverRules(LongSupplier clock) {
        this.clock = clock;
    }

    public Optional<ActionRequest> onTransition(String module, String checker, FailureAction rule, Loop loop,
                                                Status to, String reason) {
        String key = module + "/" + checker;
        if (to == Status.UP && parked.remove(key)) {
            return Optional.of(new ActionRequest(module, FailureAction.WAIT, checker,
                    "checker " + checker + " is up again: " + reason, true));
        }
        if (to != Status.DOWN) {
            return Optional.empty();
        }
        String why = "checker " + checker + " down: " + reason;
        return switch (rule) {
            case NONE -> Optional.empty();
            case WAIT -> parked.add(key) ? Optional.of(new ActionRequest(module, FailureAction.WAIT, checker, why,
                    false)) : Optional.empty();
            case STOP -> Optional.of(new ActionRequest(module, FailureAction.STOP, checker, why, false));
            case RESTART, STOPSTART -> {
                int done = recent(module, loop.interval());
                if (done >= loop.maxloop()) {
                    yield Optional.of(new ActionRequest(module, FailureAction.STOP, checker,
                            "checker " + checker + " failed " + (done + 1) + " times in "
                                    + human(loop.interval()) + " (maxloop " + loop.maxloop() + "): " + reason,
                            false));
                }
                yield Optional.of(new ActionRequest(module, rule, checker, why, false));
            }
        };
    }

    /** heartbeat-svc carried out {@code request}: count it against the loop budget. */
    public void accepted(ActionRequest request) {
        switch (request.action()) {
            case RESTART, STOPSTART -> actions.computeIfAbsent(request.module(), m -> new ArrayDeque<>())
                    .addLast(clock.getAsLong());
            case STOP -> actions.remove(request.module());
            default -> {
            }
        }
    }

    /**
     * heartbeat-svc refused or did not answer {@code request} (e.g. a role change was in progress). A WAIT: the
     * module is not parked, so the checker may park it again; a resume: the module is still parked over there, so
     * the checker's next UP must ask again.
     */
    public void refused(ActionRequest request) {
        if (request.action() == FailureAction.WAIT) {
            String key = request.module() + "/" + request.checker();
            if (request.resume()) {
                parked.add(key);
            } else {
                parked.remove(key);
            }
        }
    }

    /** The checker that parked the module no longer counts (switched off): resume the module. */
    public ActionRequest unpark(String module, String checker, String reason) {
        parked.remove(module + "/" + checker);
        return new ActionRequest(module, FailureAction.WAIT, checker, reason, true);
    }

    public boolean parked(String module, String checker) {
        return parked.contains(module + "/" + checker);
    }

    /** Restart/stopstart actions carried out within the last {@code window}. */
    public int recent(String module, Duration window) {
        Deque<Long> times = actions.get(module);
        if (times == null) {
            return 0;
        }
        long from = clock.getAsLong() - window.toMillis();
        while (!times.isEmpty() && times.peekFirst() <= from) {
            times.removeFirst();
        }
        return times.size();
    }

    static String human(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
