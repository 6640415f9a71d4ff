package io.steadfast.replication.impl;

import io.steadfast.api.ReplicationApi.ResyncProgress;
import io.steadfast.replication.impl.ChangeRecord.Key;
import io.steadfast.replication.impl.Wire.Ack;
import io.steadfast.replication.impl.Wire.Op;
import io.steadfast.replication.impl.Wire.OpCode;
import io.steadfast.replication.impl.Wire.Reply;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Online resynchronisation of the peer while the application keeps writing. The application's own writes are
 * replicated synchronously all along (and recorded, in case this is interrupted); this pass brings the rest over:
 * <ol>
 * <li>from the record, files changed only by writes (zones, no other change): the peer held our base, so those
 * zones are the only difference — they are read and streamed straight away, no walk, no listing;</li>
 * <li>walk both trees where needed (everything when {@code full}, else only around entries the record names or
 * holds whole): delete what the peer has in excess, create missing directories and links, and for each file to
 * look at compare block checksums and send only the blocks that differ, then its size and metadata (mode, owner,
 * time, {@code user.*} extended attributes: see {@link Xattrs});</li>
 * <li>a second, quick walk catches what raced the first (ops the peer refused because their file was not there
 * yet), then RESYNC_END: the peer fsyncs every file it wrote (in parallel) and marks itself up to date with our
 * generation.</li>
 * </ol>
 * Copying is pipelined: checksum requests go out ahead of the comparison (a window of runs), blocks leave in
 * writes of up to {@link Wire#MAX_DATA} without waiting for each other; only the end waits for the peer.
 * Zones from the record are compared by checksum only when the peer is in the middle of an earlier, interrupted
 * resync of the same record ({@code resumed}): that keeps a resumed copy from resending what arrived, while a
 * first attempt does not pay a comparison for blocks the record says differ.
 * Every read of local state and the queueing of its copy happen under the replicator's order lock, so the copy
 * and the application's writes reach the peer in the order they happened here. Interrupted, it leaves the record
 * in place and the peer marked not up to date; the next run compares checksums again, so blocks already copied
 * are not sent twice (resumable).
 */
final class Resync {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Resync.class);
    static final class Cancelled extends IOException {
        Cancelled(String m) {
            super(m);
        }
    }

    /**
     * A file to copy: all its blocks or some; {@code remote} its entry on the peer when listed. A file taken from
     * the record ({@code fromRecord}) changed by writes only: its size follows the blocks, its mode and owner did
     * not change (those are recorded by name), and its time travels with each block, so it needs no closing ops
     * (unless its blocks are compared: then maybe none is sent).
     */
    private record Task(int dir, String rel, BitSet blocks, boolean all, boolean compare, TreeOps.Entry remote,
                        boolean fromRecord) {
        Task(int dir, String rel, BitSet blocks, boolean all, boolean compare, TreeOps.Entry remote) {
            this(dir, rel, blocks, all, compare, remote, false);
        }
    }

    /** One run of blocks of a task (with the peer's checksums on the way), or the task's closing metadata. */
    private record Step(Task task, Path file, long first, int count, CompletableFuture<Reply> theirs) {
        boolean last() {
            return count < 0;
        }
    }

    private static final int MAX_OUTSTANDING = 256;
    /** Runs whose checksums are requested ahead of the comparison. */
    private static final int WINDOW = 16;
    /** Blocks per WRITE: one maximal frame. */
    private static final int CHUNK_BLOCKS = Wire.MAX_DATA / TreeOps.BLOCK;

    private final ModuleReplicator owner;
    private final ReplicaClient c;
    private final RemoteTree remote;
    private final ChangeRecord.Dirty dirty;
    private final boolean full;
    private final boolean resumed;
    private final String base;
    private final List<Path> roots;
    private final Set<Key> recheck = ConcurrentHashMap.newKeySet();
    /** Directories the walks entered, in order; their times are sent last. */
    private final Set<Key> walkedDirs = new java.util.LinkedHashSet<>();
    /** Files taken straight from the record (not looked at again by the walk). */
    private final Set<Key> direct = new java.util.HashSet<>();
    private final Deque<CompletableFuture<Reply>> outstanding = new ArrayDeque<>();
    private final AtomicLong bytesSent = new AtomicLong();
    private volatile boolean cancelled;
    private long bytesDone;
    private long bytesTotal;
    private long started;
    private long lastReport;
    private String phase = "scanning";

    /**
     * @param resumed the peer already received part of a resync of this record (its copy is marked not up to
     *                date): recorded zones are then compared before they are sent
     */
    Resync(ModuleReplicator owner, ReplicaClient c, ChangeRecord.Dirty dirty, boolean full, boolean resumed,
           String base) {
        this.owner = owner;
        this.c = c;
        this.remote = new RemoteTree(c);
        this.dirty = dirty;
        this.full = full;
        this.resumed = resumed;
        this.base = base;
        this.roots = owner.settings().backings();
    }

    long bytesSent() {
        return bytesSent.get();
    }

    void cancel() {
        cancelled = true;
    }

    /** An op the peer refused during the resync: look at its paths again in the final pass. */
    void recheck(Op op) {
        recheck.add(new Key((int) op.c(), op.path()));
        // path2 is a path only for a rename (an xattr name for SETXATTR/REMOVEXATTR, a link target for SYMLINK)
        if (op.code() == OpCode.RENAME && !op.path2().isEmpty()) {
            recheck.add(new Key((int) op.c(), op.path2()));
        }
    }

    void run() throws IOException {
        started = System.nanoTime();
        // not waited for: the peer applies it before anything that follows, and ends the session if it fails
        CompletableFuture<Reply> begin = c.send(new Op(OpCode.RESYNC_BEGIN, full ? "" : base, "", full ? 1 : 0, 0,
                0, null), Ack.APPLIED);
        long begun = System.nanoTime();
        List<Task> tasks = new ArrayList<>();
        Scope scope = null;
        if (!full) {
            for (Map.Entry<Key, BitSet> z : dirty.zones().entrySet()) {
                Key k = z.getKey();
                if (!dirty.names().contains(k) && !underWhole(k)) {
                    direct.add(k);
                    tasks.add(new Task(k.dir(), k.path(), z.getValue(), false, resumed, null, true));
                }
            }
            scope = Scope.of(Set.of(), dirty.whole(), dirty.names());
        }
        for (int i = 0; i < roots.size(); i++) {
            if (scope == null || scope.enters(i, "")) {
                walk(i, "", tasks, false, scope);
                // the top directory is no listed entry: its user.* attributes are compared on their own
                sendXattrs(i, "", remote.xattrs(i, ""));
            }
        }
        bytesTotal = tasks.stream().mapToLong(this::weight).sum();
        long walked = System.nanoTime();
        log.info("resync of {}: {} files from the record, walked in {} ms; {} files to copy or compare ({} bytes)",
                owner.settings().module(), direct.size(), ms(begun, walked), tasks.size(), bytesTotal);
        phase = "copying";
        report(true);
        copyAll(tasks);
        drain(0);
        long copied = System.nanoTime();
        // second pass, over what the peer refused during the first (ops that raced the copy) only
        phase = "finishing";
        List<Task> more = new ArrayList<>();
        if (!recheck.isEmpty()) {
            Scope again = Scope.of(Set.copyOf(recheck), Set.of(), Set.of());
            for (int i = 0; i < roots.size(); i++) {
                if (again.enters(i, "")) {
                    walk(i, "", more, true, again);
                }
            }
        }
        bytesTotal += more.stream().mapToLong(this::weight).sum();
        copyAll(more);
        directoryTimes();
        drain(0);
        long rechecked = System.nanoTime();
        check(c.await(begin));
        String gen = owner.generationForResync();
        check(c.call(new Op(OpCode.RESYNC_END, gen, "", 0, 0, 0, null), Ack.APPLIED));
        phase = "done";
        log.info("resync of {}: peer up to date after {} ms (copy {} ms, {} bytes sent; second pass {} ms, {} files;"
                        + " peer fsync and mark {} ms)", owner.settings().module(), ms(started, System.nanoTime()),
                ms(walked, copied), bytesSent.get(), ms(copied, rechecked), more.size(),
                ms(rechecked, System.nanoTime()));
        report(true);
    }

    private static long ms(long from, long to) {
        return (to - from) / 1_000_000;
    }

    /** A path at or under one the record holds whole (the walk compares it in full). */
    private boolean underWhole(Key k) {
        for (String p = k.path(); ; p = p.substring(0, Math.max(0, p.lastIndexOf('/')))) {
            if (dirty.whole().contains(new Key(k.dir(), p))) {
                return true;
            }
            if (p.isEmpty()) {
                return false;
            }
        }
    }

    private long weight(Task t) {
        return (long) (t.all() ? (int) Math.min(Integer.MAX_VALUE, blocksOf(t)) : t.blocks().cardinality())
                * TreeOps.BLOCK;
    }

    private long blocksOf(Task t) {
        try {
            long size = Files.size(roots.get(t.dir()).resolve(t.rel()));
            return (size + TreeOps.BLOCK - 1) / TreeOps.BLOCK;
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Which directories a walk from the record must enter: the ancestors of every recorded path, and everything
     * below a path recorded whole (or below a directory the peer does not have). A full resync enters all.
     */
    record Scope(Set<Key> ancestors, Set<Key> wholes) {
        static Scope of(Set<Key> zones, Set<Key> wholes, Set<Key> names) {
            Set<Key> anc = new java.util.HashSet<>();
            for (Set<Key> set : List.of(zones, wholes, names)) {
                for (Key k : set) {
                    String p = k.path();
                    anc.add(new Key(k.dir(), ""));
                    for (int i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) {
                        anc.add(new Key(k.dir(), p.substring(0, i)));
                    }
                    anc.add(new Key(k.dir(), p)); // a directory recorded by name: compare its entries
                }
            }
            return new Scope(anc, Set.copyOf(wholes));
        }

        boolean enters(int dir, String rel) {
            if (ancestors.contains(new Key(dir, rel))) {
                return true;
            }
            for (String p = rel; !p.isEmpty(); p = p.contains("/") ? p.substring(0, p.lastIndexOf('/')) : "") {
                if (wholes.contains(new Key(dir, p))) {
                    return true;
                }
            }
            return false;
        }
    }

    private void walk(int dir, String rel, List<Task> tasks, boolean quick, Scope scope) throws IOException {
        checkCancelled();
        Path root = roots.get(dir);
        Path here = rel.isEmpty() ? root : root.resolve(rel);
        List<TreeOps.Entry> local;
        try {
            local = TreeOps.list(here);
        } catch (NoSuchFileException | java.nio.file.NotDirectoryException e) {
            return; // removed meanwhile: the parent's pass handles it
        }
        walkedDirs.add(new Key(dir, rel));
        Map<String, TreeOps.Entry> peer = remote.list(dir, rel);
        Map<String, TreeOps.Entry> mine = new java.util.HashMap<>();
        local.forEach(e -> mine.put(e.name(), e));
        // 1. what the peer has in excess, or with another type
        for (TreeOps.Entry r : List.copyOf(peer.values())) {
            TreeOps.Entry l = mine.get(r.name());
            if (l == null || l.type() != r.type() || l.type() == 'o') {
                String p = child(rel, r.name());
                owner.ordered(() -> {
                    Path lp = root.resolve(p);
                    boolean gone = !Files.exists(lp, LinkOption.NOFOLLOW_LINKS)
                            || TreeOps.entry(lp, r.name()).type() != r.type();
                    if (gone) {
                        queue(new Op(OpCode.DELETE_TREE, p, "", 0, 0, dir, null));
                    }
                    return null;
                });
                peer.remove(r.name());
            }
        }
        // 2. what we have
        for (TreeOps.Entry l : local) {
            String p = child(rel, l.name());
            TreeOps.Entry r = peer.get(l.name());
            Key key = new Key(dir, p);
            switch (l.type()) {
                case 'd' -> {
                    if (r == null) {
                        owner.ordered(() -> {
                            if (Files.isDirectory(root.resolve(p), LinkOption.NOFOLLOW_LINKS)) {
                                queue(new Op(OpCode.MKDIR, p, "", l.mode(), Owners.NONE, dir, null)); // owner next
                            }
                            return null;
                        });
                    }
                    metadata(dir, p, l, r, false);
                    if (scope == null || r == null || scope.enters(dir, p)) {
                        walk(dir, p, tasks, quick, r == null ? null : scope);
                    }
                }
                case 'l' -> {
                    if (r == null || !r.link().equals(l.link())) {
                        owner.ordered(() -> {
                            Path lp = root.resolve(p);
                            if (Files.isSymbolicLink(lp)) {
                                queue(new Op(OpCode.SYMLINK, p, Files.readSymbolicLink(lp).toString(), 0, Owners.NONE,
                                        dir, null));
                            }
                            return null;
                        });
                    }
                    metadata(dir, p, l, r, true); // the link's own time (a new one got the peer's clock)
                }
                case 'f' -> {
                    boolean differs = r == null || r.size() != l.size();
                    if (!quick && direct.contains(key)) {
                        // already a task, from the record
                    } else if (quick) {
                        if (differs || recheck.remove(key)) {
                            tasks.add(new Task(dir, p, null, true, r != null, r));
                        } else {
                            metadata(dir, p, l, r, true);
                        }
                    } else if (full || differs || dirty.whole().contains(key)) {
                        tasks.add(new Task(dir, p, null, true, r != null, r));
                    } else if (dirty.zones().containsKey(key)) {
                        tasks.add(new Task(dir, p, dirty.zones().get(key), false, true, r));
                    } else {
                        metadata(dir, p, l, r, true);
                    }
                }
                default -> {
                    // sockets, fifos, devices are not replicated
                }
            }
        }
    }

    /**
     * Last, the time of every directory walked: the entries the copy created or removed gave the peer's
     * directories times of their own. Each is read under the order lock, so a live op that changes a directory
     * afterwards follows with its own time (see ModuleReplicator#timesAfter).
     */
    private void directoryTimes() throws IOException {
        for (Key k : walkedDirs) {
            checkCancelled();
            owner.ordered(() -> {
                Path d = k.path().isEmpty() ? roots.get(k.dir()) : roots.get(k.dir()).resolve(k.path());
                try {
                    long mtime = Files.getLastModifiedTime(d, LinkOption.NOFOLLOW_LINKS).to(TimeUnit.NANOSECONDS);
                    queue(new Op(OpCode.UTIMENS, k.path(), "", -1, mtime, k.dir(), null));
                } catch (NoSuchFileException e) {
                    // removed meanwhile: the removal was replicated
                }
                return null;
            });
        }
    }

    private static String child(String rel, String name) {
        return rel.isEmpty() ? name : rel + "/" + name;
    }

    /**
     * Sends mode/owner (and file and link times) when they differ from the peer's (or the peer's entry is new),
     * then makes its {@code user.*} attributes equal ours.
     */
    private void metadata(int dir, String p, TreeOps.Entry l, TreeOps.Entry r, boolean times) throws IOException {
        boolean mode = l.type() != 'l' && (r == null || r.mode() != l.mode());
        boolean own = r == null || r.uid() != l.uid() || r.gid() != l.gid();
        boolean t = times && (r == null || r.mtimeNanos() != l.mtimeNanos());
        if (mode || own || t) {
            owner.ordered(() -> {
                Path lp = roots.get(dir).resolve(p);
                TreeOps.Entry now;
                try {
                    now = TreeOps.entry(lp, l.name());
                } catch (NoSuchFileException e) {
                    return null;
                }
                if (now.type() != l.type()) {
                    return null;
                }
                // owner before mode: a chown clears set-ID bits
                if (own) {
                    queue(new Op(OpCode.CHOWN, p, "", now.uid(), now.gid(), dir, null));
                }
                if (mode || (own && (now.mode() & 06000) != 0)) {
                    queue(new Op(OpCode.CHMOD, p, "", now.mode(), 0, dir, null));
                }
                if (t) {
                    queue(new Op(OpCode.UTIMENS, p, "", -1, now.mtimeNanos(), dir, null));
                }
                return null;
            });
        }
        if (l.type() == 'f' || l.type() == 'd') { // Linux has no user.* attributes on links
            xattrs(dir, p, l.xattrs(), r);
        }
    }

    /**
     * Makes the peer's {@code user.*} attributes of a file or directory equal ours when the listing's digests
     * differ ({@code mine}: our digest, {@code r}: the peer's entry, null when it is new there). The peer's names
     * and value hashes are fetched first, outside the order lock (a round trip must not hold the application's
     * writes); then, under the lock, our current values are read and only the names whose hash differs are sent
     * (SETXATTR), those we do not have removed. A change made meanwhile was replicated live: the worst it does is
     * an op the peer refuses (a removal of a name already gone), looked at again in the second pass.
     */
    private void xattrs(int dir, String p, byte[] mine, TreeOps.Entry r) throws IOException {
        if (Arrays.equals(mine, r == null ? new byte[0] : r.xattrs())) {
            return;
        }
        sendXattrs(dir, p, r == null ? new TreeMap<>() : remote.xattrs(dir, p));
    }

    /** Under the lock: sends what makes the peer's user.* set of {@code p} (name → value hash) equal ours. */
    private void sendXattrs(int dir, String p, SortedMap<String, byte[]> theirs) throws IOException {
        owner.ordered(() -> {
            SortedMap<String, byte[]> values;
            try {
                values = Xattrs.read(roots.get(dir).resolve(p));
            } catch (NoSuchFileException e) {
                return null; // removed meanwhile: the removal was replicated
            }
            Xattrs.Plan plan = Xattrs.compare(Xattrs.hashes(values), theirs);
            for (String n : plan.remove()) {
                queue(new Op(OpCode.REMOVEXATTR, p, n, 0, 0, dir, null));
            }
            for (String n : plan.set()) {
                queue(new Op(OpCode.SETXATTR, p, n, 0, 0, dir, values.get(n)));
            }
            return null;
        });
    }

    /**
     * Copies the tasks' blocks (those that differ, when compared) then their size and metadata, pipelined:
     * checksum requests run {@link #WINDOW} runs ahead of the comparison, writes are not waited for.
     */
    private void copyAll(List<Task> tasks) throws IOException {
        java.util.ArrayDeque<Step> window = new java.util.ArrayDeque<>();
        Set<Task> gone = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Task t : tasks) {
            checkCancelled();
            Path file = roots.get(t.dir()).resolve(t.rel());
            long size;
            try {
                size = Files.size(file);
            } catch (NoSuchFileException e) {
                continue; // removed meanwhile: the removal was replicated
            }
            long nblocks = (size + TreeOps.BLOCK - 1) / TreeOps.BLOCK;
            BitSet blocks = t.all() ? new BitSet() : t.blocks();
            if (t.all()) {
                blocks.set(0, (int) nblocks);
            }
            for (long[] run : RemoteTree.runs(blocks, nblocks)) {
                window.add(new Step(t, file, run[0], (int) run[1],
                        t.compare() ? remote.checksums(t.dir(), t.rel(), run[0], (int) run[1]) : null));
                while (window.size() > WINDOW) {
                    step(window.poll(), gone);
                }
            }
            if (!t.fromRecord() || t.compare()) { // compared, maybe no block is sent: no time with it either
                window.add(new Step(t, file, 0, -1, null));
            }
        }
        while (!window.isEmpty()) {
            step(window.poll(), gone);
        }
    }

    private void step(Step s, Set<Task> gone) throws IOException {
        checkCancelled();
        Task t = s.task();
        if (gone.contains(t)) {
            if (s.theirs() != null) {
                remote.await(s.theirs());
            }
            return;
        }
        if (s.last()) {
            metadataOf(t, s.file());
            return;
        }
        byte[] theirs = new byte[0];
        byte[] mine = new byte[0];
        if (t.compare()) {
            theirs = remote.await(s.theirs());
            try {
                mine = TreeOps.checksums(s.file(), s.first(), s.count());
            } catch (NoSuchFileException e) {
                gone.add(t);
                return;
            }
        }
        for (int i = 0; i < s.count(); ) {
            if (same(t, mine, theirs, i)) {
                i++;
                continue;
            }
            int j = i + 1;
            while (j < s.count() && j - i < CHUNK_BLOCKS && !same(t, mine, theirs, j)) {
                j++;
            }
            sendBlocks(t, s.file(), s.first() + i, j - i);
            i = j;
        }
        bytesDone += (long) s.count() * TreeOps.BLOCK;
        report(false);
    }

    private static boolean same(Task t, byte[] mine, byte[] theirs, int i) {
        return t.compare() && theirs.length >= (i + 1) * TreeOps.HASH && mine.length >= (i + 1) * TreeOps.HASH
                && Arrays.equals(mine, i * TreeOps.HASH, (i + 1) * TreeOps.HASH,
                theirs, i * TreeOps.HASH, (i + 1) * TreeOps.HASH);
    }

    /** Size and metadata last, read under the lock so they are current; then the user.* attributes. */
    private void metadataOf(Task t, Path file) throws IOException {
        owner.ordered(() -> {
            TreeOps.Entry now;
            try {
                now = TreeOps.entry(file, file.getFileName().toString());
            } catch (NoSuchFileException e) {
                return null;
            }
            if (now.type() != 'f') {
                return null;
            }
            queue(new Op(OpCode.TRUNCATE, t.rel(), "", now.size(), 0, t.dir(), null));
            TreeOps.Entry r = t.remote();
            // owner before mode: a chown clears set-ID bits
            boolean own = r == null || r.uid() != now.uid() || r.gid() != now.gid();
            if (own) {
                queue(new Op(OpCode.CHOWN, t.rel(), "", now.uid(), now.gid(), t.dir(), null));
            }
            if (r == null || r.mode() != now.mode() || (own && (now.mode() & 06000) != 0)) {
                queue(new Op(OpCode.CHMOD, t.rel(), "", now.mode(), 0, t.dir(), null));
            }
            queue(new Op(OpCode.UTIMENS, t.rel(), "", -1, now.mtimeNanos(), t.dir(), null));
            return null;
        });
        byte[] mine;
        try {
            mine = Xattrs.digestOf(file, 'f');
        } catch (NoSuchFileException e) {
            return;
        }
        xattrs(t.dir(), t.rel(), mine, t.remote());
    }

    /**
     * Blocks [first, first+count) (at most {@link #CHUNK_BLOCKS}) in one WRITE, read and queued under the lock;
     * for a file from the record the WRITE carries the file's time too.
     */
    private void sendBlocks(Task t, Path file, long first, int count) throws IOException {
        int dir = t.dir();
        String rel = t.rel();
        owner.ordered(() -> {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return null; // removed or replaced meanwhile: that change was replicated
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                long pos = first * TreeOps.BLOCK;
                long size = ch.size();
                if (pos >= size) {
                    return null;
                }
                ByteBuffer buf = ByteBuffer.allocate((int) Math.min((long) count * TreeOps.BLOCK, size - pos));
                while (buf.hasRemaining() && ch.read(buf, pos + buf.position()) > 0) {
                    // whole run
                }
                byte[] data = buf.position() == buf.capacity() ? buf.array()
                        : Arrays.copyOf(buf.array(), buf.position());
                long mtime = t.fromRecord()
                        ? Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).to(TimeUnit.NANOSECONDS) : 0;
                queue(new Op(OpCode.WRITE, rel, "", pos, mtime, dir, data));
                bytesSent.addAndGet(data.length);
            } catch (NoSuchFileException e) {
                // removed meanwhile: the removal was replicated
            }
            return null;
        });
    }

    /** Caller holds the order lock. */
    private void queue(Op op) throws IOException {
        CompletableFuture<Reply> f = c.send(op, Ack.APPLIED);
        outstanding.add(f.whenComplete((r, e) -> {
            if (r != null && !r.ok()) {
                recheck(op);
            }
        }));
        if (outstanding.size() > MAX_OUTSTANDING) {
            // waiting under the lock is bounded by send_timeout; keeps memory bounded
            drain(MAX_OUTSTANDING / 2);
        }
    }

    private void drain(int keep) throws IOException {
        while (outstanding.size() > keep) {
            c.await(outstanding.poll());
        }
    }

    private void checkCancelled() throws Cancelled {
        if (cancelled || !c.alive()) {
            throw new Cancelled("peer lost or role changed");
        }
    }

    private static void check(Reply r) throws IOException {
        if (!r.ok()) {
            throw new IOException("peer refused: " + r.message());
        }
    }

    private void report(boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastReport < TimeUnit.SECONDS.toNanos(1)) {
            return;
        }
        lastReport = now;
        double secs = Math.max(1e-3, (now - started) / 1e9);
        long rate = (long) (bytesDone / secs);
        long eta = rate > 0 ? Math.max(0, (bytesTotal - bytesDone) / rate) : -1;
        var st = owner.settings();
        owner.progress(new ResyncProgress(st.node(), st.module(), owner.peerName(), phase,
                Math.min(bytesDone, bytesTotal), bytesTotal, rate, phase.equals("done") ? 0 : eta));
    }
}
