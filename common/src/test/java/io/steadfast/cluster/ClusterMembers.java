package io.steadfast.cluster;

import io.steadfast.bus.auth.BusAuth;
import io.steadfast.config.TlsConfig;
import io.steadfast.testing.TestFiles;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Clustered Vert.x members on loopback for a test, closed together ({@code close()} in an {@code @AfterEach}). They
 * share one cluster secret (the bus is signed with it) and accept the nodes {@link #NODES}.
 */
public final class ClusterMembers implements AutoCloseable {
    /** The node names of every test cluster (a member's name must be one of them to be heard). */
    public static final List<String> NODES = List.of("a", "b", "c", "d", "node1", "node2", "node3");

    private final String cluster;
    private final Path dir;
    private final Path secret;
    private final List<Vertx> started = new ArrayList<>();

    /** {@code prefix}: the cluster's name, made unique to this JVM. */
    public ClusterMembers(String prefix) {
        this.cluster = prefix + "-" + ProcessHandle.current().pid();
        try {
            this.dir = Files.createTempDirectory("sf-cluster-");
            this.secret = TestFiles.writeSecret(dir.resolve("secret"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Ports {@code base}, {@code base + 1}, …: one Hazelcast port per member (the event bus 1000 above). */
    public static int basePort(int from, int members) {
        return from + (int) (ProcessHandle.current().pid() % 200) * members;
    }

    public String clusterName() {
        return cluster;
    }

    public Path secretFile() {
        return secret;
    }

    /** A member of this cluster's secret; {@code name} must be in {@link #NODES}. */
    public Vertx start(String name, int port, List<String> members, Optional<TlsConfig> tls) throws Exception {
        return start(settings(name, port, members, tls, secret, false));
    }

    /** The settings of a member, with any secret (an intruder's) or none ({@code insecure}). */
    public ClusterSettings settings(String name, int port, List<String> members, Optional<TlsConfig> tls,
                                    Path secretFile, boolean insecure) {
        return new ClusterSettings(cluster, name, "127.0.0.1", port, port + 1000, members, tls, secretFile, NODES,
                BusAuth.AGENT, insecure);
    }

    public Vertx start(ClusterSettings settings) throws Exception {
        return track(ClusterBootstrap.start(settings, new VertxOptions()).await(60, TimeUnit.SECONDS));
    }

    /** Closed with the others. */
    public Vertx track(Vertx vertx) {
        started.add(vertx);
        return vertx;
    }

    @Override
    public void close() throws Exception {
        for (Vertx v : started) {
            v.close().await(20, TimeUnit.SECONDS);
        }
        started.clear();
    }
}
