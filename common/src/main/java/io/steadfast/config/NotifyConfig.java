package io.steadfast.config;

import java.util.List;
import java.util.Optional;

/**
 * Where a module's notifications go (YAML {@code notify: { script: [argv…], webhook: URL }}): the script is run as
 * given (never through a shell) with the arguments {@code module node old_state new_state reason} appended; the
 * webhook gets the same as a JSON POST. Both optional; {@link #none()} = no notification.
 */
public record NotifyConfig(List<String> script, Optional<String> webhook) {
    public NotifyConfig {
        script = List.copyOf(script);
        java.util.Objects.requireNonNull(webhook, "webhook");
    }

    public static NotifyConfig none() {
        return new NotifyConfig(List.of(), Optional.empty());
    }

    public boolean enabled() {
        return !script.isEmpty() || webhook.isPresent();
    }
}
