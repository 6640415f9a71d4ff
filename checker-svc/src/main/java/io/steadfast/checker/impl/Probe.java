package io.steadfast.checker.impl;

import java.time.Duration;

/**
 * One check of one kind. Blocking: it runs on its own virtual thread (see {@link ProbeRunner}), and should give
 * up by itself after {@code timeout}; the runner also stops waiting for it then.
 */
@FunctionalInterface
public interface Probe {
    Outcome probe(Duration timeout) throws Exception;
}
