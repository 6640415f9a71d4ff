package io.steadfast.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class SecretFilesTest {
    private static final int ME = 1000;
    private static final int OTHER = 1001;
    private static final int ROOT = 0;

    @TempDir
    Path dir;

    private Path file(String name, String content, String perms) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
        return f;
    }

    // ---- the rule

    @Test
    void ownFilesMustBePrivateToTheOwner() {
        assertThat(SecretFiles.problem(0600, ME, ME)).isNull();
        assertThat(SecretFiles.problem(0400, ME, ME)).isNull();
        assertThat(SecretFiles.problem(0700, ME, ME)).isNull();
        assertThat(SecretFiles.problem(0640, ME, ME)).contains("readable by its group");
        assertThat(SecretFiles.problem(0440, ME, ME)).contains("readable by its group");
        assertThat(SecretFiles.problem(0604, ME, ME)).isEqualTo("it is readable by others");
        assertThat(SecretFiles.problem(0644, ME, ME)).isEqualTo("it is readable by others");
        assertThat(SecretFiles.problem(0620, ME, ME)).isEqualTo("it is writable by its group");
        assertThat(SecretFiles.problem(0602, ME, ME)).isEqualTo("it is writable by others");
        assertThat(SecretFiles.problem(0666, ME, ME)).isEqualTo("it is writable by its group");
    }

    @Test
    void aRootOwnedFileMayBeSharedWithItsGroupForReading() {
        // packaging/systemd: root:steadfast 0440 read by the unprivileged heartbeat and console units
        assertThat(SecretFiles.problem(0440, ROOT, ME)).isNull();
        assertThat(SecretFiles.problem(0640, ROOT, ROOT)).isNull();
        assertThat(SecretFiles.problem(0600, ROOT, ME)).isNull();
        assertThat(SecretFiles.problem(0660, ROOT, ME)).isEqualTo("it is writable by its group");
        assertThat(SecretFiles.problem(0644, ROOT, ROOT)).isEqualTo("it is readable by others");
    }

    @Test
    void aFileOfAnotherUserIsRefused() {
        assertThat(SecretFiles.problem(0600, OTHER, ME)).contains("belongs to neither the user running Steadfast");
        assertThat(SecretFiles.problem(0400, OTHER, ROOT)).contains("belongs to neither the user running Steadfast");
        assertThat(SecretFiles.problem(0600, ME, ROOT)).contains("belongs to neither the user running Steadfast");
    }

    // ---- real files

    @Test
    void aPrivateFileIsRead() throws IOException {
        Path f = file("secret", "0123456789abcdef0123\n", "rw-------");
        assertThat(SecretFiles.readClusterSecret(f)).isEqualTo("0123456789abcdef0123".getBytes(StandardCharsets.UTF_8));
        Path ro = file("pass", "  changeit \n", "r--------");
        assertThat(SecretFiles.readPassword(ro, "cluster.bus.tls.password_file")).isEqualTo("changeit");
    }

    @Test
    void aWorldReadableFileIsRefusedWithItsModeAndTheFix() throws IOException {
        Path f = file("secret", "0123456789abcdef0123\n", "rw-r--r--");
        assertThatThrownBy(() -> SecretFiles.readClusterSecret(f))
                .isInstanceOf(SecretFiles.UnsafeFileException.class)
                .hasMessageStartingWith("cluster.secret_file " + f + " (mode 0644, owner ")
                .hasMessageContaining("is refused: it is readable by others")
                .hasMessageEndingWith("fix it with `chmod 600 " + f + "`");
    }

    @Test
    void aGroupWritableFileIsRefused() throws IOException {
        Path f = file("users", "", "rw-rw----");
        assertThatThrownBy(() -> SecretFiles.checkPrivate(f, "cluster.console.users_file"))
                .isInstanceOf(SecretFiles.UnsafeFileException.class)
                .hasMessageContaining("cluster.console.users_file " + f + " (mode 0660")
                .hasMessageContaining("writable by its group");
    }

    @Test
    void aFileOwnedBySomeoneElseIsRefused() throws IOException {
        assumeTrue(SecretFiles.processUid() == 0, "needs root to give the file away");
        Path f = file("secret", "0123456789abcdef0123\n", "rw-------");
        Files.setAttribute(f, "unix:uid", 54321);
        assertThatThrownBy(() -> SecretFiles.readClusterSecret(f))
                .isInstanceOf(SecretFiles.UnsafeFileException.class)
                .hasMessageContaining("owner 54321")
                .hasMessageContaining("it belongs to neither the user running Steadfast (uid 0) nor root")
                .hasMessageContaining("`chown ");
    }

    @Test
    void aShortSecretIsRefused() throws IOException {
        Path f = file("secret", "0123456789abcde\n", "rw-------"); // 15 bytes
        assertThatThrownBy(() -> SecretFiles.readClusterSecret(f))
                .hasMessageContaining("cluster.secret_file " + f + " holds 15 bytes: the cluster secret must be at"
                        + " least 16 bytes");
        Files.writeString(f, "0123456789abcdef\n");
        assertThat(SecretFiles.readClusterSecret(f)).hasSize(SecretFiles.MIN_SECRET_BYTES);
        Files.writeString(f, " \n");
        assertThatThrownBy(() -> SecretFiles.readClusterSecret(f)).hasMessageContaining("holds nothing");
    }

    @Test
    void aMissingSecretNamesTheKeyAndHowToCreateIt() {
        Path f = dir.resolve("none");
        assertThatThrownBy(() -> SecretFiles.readClusterSecret(f))
                .hasMessageContaining("cluster.secret_file " + f + " does not exist")
                .hasMessageContaining("chmod 600 " + f);
    }
}
