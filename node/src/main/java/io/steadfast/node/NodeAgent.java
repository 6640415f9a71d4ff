package io.steadfast.node;

import io.steadfast.api.NodeApi;
import io.steadfast.api.NodeApi.Presence;
import io.steadfast.api.ServiceName;
import io.steadfast.cluster.ClusterBootstrap;
import io.steadfast.cluster.ClusterSettings;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.console.ConsoleMetricsOptions;
import io.steadfast.node.impl.ServiceFactory;
import io.steadfast.service.Membership;
import io.steadfast.service.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One agent JVM on one node: joins the cluster, deploys the chosen services in a fixed order (the console last,
 * so that it can answer for the others), and publishes its presence every second.
 */
public final class NodeAgent {
    private static final Logger LOG = LoggerFactory.getLogger(NodeAgent.class);

    /**
     * The node-local services first, then heartbeat-svc, which drives them (a role change asks them for things at
     * once), then the console, which answers for all of them.
     */
    static final java.util.Comparator<ServiceName> DEPLOY_ORDER = java.util.Comparator.comparingInt(s -> switch (s) {
        case REPLICATION -> 0;
        case VIP -> 1;
        case CHECKER -> 2;
        case LB_FILTER -> 3;
        case HEARTBEAT -> 4;
        case CONSOLE -> 5;
    });

    private final Vertx vertx;
    private final List<String> deployments;
    private final long startedAt;

    private NodeAgent(Vertx vertx, List<String> deployments, long startedAt) {
        this.vertx = vertx;
        this.deployments = deployments;
        this.startedAt = startedAt;
    }

    /**
     * @param services the services to run (in {@link ServiceName} order)
     * @param alone    true for {@code steadfast svc X}: one service in its own JVM, on its own ports
     */
    public static Future<NodeAgent> start(SteadfastConfig config, String node, List<ServiceName> services,
                                          boolean alone) {
        long startedAt = System.currentTimeMillis();
        Optional<ServiceName> aloneService = alone ? Optional.of(services.getFirst()) : Optional.empty();
        ClusterSettings settings = ClusterSettings.of(config, node, aloneService);
        // Vert.x's own metrics (event bus, HTTP, pools) for the console's /metrics
        VertxOptions options = ConsoleMetricsOptions.withMetrics(new VertxOptions());
        return ClusterBootstrap.start(settings, options).compose(vertx -> {
            ClusterManager manager = ((VertxInternal) vertx).clusterManager();
            Membership membership = new Membership() {
                public String localId() {
                    return manager.getNodeId();
                }

                public List<String> members() {
                    return manager.getNodes();
                }
            };
            ServiceContext ctx = new ServiceContext(config, node, membership);
            List<String> deployments = new ArrayList<>();
            Future<Void> chain = Future.succeededFuture();
            for (ServiceName svc : services.stream().sorted(DEPLOY_ORDER).toList()) {
                chain = chain.compose(v -> vertx.deployVerticle(ServiceFactory.create(svc, ctx))
                        .onSuccess(deployments::add).mapEmpty());
            }
            return chain.map(v -> {
                Presence presence = new Presence(node, manager.getNodeId(), services, ProcessHandle.current().pid(),
                        startedAt);
                vertx.eventBus().publish(NodeApi.PRESENCE, presence.toJson());
                vertx.setPeriodic(NodeApi.PRESENCE_INTERVAL.toMillis(),
                        id -> vertx.eventBus().publish(NodeApi.PRESENCE, presence.toJson()));
                LOG.info("node {} ready in {} ms with services {}", node, System.currentTimeMillis() - startedAt,
                        services.stream().map(ServiceName::id).toList());
                return new NodeAgent(vertx, deployments, startedAt);
            }).recover(e -> vertx.close().transform(ignored -> Future.failedFuture(e)));
        });
    }

    public long startedAt() {
        return startedAt;
    }

    /** Undeploys the services in reverse order, then leaves the cluster. */
    public Future<Void> stop() {
        Future<Void> chain = Future.succeededFuture();
        for (String id : deployments.reversed()) {
            chain = chain.compose(v -> vertx.undeploy(id).recover(e -> {
                LOG.warn("undeploying {} failed: {}", id, e.getMessage());
                return Future.succeededFuture();
            }));
        }
        return chain.compose(v -> vertx.close());
    }
}
