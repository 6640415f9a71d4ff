package io.steadfast.console;

import io.steadfast.config.TlsConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * No users file: nothing but the probes is served, and the refusals say how to add a user. TLS: the console speaks
 * HTTPS (with HSTS) when configured.
 */
class ConsoleNoUsersAndTlsTest {
    @Test
    void withoutAUsersFileMutatingRequestsAreRefusedAndSayHowToAddAUser() throws Exception {
        try (StandInCluster cluster = StandInCluster.start(false, false)) {
            Http http = new Http(cluster.url());
            int before = cluster.commands.size();
            Http.Reply r = http.post("/api/v1/modules/db/nodes/node1/restart", Http.basic("admin", "admin"), "{}");
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.error()).isEqualTo("no-users");
            assertThat(r.json().getString("message")).contains("steadfast user add");
            assertThat(cluster.commands).hasSize(before);
            for (String path : List.of("/api/v1/cluster", "/api/v1/modules/db", "/api/v1/events")) {
                Http.Reply read = http.get(path);
                assertThat(read.status()).as(path).isEqualTo(403);
                assertThat(read.error()).isEqualTo("no-users");
                assertThat(read.json().getString("message")).contains("steadfast user add");
            }
            Http.Reply signIn = http.call("POST", "/api/v1/session", null, "{\"user\":\"admin\",\"password\":\"admin\"}");
            assertThat(signIn.status()).isEqualTo(403);
            assertThat(signIn.error()).isEqualTo("no-users");
            assertThat(http.get("/health").status()).as("probes stay open").isEqualTo(200);
            assertThat(http.get("/api/v1/modules/web/ready").status()).isEqualTo(200);
        }
    }

    @Test
    void consoleServesHttpsWhenTlsIsConfigured() throws Exception {
        Path dir = Files.createTempDirectory("sf-tls");
        try {
            Path keystore = dir.resolve("console.p12");
            Path pass = dir.resolve("tls.pass");
            io.steadfast.testing.TestFiles.writePrivate(pass, "changeit-123\n");
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "console", "-keyalg", "EC",
                    "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                    keystore.toString(), "-storepass", "changeit-123").redirectErrorStream(true).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
            Files.setPosixFilePermissions(keystore, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            // a keystore others can read (keytool leaves the umask's 0644) is refused, naming the file and the fix
            assertThatThrownBy(() -> StandInCluster.start(true, false,
                    Optional.of(new TlsConfig(keystore, Optional.empty(), pass))))
                    .hasStackTraceContaining("cluster.console.tls.keystore " + keystore + " (mode 0644")
                    .hasStackTraceContaining("chmod 600 " + keystore);
            Files.setPosixFilePermissions(keystore, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            try (StandInCluster cluster = StandInCluster.start(true, false,
                    Optional.of(new TlsConfig(keystore, Optional.empty(), pass)))) {
                assertThat(cluster.url()).startsWith("https://");
                Http http = new Http(cluster.url());
                assertThat(http.get("/api/v1/cluster", Http.basic("mo", "mo-pw")).status()).isEqualTo(200);
                assertThat(http.get("/health").raw().headers().firstValue("strict-transport-security"))
                        .contains(ConsoleVerticle.HSTS);
                assertThat(http.post("/api/v1/modules/db/nodes/node1/restart", Http.basic("cy", "cy-pw"), "{}")
                        .status()).isEqualTo(200);
            }
        } finally {
            for (Path f : List.of(dir.resolve("console.p12"), dir.resolve("tls.pass"), dir)) {
                Files.deleteIfExists(f);
            }
        }
    }
}
