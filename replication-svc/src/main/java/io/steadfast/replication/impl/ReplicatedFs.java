package io.steadfast.replication.impl;

import io.steadfast.replication.impl.Wire.Op;
import io.steadfast.replication.impl.Wire.OpCode;
import org.cryptomator.jfuse.api.DirFiller;
import org.cryptomator.jfuse.api.Errno;
import org.cryptomator.jfuse.api.FileInfo;
import org.cryptomator.jfuse.api.FuseConfig;
import org.cryptomator.jfuse.api.FuseConnInfo;
import org.cryptomator.jfuse.api.FuseOperations;
import org.cryptomator.jfuse.api.Stat;
import org.cryptomator.jfuse.api.Statvfs;
import org.cryptomator.jfuse.api.TimeSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The FUSE filesystem the application sees at a replicated directory: reads are served from the backing
 * directory; every mutation goes through {@link ModuleReplicator#perform} (recorded / applied locally /
 * replicated and acknowledged) and fails with EROFS unless this node is the source.
 *
 * <p>Not supported (the operation is not bound, the kernel answers ENOSYS, or we answer ENOTSUP): hard links
 * (link), fallocate, mknod of devices/fifos/sockets, RENAME_EXCHANGE, extended attributes outside {@code user.*}.
 * flock/POSIX locks are not bound, so the kernel keeps them local to this node (not replicated);
 * copy_file_range and lseek(SEEK_DATA/SEEK_HOLE) fall back to the kernel's generic read/write paths.
 * Called on several native threads at once: all state here is thread-safe.
 */
public final class ReplicatedFs implements FuseOperations {
    private static final Logger log = LoggerFactory.getLogger(ReplicatedFs.class);

    private final Path root;
    private final int dir;
    private final ModuleReplicator repl;
    private final Errno errno;
    private final FileStore store;
    private final Map<Long, Handle> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextFh = new AtomicLong(1);
    /** Starts the local flush of large writes during the transfer (the secondary does the same with its copy). */
    private final Writeback writeback = new Writeback("fs");
    /** Who is calling: new entries are theirs (the daemon creates them as root). */
    private final Supplier<Owners.Caller> caller;

    private static final class Handle {
        final FileChannel ch;
        final String rel;
        volatile boolean written;

        Handle(FileChannel ch, String rel) {
            this.ch = ch;
            this.rel = rel;
        }
    }

    public ReplicatedFs(Path backing, int dir, ModuleReplicator repl, Errno errno) throws IOException {
        this(backing, dir, repl, errno, FuseCaller::current);
    }

    ReplicatedFs(Path backing, int dir, ModuleReplicator repl, Errno errno, Supplier<Owners.Caller> caller)
            throws IOException {
        this.caller = caller;
        this.root = backing;
        this.dir = dir;
        this.repl = repl;
        this.errno = errno;
        this.store = Files.getFileStore(backing);
    }

    @Override
    public Errno errno() {
        return errno;
    }

    @Override
    public Set<Operation> supportedOperations() {
        return EnumSet.of(Operation.ACCESS, Operation.CHMOD, Operation.CHOWN, Operation.CREATE, Operation.DESTROY,
                Operation.FLUSH, Operation.FSYNC, Operation.FSYNCDIR, Operation.GET_ATTR, Operation.GET_XATTR,
                Operation.INIT, Operation.LIST_XATTR, Operation.MKDIR, Operation.OPEN, Operation.OPEN_DIR,
                Operation.READ, Operation.READ_DIR, Operation.READLINK, Operation.RELEASE, Operation.RELEASE_DIR,
                Operation.REMOVE_XATTR, Operation.RENAME, Operation.RMDIR, Operation.SET_XATTR, Operation.STATFS,
                Operation.SYMLINK, Operation.TRUNCATE, Operation.UNLINK, Operation.UTIMENS, Operation.WRITE);
    }

    @Override
    public void init(FuseConnInfo conn, FuseConfig cfg) {
        // Without HANDLE_KILLPRIV the kernel itself clears set-user/group-ID bits when a non-owner writes or
        // truncates and on chown (it sends a chmod, which is replicated like any other); with it (libfuse's
        // default) the filesystem would have to, and jfuse's high-level API does not pass the write's kill flag.
        conn.setWant((conn.want() | (conn.capable() & FuseConnInfo.FUSE_CAP_BIG_WRITES))
                & ~FuseConnInfo.FUSE_CAP_HANDLE_KILLPRIV);
        conn.setMaxWrite(Wire.MAX_DATA);
        conn.setMaxBackground(64);
        conn.setCongestionThreshold(48);
    }

    private Path resolve(String fusePath) {
        String rel = SafePaths.fromFuse(fusePath);
        return rel.isEmpty() ? root : root.resolve(rel);
    }

    private int fail(IOException e) {
        if (e instanceof NoSuchFileException) {
            return -errno.enoent();
        }
        if (e instanceof FileAlreadyExistsException) {
            return -errno.eexist();
        }
        if (e instanceof DirectoryNotEmptyException) {
            return -errno.enotempty();
        }
        if (e instanceof NotDirectoryException) {
            return -errno.enotdir();
        }
        if (e instanceof AccessDeniedException) {
            return -errno.eacces();
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            String r = fse.getReason();
            if (r.contains("Is a directory")) {
                return -errno.eisdir();
            }
            if (r.contains("Not a directory")) {
                return -errno.enotdir();
            }
            if (r.contains("Directory not empty")) {
                return -errno.enotempty();
            }
            if (r.contains("File name too long")) {
                return -errno.enametoolong();
            }
        }
        log.debug("I/O error", e);
        return -errno.eio();
    }

    /** A mutation: the replicator records, runs {@code local}, replicates {@code op}. */
    private int mutate(Op op, ModuleReplicator.Local local) {
        try {
            return repl.perform(dir, op, local, errno.erofs());
        } catch (IOException e) {
            return fail(e);
        }
    }

    private int mutateWith(Op op, ModuleReplicator.Local local, java.util.function.UnaryOperator<Op> finish) {
        try {
            return repl.perform(dir, op, local, errno.erofs(), finish);
        } catch (IOException e) {
            return fail(e);
        }
    }

    private static String current(String fusePath, Handle h) {
        return fusePath == null ? h.rel : SafePaths.fromFuse(fusePath);
    }

    private static long nanos(Instant i) {
        return TimeUnit.SECONDS.toNanos(i.getEpochSecond()) + i.getNano();
    }

    // ------------------------------------------------------------ reads

    @Override
    public int getattr(String path, Stat stat, FileInfo fi) {
        try {
            Map<String, Object> a = Files.readAttributes(resolve(path),
                    "unix:mode,uid,gid,size,nlink,lastModifiedTime,lastAccessTime,ctime", LinkOption.NOFOLLOW_LINKS);
            stat.setMode((Integer) a.get("mode"));
            stat.setUid((Integer) a.get("uid"));
            stat.setGid((Integer) a.get("gid"));
            stat.setSize((Long) a.get("size"));
            stat.setNLink((short) Math.min(Short.MAX_VALUE, (Integer) a.get("nlink")));
            stat.mTime().set(((FileTime) a.get("lastModifiedTime")).toInstant());
            stat.aTime().set(((FileTime) a.get("lastAccessTime")).toInstant());
            stat.cTime().set(((FileTime) a.get("ctime")).toInstant());
            return 0;
        } catch (IOException e) {
            return fail(e);
        }
    }

    @Override
    public int access(String path, int mask) {
        return Files.exists(resolve(path), LinkOption.NOFOLLOW_LINKS) ? 0 : -errno.enoent();
    }

    @Override
    public int readlink(String path, ByteBuffer buf, long len) {
        try {
            byte[] t = Files.readSymbolicLink(resolve(path)).toString().getBytes(StandardCharsets.UTF_8);
            int n = (int) Math.min(t.length, Math.max(0, Math.min(len, buf.remaining()) - 1));
            buf.put(t, 0, n);
            buf.put((byte) 0);
            return 0;
        } catch (IOException e) {
            return fail(e);
        }
    }

    @Override
    public int statfs(String path, Statvfs st) {
        try {
            long bsize = 4096;
            st.setBsize(bsize);
            st.setFrsize(bsize);
            st.setBlocks(store.getTotalSpace() / bsize);
            st.setBavail(store.getUsableSpace() / bsize);
            st.setBfree(store.getUnallocatedSpace() / bsize);
            st.setNameMax(255);
            return 0;
        } catch (IOException e) {
            return fail(e);
        }
    }

    @Override
    public int opendir(String path, FileInfo fi) {
        return Files.isDirectory(resolve(path), LinkOption.NOFOLLOW_LINKS) ? 0 : -errno.enotdir();
    }

    @Override
    public int readdir(String path, DirFiller filler, long offset, FileInfo fi, int flags) {
        try (var ds = Files.newDirectoryStream(resolve(path))) {
            filler.fill(".");
            filler.fill("..");
            for (Path c : ds) {
                filler.fill(c.getFileName().toString());
            }
            return 0;
        } catch (IOException e) {
            return fail(e);
        }
    }

    @Override
    public int releasedir(String path, FileInfo fi) {
        return 0;
    }

    @Override
    public int fsyncdir(String path, int datasync, FileInfo fi) {
        return 0;
    }

    @Override
    public int open(String path, FileInfo fi) {
        Set<StandardOpenOption> flags = fi.getOpenFlags();
        boolean write = flags.contains(StandardOpenOption.WRITE);
        if (write && !repl.mode().source()) {
            return -errno.erofs();
        }
        String rel = SafePaths.fromFuse(path);
        Set<OpenOption> opts = new HashSet<>();
        opts.add(StandardOpenOption.READ);
        if (write) {
            opts.add(StandardOpenOption.WRITE); // never APPEND: the kernel gives positions, pwrite must honour them
        }
        opts.add(LinkOption.NOFOLLOW_LINKS);
        try {
            FileChannel ch = FileChannel.open(resolve(path), opts);
            if (write && flags.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
                int r = mutate(Op.of(OpCode.TRUNCATE, rel, 0), () -> {
                    ch.truncate(0);
                    return 0;
                });
                if (r < 0) {
                    ch.close();
                    return r;
                }
            }
            long fh = nextFh.getAndIncrement();
            Handle h = new Handle(ch, rel);
            h.written = write && flags.contains(StandardOpenOption.TRUNCATE_EXISTING); // mtime at release
            handles.put(fh, h);
            fi.setFh(fh);
            return 0;
        } catch (IOException e) {
            return fail(e);
        }
    }

    @Override
    public int read(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
        Handle h = handles.get(fi.getFh());
        if (h == null) {
            return -errno.ebadf();
        }
        try {
            int want = (int) Math.min(size, buf.remaining());
            buf.limit(buf.position() + want);
            int total = 0;
            while (buf.hasRemaining()) {
                int n = h.ch.read(buf, offset + total);
                if (n <= 0) {
                    break;
                }
                total += n;
            }
            return total;
        } catch (IOException e) {
            return fail(e);
        }
    }

    @Override
    public int getxattr(String path, String name, ByteBuffer value) {
        if (!name.startsWith("user.")) {
            return -errno.enodata();
        }
        try {
            var v = Files.getFileAttributeView(resolve(path), UserDefinedFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS);
            String n = name.substring(5);
            if (!v.list().contains(n)) {
                return -errno.enodata();
            }
            int size = v.size(n);
            if (value.capacity() == 0) {
                return size;
            }
            if (value.remaining() < size) {
                return -errno.erange();
            }
            return v.read(n, value);
        } catch (IOException e) {
            return fail(e);
        }
    }

    @Override
    public int listxattr(String path, ByteBuffer list) {
        try {
            var v = Files.getFileAttributeView(resolve(path), UserDefinedFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (String n : v.list()) {
                out.writeBytes(("user." + n).getBytes(StandardCharsets.UTF_8));
                out.write(0);
            }
            byte[] b = out.toByteArray();
            if (list.capacity() == 0) {
                return b.length;
            }
            if (list.remaining() < b.length) {
                return -errno.erange();
            }
            list.put(b);
            return b.length;
        } catch (IOException e) {
            return fail(e);
        }
    }

    // ------------------------------------------------------------ mutations

    @Override
    public int create(String path, int mode, FileInfo fi) {
        String rel = SafePaths.fromFuse(path);
        Path p = resolve(path);
        Set<StandardOpenOption> flags = fi.getOpenFlags();
        long[] fh = new long[1];
        Owners.NewEntry[] made = new Owners.NewEntry[1];
        int r = mutateWith(Op.of(OpCode.CREATE, rel, mode & 07777), () -> {
            Owners.NewEntry e = newEntry(p, mode, false);
            FileChannel ch;
            try {
                ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        StandardOpenOption.CREATE_NEW, LinkOption.NOFOLLOW_LINKS);
                giveTo(p, e, true);
                made[0] = e;
            } catch (FileAlreadyExistsException x) {
                if (flags.contains(StandardOpenOption.CREATE_NEW)) {
                    throw x;
                }
                // raced with another creator: open it as it is, its owner and mode stay
                ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            }
            fh[0] = nextFh.getAndIncrement();
            Handle h = new Handle(ch, rel);
            h.written = true; // so release gives the peer our mtime
            handles.put(fh[0], h);
            return 0;
        }, op -> made[0] == null ? new Op(op.code(), op.path(), "", -1, Owners.NONE, op.c(), null)
                : new Op(op.code(), op.path(), "", made[0].mode(), made[0].packed(), op.c(), null));
        if (r == 0) {
            fi.setFh(fh[0]);
        }
        return r;
    }

    @Override
    public int write(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
        Handle h = handles.get(fi.getFh());
        if (h == null) {
            return -errno.ebadf();
        }
        int n = (int) Math.min(size, buf.remaining());
        int done = 0;
        while (done < n) {
            int chunk = Math.min(n - done, Wire.MAX_DATA);
            // the local write reads the kernel's (native) buffer itself; the copy on the heap is for the wire
            ByteBuffer src = buf.slice(buf.position(), chunk);
            byte[] data = new byte[chunk];
            buf.get(data);
            long pos = offset + done;
            // libfuse passes the file's current path (it follows renames); the handle's path may be stale
            String rel = current(path, h);
            long[] mtime = new long[1];
            // the write carries the file's mtime after it, so the peer's copy gets the same time at once
            int r = mutateWith(Op.write(rel, pos, data), () -> {
                long at = pos;
                while (src.hasRemaining()) {
                    at += h.ch.write(src, at);
                }
                mtime[0] = Files.getLastModifiedTime(rel.isEmpty() ? root : root.resolve(rel),
                        LinkOption.NOFOLLOW_LINKS).to(TimeUnit.NANOSECONDS);
                return data.length;
            }, op -> new Op(op.code(), op.path(), "", op.a(), mtime[0], op.c(), op.data()));
            if (r < 0) {
                return done > 0 ? done : r;
            }
            h.written = false; // the time went with the write
            writeback.wrote(h.ch, rel.isEmpty() ? root : root.resolve(rel), chunk);
            done += chunk;
        }
        return done;
    }

    @Override
    public int truncate(String path, long size, FileInfo fi) {
        String rel = SafePaths.fromFuse(path);
        Handle h = fi == null ? null : handles.get(fi.getFh());
        long[] mtime = new long[1];
        // the new mtime travels with the truncate, so both copies carry the same time
        return mutateWith(Op.of(OpCode.TRUNCATE, rel, size), () -> {
            if (h != null && h.ch.isOpen()) {
                TreeOps.setLength(h.ch, size);
            } else {
                try (FileChannel ch = FileChannel.open(resolve(path), StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS)) {
                    TreeOps.setLength(ch, size);
                }
            }
            mtime[0] = Files.getLastModifiedTime(resolve(path), LinkOption.NOFOLLOW_LINKS).to(TimeUnit.NANOSECONDS);
            return 0;
        }, op -> new Op(op.code(), op.path(), "", op.a(), mtime[0], op.c(), null));
    }

    @Override
    public int flush(String path, FileInfo fi) {
        return 0;
    }

    @Override
    public int fsync(String path, int datasync, FileInfo fi) {
        Handle h = fi == null ? null : handles.get(fi.getFh());
        String rel = h == null ? SafePaths.fromFuse(path) : current(path, h);
        // an fsync is an fsync on both sides (the peer acknowledges FSYNC only after its own)
        try {
            return repl.fsync(dir, rel, datasync != 0, () -> {
                if (h != null) {
                    writeback.force(h.ch, root.resolve(rel), datasync == 0);
                }
                return 0;
            }, errno.erofs());
        } catch (IOException e) {
            return fail(e);
        }
    }

    @Override
    public int release(String path, FileInfo fi) {
        Handle h = handles.remove(fi.getFh());
        if (h == null) {
            return -errno.ebadf();
        }
        try {
            if (h.written && repl.mode().source()) {
                // the peer's writes bumped its own mtime: give it ours (read and sent under the order lock)
                String rel = current(path, h);
                Path p = rel.isEmpty() ? root : root.resolve(rel);
                long[] mtime = new long[1];
                Op probe = new Op(OpCode.UTIMENS, rel, "", -1, -1, 0, null);
                mutateWith(probe, () -> {
                    mtime[0] = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).to(TimeUnit.NANOSECONDS);
                    return 0;
                }, op -> new Op(op.code(), op.path(), "", -1, mtime[0], op.c(), null));
            }
            h.ch.close();
            return 0;
        } catch (IOException e) {
            return fail(e);
        }
    }

    @Override
    public int mkdir(String path, int mode) {
        Path p = resolve(path);
        Owners.NewEntry[] made = new Owners.NewEntry[1];
        return mutateWith(Op.of(OpCode.MKDIR, SafePaths.fromFuse(path), mode & 07777), () -> {
            made[0] = newEntry(p, mode, true);
            Files.createDirectory(p);
            giveTo(p, made[0], true);
            return 0;
        }, op -> new Op(op.code(), op.path(), "", made[0].mode(), made[0].packed(), op.c(), null));
    }

    /** The owner and mode of an entry the caller creates at {@code p} (its parent decides the group). */
    private Owners.NewEntry newEntry(Path p, int mode, boolean directory) throws IOException {
        Map<String, Object> parent = Files.readAttributes(p.getParent(), "unix:mode,gid", LinkOption.NOFOLLOW_LINKS);
        return Owners.of(caller.get(), (Integer) parent.get("mode"), (Integer) parent.get("gid"), mode, directory);
    }

    /**
     * Owner first, then the mode: a chown clears set-user/group-ID bits, even root's. Both sides apply a created
     * entry's owner and mode in this order ({@link Applier}).
     */
    static void giveTo(Path p, Owners.NewEntry e, boolean mode) throws IOException {
        Files.setAttribute(p, "unix:uid", e.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", e.gid(), LinkOption.NOFOLLOW_LINKS);
        if (mode) {
            Files.setAttribute(p, "unix:mode", e.mode(), LinkOption.NOFOLLOW_LINKS);
        }
    }

    @Override
    public int unlink(String path) {
        Path p = resolve(path);
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            return -errno.eisdir();
        }
        return mutate(Op.of(OpCode.UNLINK, SafePaths.fromFuse(path)), () -> {
            Files.delete(p);
            return 0;
        });
    }

    @Override
    public int rmdir(String path) {
        Path p = resolve(path);
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            return -errno.enotdir();
        }
        return mutate(Op.of(OpCode.RMDIR, SafePaths.fromFuse(path)), () -> {
            Files.delete(p);
            return 0;
        });
    }

    /** libfuse passes (link contents, path of the new link). */
    @Override
    public int symlink(String target, String linkPath) {
        Path p = resolve(linkPath);
        Owners.NewEntry[] made = new Owners.NewEntry[1];
        return mutateWith(Op.two(OpCode.SYMLINK, SafePaths.fromFuse(linkPath), target), () -> {
            made[0] = newEntry(p, 0777, false);
            Files.createSymbolicLink(p, Path.of(target));
            giveTo(p, made[0], false);
            return 0;
        }, op -> new Op(op.code(), op.path(), op.path2(), 0, made[0].packed(), op.c(), null));
    }

    @Override
    public int rename(String from, String to, int flags) {
        final int noreplace = 1;
        if ((flags & ~noreplace) != 0) {
            return -errno.einval(); // RENAME_EXCHANGE / WHITEOUT are not supported
        }
        Path a = resolve(from);
        Path b = resolve(to);
        return mutate(Op.two(OpCode.RENAME, SafePaths.fromFuse(from), SafePaths.fromFuse(to)), () -> {
            if ((flags & noreplace) != 0 && Files.exists(b, LinkOption.NOFOLLOW_LINKS)) {
                return -errno.eexist();
            }
            Files.move(a, b, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return 0;
        });
    }

    @Override
    public int chmod(String path, int mode, FileInfo fi) {
        Path p = resolve(path);
        return mutate(Op.of(OpCode.CHMOD, SafePaths.fromFuse(path), mode & 07777), () -> {
            Files.setAttribute(p, "unix:mode", mode & 07777, LinkOption.NOFOLLOW_LINKS);
            return 0;
        });
    }

    @Override
    public int chown(String path, int uid, int gid, FileInfo fi) {
        Path p = resolve(path);
        return mutate(new Op(OpCode.CHOWN, SafePaths.fromFuse(path), "", uid, gid, 0, null), () -> {
            if (uid != -1) {
                Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            }
            if (gid != -1) {
                Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
            }
            return 0;
        });
    }

    @Override
    public int utimens(String path, TimeSpec atime, TimeSpec mtime, FileInfo fi) {
        Path p = resolve(path);
        Instant now = Instant.now();
        long a = atime.isUtimeOmit() ? -1 : nanos(atime.isUtimeNow() ? now : atime.get());
        long m = mtime.isUtimeOmit() ? -1 : nanos(mtime.isUtimeNow() ? now : mtime.get());
        return mutate(new Op(OpCode.UTIMENS, SafePaths.fromFuse(path), "", a, m, 0, null), () -> {
            Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(
                    m < 0 ? null : FileTime.from(m, TimeUnit.NANOSECONDS),
                    a < 0 ? null : FileTime.from(a, TimeUnit.NANOSECONDS), null);
            return 0;
        });
    }

    @Override
    public int setxattr(String path, String name, ByteBuffer value, int flags) {
        if (!name.startsWith("user.") || name.length() < 6) {
            return -errno.enotsup();
        }
        byte[] v = new byte[value.remaining()];
        value.get(v);
        Path p = resolve(path);
        return mutate(new Op(OpCode.SETXATTR, SafePaths.fromFuse(path), name, 0, 0, 0, v), () -> {
            Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .write(name.substring(5), ByteBuffer.wrap(v));
            return 0;
        });
    }

    @Override
    public int removexattr(String path, String name) {
        if (!name.startsWith("user.") || name.length() < 6) {
            return -errno.enotsup();
        }
        Path p = resolve(path);
        return mutate(Op.two(OpCode.REMOVEXATTR, SafePaths.fromFuse(path), name), () -> {
            Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .delete(name.substring(5));
            return 0;
        });
    }

    @Override
    public void destroy() {
        writeback.close();
        handles.values().forEach(h -> {
            try {
                h.ch.close();
            } catch (IOException ignored) {
                // unmounting
            }
        });
        handles.clear();
    }
}
