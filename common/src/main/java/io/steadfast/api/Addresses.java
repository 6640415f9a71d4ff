package io.steadfast.api;

/**
 * How bus addresses are formed; only the contract files ({@code XxxApi}) call this.
 * Node-local requests: {@code sf.<node>.<service>.<verb>}; publications: {@code sf.events.<topic>}.
 */
public final class Addresses {
    private Addresses() {
    }

    public static String request(String node, ServiceName service, String verb) {
        return "sf." + node + "." + service.id() + "." + verb;
    }

    public static String event(String topic) {
        return "sf.events." + topic;
    }
}
