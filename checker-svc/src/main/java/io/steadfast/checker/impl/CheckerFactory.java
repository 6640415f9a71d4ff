package io.steadfast.checker.impl;

import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.checker.ModuleTarget;
import io.steadfast.config.CheckerConfig;
import io.steadfast.config.Defaults;
import io.steadfast.config.FailureAction;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.ProcessConfig;
import io.steadfast.config.WitnessTarget;
import io.steadfast.exec.CommandRunner;

import java.net.URI;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Builds the checkers of a module from its config. Process supervision entries become checkers named
 * {@code process:<name>} (interval {@link Defaults#CHECKER_INTERVAL}, their action as the failover rule).
 */
public final class CheckerFactory {
    public static final String PROCESS_PREFIX = "process:";

    /** {@code states}: (module, node) → the last published state. */
    public record Deps(String node, CommandRunner runner, Supplier<HttpClient> http, ProcessTable processes,
                       BiFunction<String, String, Optional<ModuleState>> states, LongSupplier clock) {
    }

    private final Deps deps;

    public CheckerFactory(Deps deps) {
        this.deps = deps;
    }

    public List<Checker> build(ModuleConfig m) {
        List<Checker> out = new ArrayList<>();
        for (CheckerConfig c : m.checkers()) {
            CheckKind kind = CheckKind.of(c.type());
            out.add(new Checker(new CheckerTracker(deps.node(), m.name(), c.name(), kind, c.interval(), c.timeout(),
                    c.onFailure(), deps.clock()), probe(m, c)));
        }
        for (ProcessConfig p : m.processes()) {
            FailureAction action = FailureAction.valueOf(p.action().name());
            out.add(new Checker(new CheckerTracker(deps.node(), m.name(), PROCESS_PREFIX + p.name(), CheckKind.PROCESS,
                    Defaults.CHECKER_INTERVAL, Defaults.CHECKER_TIMEOUT, action, deps.clock()),
                    new ProcessProbe(deps.processes(), p)));
        }
        return out;
    }

    /** A target that does not parse (config-test checks most, not all) gives a checker that is down and says why. */
    Probe probe(ModuleConfig m, CheckerConfig c) {
        try {
            return parsedProbe(m, c);
        } catch (IllegalArgumentException e) {
            String why = "bad checker config: " + e.getMessage();
            return timeout -> Outcome.down(why);
        }
    }

    private Probe parsedProbe(ModuleConfig m, CheckerConfig c) {
        String target = c.target().orElse("");
        return switch (c.type()) {
            case TCP -> TcpProbe.parse(target);
            case HTTP -> new HttpProbe(deps.http(), URI.create(target), c.expect());
            case PING -> new PingProbe(deps.runner(), target);
            case INTERFACE -> new InterfaceProbe(deps.runner(), target);
            case IP -> new IpProbe(deps.runner(), c.target().orElseGet(() -> m.vip().orElseThrow().addr().address()),
                    () -> deps.states().apply(m.name(), deps.node()).map(s -> s.state().serves()).orElse(false));
            case CUSTOM -> new CustomProbe(deps.runner(), c.command());
            case MODULE -> new ModuleProbe(ModuleTarget.parse(target), deps.node(), deps.states());
            case WITNESS -> new WitnessProbe(deps.runner(), c.target().map(WitnessTarget::parse)
                    .map(List::of).orElse(m.splitbrain().witness()));
        };
    }
}
