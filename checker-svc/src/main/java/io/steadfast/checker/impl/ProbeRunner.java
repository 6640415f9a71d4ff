package io.steadfast.checker.impl;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs each probe on its own virtual thread, so that probes never block the event loop, each other, or the
 * Vert.x worker pool that other services of the agent share (50 checkers at a 1 s interval with 1 s timeouts
 * would otherwise hold most of it). A probe that has not answered {@link #GRACE_MS} after its timeout is
 * reported down as stuck and its thread interrupted.
 */
public final class ProbeRunner {
    static final long GRACE_MS = 1000;

    public CompletableFuture<Outcome> run(String name, Probe probe, Duration timeout) {
        CompletableFuture<Outcome> result = new CompletableFuture<>();
        Thread thread = Thread.ofVirtual().name("probe-" + name).start(() -> {
            try {
                result.complete(probe.probe(timeout));
            } catch (InterruptedException e) {
                result.complete(Outcome.down(name + ": interrupted"));
            } catch (Exception | StackOverflowError e) {
                result.complete(Outcome.down(name + ": " + e));
            }
        });
        return result.completeOnTimeout(Outcome.down(name + ": no result " + GRACE_MS + " ms after its timeout of "
                        + timeout.toMillis() + " ms (stuck probe abandoned)"),
                timeout.toMillis() + GRACE_MS, TimeUnit.MILLISECONDS)
                .whenComplete((o, e) -> {
                    if (thread.isAlive()) {
                        thread.interrupt();
                    }
                });
    }
}
