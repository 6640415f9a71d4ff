package io.steadfast.console.impl;

import io.steadfast.config.SecretFiles;
import io.steadfast.console.PasswordHash;
import io.steadfast.console.Role;
import io.steadfast.console.UsersFile;
import io.steadfast.console.UsersFile.User;
import io.steadfast.console.impl.Sessions.Session;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Who sends a request, from its {@code Authorization} header: {@code Basic base64(user:password)} (curl, the CLI),
 * {@code Bearer user:password} (what {@code STEADFAST_TOKEN} held before sessions) or {@code Bearer <session token>}
 * (the page, {@code STEADFAST_TOKEN=sft_…}), checked against the users file and the {@link Sessions}.
 *
 * <p>{@link #checkPassword} blocks (file reads, PBKDF2): the console runs it on its own small bounded pool. An unknown
 * user costs the same PBKDF2 as a known one (against a dummy hash of the users' usual cost) and gets the same
 * answer. The file is re-read when it changes, so {@code steadfast user add} takes effect without a restart; its
 * mode and owner are checked on every password check (a chmod does not change the mtime). A successful check is
 * cached for {@link #CACHE_MS} under a SHA-256 of the credentials and the user's hash line, so Basic clients do not
 * pay PBKDF2 on every request; changing the password invalidates the entry.
 */
public final class Authenticator {
    static final long CACHE_MS = 5 * 60_000;
    static final int CACHE_MAX = 1000;

    public sealed interface Result permits Ok, Refused {
    }

    /** {@code line}: the user's line of the users file (a session remembers it). */
    public record Ok(String user, Role role, String line) implements Result {
    }

    /** {@code status} 401 (no or bad credentials) or 403 (no users configured, unsafe users file). */
    public record Refused(int status, String code, String message) implements Result {
    }

    /** What an {@code Authorization} header holds. */
    public sealed interface Credentials permits None, Password, Token, Malformed {
    }

    public record None() implements Credentials {
    }

    public record Password(String user, String password) implements Credentials {
    }

    public record Token(String token) implements Credentials {
    }

    public record Malformed() implements Credentials {
    }

    public static final String NO_USERS = "the console has no users, so nothing but its probes can be read and "
            + "nothing changed. Add one with `steadfast user add NAME admin --file /etc/steadfast/users` and set "
            + "cluster.console.users_file";
    public static final String SIGN_IN = "this request needs a signed-in user: POST /api/v1/session, HTTP Basic, or "
            + "Authorization: Bearer <token> (the CLI sends STEADFAST_TOKEN=user:password or a session token)";
    public static final String WRONG = "unknown user or wrong password";

    private final Optional<Path> usersFile;
    private final LongSupplier clock;
    private final Map<String, Long> verified = new ConcurrentHashMap<>();
    private final Map<Integer, String> dummies = new ConcurrentHashMap<>();
    private volatile Loaded loaded;

    private record Loaded(long modified, long size, UsersFile users, String error, int usualIterations) {
    }

    public Authenticator(Optional<Path> usersFile, LongSupplier clock) {
        this.usersFile = usersFile;
        this.clock = clock;
        this.loaded = usersFile.isEmpty() ? new Loaded(0, 0, null, NO_USERS, PasswordHash.DEFAULT_ITERATIONS) : null;
    }

    public static Credentials parse(String header) {
        if (header == null || header.isBlank()) {
            return new None();
        }
        String h = header.strip();
        int space = h.indexOf(' ');
        if (space < 0) {
            return new Malformed();
        }
        String scheme = h.substring(0, space);
        String value = h.substring(space + 1).strip();
        String pair;
        if (scheme.equalsIgnoreCase("Basic")) {
            try {
                pair = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return new Malformed();
            }
        } else if (scheme.equalsIgnoreCase("Bearer")) {
            if (value.indexOf(':') < 0) {
                return value.isEmpty() ? new Malformed() : new Token(value);
            }
            pair = value;
        } else {
            return new Malformed();
        }
        int colon = pair.indexOf(':');
        if (colon <= 0 || colon == pair.length() - 1) {
            return new Malformed();
        }
        return new Password(pair.substring(0, colon), pair.substring(colon + 1));
    }

    /**
     * Why nobody can sign in, from the users file as last read (no I/O: for the event loop), or empty. A file not
     * read yet counts as fine here; {@link #checkPassword} reads it.
     */
    public Optional<Refused> usersProblem() {
        Loaded l = loaded;
        return l == null || l.error == null ? Optional.empty() : Optional.of(new Refused(403, "no-users", l.error));
    }

    /** Re-reads the users file when it changed and re-checks its mode (blocking: file system). */
    public void refresh() {
        usersFile.ifPresent(this::load);
    }

    /** A session is valid while its user's line in the users file is unchanged (no I/O). */
    public Result checkSession(Session s) {
        Optional<Refused> problem = usersProblem();
        if (problem.isPresent()) {
            return problem.get();
        }
        Loaded l = loaded;
        Optional<User> user = l == null ? Optional.empty() : l.users.user(s.user());
        if (user.isEmpty() || !user.get().line().equals(s.userLine())) {
            return new Refused(401, "unauthenticated", "the session ended: user " + s.user()
                    + " changed in the users file; sign in again");
        }
        return new Ok(s.user(), user.get().role(), s.userLine());
    }

    /** Checks a password (blocking: file reads, PBKDF2). Unknown users cost a PBKDF2 all the same. */
    public Result checkPassword(String name, String password) {
        if (usersFile.isEmpty()) {
            return new Refused(403, "no-users", NO_USERS);
        }
        Loaded users = load(usersFile.get());
        if (users.error != null) {
            return new Refused(403, "no-users", users.error);
        }
        Optional<User> user = users.users.user(name);
        if (user.isEmpty()) {
            PasswordHash.verify(password.toCharArray(), dummy(users.usualIterations));
            return new Refused(401, "unauthenticated", WRONG);
        }
        String cacheKey = sha256(name + '\0' + password + '\0' + user.get().line());
        long now = clock.getAsLong();
        Long until = verified.get(cacheKey);
        if (until == null || until < now) {
            if (!PasswordHash.verify(password.toCharArray(), user.get().hash())) {
                return new Refused(401, "unauthenticated", WRONG);
            }
            if (verified.size() >= CACHE_MAX) {
                verified.clear();
            }
            verified.put(cacheKey, now + CACHE_MS);
        }
        return new Ok(user.get().name(), user.get().role(), user.get().line());
    }

    /**
     * A header with a password, checked at once (blocking; no throttling, no sessions: the console goes through
     * {@link #parse} and {@link #checkPassword} itself).
     */
    public Result authenticate(String authorization) {
        return switch (parse(authorization)) {
            case Password p -> checkPassword(p.user(), p.password());
            case None n -> usersProblemNow().orElse(new Refused(401, "unauthenticated", SIGN_IN));
            case Malformed m -> usersProblemNow().orElse(new Refused(401, "unauthenticated", "malformed Authorization"));
            case Token t -> usersProblemNow().orElse(new Refused(401, "unauthenticated", "unknown session token"));
        };
    }

    private Optional<Refused> usersProblemNow() {
        refresh();
        return usersFile.isEmpty() ? Optional.of(new Refused(403, "no-users", NO_USERS)) : usersProblem();
    }

    /** A hash of a random password with {@code iterations}: what an unknown user's password is checked against. */
    private String dummy(int iterations) {
        return dummies.computeIfAbsent(iterations, i -> {
            byte[] random = new byte[16];
            new SecureRandom().nextBytes(random);
            return PasswordHash.hash(HexFormat.of().formatHex(random).toCharArray(), i);
        });
    }

    private Loaded load(Path file) {
        Loaded fresh = read(file);
        loaded = fresh;
        return fresh;
    }

    private Loaded read(Path file) {
        try {
            SecretFiles.checkPrivate(file, "cluster.console.users_file");
        } catch (SecretFiles.UnsafeFileException e) {
            return new Loaded(0, 0, null, "refused: " + e.getMessage(), PasswordHash.DEFAULT_ITERATIONS);
        } catch (IOException e) {
            // missing or unreadable: reported below with the same words as before
        }
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            long modified = attrs.lastModifiedTime().toMillis();
            Loaded current = loaded;
            if (current != null && current.users != null && current.modified == modified
                    && current.size == attrs.size()) {
                return current;
            }
            try {
                UsersFile users = UsersFile.read(file);
                return users.size() == 0 ? new Loaded(modified, attrs.size(), null, NO_USERS,
                        PasswordHash.DEFAULT_ITERATIONS)
                        : new Loaded(modified, attrs.size(), users, null, usualIterations(users));
            } catch (IllegalArgumentException e) {
                return new Loaded(modified, attrs.size(), null, "users file is invalid, refusing: " + e.getMessage(),
                        PasswordHash.DEFAULT_ITERATIONS);
            }
        } catch (NoSuchFileException e) {
            return new Loaded(0, 0, null, NO_USERS + " (" + file + " does not exist)", PasswordHash.DEFAULT_ITERATIONS);
        } catch (IOException e) {
            return new Loaded(0, 0, null, "cannot read the users file " + file + ": " + e.getMessage(),
                    PasswordHash.DEFAULT_ITERATIONS);
        }
    }

    /** The PBKDF2 cost most users of the file have (ties: the higher), for the dummy hash. */
    private static int usualIterations(UsersFile users) {
        Map<Integer, Integer> counts = new java.util.HashMap<>();
        users.all().forEach(u -> counts.merge(PasswordHash.iterations(u.hash()), 1, Integer::sum));
        return counts.entrySet().stream().max(Map.Entry.<Integer, Integer>comparingByValue()
                .thenComparing(Map.Entry.comparingByKey())).map(Map.Entry::getKey)
                .orElse(PasswordHash.DEFAULT_ITERATIONS);
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
