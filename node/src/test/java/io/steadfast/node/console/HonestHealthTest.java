package io.steadfast.node.console;

import io.steadfast.api.ServiceName;
import io.steadfast.console.Http;
import io.steadfast.console.StandInCluster;
import io.steadfast.replication.ReplicationVerticle;
import io.steadfast.service.Membership;
import io.steadfast.service.ServiceContext;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Honest health end to end, without root or FUSE: a real console and a real replication-svc on node1 (the other
 * services are stand-ins that answer up). The mirror {@code db} replicates {@code <dir>/data}, but the place where
 * replication-svc binds the real files ({@code <dir>/.data.sf-backing}) is a regular file: the module cannot mount,
 * and {@code /health} must say so with 503 and the reason, not 200 with the failure buried in the details.
 */
class HonestHealthTest {
    @Test
    void aReplicationModuleThatCannotMountMakesHealth503WithTheReason() throws Exception {
        try (StandInCluster c = StandInCluster.start(true, false, Optional.empty(), Set.of(ServiceName.REPLICATION),
                HonestHealthTest::unmountable)) {
            Http http = new Http(c.url());
            ReplicationVerticle replication = new ReplicationVerticle(
                    new ServiceContext(c.config, "node1", Membership.standalone("c-node1")));
            c.vertx.deployVerticle(replication).await(60, TimeUnit.SECONDS);

            Http.Reply r = http.get("/health");
            assertThat(r.status()).as(r.body()).isEqualTo(503);
            JsonObject body = r.json();
            assertThat(body.getBoolean("up")).isFalse();
            assertThat(body.getString("status")).isEqualTo("DOWN");
            assertThat(body.getJsonArray("reasons")).hasSize(1);
            String reason = body.getJsonArray("reasons").getString(0);
            assertThat(reason).startsWith("replication: replication of module db is not mounted: ")
                    .contains(".data.sf-backing").contains("is not a directory");
            JsonObject svc = body.getJsonArray("services").stream().map(o -> (JsonObject) o)
                    .filter(o -> "replication".equals(o.getString("service"))).findFirst().orElseThrow();
            assertThat(svc.getBoolean("up")).isFalse();
            assertThat(svc.getJsonObject("details").getJsonArray("failed").getList()).containsExactly("db");

            // the console's cluster view (the page's node header, read by a monitor) shows the same reason
            JsonObject node1 = http.get("/api/v1/cluster", Http.basic("mo", "mo-pw")).json().getJsonArray("nodes").getJsonObject(0);
            assertThat(node1.getString("name")).isEqualTo("node1");
            assertThat(node1.getJsonArray("services").stream().map(o -> (JsonObject) o)
                    .filter(o -> "replication".equals(o.getString("service"))).findFirst().orElseThrow()
                    .getString("reason")).contains("replication of module db is not mounted");
        }
    }

    /** A cluster secret (so that the channel can start) and a regular file where the backing bind must go. */
    private static void unmountable(Path dir) {
        try {
            Path secret = dir.resolve("secret");
            Files.writeString(secret, "0123456789abcdef0123456789abcdef\n");
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
            Files.writeString(dir.resolve(".data.sf-backing"), "not a directory\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
