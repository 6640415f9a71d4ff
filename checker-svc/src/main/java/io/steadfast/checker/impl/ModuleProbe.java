package io.steadfast.checker.impl;

import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.checker.ModuleTarget;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BiFunction;

/** Up when another module's published state on the target node is one of the expected states. */
public record ModuleProbe(ModuleTarget target, String thisNode,
                         BiFunction<String, String, Optional<ModuleState>> states) implements Probe {
    @Override
    public Outcome probe(Duration timeout) {
        String node = target.nodeOr(thisNode);
        String who = "module " + target.module() + "@" + node;
        Optional<ModuleState> s = states.apply(target.module(), node);
        if (s.isEmpty()) {
            return Outcome.down(who + ": no state published yet");
        }
        boolean ok = target.states().contains(s.get().state());
        return new Outcome(ok, who + " is " + s.get().state() + (ok ? "" : ", expected one of "
                + target.states().stream().map(Enum::name).sorted().toList()));
    }
}
