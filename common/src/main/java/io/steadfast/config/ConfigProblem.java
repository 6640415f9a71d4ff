package io.steadfast.config;

import java.nio.file.Path;

/**
 * One thing wrong with a config file, at a 1-based line and column (of the offending key or value, or of the
 * mapping that lacks a required key). {@code toString()} is the {@code config-test} output line.
 */
public record ConfigProblem(Path file, int line, int column, String message) {
    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + message;
    }
}
