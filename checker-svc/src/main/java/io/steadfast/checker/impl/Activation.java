package io.steadfast.checker.impl;

import io.steadfast.api.Readiness;
import io.steadfast.api.State;

import java.util.Optional;

/**
 * Where a checker applies, from the module's state on this node (HeartbeatApi.MODULE_STATE):
 * <ul>
 * <li>application checkers (tcp, http, custom, process) only where the module serves (PRIM/ALONE/UP): elsewhere
 *     the application is not supposed to run, so it being down means nothing;</li>
 * <li>the ip checker once the state is known (it checks the VIP is here exactly when the module serves);</li>
 * <li>the others (ping, interface, module, witness) always;</li>
 * <li>a checker that parked the module with {@code wait} always, until it resumes it.</li>
 * </ul>
 */
public final class Activation {
    private Activation() {
    }

    /**
     * A failing application check that does not count yet (the checker has not seen the app UP since it applied or
     * was re-armed): the module is {@code TRANSIENT} here — becoming primary (or UP), restarting — so its start
     * script has not run or not returned. Without this the checker fired while heartbeat-svc was still starting the
     * module (a slow start: VIP, scripts), and restarted an application that was only starting.
     */
    public static boolean starting(CheckKind kind, Optional<Readiness> readiness) {
        return kind.app() && readiness.filter(r -> r == Readiness.TRANSIENT).isPresent();
    }

    /**
     * The module became READY here in a state where it serves, after being TRANSIENT: its start script returned,
     * and the application checkers give the application the grace to listen.
     */
    public static boolean started(Optional<Readiness> before, Readiness now, State state) {
        return state.serves() && now == Readiness.READY && before.filter(r -> r == Readiness.TRANSIENT).isPresent();
    }

    /** Empty when the checker applies; otherwise why not. */
    public static Optional<String> inactiveReason(CheckKind kind, Optional<State> here, boolean parked) {
        if (parked) {
            return Optional.empty();
        }
        if (kind.app()) {
            if (here.isEmpty()) {
                return Optional.of("no state of the module on this node yet (application checkers run where it serves)");
            }
            return here.get().serves() ? Optional.empty() : Optional.of("module is " + here.get()
                    + " here: application checkers run only where it serves");
        }
        if (kind == CheckKind.IP && here.isEmpty()) {
            return Optional.of("no state of the module on this node yet");
        }
        return Optional.empty();
    }
}
