package io.steadfast.console.impl;

import io.steadfast.config.SecretFiles;
import io.steadfast.console.PasswordHash;
import io.steadfast.console.Role;
import io.steadfast.console.UsersFile;
import io.steadfast.console.UsersFile.User;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Who sends a request, from its {@code Authorization} header: {@code Basic base64(user:password)} (browsers,
 * curl) or {@code Bearer user:password} (what {@code STEADFAST_TOKEN} holds), checked against the users file.
 *
 * <p>Blocking (file reads, PBKDF2): call it off the event loop. The file is re-read when it changes, so
 * {@code steadfast user add} takes effect without a restart. A successful check is cached for
 * {@link #CACHE_MS} under a SHA-256 of the credentials and the user's hash line, so the deliberate PBKDF2 cost is
 * paid once per user and not on every click; changing the password invalidates the entry.
 */
public final class Authenticator {
    static final long CACHE_MS = 5 * 60_000;
    static final int CACHE_MAX = 1000;

    public sealed interface Result permits Ok, Refused {
    }

    public record Ok(String user, Role role) implements Result {
    }

    /** {@code status} 401 (no or bad credentials) or 403 (no users configured). */
    public record Refused(int status, String code, String message) implements Result {
    }

    public static final String NO_USERS = "mutating requests are refused: the console has no users. Add one with "
            + "`steadfast user add NAME admin --file /etc/steadfast/users` and set cluster.console.users_file";

    private final Optional<Path> usersFile;
    private final LongSupplier clock;
    private final Map<String, Long> verified = new ConcurrentHashMap<>();
    private volatile Loaded loaded;

    private record Loaded(long modified, long size, UsersFile users, String error) {
    }

    public Authenticator(Optional<Path> usersFile, LongSupplier clock) {
        this.usersFile = usersFile;
        this.clock = clock;
    }

    public Result authenticate(String authorization) {
        if (usersFile.isEmpty()) {
            return new Refused(403, "no-users", NO_USERS);
        }
        Loaded users = load(usersFile.get());
        if (users.error != null) {
            return new Refused(403, "no-users", users.error);
        }
        if (authorization == null || authorization.isBlank()) {
            return new Refused(401, "unauthenticated", "this request needs credentials: HTTP Basic, or "
                    + "Authorization: Bearer user:password (the CLI sends STEADFAST_TOKEN=user:password)");
        }
        String[] credentials = credentials(authorization.strip());
        if (credentials == null) {
            return new Refused(401, "unauthenticated", "Authorization must be Basic base64(user:password) or "
                    + "Bearer user:password");
        }
        Optional<User> user = users.users.user(credentials[0]);
        if (user.isEmpty()) {
            return new Refused(401, "unauthenticated", "unknown user or wrong password");
        }
        String cacheKey = sha256(credentials[0] + '\0' + credentials[1] + '\0' + user.get().line());
        long now = clock.getAsLong();
        Long until = verified.get(cacheKey);
        if (until == null || until < now) {
            if (!PasswordHash.verify(credentials[1].toCharArray(), user.get().hash())) {
                return new Refused(401, "unauthenticated", "unknown user or wrong password");
            }
            if (verified.size() >= CACHE_MAX) {
                verified.clear();
            }
            verified.put(cacheKey, now + CACHE_MS);
        }
        return new Ok(user.get().name(), user.get().role());
    }

    private static String[] credentials(String header) {
        String pair;
        int space = header.indexOf(' ');
        if (space < 0) {
            return null;
        }
        String scheme = header.substring(0, space);
        String value = header.substring(space + 1).strip();
        if (scheme.equalsIgnoreCase("Basic")) {
            try {
                pair = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return null;
            }
        } else if (scheme.equalsIgnoreCase("Bearer")) {
            pair = value;
        } else {
            return null;
        }
        int colon = pair.indexOf(':');
        if (colon <= 0 || colon == pair.length() - 1) {
            return null;
        }
        return new String[]{pair.substring(0, colon), pair.substring(colon + 1)};
    }

    private Loaded load(Path file) {
        try {
            // checked on every request, not only when the file changes: a chmod does not change its mtime
            SecretFiles.checkPrivate(file, "cluster.console.users_file");
        } catch (SecretFiles.UnsafeFileException e) {
            return new Loaded(0, 0, null, "mutating requests are refused: " + e.getMessage());
        } catch (IOException e) {
            // missing or unreadable: reported below with the same words as before
        }
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            long modified = attrs.lastModifiedTime().toMillis();
            Loaded current = loaded;
            if (current != null && current.modified == modified && current.size == attrs.size()) {
                return current;
            }
            Loaded fresh;
            try {
                UsersFile users = UsersFile.read(file);
                fresh = users.size() == 0 ? new Loaded(modified, attrs.size(), null, NO_USERS)
                        : new Loaded(modified, attrs.size(), users, null);
            } catch (IllegalArgumentException e) {
                fresh = new Loaded(modified, attrs.size(), null, "users file is invalid, refusing: " + e.getMessage());
            }
            loaded = fresh;
            return fresh;
        } catch (NoSuchFileException e) {
            return new Loaded(0, 0, null, NO_USERS + " (" + file + " does not exist)");
        } catch (IOException e) {
            return new Loaded(0, 0, null, "cannot read the users file " + file + ": " + e.getMessage());
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
