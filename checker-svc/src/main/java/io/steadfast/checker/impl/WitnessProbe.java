package io.steadfast.checker.impl;

import io.steadfast.config.WitnessTarget;
import io.steadfast.exec.CommandRunner;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Up when at least one witness answers (ping, or a TCP connect for {@code tcp:addr:port}), tried in order.
 * The split-brain rule of heartbeat-svc reads the same publication.
 */
public record WitnessProbe(CommandRunner runner, List<WitnessTarget> witnesses) implements Probe {
    @Override
    public Outcome probe(Duration timeout) {
        List<String> failures = new ArrayList<>();
        for (WitnessTarget w : witnesses) {
            Outcome o = switch (w.kind()) {
                case PING -> new PingProbe(runner, w.host()).probe(timeout);
                case TCP -> new TcpProbe(w.host(), w.port()).probe(timeout);
            };
            if (o.up()) {
                return Outcome.up("witness " + w + " reached: " + o.reason());
            }
            failures.add(o.reason());
        }
        return Outcome.down("no witness reached: " + String.join("; ", failures));
    }
}
