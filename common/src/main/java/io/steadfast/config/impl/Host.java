package io.steadfast.config.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What {@link Phase3Host} asks of the machine the config is loaded on: what is at a path, and which filesystem holds
 * it. {@link #real()} asks this host; tests give their own answers.
 */
public interface Host {
    enum Kind { MISSING, DIRECTORY, OTHER, UNKNOWN }

    /** A mount: where it is and its filesystem type (the mountinfo field, e.g. ext4, tmpfs, proc, fuse.x). */
    record Mount(Path point, String type) {
    }

    /** What is at {@code path}, following symbolic links; UNKNOWN when it cannot be examined. */
    Kind kind(Path path);

    /** The mount holding {@code path} or, when it does not exist yet, its nearest existing parent. */
    Optional<Mount> mountOf(Path path);

    /** This machine: stat(2) and /proc/self/mountinfo. */
    static Host real() {
        return new Host() {
            @Override
            public Kind kind(Path path) {
                try {
                    return Files.readAttributes(path, BasicFileAttributes.class).isDirectory() ? Kind.DIRECTORY
                            : Kind.OTHER;
                } catch (NoSuchFileException e) {
                    return Kind.MISSING;
                } catch (IOException | SecurityException e) {
                    return Kind.UNKNOWN; // e.g. a dead FUSE mount (ENOTCONN): say nothing rather than guess
                }
            }

            @Override
            public Optional<Mount> mountOf(Path path) {
                Path p = path;
                while (p != null && kind(p) == Kind.MISSING) {
                    p = p.getParent();
                }
                if (p == null) {
                    return Optional.empty();
                }
                try {
                    Path real = p.toRealPath();
                    return longestPrefix(parseMountinfo(Files.readAllLines(Path.of("/proc/self/mountinfo"),
                            StandardCharsets.UTF_8)), real);
                } catch (IOException | SecurityException e) {
                    return Optional.empty();
                }
            }
        };
    }

    /**
     * The mounts of a /proc/self/mountinfo text in file order: field 5 is the mount point (spaces etc. escaped as
     * {@code \040}), the field after the {@code -} separator the filesystem type. Malformed lines are skipped.
     */
    static List<Mount> parseMountinfo(List<String> lines) {
        List<Mount> mounts = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (f.length < 5 || dash < 6 || dash + 1 >= f.length) {
                continue;
            }
            mounts.add(new Mount(Path.of(unescape(f[4])), f[dash + 1]));
        }
        return mounts;
    }

    /** The mount whose point is the longest prefix of {@code path}; of equal points the later (the one on top). */
    static Optional<Mount> longestPrefix(List<Mount> mounts, Path path) {
        Mount best = null;
        for (Mount m : mounts) {
            if (path.startsWith(m.point()) && (best == null || m.point().getNameCount() >= best.point().getNameCount())) {
                best = m;
            }
        }
        return Optional.ofNullable(best);
    }

    private static String unescape(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
