package io.steadfast.replication.impl;

import io.steadfast.exec.CommandResult;
import io.steadfast.exec.CommandRunner;
import org.cryptomator.jfuse.api.Fuse;
import org.cryptomator.jfuse.api.FuseBuilder;
import org.cryptomator.jfuse.api.FuseMountFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * One replicated directory on this node: its real files stay where they are and are reached through a bind
 * mount at a hidden backing directory next to it ({@code <parent>/.<name>.sf-backing/data}, inside a directory
 * that only root can enter: the bind shows the directory's own mode, and whoever could reach the backing could
 * write around replication or plant files the secondary never gets); the FUSE
 * filesystem is then mounted over the directory itself. Binding (instead of moving files) works when the
 * directory is itself a mount point and needs no copy. The mount stays for the service's lifetime; the role only
 * switches the filesystem between read-write (source) and read-only (target, idle).
 */
public final class DirMount implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DirMount.class);
    public static final String FS_NAME = "steadfast";
    private static final Duration CMD = Duration.ofSeconds(10);

    private final Path dir;
    private final Path backing;
    private final CommandRunner runner = new CommandRunner();
    private Fuse fuse;

    public DirMount(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
        this.backing = backingOf(this.dir);
    }

    public static Path backingOf(Path dir) {
        return boxOf(dir).resolve("data");
    }

    /** The root-only directory that holds the backing bind. */
    static Path boxOf(Path dir) {
        return dir.getParent().resolve("." + dir.getFileName() + ".sf-backing");
    }

    public Path dir() {
        return dir;
    }

    public Path backing() {
        return backing;
    }

    /** Prepares the backing bind (clearing a FUSE mount left by a crashed service first). */
    public void prepare() throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < 4 && mountedFuse(dir); i++) {
            log.warn("clearing a stale steadfast mount at {}", dir);
            run(List.of("umount", "-l", dir.toString()));
        }
        Path box = backing.getParent();
        if (isMountPoint(box)) {
            // a node of an earlier version bound the directory at the box itself, where its users could reach it
            log.info("moving the backing bind of {} from {} to {}", dir, box, backing);
            run(List.of("umount", "-l", box.toString()));
        }
        if (!Files.isDirectory(box, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(box, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                throw new IOException(box + " exists and is not a directory: remove it (Steadfast keeps the"
                        + " replicated files of " + dir + " behind it)", e);
            }
        }
        Files.setAttribute(box, "unix:uid", 0, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(box, "unix:gid", 0, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(box, "unix:mode", 0700, LinkOption.NOFOLLOW_LINKS);
        if (!isMountPoint(backing)) {
            if (!Files.isDirectory(backing, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(backing);
            }
            CommandResult r = run(List.of("mount", "--bind", dir.toString(), backing.toString()));
            if (!r.ok()) {
                throw new IOException("cannot bind " + dir + " to " + backing + ": " + r.describe());
            }
        }
        // Where the directory sits on a shared mount (systemd makes / shared; container volumes with rshared), the
        // bind is a peer of that mount and the FUSE mount over the directory would propagate onto the backing as
        // well: the filesystem would then serve its own backing and deadlock on its first request. Keep it private.
        CommandResult p = run(List.of("mount", "--make-private", backing.toString()));
        if (!p.ok()) {
            throw new IOException("cannot make " + backing + " a private mount: " + p.describe());
        }
    }

    /** Mounts the FUSE filesystem over the directory. */
    public void mount(ReplicatedFs fs) throws IOException {
        FuseBuilder b = Fuse.builder();
        b.setLibraryPath(libfuse());
        fuse = b.build(fs);
        try {
            fuse.mount(FS_NAME, dir, "-oallow_other", "-odefault_permissions", "-ofsname=" + FS_NAME,
                    "-osubtype=" + FS_NAME, "-oattr_timeout=1", "-oentry_timeout=1", "-onegative_timeout=0");
        } catch (FuseMountFailedException e) {
            fuse = null;
            throw new IOException("cannot mount the replicated filesystem at " + dir + ": " + e.getMessage(), e);
        }
        log.info("replicated filesystem mounted at {} (backing {})", dir, backing);
    }

    /** True while this directory's replicated filesystem is mounted (reads /proc/self/mountinfo: blocking). */
    public boolean mounted() {
        return fuse != null && mountedFuse(dir);
    }

    static String libfuse() {
        for (String p : List.of("/lib/x86_64-linux-gnu/libfuse3.so.3", "/usr/lib/x86_64-linux-gnu/libfuse3.so.3",
                "/lib/aarch64-linux-gnu/libfuse3.so.3", "/usr/lib/aarch64-linux-gnu/libfuse3.so.3",
                "/usr/lib64/libfuse3.so.3", "/usr/lib/libfuse3.so.3")) {
            if (Files.exists(Path.of(p))) {
                return p;
            }
        }
        throw new IllegalStateException("libfuse3.so.3 not found: install the packages fuse3 and libfuse3-3");
    }

    @Override
    public void close() {
        if (fuse != null) {
            try {
                fuse.close();
            } catch (TimeoutException | RuntimeException e) {
                log.warn("unmounting {} timed out: {}", dir, e.getMessage());
            }
            fuse = null;
        }
        if (mountedFuse(dir)) {
            run(List.of("umount", "-l", dir.toString()));
        }
        if (isMountPoint(backing)) {
            run(List.of("umount", "-l", backing.toString()));
        }
    }

    private CommandResult run(List<String> argv) {
        CommandResult r = runner.run(argv, CMD);
        if (!r.ok()) {
            log.warn("{}", r.describe());
        }
        return r;
    }

    record MountEntry(String point, String fstype, String source) {
    }

    static List<MountEntry> mounts() {
        List<MountEntry> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                int dash = java.util.Arrays.asList(f).indexOf("-");
                if (dash < 0 || f.length < dash + 3) {
                    continue;
                }
                out.add(new MountEntry(unescape(f[4]), f[dash + 1], f[dash + 2]));
            }
        } catch (IOException e) {
            log.warn("cannot read mountinfo: {}", e.getMessage());
        }
        return out;
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    static boolean isMountPoint(Path p) {
        String s = p.toString();
        return mounts().stream().anyMatch(m -> m.point().equals(s));
    }

    static boolean mountedFuse(Path p) {
        String s = p.toString();
        return mounts().stream().anyMatch(m -> m.point().equals(s) && m.fstype().startsWith("fuse")
                && (m.source().equals(FS_NAME) || m.fstype().equals("fuse." + FS_NAME)));
    }
}
