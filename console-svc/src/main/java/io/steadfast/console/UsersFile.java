package io.steadfast.console;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The console's users ({@code cluster.console.users_file}): one {@code name:role:hash} line per user, roles
 * {@code admin | control | monitor}, hash from {@link PasswordHash}; blank lines and {@code #} comments allowed.
 * There is no default user and no default password: without this file every mutating request is refused.
 * {@code steadfast user add NAME ROLE} writes lines.
 */
public final class UsersFile {
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public record User(String name, Role role, String hash) {
        public String line() {
            return name + ":" + role.id() + ":" + hash;
        }
    }

    private final Map<String, User> users;

    private UsersFile(Map<String, User> users) {
        this.users = users;
    }

    public Optional<User> user(String name) {
        return Optional.ofNullable(users.get(name));
    }

    /** Every user, in file order. */
    public java.util.Collection<User> all() {
        return java.util.Collections.unmodifiableCollection(users.values());
    }

    public int size() {
        return users.size();
    }

    /** Reads and validates the file; an error names the line. */
    public static UsersFile read(Path file) throws IOException {
        return parse(file.toString(), Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    public static UsersFile parse(String source, List<String> lines) {
        Map<String, User> users = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = source + ":" + (i + 1) + ": ";
            String[] parts = line.split(":", -1);
            if (parts.length != 3) {
                throw new IllegalArgumentException(where + "expected name:role:hash");
            }
            if (!NAME.matcher(parts[0]).matches()) {
                throw new IllegalArgumentException(where + "bad user name \"" + parts[0] + "\"");
            }
            Role role = Role.of(parts[1]).orElseThrow(() -> new IllegalArgumentException(
                    where + "role \"" + parts[1] + "\" is not one of admin, control, monitor"));
            try {
                PasswordHash.validate(parts[2]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + e.getMessage());
            }
            if (users.put(parts[0], new User(parts[0], role, parts[2])) != null) {
                throw new IllegalArgumentException(where + "user \"" + parts[0] + "\" is listed twice");
            }
        }
        return new UsersFile(users);
    }

    /**
     * Adds (or, with {@code replace}, replaces) a user, rewriting the file atomically with mode 0600; comments
     * and other lines are kept.
     *
     * @throws IllegalArgumentException bad name, or the user exists and {@code replace} is false
     */
    public static void add(Path file, String name, Role role, char[] password, boolean replace, int iterations)
            throws IOException {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad user name \"" + name + "\": letters, digits, '.', '_', '-'");
        }
        List<String> lines = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        UsersFile current = parse(file.toString(), lines);
        if (current.user(name).isPresent() && !replace) {
            throw new IllegalArgumentException("user \"" + name + "\" exists (use --replace to change it)");
        }
        User user = new User(name, role, PasswordHash.hash(password, iterations));
        List<String> out = new ArrayList<>();
        boolean replaced = false;
        for (String line : lines) {
            if (line.strip().startsWith(name + ":")) {
                out.add(user.line());
                replaced = true;
            } else {
                out.add(line);
            }
        }
        if (!replaced) {
            out.add(user.line());
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".users", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(tmp, out, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
