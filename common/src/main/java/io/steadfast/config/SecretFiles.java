package io.steadfast.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Every file that holds a credential is read through here: the cluster secret ({@code cluster.secret_file}), the
 * console's users file ({@code cluster.console.users_file}), TLS password files and keystores
 * ({@code …tls.password_file}, {@code …tls.keystore}). Before reading, a file is refused unless only its owner (and
 * root) can read it and nobody else can change it:
 * <ul>
 *   <li>never writable by group or others, never readable by others;</li>
 *   <li>owned by the user running the agent, or by root;</li>
 *   <li>readable by its group only when root owns it: how the shipped systemd units let the unprivileged
 *       {@code steadfast@heartbeat} and {@code @console} read a secret that root keeps
 *       ({@code root:steadfast 0440}, packaging/systemd/README.md) — as PostgreSQL does for its TLS key.
 *       A file the agent's own (non-root) user owns must be 0600 or 0400.</li>
 * </ul>
 * The cluster secret is also at least {@link #MIN_SECRET_BYTES} long, for heartbeats and replication alike.
 */
public final class SecretFiles {
    /** The shortest cluster secret accepted anywhere (bytes, after trailing whitespace is removed). */
    public static final int MIN_SECRET_BYTES = 16;

    private static final int ROOT = 0;

    private SecretFiles() {
    }

    /** A credential file that exists but must not be used as it is; the message says why and how to fix it. */
    public static final class UnsafeFileException extends IOException {
        public UnsafeFileException(String message) {
            super(message);
        }
    }

    /**
     * Refuses {@code file} (named {@code key} in messages, e.g. {@code cluster.secret_file}) when its mode or owner
     * lets someone other than its owner and root read it, or someone else change it.
     *
     * @throws UnsafeFileException the file is unsafe (message: key, path, mode, owner, the fix)
     * @throws IOException         the file cannot be examined (missing: {@link NoSuchFileException})
     */
    public static void checkPrivate(Path file, String key) throws IOException {
        int mode = (Integer) Files.getAttribute(file, "unix:mode");
        int owner = (Integer) Files.getAttribute(file, "unix:uid");
        String ownerName = Files.getOwner(file).getName();
        String problem = problem(mode, owner, processUid());
        if (problem != null) {
            throw new UnsafeFileException(message(file, key, mode, ownerName, problem));
        }
    }

    /**
     * What is wrong with a file of {@code mode} owned by {@code owner} for a process running as {@code process}, or
     * null when nothing is. Pure: the rule itself, for tests.
     */
    static String problem(int mode, int owner, int process) {
        if ((mode & 0022) != 0) {
            return "it is writable by " + ((mode & 0020) != 0 ? "its group" : "others");
        }
        if ((mode & 0004) != 0) {
            return "it is readable by others";
        }
        if (owner != process && owner != ROOT) {
            return "it belongs to neither the user running Steadfast (uid " + process + ") nor root";
        }
        if ((mode & 0040) != 0 && owner != ROOT) {
            return "it is readable by its group (only a root-owned file may be shared with a group, mode 0640)";
        }
        return null;
    }

    private static String message(Path file, String key, int mode, String ownerName, String problem) {
        String fix = "chmod 600 " + file;
        if (problem.startsWith("it belongs")) {
            fix = "chown " + System.getProperty("user.name", "root") + " " + file + " && chmod 600 " + file;
        }
        return key + " " + file + " (mode " + String.format("%04o", mode & 07777) + ", owner " + ownerName
                + ") is refused: " + problem
                + ". It holds a credential: fix it with `" + fix + "`";
    }

    /** Reads a credential file after {@link #checkPrivate}. */
    public static byte[] readPrivate(Path file, String key) throws IOException {
        checkPrivate(file, key);
        return Files.readAllBytes(file);
    }

    /**
     * The cluster secret: {@link #readPrivate}, trailing whitespace (a final newline) removed, at least
     * {@link #MIN_SECRET_BYTES}.
     *
     * @throws IOException with an operator-facing message naming {@code cluster.secret_file}
     */
    public static byte[] readClusterSecret(Path file) throws IOException {
        String create = "put the same random secret on every node, e.g. `head -c 32 /dev/urandom | base64 > " + file
                + " && chmod 600 " + file + "`";
        byte[] raw;
        try {
            raw = readPrivate(file, "cluster.secret_file");
        } catch (UnsafeFileException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new IOException("cluster.secret_file " + file + " does not exist: heartbeats and replication are"
                    + " authenticated with it; " + create, e);
        } catch (IOException e) {
            throw new IOException("cluster.secret_file " + file + " cannot be read (" + e.getMessage() + "); "
                    + create, e);
        }
        int end = raw.length;
        while (end > 0 && Character.isWhitespace(raw[end - 1])) {
            end--;
        }
        Arrays.fill(raw, end, raw.length, (byte) 0);
        if (end < MIN_SECRET_BYTES) {
            throw new IOException("cluster.secret_file " + file + " holds " + (end == 0 ? "nothing" : end + " bytes")
                    + ": the cluster secret must be at least " + MIN_SECRET_BYTES + " bytes; " + create);
        }
        return Arrays.copyOf(raw, end);
    }

    /** A TLS password file: {@link #readPrivate}, surrounding whitespace removed. */
    public static String readPassword(Path file, String key) throws IOException {
        return new String(readPrivate(file, key), StandardCharsets.UTF_8).strip();
    }

    /** The uid this process runs as (the owner of /proc/self). */
    static int processUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }
}
