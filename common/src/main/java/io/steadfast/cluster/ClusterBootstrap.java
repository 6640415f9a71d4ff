package io.steadfast.cluster;

import com.hazelcast.config.ClassFilter;
import com.hazelcast.config.Config;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.steadfast.bus.auth.BusAuth;
import io.steadfast.bus.auth.BusKeys;
import io.steadfast.config.SecretFiles;
import io.steadfast.config.TlsConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PfxOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.Set;

/**
 * Starts a clustered Vert.x: Hazelcast with TCP-IP join from the config's node list (multicast off), bound to the
 * node's own address only, failure detection tuned down from Hazelcast's 60 s default, and the event bus on the
 * node's address, with mutual TLS when {@code cluster.bus.tls} is set.
 *
 * <p>Hazelcast Community Edition has no member authentication: bind it to the cluster's private network. Module
 * roles never depend on Hazelcast membership (heartbeat-svc has its own heartbeats); Hazelcast only carries the
 * control bus, so its slower detection of a frozen member is acceptable.
 */
public final class ClusterBootstrap {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterBootstrap.class);

    /** Whole seconds (Hazelcast's minimum is 1); measured: frozen member noticed in 2.3–2.8 s, killed in 0.4 s. */
    static final String HEARTBEAT_INTERVAL_SECONDS = "1";
    static final String MAX_NO_HEARTBEAT_SECONDS = "3";
    /** Default 5 s delays every join; our member list is explicit, so there is nothing to wait for. */
    static final String WAIT_SECONDS_BEFORE_JOIN = "1";
    /** Defaults 300/120 s: a healed partition would stay split for minutes. */
    static final String MERGE_FIRST_RUN_DELAY_SECONDS = "10";
    static final String MERGE_NEXT_RUN_DELAY_SECONDS = "5";

    private ClusterBootstrap() {
    }

    /**
     * Joins the cluster. Unless {@code insecure}: reads the cluster secret (a failure fails the future with the
     * operator-facing message), derives the Hazelcast cluster name from it, and signs and checks every event-bus
     * message ({@link BusAuth}). Always: bounded event-bus frames from configured node addresses only
     * ({@link BusFrameGuard}), Java deserialization in Hazelcast filtered.
     */
    public static Future<Vertx> start(ClusterSettings settings, VertxOptions base) {
        byte[] secret = null;
        if (settings.insecure()) {
            LOG.warn(INSECURE_WARNING);
        } else {
            try {
                secret = SecretFiles.readClusterSecret(settings.secretFile());
            } catch (IOException e) {
                return Future.failedFuture(new UncheckedIOException(e.getMessage(), e));
            }
        }
        String hazelcastName = secret == null ? settings.clusterName()
                : BusKeys.hazelcastClusterName(settings.clusterName(), secret);
        HazelcastClusterManager manager = new HazelcastClusterManager(hazelcastConfig(settings, hazelcastName));
        VertxOptions options = vertxOptions(settings, base);
        LOG.info("joining cluster {} as {} on {} (hazelcast {}, event bus {}{}{})", settings.clusterName(),
                settings.nodeName(), settings.bindAddress(), settings.hazelcastPort(), settings.eventBusPort(),
                settings.tls().isPresent() ? ", mutual TLS" : "",
                secret == null ? ", UNAUTHENTICATED (insecure: true)" : ", signed messages");
        byte[] key = secret;
        Set<InetAddress> allowed = nodeAddresses(settings);
        return Vertx.builder().with(options).withClusterManager(manager).buildClustered().map(vertx -> {
            if (key != null) {
                BusAuth.install(vertx, key, settings.nodeName(), settings.instance(), Set.copyOf(settings.nodeNames()));
                java.util.Arrays.fill(key, (byte) 0);
            }
            BusFrameGuard.install(vertx, allowed, settings.tls().isPresent());
            return vertx;
        });
    }

    /** Logged at every start of a cluster with {@code insecure: true}, and shown in /health and the console. */
    public static final String INSECURE_WARNING = "cluster.insecure is true: the event bus is NOT authenticated — any"
            + " process that reaches a node's bus or Hazelcast port can stop modules, move VIPs and run scripts as"
            + " root. Use it for experiments only: remove `insecure: true` from the config";

    /** The addresses of the configured nodes (from the join list), the only sources the bus server accepts. */
    static Set<InetAddress> nodeAddresses(ClusterSettings settings) {
        Set<InetAddress> out = new java.util.HashSet<>();
        for (String member : settings.members()) {
            String host = member.substring(0, member.lastIndexOf(':'));
            try {
                out.add(InetAddress.getByName(host));
            } catch (java.net.UnknownHostException e) {
                LOG.warn("cluster member address {} does not resolve: {}", host, e.getMessage());
            }
        }
        try {
            out.add(InetAddress.getByName(settings.bindAddress()));
        } catch (java.net.UnknownHostException e) {
            // reported by the bind itself
        }
        return Set.copyOf(out);
    }

    /** {@code base} (not changed) with the event bus bound to the node's address and port, TLS if configured. */
    static VertxOptions vertxOptions(ClusterSettings settings, VertxOptions base) {
        VertxOptions options = new VertxOptions(base);
        // the copy constructor turns a subclass of MetricsOptions (MicrometerMetricsOptions: Prometheus backend, JVM
        // metrics) into a plain MetricsOptions {enabled}: Vert.x's own metrics then never reached /metrics
        options.setMetricsOptions(base.getMetricsOptions());
        EventBusOptions bus = options.getEventBusOptions()
                .setHost(settings.bindAddress())
                .setPort(settings.eventBusPort())
                .setClusterPublicHost(settings.bindAddress())
                .setClusterPublicPort(settings.eventBusPort());
        settings.tls().ifPresent(tls -> mutualTls(bus, tls));
        return options;
    }

    static Config hazelcastConfig(ClusterSettings settings, String hazelcastName) {
        Config config = ConfigUtil.loadConfig(); // keeps Vert.x's own map/multimap settings
        config.setClusterName(hazelcastName);
        // Vert.x's cluster manager stores DataSerializable records; nothing needs Java serialization beyond its own
        // classes: refuse any other class a peer could make Hazelcast deserialize (gadget chains)
        config.getSerializationConfig().setJavaSerializationFilterConfig(new JavaSerializationFilterConfig()
                .setDefaultsDisabled(false)
                .setWhitelist(new ClassFilter().addPrefixes("io.vertx.spi.cluster.hazelcast.", "io.vertx.core.")));
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.heartbeat.interval.seconds", HEARTBEAT_INTERVAL_SECONDS);
        config.setProperty("hazelcast.max.no.heartbeat.seconds", MAX_NO_HEARTBEAT_SECONDS);
        config.setProperty("hazelcast.wait.seconds.before.join", WAIT_SECONDS_BEFORE_JOIN);
        config.setProperty("hazelcast.merge.first.run.delay.seconds", MERGE_FIRST_RUN_DELAY_SECONDS);
        config.setProperty("hazelcast.merge.next.run.delay.seconds", MERGE_NEXT_RUN_DELAY_SECONDS);
        config.setProperty("hazelcast.socket.bind.any", "false");
        config.setProperty("hazelcast.local.localAddress", settings.bindAddress());
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.getMemberAttributeConfig().setAttribute("steadfast.node", settings.nodeName());

        NetworkConfig network = config.getNetworkConfig();
        network.setPort(settings.hazelcastPort()).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).clear().addInterface(settings.bindAddress());
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(settings.members());
        return config;
    }

    /** Mutual TLS with the cluster CA. Vert.x trusts everything unless told otherwise: trustAll must be false. */
    private static void mutualTls(EventBusOptions bus, TlsConfig tls) {
        String password;
        try {
            // the keystore holds this node's private key: private like the password that opens it
            SecretFiles.checkPrivate(tls.keystore(), "cluster.bus.tls.keystore");
            password = SecretFiles.readPassword(tls.passwordFile(), "cluster.bus.tls.password_file");
        } catch (IOException e) {
            throw new UncheckedIOException(e instanceof SecretFiles.UnsafeFileException ? e.getMessage()
                    : "event-bus TLS: cannot read " + tls.keystore() + " or " + tls.passwordFile() + ": " + e, e);
        }
        PfxOptions key = new PfxOptions().setPath(tls.keystore().toString()).setPassword(password);
        PfxOptions trust = new PfxOptions().setPath(tls.truststore().orElse(tls.keystore()).toString())
                .setPassword(password);
        bus.setSsl(true).setKeyCertOptions(key).setTrustOptions(trust).setClientAuth(ClientAuth.REQUIRED)
                .setTrustAll(false);
    }
}
