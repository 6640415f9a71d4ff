package io.steadfast.replication.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The copy a split brain's follower keeps of its replicated directories before a resync overwrites them:
 * {@code <state_dir>/diverged/<module>/<UTC time>/<dir without its leading slash>/…}, made with
 * {@code cp -a --reflink=auto} (metadata, owners, xattrs, hard links; a reflink — no data copied — where the
 * filesystem can, e.g. btrfs or XFS, when the state directory is on the same filesystem as the data; a full copy
 * otherwise). It is written under {@code <time>.partial} and renamed when complete, so a directory without that
 * suffix is always a whole copy.
 */
public final class DivergedCopy {
    private DivergedCopy() {
    }

    /**
     * The requested target, if it is {@code <stateDir>/diverged/<module>/<one name>} and does not exist yet.
     *
     * @throws IOException when it is anywhere else (the request is refused, nothing is copied)
     */
    public static Path checkedTarget(Path stateDir, String module, String requested) throws IOException {
        Path base = stateDir.resolve("diverged").resolve(module).toAbsolutePath().normalize();
        Path p = Path.of(requested).toAbsolutePath().normalize();
        if (!base.equals(p.getParent()) || p.getFileName().toString().startsWith(".")) {
            throw new IOException("refused to keep a diverged copy at " + requested + ": not directly under " + base);
        }
        if (Files.exists(p)) {
            throw new IOException("a diverged copy already exists at " + p);
        }
        return p;
    }

    /** Copies each of {@code backings} (the real files of {@code dirs}, same order) under {@code target}. */
    public static void copy(List<Path> backings, List<Path> dirs, Path target) throws IOException {
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        Files.createDirectories(partial);
        for (int i = 0; i < backings.size(); i++) {
            Path name = dirs.get(i);
            Path dest = partial.resolve(name.isAbsolute() ? name.toString().substring(1) : name.toString());
            Files.createDirectories(dest);
            run(List.of("cp", "-a", "--reflink=auto", "--", backings.get(i) + "/.", dest + "/"));
        }
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        try (var ch = java.nio.channels.FileChannel.open(target.getParent(), java.nio.file.StandardOpenOption.READ)) {
            ch.force(true);
        }
        run(List.of("sync", "-f", target.toString())); // the copy is on disk before the resync may overwrite the data
    }

    private static void run(List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(2, TimeUnit.HOURS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", argv) + ": timed out");
            }
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", argv) + ": exit " + p.exitValue() + ": "
                        + new String(out, StandardCharsets.UTF_8).strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted", e);
        }
    }
}
