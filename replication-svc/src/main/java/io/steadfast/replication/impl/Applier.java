package io.steadfast.replication.impl;

import io.steadfast.replication.impl.SafePaths.PathRefused;
import io.steadfast.replication.impl.Wire.Op;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Applies replicated operations to the copy (the secondary's backing directory). Used by one thread at a time
 * (the session's applier thread), which is what makes the symlink checks of {@link SafePaths} race-free.
 *
 * <p>Mutations are idempotent where that is cheap (create of an existing file, mkdir of an existing directory,
 * unlink of a missing file succeed; a write to a missing file creates it and its parents) so that an interrupted
 * resync can be replayed and writes racing a resync land somewhere sensible; the resync fixes the rest.
 */
public final class Applier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Applier.class);
    private static final int MAX_OPEN = 64;
    /** Written files kept open for the fsync at the end of a resync; more than this are synced early. */
    private static final int MAX_UNSYNCED = 512;
    private static final int SYNC_THREADS = 8;

    public static final class ApplyException extends IOException {
        public ApplyException(String message) {
            super(message);
        }
    }

    private final List<Path> roots;
    private final Path stateFile;
    private TargetState state;
    /** Root of the op being applied (ops carry the index of their directory in {@code c}). */
    private Path root;
    /** Channels kept open between writes; cleared by every namespace change so a cached path never lies. */
    private final Map<String, FileChannel> open = new LinkedHashMap<>(16, 0.75f, true);
    /**
     * Channels written since their last fsync (open ones and retired ones). While a resync is incomplete, a
     * written channel leaving the cache stays open here: RESYNC_END must fsync every file the resync wrote, not
     * only those still cached, before it declares the copy up to date. An fsync works on the inode, so a later
     * rename of the file does not matter.
     */
    private final Set<FileChannel> dirty = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<FileChannel> retired = new ArrayList<>();
    /** Starts the flush of large writes during the transfer, so the fsync that follows has little left. */
    private final Writeback writeback = new Writeback("apply");
    /** Files fsynced by the last {@link #syncAll} (for tests). */
    private volatile int lastSynced;
    /** Flushes the whole file system of each replicated directory (syncfs). */
    private final FsSync fsSync;
    /**
     * This copy was already not up to date when this applier started (a resync interrupted by a restart of the
     * service, or a first copy): what the earlier run wrote may sit in the page cache, unknown to {@link #dirty},
     * and a resumed resync does not resend blocks that are already there. The end of the resync then flushes the
     * whole file system, once, before the copy is declared up to date.
     */
    private boolean untracked;

    /** Flushes file systems to disk. */
    @FunctionalInterface
    interface FsSync {
        void sync(List<Path> roots) throws IOException;
    }

    public Applier(List<Path> roots, Path stateFile) {
        this(roots, stateFile, Applier::syncFileSystems);
    }

    Applier(List<Path> roots, Path stateFile, FsSync fsSync) {
        this.roots = List.copyOf(roots);
        this.stateFile = stateFile;
        TargetState loaded = TargetState.load(stateFile);
        if (loaded.lossy() && loaded.upToDate()) {
            // the process before us stopped (crash, power loss) while ops it had acknowledged on receipt
            // (async: second) might not be written: this copy may lack acknowledged writes, so it is not up to
            // date — it must not be taken over without an operator (and the next resync compares everything)
            log.warn("the copy at {} was left with writes acknowledged on receipt that may be lost: not up to date",
                    roots);
            loaded = new TargetState(loaded.generation(), false, true);
            try {
                loaded.save(stateFile);
            } catch (IOException e) {
                log.warn("cannot persist the state of {}: {}", roots, e.getMessage());
            }
        }
        this.state = loaded;
        this.fsSync = fsSync;
        this.untracked = !state.upToDate();
    }

    /** {@code sync -f DIR} (coreutils: syncfs(2)) for each directory. */
    private static void syncFileSystems(List<Path> roots) throws IOException {
        io.steadfast.exec.CommandRunner runner = new io.steadfast.exec.CommandRunner();
        for (Path r : roots) {
            io.steadfast.exec.CommandResult res = runner.run(List.of("sync", "-f", r.toString()),
                    java.time.Duration.ofMinutes(10));
            if (!res.ok()) {
                throw new IOException("flushing the file system of " + r + " failed: " + res.describe());
            }
        }
    }

    public synchronized TargetState state() {
        return state;
    }

    public synchronized void setState(TargetState s) throws IOException {
        if (!s.equals(state)) {
            s.save(stateFile);
            state = s;
        }
    }

    /** Applies one op and returns reply data (empty for mutations). PathRefused means a hostile peer. */
    public byte[] apply(Op op) throws IOException {
        if (op.c() < 0 || op.c() >= roots.size()) {
            throw new PathRefused("no replicated directory #" + op.c());
        }
        root = roots.get((int) op.c());
        Path p = SafePaths.resolve(root, op.path());
        switch (op.code()) {
            case CREATE -> {
                mkParents(op.path());
                try {
                    Files.createFile(p);
                } catch (FileAlreadyExistsException e) {
                    if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        throw e;
                    }
                }
                created(p, op);
            }
            case WRITE -> {
                FileChannel ch = channel(key(op), p);
                ByteBuffer b = ByteBuffer.wrap(op.data());
                long pos = op.a();
                while (b.hasRemaining()) {
                    pos += ch.write(b, pos);
                }
                dirty.add(ch);
                writeback.wrote(ch, p, op.data().length);
                if (op.b() > 0) { // the source's mtime after this write
                    Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                            .setTimes(time(op.b()), null, null);
                }
            }
            case TRUNCATE -> {
                FileChannel ch = channel(key(op), p);
                TreeOps.setLength(ch, op.a());
                dirty.add(ch);
                if (op.b() > 0) { // the source's mtime after the truncate
                    Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                            .setTimes(time(op.b()), null, null);
                }
            }
            case MKDIR -> {
                mkParents(op.path());
                try {
                    Files.createDirectory(p);
                } catch (FileAlreadyExistsException e) {
                    if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        throw e;
                    }
                }
                created(p, op);
            }
            case UNLINK -> {
                closeAll();
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    throw new ApplyException("unlink of a directory: " + op.path());
                }
                Files.deleteIfExists(p);
            }
            case RMDIR -> {
                closeAll();
                if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        throw new ApplyException("rmdir of a non-directory: " + op.path());
                    }
                    Files.delete(p);
                }
            }
            case DELETE_TREE -> {
                closeAll();
                deleteTree(p);
            }
            case RENAME -> {
                closeAll();
                Path to = SafePaths.resolve(root, op.path2());
                if (op.path().isEmpty() || op.path2().isEmpty()) {
                    throw new PathRefused("rename of the root");
                }
                mkParents(op.path2());
                Files.move(p, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            case SYMLINK -> {
                closeAll();
                mkParents(op.path());
                if (Files.isSymbolicLink(p) || Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.delete(p);
                }
                // the target is stored, never followed by the applier
                Files.createSymbolicLink(p, Path.of(op.path2()));
                if (op.b() != Owners.NONE) {
                    ReplicatedFs.giveTo(p, new Owners.NewEntry(Owners.uid(op.b()), Owners.gid(op.b()), 0), false);
                }
            }
            case CHMOD -> {
                if (!Files.isSymbolicLink(p)) {
                    setMode(p, (int) op.a());
                }
            }
            case CHOWN -> {
                if (op.a() >= 0) {
                    Files.setAttribute(p, "unix:uid", (int) op.a(), LinkOption.NOFOLLOW_LINKS);
                }
                if (op.b() >= 0) {
                    Files.setAttribute(p, "unix:gid", (int) op.b(), LinkOption.NOFOLLOW_LINKS);
                }
            }
            case UTIMENS -> {
                // no flush first: write(2) sets mtime when it returns, the later writeback never touches it
                Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setTimes(time(op.b()), time(op.a()), null);
            }
            case SETXATTR -> xattrs(p).write(userName(op.path2()), ByteBuffer.wrap(op.data()));
            case REMOVEXATTR -> xattrs(p).delete(userName(op.path2()));
            case FSYNC -> {
                if (op.path().isEmpty()) {
                    syncAll();
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    // a = 1: fdatasync, as the application asked (the time we set needs no journal commit)
                    FileChannel ch = channel(key(op), p);
                    writeback.force(ch, p, op.a() != 1);
                    dirty.remove(ch);
                }
            }
            case STATE -> {
                return state().toJson().encode().getBytes(StandardCharsets.UTF_8);
            }
            case RESYNC_BEGIN -> setState(new TargetState(op.path(), false, state().lossy()));
            case RESYNC_END -> {
                syncAll();
                if (untracked) {
                    fsSync.sync(roots);
                    untracked = false;
                }
                setState(new TargetState(op.path(), true, state().lossy()));
            }
            case LIST -> {
                if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    throw new NoSuchFileException(op.path());
                }
                List<TreeOps.Entry> all = TreeOps.list(p);
                return TreeOps.encode(all, (int) Math.max(0, Math.min(op.a(), all.size())));
            }
            case XATTRS -> {
                if (Files.isSymbolicLink(p)) {
                    return Xattrs.encode(new TreeMap<>()); // none on links
                }
                if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    throw new NoSuchFileException(op.path());
                }
                return Xattrs.encode(Xattrs.hashes(Xattrs.read(p)));
            }
            case CHECKSUMS -> {
                if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    return new byte[0];
                }
                // no flush first: reads see the page cache
                int count = (int) Math.min(op.b() < 0 ? TreeOps.MAX_BLOCKS_PER_REPLY : op.b(),
                        TreeOps.MAX_BLOCKS_PER_REPLY);
                return TreeOps.checksums(p, Math.max(0, op.a()), count);
            }
            default -> throw new ApplyException("unsupported op " + op.code());
        }
        return new byte[0];
    }

    /**
     * Fsyncs every file written since its last fsync (including those no longer cached), in parallel: the disk
     * gets the whole batch at once and the journal commits are shared. Then closes the retired channels.
     */
    public void syncAll() throws IOException {
        List<FileChannel> todo = new ArrayList<>(dirty);
        try {
            if (todo.size() == 1) {
                writeback.force(todo.getFirst(), null, true);
            } else if (!todo.isEmpty()) {
                forceAll(todo, writeback);
            }
            dirty.clear();
            lastSynced = todo.size();
        } finally {
            for (FileChannel ch : retired) {
                closeQuietly(ch);
            }
            retired.clear();
        }
    }

    int lastSynced() {
        return lastSynced;
    }

    private static void forceAll(List<FileChannel> channels, Writeback writeback) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(SYNC_THREADS, channels.size()),
                Thread.ofPlatform().daemon().name("repl-fsync").factory());
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (FileChannel ch : channels) {
                fs.add(pool.submit(() -> {
                    writeback.force(ch, null, true);
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while syncing");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** A channel leaves the cache: kept for the final fsync while a resync is incomplete, else closed. */
    private void retire(FileChannel ch) throws IOException {
        if (dirty.contains(ch) && !state().upToDate()) {
            retired.add(ch);
            if (retired.size() > MAX_UNSYNCED) {
                syncAll(); // bounds the open descriptors
            }
        } else {
            dirty.remove(ch);
            closeQuietly(ch);
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            log.debug("close failed", e);
        }
    }

    private static String key(Op op) {
        return op.c() + "/" + op.path();
    }

    private FileChannel channel(String key, Path p) throws IOException {
        FileChannel ch = open.get(key);
        if (ch != null) {
            return ch;
        }
        mkParents(key.substring(key.indexOf('/') + 1));
        // NOFOLLOW: a symlink as the final component is refused (ELOOP), never written through
        ch = FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.READ, StandardOpenOption.CREATE,
                LinkOption.NOFOLLOW_LINKS);
        open.put(key, ch);
        if (open.size() > MAX_OPEN) {
            var it = open.entrySet().iterator();
            var eldest = it.next();
            it.remove();
            retire(eldest.getValue());
        }
        return ch;
    }

    /** Creates missing parent directories, each checked not to be a symlink. */
    private void mkParents(String rel) throws IOException {
        int slash = rel.lastIndexOf('/');
        if (slash < 0) {
            return;
        }
        String parent = rel.substring(0, slash);
        Path pp = SafePaths.resolve(root, parent);
        if (Files.isDirectory(pp, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        String[] parts = parent.split("/");
        StringBuilder sb = new StringBuilder();
        for (String part : parts) {
            if (!sb.isEmpty()) {
                sb.append('/');
            }
            sb.append(part);
            Path d = SafePaths.resolve(root, sb.toString());
            if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(d);
            } else if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                throw new PathRefused("parent is not a directory: " + rel);
            }
        }
    }

    /**
     * A created file or directory gets the creator's owner, then its mode (the source's order: a chown clears
     * set-ID bits). An op without owner (the entry existed on the source before) leaves both as they are.
     */
    private static void created(Path p, Op op) throws IOException {
        if (op.b() != Owners.NONE) {
            ReplicatedFs.giveTo(p, new Owners.NewEntry(Owners.uid(op.b()), Owners.gid(op.b()), (int) op.a()), true);
        } else if (op.a() >= 0) {
            setMode(p, (int) op.a());
        }
    }

    private static void setMode(Path p, int mode) throws IOException {
        Files.setAttribute(p, "unix:mode", mode & 07777, LinkOption.NOFOLLOW_LINKS);
    }

    private static FileTime time(long nanos) {
        return nanos < 0 ? null : FileTime.from(nanos, TimeUnit.NANOSECONDS);
    }

    private static UserDefinedFileAttributeView xattrs(Path p) {
        return Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    }

    static String userName(String name) throws ApplyException {
        if (!name.startsWith("user.") || name.length() < 6) {
            throw new ApplyException("only user.* extended attributes are replicated: " + name);
        }
        return name.substring(5);
    }

    private void deleteTree(Path p) throws IOException {
        if (p.equals(root)) {
            throw new PathRefused("delete of the root");
        }
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        // walkFileTree does not follow symlinks by default: a link is deleted, never its target
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private void closeAll() throws IOException {
        List<FileChannel> all = new ArrayList<>(open.values());
        open.clear();
        for (FileChannel ch : all) {
            retire(ch);
        }
    }

    /** errno-like status for a failed apply (replied to the primary; it only logs and counts it). */
    public static int status(IOException e) {
        if (e instanceof NoSuchFileException) {
            return 2;
        }
        if (e instanceof FileAlreadyExistsException) {
            return 17;
        }
        if (e instanceof DirectoryNotEmptyException) {
            return 39;
        }
        if (e instanceof FileSystemException) {
            return 5;
        }
        return 5;
    }

    @Override
    public void close() throws IOException {
        try {
            syncAll();
        } finally {
            writeback.close();
            for (FileChannel ch : open.values()) {
                closeQuietly(ch);
            }
            open.clear();
            for (FileChannel ch : retired) {
                closeQuietly(ch);
            }
            retired.clear();
            dirty.clear();
        }
    }

    public JsonObject describe() {
        return state().toJson();
    }
}
