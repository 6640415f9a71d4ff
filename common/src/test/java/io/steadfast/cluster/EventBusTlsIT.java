package io.steadfast.cluster;

import io.steadfast.config.TlsConfig;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Event-bus mutual TLS: members with certificates from the cluster CA talk; a member whose certificate comes from
 * another CA joins Hazelcast (Community Edition has no member authentication) but cannot exchange a single
 * event-bus message. Certificates are made with the JDK's keytool.
 */
class EventBusTlsIT {
    static final String PASSWORD = "changeit";
    static final String ADDRESS = "tls.test.echo";

    @TempDir
    Path dir;
    final ClusterMembers cluster = new ClusterMembers("tls");

    @AfterEach
    void closeAll() throws Exception {
        cluster.close();
    }

    @Test
    void onlyMembersWithTheClusterCaExchangeMessages() throws Exception {
        Path password = io.steadfast.testing.TestFiles.writePrivate(dir.resolve("tls.pass"), PASSWORD + "\n");
        Path ca = ca("ca");
        Path rogueCa = ca("rogue");
        TlsConfig a = nodeTls("a", ca, password);
        TlsConfig b = nodeTls("b", ca, password);
        TlsConfig c = nodeTls("c", rogueCa, password);

        int base = ClusterMembers.basePort(15_700, 3);
        List<String> members = List.of("127.0.0.1:" + base, "127.0.0.1:" + (base + 1), "127.0.0.1:" + (base + 2));
        Vertx va = start("a", base, members, a);
        Vertx vb = start("b", base + 1, members, b);
        vb.eventBus().consumer(ADDRESS, msg -> msg.reply(new JsonObject().put("from", "b")))
                .completion().await(10, TimeUnit.SECONDS);

        JsonObject reply = (JsonObject) va.eventBus().request(ADDRESS, new JsonObject(),
                new DeliveryOptions().setSendTimeout(10_000)).await(15, TimeUnit.SECONDS).body();
        assertThat(reply.getString("from")).isEqualTo("b");

        Vertx vc = start("c", base + 2, members, c);
        assertThatThrownBy(() -> vc.eventBus().request(ADDRESS, new JsonObject(),
                new DeliveryOptions().setSendTimeout(3_000)).await(10, TimeUnit.SECONDS))
                .as("a member with a foreign certificate gets no answer");
    }

    private Vertx start(String name, int port, List<String> members, TlsConfig tls) throws Exception {
        return cluster.start(name, port, members, Optional.of(tls));
    }

    private Path ca(String name) throws Exception {
        Path store = dir.resolve(name + "-ca.p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-dname", "CN=" + name, "-ext", "bc:c",
                "-validity", "2", "-keystore", store.toString(), "-storepass", PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", store.toString(), "-storepass", PASSWORD,
                "-file", dir.resolve(name + "-ca.pem").toString());
        return store;
    }

    /** A node keystore signed by {@code ca}, and a truststore holding that CA. */
    private TlsConfig nodeTls(String node, Path ca, Path password) throws Exception {
        String caName = ca.getFileName().toString().replace("-ca.p12", "");
        Path caPem = dir.resolve(caName + "-ca.pem");
        Path store = dir.resolve(node + ".p12");
        Path trust = dir.resolve(node + "-trust.p12");
        keytool("-genkeypair", "-alias", "node", "-keyalg", "EC", "-dname", "CN=" + node, "-validity", "2",
                "-keystore", store.toString(), "-storepass", PASSWORD);
        Path csr = dir.resolve(node + ".csr");
        Path pem = dir.resolve(node + ".pem");
        keytool("-certreq", "-alias", "node", "-keystore", store.toString(), "-storepass", PASSWORD,
                "-file", csr.toString());
        keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", PASSWORD,
                "-ext", "san=ip:127.0.0.1", "-validity", "2", "-infile", csr.toString(), "-outfile", pem.toString());
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", store.toString(),
                "-storepass", PASSWORD);
        keytool("-importcert", "-alias", "node", "-file", pem.toString(), "-keystore", store.toString(),
                "-storepass", PASSWORD);
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", trust.toString(),
                "-storepass", PASSWORD);
        // the node's private key: mode 0600, as the agent requires (keytool leaves the umask's 0644)
        Files.setPosixFilePermissions(store, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return new TlsConfig(store, Optional.of(trust), password);
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("keytool " + String.join(" ", args) + ": " + out).isZero();
    }
}
