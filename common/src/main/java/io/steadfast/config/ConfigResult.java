package io.steadfast.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Outcome of {@link ConfigLoader#load}: a config exactly when there is no problem. Problems in file order. */
public record ConfigResult(Optional<SteadfastConfig> config, List<ConfigProblem> problems) {
    public ConfigResult {
        Objects.requireNonNull(config, "config");
        problems = List.copyOf(problems);
    }

    public boolean ok() {
        return problems.isEmpty() && config.isPresent();
    }
}
