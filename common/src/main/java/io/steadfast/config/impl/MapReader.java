package io.steadfast.config.impl;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Typed reader over one YAML mapping. Construction reports a non-mapping, non-scalar or duplicate keys and keys
 * outside {@code allowed}. Every accessor reports what is wrong at the value's mark and returns empty, so the
 * caller substitutes a placeholder and carries on: phase 1 reports every field error in one run, and the
 * placeholders never escape because a config is only produced when there is no problem.
 */
public final class MapReader {
    private final Node node;
    private final Ctx ctx;
    private final Problems problems;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
    /** Not a mapping (reported once): what it lacks would only echo that. */
    private boolean wrongShape;

    private MapReader(Node node, Ctx ctx, Problems problems, List<String> allowed) {
        this.node = node;
        this.ctx = ctx;
        this.problems = problems;
        if (node == null || isNull(node)) {
            return; // absent or "key:" with no value: an empty mapping
        }
        if (!(node instanceof MappingNode mapping)) {
            problems.add(node, ctx, "expected a mapping (key: value), found " + describe(node));
            wrongShape = true;
            return;
        }
        for (NodeTuple t : mapping.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode keyNode)) {
                problems.add(t.getKeyNode(), ctx, "a key must be a plain word, found " + describe(t.getKeyNode()));
                continue;
            }
            String key = keyNode.getValue();
            if (entries.containsKey(key)) {
                problems.add(keyNode, ctx, "duplicate key \"" + key + "\"");
            } else if (!allowed.contains(key)) {
                problems.add(keyNode, ctx, "unknown key \"" + key + "\" (allowed: " + String.join(", ", allowed) + ")");
            } else {
                entries.put(key, t);
            }
        }
    }

    public static MapReader of(Node node, Ctx ctx, Problems problems, String... allowed) {
        return new MapReader(node, ctx, problems, Arrays.asList(allowed));
    }

    public Ctx ctx() {
        return ctx;
    }

    public Ctx ctx(String key) {
        return ctx.key(key);
    }

    public Node node() {
        return node;
    }

    public boolean has(String key) {
        return entries.containsKey(key);
    }

    /** The value node of {@code key}, or null. */
    public Node value(String key) {
        NodeTuple t = entries.get(key);
        return t == null ? null : t.getValueNode();
    }

    /**
     * Reports each absent key at this mapping's mark. Silent when the mapping itself is absent or not a
     * mapping: that was reported once already, by the parent or the constructor.
     */
    public void require(String... keys) {
        for (String k : keys) {
            if (node != null && !wrongShape && !entries.containsKey(k)) {
                problems.add(node, ctx, "missing required key \"" + k + "\"");
            }
        }
    }

    /** A nested mapping; absent or null = empty. */
    public MapReader map(String key, String... allowed) {
        return new MapReader(value(key), ctx.key(key), problems, Arrays.asList(allowed));
    }

    // ---- scalars

    /** The scalar text of {@code key}; empty when absent or not a scalar (reported). */
    public Optional<String> string(String key) {
        Node v = value(key);
        return v == null ? Optional.empty() : scalar(v, ctx.key(key), problems);
    }

    /** Non-empty string. */
    public Optional<String> text(String key) {
        return string(key).filter(s -> {
            if (s.isBlank()) {
                problems.add(value(key), ctx.key(key), "must not be empty");
                return false;
            }
            return true;
        });
    }

    public Optional<String> name(String key) {
        return string(key).filter(s -> checkName(s, value(key), ctx.key(key), problems));
    }

    public Optional<Integer> integer(String key, int min, int max) {
        Node v = value(key);
        return v == null ? Optional.empty() : integer(v, ctx.key(key), problems, min, max);
    }

    public Optional<Integer> port(String key) {
        return integer(key, 1, 65535);
    }

    public Optional<Duration> duration(String key, boolean positive) {
        return string(key).flatMap(s -> duration(s, value(key), ctx.key(key), problems, positive));
    }

    public <E extends Enum<E>> Optional<E> enumValue(String key, Class<E> type) {
        return string(key).flatMap(s -> enumValue(s, value(key), ctx.key(key), problems, type));
    }

    /** on | off (also true/false/yes/no, which YAML users write out of habit). */
    public Optional<Boolean> onOff(String key) {
        return string(key).flatMap(s -> switch (s.toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes" -> Optional.of(true);
            case "off", "false", "no" -> Optional.of(false);
            default -> {
                problems.add(value(key), ctx.key(key), quote(s) + " is not one of on | off");
                yield Optional.empty();
            }
        });
    }

    public Optional<String> ipv4(String key) {
        return string(key).filter(s -> checkIpv4(s, value(key), ctx.key(key), problems));
    }

    /** Absolute paths only: a daemon's working directory is not something an operator should have to know. */
    public Optional<Path> absPath(String key) {
        return string(key).flatMap(s -> absPath(s, value(key), ctx.key(key), problems));
    }

    // ---- lists

    /** Items of a sequence; absent or null = empty; anything else reported. */
    public List<Node> list(String key) {
        Node v = value(key);
        if (v == null || isNull(v)) {
            return List.of();
        }
        if (v instanceof SequenceNode seq) {
            return seq.getValue();
        }
        problems.add(v, ctx.key(key), "expected a list (e.g. [a, b]), found " + describe(v));
        return List.of();
    }

    /** True when {@code key} is written as an empty list {@code []}. */
    public boolean isEmptyList(String key) {
        return value(key) instanceof SequenceNode seq && seq.getValue().isEmpty();
    }

    /** A list of scalars converted by {@code item}; bad items are reported by it and dropped. */
    public <T> List<T> list(String key, Function<Item, Optional<T>> item) {
        List<Node> nodes = list(key);
        List<T> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            item.apply(new Item(nodes.get(i), ctx.key(key).item(i, null), problems)).ifPresent(out::add);
        }
        return out;
    }

    public List<String> strings(String key) {
        return list(key, Item::text);
    }

    /** One element of a list of scalars. */
    public record Item(Node node, Ctx ctx, Problems problems) {
        public Optional<String> string() {
            return scalar(node, ctx, problems);
        }

        public Optional<String> text() {
            return string().filter(s -> {
                if (s.isBlank()) {
                    problems.add(node, ctx, "must not be empty");
                    return false;
                }
                return true;
            });
        }

        public Optional<String> name() {
            return string().filter(s -> checkName(s, node, ctx, problems));
        }

        public Optional<Path> absPath() {
            return string().flatMap(s -> MapReader.absPath(s, node, ctx, problems));
        }

        public void report(String message) {
            problems.add(node, ctx, message);
        }
    }

    // ---- shared conversions

    static boolean isNull(Node n) {
        return n instanceof ScalarNode s && Tag.NULL.equals(s.getTag());
    }

    public static String describe(Node n) {
        if (n instanceof MappingNode) {
            return "a mapping";
        }
        if (n instanceof SequenceNode) {
            return "a list";
        }
        if (isNull(n)) {
            return "nothing";
        }
        return quote(((ScalarNode) n).getValue());
    }

    public static String quote(String s) {
        return "\"" + s + "\"";
    }

    /** The name an element of a list of mappings shows in messages, when it has a scalar {@code name}. */
    public static String nameOf(Node item) {
        if (item instanceof MappingNode m) {
            for (NodeTuple t : m.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals("name")
                        && t.getValueNode() instanceof ScalarNode v && !isNull(v) && !v.getValue().isBlank()) {
                    return v.getValue();
                }
            }
        }
        return null;
    }

    static Optional<String> scalar(Node v, Ctx ctx, Problems problems) {
        if (isNull(v)) {
            problems.add(v, ctx, "has no value");
            return Optional.empty();
        }
        if (!(v instanceof ScalarNode s)) {
            problems.add(v, ctx, "expected a single value, found " + describe(v));
            return Optional.empty();
        }
        return Optional.of(s.getValue());
    }

    static Optional<Integer> integer(Node v, Ctx ctx, Problems problems, int min, int max) {
        Optional<String> s = scalar(v, ctx, problems);
        if (s.isEmpty()) {
            return Optional.empty();
        }
        String text = s.get();
        if (!text.matches("-?\\d{1,10}")) {
            problems.add(v, ctx, quote(text) + " is not an integer");
            return Optional.empty();
        }
        long n = Long.parseLong(text);
        if (n < min || n > max) {
            String range = max == Integer.MAX_VALUE ? "at least " + min : min + ".." + max;
            problems.add(v, ctx, text + " is out of range (" + range + ")");
            return Optional.empty();
        }
        return Optional.of((int) n);
    }

    static Optional<Duration> duration(String s, Node v, Ctx ctx, Problems problems, boolean positive) {
        Optional<Duration> d = Formats.duration(s);
        if (d.isEmpty()) {
            problems.add(v, ctx, quote(s) + " is not a duration (" + Formats.DURATION_HINT + ")");
        } else if (positive && d.get().isZero()) {
            problems.add(v, ctx, quote(s) + " must be more than zero");
            return Optional.empty();
        }
        return d;
    }

    static <E extends Enum<E>> Optional<E> enumValue(String s, Node v, Ctx ctx, Problems problems, Class<E> type) {
        for (E e : type.getEnumConstants()) {
            if (Formats.yamlName(e).equals(s)) {
                return Optional.of(e);
            }
        }
        String allowed = Arrays.stream(type.getEnumConstants()).map(Formats::yamlName)
                .collect(Collectors.joining(" | "));
        problems.add(v, ctx, quote(s) + " is not one of " + allowed);
        return Optional.empty();
    }

    static boolean checkIpv4(String s, Node v, Ctx ctx, Problems problems) {
        if (Formats.isIpv4(s)) {
            return true;
        }
        problems.add(v, ctx, quote(s) + " is not an IPv4 address (a.b.c.d)");
        return false;
    }

    static boolean checkName(String s, Node v, Ctx ctx, Problems problems) {
        if (Formats.isName(s)) {
            return true;
        }
        problems.add(v, ctx, quote(s) + " is not a valid name (" + Formats.NAME_HINT + ")");
        return false;
    }

    static Optional<Path> absPath(String s, Node v, Ctx ctx, Problems problems) {
        try {
            Path p = Path.of(s);
            if (!p.isAbsolute() || s.contains("\0")) {
                problems.add(v, ctx, quote(s) + " is not an absolute path");
                return Optional.empty();
            }
            return Optional.of(p.normalize());
        } catch (InvalidPathException e) {
            problems.add(v, ctx, quote(s) + " is not a valid path");
            return Optional.empty();
        }
    }
}
