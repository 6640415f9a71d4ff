package io.steadfast.heartbeat.impl;

import io.steadfast.config.SecretFiles;

import java.io.IOException;
import java.nio.file.Path;

/** The cluster secret (cluster.secret_file): the key of every heartbeat's HMAC. */
public final class Secret {
    private Secret() {
    }

    /**
     * Reads the secret through {@link SecretFiles#readClusterSecret}: private to its owner, at least
     * {@link SecretFiles#MIN_SECRET_BYTES}, trailing whitespace (a final newline) not part of it.
     *
     * @throws IllegalStateException with an operator-facing message when the file is missing, unreadable, unsafe
     *                               or too short
     */
    public static byte[] read(Path file) {
        try {
            return SecretFiles.readClusterSecret(file);
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
