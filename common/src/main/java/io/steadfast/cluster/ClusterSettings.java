package io.steadfast.cluster;

import io.steadfast.api.ServiceName;
import io.steadfast.bus.auth.BusAuth;
import io.steadfast.config.NodeConfig;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.config.TlsConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where one agent JVM binds and whom it joins. {@code steadfast node} (all services in one JVM) uses the
 * configured ports; {@code steadfast svc X} runs one JVM per service on a node, so each gets its own pair of
 * ports at a fixed offset ({@code 1 + ordinal}) and the join list names the whole range of every node.
 *
 * @param members    Hazelcast TCP-IP join members: every {@code addr:port} of the range of every node (Hazelcast's
 *                   member syntax has address ranges, not port ranges)
 * @param secretFile {@code cluster.secret_file}: the event bus is signed with a key derived from it, and the
 *                   Hazelcast cluster name too, unless {@code insecure}
 * @param nodeNames  every name in {@code cluster.nodes}: the only senders the bus accepts
 * @param instance   what this JVM signs as on its node: {@code node} for the agent, else the service run alone
 */
public record ClusterSettings(String clusterName, String nodeName, String bindAddress, int hazelcastPort,
                              int eventBusPort, List<String> members, Optional<TlsConfig> tls, Path secretFile,
                              List<String> nodeNames, String instance, boolean insecure) {

    /** Ports reserved per node above the configured ones: one pair per service run alone. */
    public static final int PORT_RANGE = ServiceName.values().length + 1;

    public static ClusterSettings of(SteadfastConfig config, String nodeName, Optional<ServiceName> aloneService) {
        NodeConfig node = config.node(nodeName)
                .orElseThrow(() -> new IllegalArgumentException("node \"" + nodeName + "\" is not in cluster.nodes"));
        int offset = aloneService.map(s -> 1 + s.ordinal()).orElse(0);
        int hz = config.cluster().bus().port();
        int eb = config.cluster().bus().eventBusPort();
        List<String> members = config.cluster().nodes().stream()
                .flatMap(n -> java.util.stream.IntStream.range(hz, hz + PORT_RANGE).mapToObj(p -> n.addr() + ":" + p))
                .toList();
        return new ClusterSettings(config.cluster().name(), node.name(), node.addr(), hz + offset, eb + offset,
                members, config.cluster().bus().tls(), config.cluster().secretFile(),
                config.cluster().nodes().stream().map(NodeConfig::name).toList(),
                aloneService.map(ServiceName::id).orElse(BusAuth.AGENT), config.cluster().insecure());
    }
}
