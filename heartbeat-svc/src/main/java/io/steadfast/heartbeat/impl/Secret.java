package io.steadfast.heartbeat.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/** The cluster secret (cluster.secret_file): the key of every heartbeat's HMAC. */
public final class Secret {
    private Secret() {
    }

    /**
     * Reads the secret; trailing whitespace (a final newline) is not part of it.
     *
     * @throws IllegalStateException with an operator-facing message when the file is missing, unreadable or empty
     */
    public static byte[] read(Path file) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalStateException(hint(file, "does not exist"));
        } catch (IOException e) {
            throw new IllegalStateException(hint(file, "cannot be read (" + e.getMessage() + ")"));
        }
        int end = raw.length;
        while (end > 0 && Character.isWhitespace(raw[end - 1])) {
            end--;
        }
        if (end == 0) {
            throw new IllegalStateException(hint(file, "is empty"));
        }
        return Arrays.copyOf(raw, end);
    }

    private static String hint(Path file, String what) {
        return "cluster.secret_file " + file + " " + what + ": heartbeats are authenticated with it. Put the same"
                + " random secret on every node, e.g. `head -c 32 /dev/urandom | base64 > " + file + " && chmod 600 "
                + file + "`";
    }
}
