package io.steadfast.config.impl;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Finds where a value of the typed config was written, for Phase2 messages. A path is keys (String) and list
 * indexes (Integer). When the path leaves the document (a defaulted key), the answer is the deepest node that
 * exists, i.e. the mapping that lacks the key, while the label still names the full path.
 */
public final class Locator {
    private final Node root;

    public Locator(Node root) {
        this.root = root;
    }

    public record Loc(Node node, Ctx ctx) {
    }

    /** The value at {@code path}. */
    public Loc at(Object... path) {
        return walk(false, path);
    }

    /** The key node of the last segment (e.g. an unknown name used as a key). */
    public Loc keyAt(Object... path) {
        return walk(true, path);
    }

    private Loc walk(boolean key, Object... path) {
        Node node = root;
        Node keyNode = null;
        boolean inside = true;
        Ctx ctx = Ctx.ROOT;
        for (Object seg : path) {
            keyNode = null;
            if (seg instanceof Integer i) {
                Node next = inside && node instanceof SequenceNode s && i < s.getValue().size()
                        ? s.getValue().get(i) : null;
                ctx = ctx.item(i, next == null ? null : MapReader.nameOf(next));
                if (next != null) {
                    node = next;
                } else {
                    inside = false;
                }
            } else {
                String k = (String) seg;
                ctx = ctx.key(k);
                NodeTuple t = inside ? tuple(node, k) : null;
                if (t != null) {
                    node = t.getValueNode();
                    keyNode = t.getKeyNode();
                } else {
                    inside = false;
                }
            }
        }
        return new Loc(key && keyNode != null ? keyNode : node, ctx);
    }

    private static NodeTuple tuple(Node node, String key) {
        if (node instanceof MappingNode m) {
            for (NodeTuple t : m.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                    return t;
                }
            }
        }
        return null;
    }
}
