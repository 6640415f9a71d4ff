package io.steadfast.config;

import java.util.List;
import java.util.stream.Collectors;

/** Thrown by {@link ConfigLoader#loadOrThrow}; the message lists every problem, one per line. */
public class ConfigException extends RuntimeException {
    private final transient List<ConfigProblem> problems;

    public ConfigException(List<ConfigProblem> problems) {
        super(problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public List<ConfigProblem> problems() {
        return problems;
    }
}
