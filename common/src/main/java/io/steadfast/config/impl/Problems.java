package io.steadfast.config.impl;

import io.steadfast.config.ConfigProblem;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.Node;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Collects problems against one file; converts SnakeYAML's 0-based marks to 1-based line:col. */
public final class Problems {
    private final Path file;
    private final List<ConfigProblem> list = new ArrayList<>();

    public Problems(Path file) {
        this.file = file;
    }

    public void add(Node at, Ctx ctx, String message) {
        add(at == null ? null : at.getStartMark(), ctx.message(message));
    }

    public void add(Mark mark, String fullMessage) {
        int line = mark == null ? 1 : mark.getLine() + 1;
        int col = mark == null ? 1 : mark.getColumn() + 1;
        list.add(new ConfigProblem(file, line, col, fullMessage));
    }

    public boolean isEmpty() {
        return list.isEmpty();
    }

    public Path file() {
        return file;
    }

    /** In file order (stable for problems at the same place). */
    public List<ConfigProblem> sorted() {
        List<ConfigProblem> out = new ArrayList<>(list);
        out.sort(Comparator.comparingInt(ConfigProblem::line).thenComparingInt(ConfigProblem::column));
        return out;
    }
}
