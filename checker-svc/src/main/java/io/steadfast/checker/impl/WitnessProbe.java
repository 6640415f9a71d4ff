package io.steadfast.checker.impl;

import io.steadfast.config.WitnessTarget;
import io.steadfast.exec.CommandRunner;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Up when at least one witness answers (ping, or a TCP connect for {@code tcp:addr:port}), tried in order.
 * heartbeat-svc's split-brain rule does not read this checker: it asks {@code splitbrain.witness} itself, once all
 * heartbeats are lost. This checker lets a node act on a lost witness before that, while the peer is still in
 * sight: e.g. {@code on_failure: wait} hands the module to a peer that may still reach it (WitnessCheckerIT).
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
