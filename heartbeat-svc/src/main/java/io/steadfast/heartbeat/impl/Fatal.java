package io.steadfast.heartbeat.impl;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;

/**
 * What a critical task (heartbeat sending, receiving, liveness ticks, the engine thread's work) does with a
 * failure: a RuntimeException is a bug in one step, logged, and the task goes on; an {@link Error}
 * (OutOfMemoryError, StackOverflowError, a linkage error…) leaves the JVM in an unknown state, so the agent stops:
 * logged at ERROR, then the process exits with {@link #EXIT_CODE} and the watchdog releases the node, instead of a
 * primary that looks alive but no longer beats (an executor swallows what its periodic task throws and cancels
 * it silently).
 */
public final class Fatal {
    private static final Logger LOG = LoggerFactory.getLogger(Fatal.class);
    public static final int EXIT_CODE = 70;
    /** How long the shutdown hooks may take before the process is halted. */
    private static final long HALT_AFTER_MS = 5000;

    private Fatal() {
    }

    /** {@code task}, never throwing: RuntimeExceptions logged, Errors handed to {@code onError}. */
    public static Runnable guard(String what, Runnable task, Consumer<Throwable> onError) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) { // a bug must not kill the periodic task (and detection with it)
                LOG.error("{}: heartbeat engine error", what, e);
            } catch (Throwable t) {
                onError.accept(t);
            }
        };
    }

    /** Logs and ends the process with {@link #EXIT_CODE} (halted if the shutdown hooks hang). */
    public static void exit(Throwable t) {
        try {
            LOG.error("fatal error in a heartbeat task: {} — stopping the agent (exit {}) so that the watchdog "
                    + "releases this node", t, EXIT_CODE, t);
        } catch (Throwable ignored) {
            // out of memory even for the message: exit anyway
        }
        try {
            Thread.ofPlatform().daemon().name("sf-fatal-halt").start(() -> {
                try {
                    Thread.sleep(HALT_AFTER_MS);
                } catch (InterruptedException ignored) {
                    // halt now
                }
                Runtime.getRuntime().halt(EXIT_CODE);
            });
            Thread.ofPlatform().name("sf-fatal-exit").start(() -> System.exit(EXIT_CODE));
        } catch (Throwable e) {
            Runtime.getRuntime().halt(EXIT_CODE); // cannot even start a thread
        }
    }
}
