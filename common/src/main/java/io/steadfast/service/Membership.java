package io.steadfast.service;

import java.util.List;

/**
 * The cluster manager's view of which agent JVMs are members (Vert.x cluster node ids). Hazelcast notices a
 * killed JVM in well under a second (its socket closes); a frozen one after {@code max.no.heartbeat}.
 */
public interface Membership {
    String localId();

    List<String> members();

    /** For a service run without a cluster (unit tests). */
    static Membership standalone(String id) {
        return new Membership() {
            public String localId() {
                return id;
            }

            public List<String> members() {
                return List.of(id);
            }
        };
    }
}
