package io.steadfast.service;

import java.util.ArrayList;
import java.util.List;

/**
 * What a service's health says, decided from plain facts (no Vert.x): {@code DOWN} with the reasons when the
 * service's work has failed (a module not mounted, a filter not applied, a stuck runner, dead tasks), else
 * {@code UP}, possibly with warnings (degraded but working: a heartbeat lan lost, a secondary not up to date, …).
 * {@code /health} answers 503 for DOWN and 200 for UP, with or without warnings.
 *
 * <p>Collects; not thread-safe (one caller builds one verdict).
 */
public final class HealthVerdict {
    private final List<String> down = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    /** The service's work has failed: DOWN with this reason. */
    public HealthVerdict down(String reason) {
        down.add(reason);
        return this;
    }

    /** Degraded but working: UP with this warning. */
    public HealthVerdict warn(String warning) {
        if (!warnings.contains(warning)) {
            warnings.add(warning);
        }
        return this;
    }

    /** Adds another verdict's reasons and warnings to this one. */
    public HealthVerdict include(HealthVerdict other) {
        other.down.forEach(this::down);
        other.warnings.forEach(this::warn);
        return this;
    }

    public boolean up() {
        return down.isEmpty();
    }

    /** The DOWN reasons joined with "; ", empty when UP. */
    public String reason() {
        return String.join("; ", down);
    }

    public List<String> reasons() {
        return List.copyOf(down);
    }

    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    @Override
    public String toString() {
        return up() ? (warnings.isEmpty() ? "UP" : "UP with warnings " + warnings) : "DOWN: " + reason();
    }
}
