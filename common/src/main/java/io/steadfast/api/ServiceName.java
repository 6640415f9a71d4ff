package io.steadfast.api;

import java.util.Arrays;
import java.util.Optional;

/** The services of a node. The id is the name used on the command line and in bus addresses. */
public enum ServiceName {
    HEARTBEAT("heartbeat"),
    REPLICATION("replication"),
    VIP("vip"),
    CHECKER("checker"),
    LB_FILTER("lb-filter"),
    CONSOLE("console");

    private final String id;

    ServiceName(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Optional<ServiceName> of(String id) {
        return Arrays.stream(values()).filter(s -> s.id.equals(id)).findFirst();
    }

    public static String ids() {
        return String.join(", ", Arrays.stream(values()).map(ServiceName::id).toList());
    }
}
