package io.steadfast.cluster;

import io.steadfast.api.ServiceName;
import io.steadfast.config.NodeConfig;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.config.TlsConfig;

import java.util.List;
import java.util.Optional;

/**
 * Where one agent JVM binds and whom it joins. {@code steadfast node} (all services in one JVM) uses the
 * configured ports; {@code steadfast svc X} runs one JVM per service on a node, so each gets its own pair of
 * ports at a fixed offset ({@code 1 + ordinal}) and the join list names the whole range of every node.
 *
 * @param members Hazelcast TCP-IP join members: every {@code addr:port} of the range of every node (Hazelcast's
 *                member syntax has address ranges, not port ranges)
 */
public record ClusterSettings(String clusterName, String nodeName, String bindAddress, int hazelcastPort,
                              int eventBusPort, List<String> members, Optional<TlsConfig> tls) {

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
                members, config.cluster().bus().tls());
    }
}
