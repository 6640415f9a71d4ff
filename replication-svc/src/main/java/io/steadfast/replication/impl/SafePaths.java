package io.steadfast.replication.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Confinement of peer-supplied paths to one replicated directory. A path from the wire must be relative,
 * normalised ("a/b", no "", ".", ".." components, no leading or trailing '/', no NUL) and every directory on the
 * way to it must be a real directory under the root — never a symlink — so nothing is read or written outside
 * the root. The final component is never followed either (callers use NOFOLLOW). This is race-free on the
 * secondary because the applier is the only writer of the copy (applications see it read-only).
 */
public final class SafePaths {
    private SafePaths() {
    }

    public static final class PathRefused extends IOException {
        public PathRefused(String message) {
            super(message);
        }
    }

    /** Syntactic check, no filesystem access. "" denotes the root itself. */
    public static void checkSyntax(String rel) throws PathRefused {
        if (rel.isEmpty()) {
            return;
        }
        if (rel.length() > 4096) {
            throw new PathRefused("path too long");
        }
        if (rel.startsWith("/")) {
            throw new PathRefused("absolute path refused: " + rel);
        }
        if (rel.indexOf('\0') >= 0) {
            throw new PathRefused("NUL in path");
        }
        for (String part : rel.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new PathRefused("path not normalised or escaping: " + rel);
            }
            if (part.length() > 255) {
                throw new PathRefused("path component too long");
            }
        }
    }

    /**
     * Resolves {@code rel} under {@code root}, refusing any symlink among its parent directories (the final
     * component is returned unresolved; it may be a symlink, which callers must not follow).
     */
    public static Path resolve(Path root, String rel) throws PathRefused {
        checkSyntax(rel);
        if (rel.isEmpty()) {
            return root;
        }
        Path p = root;
        String[] parts = rel.split("/");
        for (int i = 0; i < parts.length - 1; i++) {
            p = p.resolve(parts[i]);
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (a.isSymbolicLink()) {
                    throw new PathRefused("path goes through a symlink: " + rel);
                }
                if (!a.isDirectory()) {
                    throw new PathRefused("parent is not a directory: " + rel);
                }
            } catch (PathRefused e) {
                throw e;
            } catch (IOException e) {
                // missing parent: nothing to follow; the operation itself fails or creates it (checked again)
                return root.resolve(rel);
            }
        }
        return p.resolve(parts[parts.length - 1]);
    }

    /** The directory holding {@code rel} (a checked relative path), "" for the top directory. */
    public static String parent(String rel) {
        int slash = rel.lastIndexOf('/');
        return slash < 0 ? "" : rel.substring(0, slash);
    }

    /** The relative form of a FUSE path ("/a/b" → "a/b", "/" → ""). */
    public static String fromFuse(String fusePath) {
        int i = 0;
        while (i < fusePath.length() && fusePath.charAt(i) == '/') {
            i++;
        }
        return fusePath.substring(i);
    }
}
