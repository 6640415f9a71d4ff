package io.steadfast.heartbeat.impl;

import io.steadfast.config.WitnessTarget;
import io.steadfast.exec.CommandRunner;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Asks the split-brain witnesses whether this node still reaches the world: a ping ({@code ping -c1 -W1 ADDR})
 * or a TCP connect ({@code tcp:host:port}, 1 s). Reached when any target answers; each target is tried twice so
 * that one lost packet does not park a healthy node. Blocking: run it on a worker thread.
 */
public final class WitnessChecker {
    private static final Duration PING_LIMIT = Duration.ofSeconds(3);
    private static final int CONNECT_MS = 1000;
    private static final int ATTEMPTS = 2;

    private final CommandRunner runner;

    public WitnessChecker(CommandRunner runner) {
        this.runner = runner;
    }

    public record Result(boolean reached, String detail) {
    }

    public Result check(List<WitnessTarget> targets) {
        List<String> failures = new ArrayList<>();
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            for (WitnessTarget t : targets) {
                String why = probe(t);
                if (why == null) {
                    return new Result(true, t.toString());
                }
                if (attempt == ATTEMPTS - 1) {
                    failures.add(t + ": " + why);
                }
            }
        }
        return new Result(false, String.join(", ", failures));
    }

    /** null when it answered, else why not. */
    private String probe(WitnessTarget t) {
        if (t.kind() == WitnessTarget.Kind.PING) {
            var r = runner.run(List.of("ping", "-n", "-c1", "-W1", t.host()), PING_LIMIT);
            return r.ok() ? null : r.timedOut() ? "timed out" : "no reply";
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(t.host(), t.port()), CONNECT_MS);
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }
}
