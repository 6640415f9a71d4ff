package io.steadfast.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Credential files for tests, written as the services accept them (io.steadfast.config.SecretFiles): mode 0600,
 * owned by the test's user. One copy, in common's test-jar.
 */
public final class TestFiles {
    /** A cluster secret long enough for every service (≥ SecretFiles.MIN_SECRET_BYTES). */
    public static final String SECRET = "test-secret-0123456789abcdef";

    private TestFiles() {
    }

    /** Writes {@code text} to {@code file} with mode 0600 (created so, never readable by others in between). */
    public static Path writePrivate(Path file, String text) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, text);
        return file;
    }

    /** {@link #SECRET} and a newline in {@code file}, mode 0600. */
    public static Path writeSecret(Path file) throws IOException {
        return writePrivate(file, SECRET + "\n");
    }
}
