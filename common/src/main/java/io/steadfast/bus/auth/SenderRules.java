package io.steadfast.bus.auth;

import io.steadfast.api.ServiceName;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which configured node may send what, for a message whose signature says it comes from {@code sender} (already
 * verified). From the callers of each contract address (common/src/main/java/io/steadfast/api):
 * <ul>
 *   <li>Requests {@code sf.<node>.<service>.<verb>} drive a node's kernel, scripts and data: only {@code <node>}
 *       itself sends them (heartbeat-svc's choreography and checker-svc's failover rules are node-local), except
 *       the verbs in {@link #ANY_NODE}: the console of any node sends admin commands to any node's heartbeat-svc
 *       ({@code heartbeat.command}), toggles checkers and reads status, logs and health. A verb not listed is
 *       node-local.</li>
 *   <li>Publications {@code sf.events.<topic>} describe their sender: the body's {@code node} must be the sender
 *       (a module's replication state only from that node's replication-svc, a module state only from that node's
 *       heartbeat-svc, …).</li>
 *   <li>Anything else (replies to {@code __vertx.reply.*}, addresses outside the contract) from any configured
 *       node.</li>
 * </ul>
 */
public final class SenderRules {
    /** Verbs any configured node may request of any node's service. */
    static final Map<String, Set<String>> ANY_NODE = Map.of(
            ServiceName.HEARTBEAT.id(), Set.of("command", "states", "health"),
            ServiceName.REPLICATION.id(), Set.of("status", "verify", "health"),
            ServiceName.VIP.id(), Set.of("status", "health"),
            ServiceName.CHECKER.id(), Set.of("toggle", "checkers", "log", "health"),
            ServiceName.LB_FILTER.id(), Set.of("status", "health"),
            ServiceName.CONSOLE.id(), Set.of("health"));

    private final Set<String> nodes;

    /** {@code nodes}: the names in {@code cluster.nodes}. */
    public SenderRules(Set<String> nodes) {
        this.nodes = Set.copyOf(nodes);
    }

    public boolean isNode(String name) {
        return nodes.contains(name);
    }

    /** Why {@code sender} may not send this, or empty when it may. */
    public Optional<String> refusal(String sender, String address, boolean send, Object body) {
        if (!nodes.contains(sender)) {
            return Optional.of("sender \"" + sender + "\" is not in cluster.nodes");
        }
        if (address.startsWith("sf.events.")) {
            if (!(body instanceof JsonObject json) || !(json.getValue("node") instanceof String about)) {
                return Optional.of("a publication on " + address + " must name its node");
            }
            return about.equals(sender) ? Optional.empty()
                    : Optional.of("node " + sender + " published the state of node " + about);
        }
        if (address.startsWith("sf.")) {
            String rest = address.substring(3);
            // sf.<node>.<service>.<verb>: node names have no dots, service ids and verbs neither
            String[] parts = rest.split("\\.", -1);
            if (parts.length != 3) {
                return Optional.of("no such contract address " + address);
            }
            String target = parts[0];
            String service = parts[1];
            String verb = parts[2];
            if (target.equals(sender)) {
                return Optional.empty();
            }
            if (ANY_NODE.getOrDefault(service, Set.of()).contains(verb)) {
                return Optional.empty();
            }
            return Optional.of(address + " is node-local: node " + sender + " may not send it");
        }
        return Optional.empty();
    }
}
