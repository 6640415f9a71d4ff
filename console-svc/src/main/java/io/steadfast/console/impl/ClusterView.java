package io.steadfast.console.impl;

import io.steadfast.api.NodeApi.Presence;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which agent JVMs of which nodes are in the cluster. Presences say which Vert.x cluster node id belongs to which
 * Steadfast node; the cluster manager's member list says which ids are still alive — so a killed JVM disappears
 * as soon as Hazelcast notices, without waiting for presences to age out. Not thread-safe: event-loop only.
 */
public final class ClusterView {
    private final Map<String, Presence> byClusterId = new HashMap<>();

    public void seen(Presence presence) {
        byClusterId.put(presence.clusterNodeId(), presence);
    }

    /** Forgets JVMs that are no longer members. */
    public void retain(Collection<String> members) {
        Set<String> alive = Set.copyOf(members);
        byClusterId.keySet().removeIf(id -> !alive.contains(id));
    }

    /** The live agent JVMs of a node (one for {@code steadfast node}, one per service for {@code svc}). */
    public List<Presence> agents(String node) {
        return byClusterId.values().stream().filter(p -> p.node().equals(node)).toList();
    }

    public boolean isUp(String node) {
        return !agents(node).isEmpty();
    }

    public Set<String> nodesUp() {
        return byClusterId.values().stream().map(Presence::node).collect(Collectors.toSet());
    }
}
