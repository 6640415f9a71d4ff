package io.steadfast.config.impl;

/**
 * The place of a value, as operators read it: {@code modules[0] (db): heartbeat.pulse},
 * {@code cluster.nodes[1] (node2): lans.lan1}, {@code cluster.bus.port}. A named list item (a mapping with a
 * {@code name}) starts a new head so the name is visible; keys below it form a dotted tail.
 */
public record Ctx(String head, String tail) {
    public static final Ctx ROOT = new Ctx("", "");

    public Ctx key(String key) {
        return new Ctx(head, tail.isEmpty() ? key : tail + "." + key);
    }

    /** A list element; {@code name} (may be null) is the element's {@code name} value when it has one. */
    public Ctx item(int index, String name) {
        if (name != null) {
            return new Ctx(render() + "[" + index + "] (" + name + ")", "");
        }
        return new Ctx(head, tail + "[" + index + "]");
    }

    /** Empty for the document root. */
    public String render() {
        if (head.isEmpty()) {
            return tail;
        }
        return tail.isEmpty() ? head : head + ": " + tail;
    }

    /** {@code "<place>: <message>"}, or just the message at the root. */
    public String message(String message) {
        String place = render();
        return place.isEmpty() ? message : place + ": " + message;
    }

    @Override
    public String toString() {
        return render();
    }
}
