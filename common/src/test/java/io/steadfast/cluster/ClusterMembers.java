package io.steadfast.cluster;

import io.steadfast.config.TlsConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Clustered Vert.x members on loopback for a test, closed together ({@code close()} in an {@code @AfterEach}). */
public final class ClusterMembers implements AutoCloseable {
    private final String cluster;
    private final List<Vertx> started = new ArrayList<>();

    /** {@code prefix}: the cluster's name, made unique to this JVM. */
    public ClusterMembers(String prefix) {
        this.cluster = prefix + "-" + ProcessHandle.current().pid();
    }

    /** Ports {@code base}, {@code base + 1}, …: one Hazelcast port per member (the event bus 1000 above). */
    public static int basePort(int from, int members) {
        return from + (int) (ProcessHandle.current().pid() % 200) * members;
    }

    public Vertx start(String name, int port, List<String> members, Optional<TlsConfig> tls) throws Exception {
        ClusterSettings settings = new ClusterSettings(cluster, name, "127.0.0.1", port, port + 1000, members, tls);
        Vertx vertx = ClusterBootstrap.start(settings, new VertxOptions()).await(60, TimeUnit.SECONDS);
        started.add(vertx);
        return vertx;
    }

    @Override
    public void close() throws Exception {
        for (Vertx v : started) {
            v.close().await(20, TimeUnit.SECONDS);
        }
    }
}
