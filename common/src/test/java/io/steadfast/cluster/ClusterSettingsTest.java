package io.steadfast.cluster;

import com.hazelcast.config.Config;
import io.steadfast.api.ServiceName;
import io.steadfast.config.ConfigLoader;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.config.TestConfigs;
import io.vertx.core.VertxOptions;
import io.vertx.core.metrics.MetricsOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class ClusterSettingsTest {
    @TempDir
    Path dir;

    SteadfastConfig config() throws Exception {
        return ConfigLoader.loadOrThrow(TestConfigs.writeMirrorAndFarm(dir));
    }

    @Test
    void nodeAgentUsesTheConfiguredPortsAndJoinsEveryNode() throws Exception {
        SteadfastConfig config = config();
        ClusterSettings s = ClusterSettings.of(config, "node2", Optional.empty());
        int port = config.cluster().bus().port();
        assertThat(s.hazelcastPort()).isEqualTo(port);
        assertThat(s.eventBusPort()).isEqualTo(config.cluster().bus().eventBusPort());
        assertThat(s.bindAddress()).isEqualTo(config.node("node2").orElseThrow().addr());
        assertThat(s.members()).hasSize(config.cluster().nodes().size() * ClusterSettings.PORT_RANGE)
                .contains(config.node("node3").orElseThrow().addr() + ":" + port);
    }

    @Test
    void aServiceAloneGetsItsOwnPortPair() throws Exception {
        SteadfastConfig config = config();
        ClusterSettings vip = ClusterSettings.of(config, "node1", Optional.of(ServiceName.VIP));
        ClusterSettings console = ClusterSettings.of(config, "node1", Optional.of(ServiceName.CONSOLE));
        int port = config.cluster().bus().port();
        assertThat(vip.hazelcastPort()).isNotEqualTo(console.hazelcastPort())
                .isBetween(port + 1, port + ClusterSettings.PORT_RANGE - 1);
        assertThat(vip.eventBusPort()).isNotEqualTo(console.eventBusPort());
    }

    @Test
    void hazelcastJoinsByTcpOnlyBoundToTheNodeAddress() throws Exception {
        ClusterSettings s = ClusterSettings.of(config(), "node1", Optional.empty());
        Config hz = ClusterBootstrap.hazelcastConfig(s, "derived");
        assertThat(hz.getClusterName()).isEqualTo("derived");
        assertThat(hz.getSerializationConfig().getJavaSerializationFilterConfig()).isNotNull();
        assertThat(hz.getNetworkConfig().getJoin().getMulticastConfig().isEnabled()).isFalse();
        assertThat(hz.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled()).isTrue();
        assertThat(hz.getNetworkConfig().getJoin().getTcpIpConfig().getMembers()).isEqualTo(s.members());
        assertThat(hz.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly(s.bindAddress());
        assertThat(hz.getNetworkConfig().isPortAutoIncrement()).isFalse();
        assertThat(hz.getProperty("hazelcast.max.no.heartbeat.seconds")).isEqualTo("3");
        assertThat(hz.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
    }

    /** A MetricsOptions subclass (as MicrometerMetricsOptions is) survives: the metrics factory needs its settings. */
    @Test
    void vertxOptionsKeepTheCallersMetricsOptionsAndBindTheBusToTheNode() throws Exception {
        ClusterSettings s = ClusterSettings.of(config(), "node2", Optional.empty());
        class BackendOptions extends MetricsOptions {
        }
        BackendOptions metrics = new BackendOptions();
        metrics.setEnabled(true);
        VertxOptions base = new VertxOptions().setMetricsOptions(metrics);
        VertxOptions options = ClusterBootstrap.vertxOptions(s, base);
        assertThat(options.getMetricsOptions()).isSameAs(metrics);
        assertThat(options.getEventBusOptions().getHost()).isEqualTo(s.bindAddress());
        assertThat(options.getEventBusOptions().getPort()).isEqualTo(s.eventBusPort());
        assertThat(base.getEventBusOptions().getPort()).as("the caller's options are not changed")
                .isNotEqualTo(s.eventBusPort());
    }
}
