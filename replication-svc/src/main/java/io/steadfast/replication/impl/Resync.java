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
import java.util.BitSet;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Online resynchronisation of the peer while the application keeps writing. The application's own writes are
 * replicated synchronously all along (and recorded, in case this is interrupted); this pass brings the rest over:
 * <ol>
 * <li>walk both trees (listings): delete what the peer has in excess, create missing directories and links;</li>
 * <li>for each file to look at — every file when {@code full}, else the record's dirty zones plus files missing
 * or of another size on the peer — compare block checksums and send only the blocks that differ, then its size
 * and metadata;</li>
 * <li>a second, quick walk catches what raced the first (ops the peer refused because their file was not there
 * yet), then RESYNC_END marks the peer up to date with our generation.</li>
 * </ol>
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

    private record Task(int dir, String rel, BitSet blocks, boolean all, boolean compare, TreeOps.Entry remote) {
    }

    private static final int MAX_OUTSTANDING = 256;

    private final ModuleReplicator owner;
    private final ReplicaClient c;
    private final RemoteTree remote;
    private final ChangeRecord.Dirty dirty;
    private final boolean full;
    private final String base;
    private final List<Path> roots;
    private final Set<Key> recheck = ConcurrentHashMap.newKeySet();
    private final Deque<CompletableFuture<Reply>> outstanding = new ArrayDeque<>();
    private final AtomicLong bytesSent = new AtomicLong();
    private volatile boolean cancelled;
    private long bytesDone;
    private long bytesTotal;
    private long started;
    private long lastReport;
    private String phase = "scanning";

    Resync(ModuleReplicator owner, ReplicaClient c, ChangeRecord.Dirty dirty, boolean full, String base) {
        this.owner = owner;
        this.c = c;
        this.remote = new RemoteTree(c);
        this.dirty = dirty;
        this.full = full;
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
        if (!op.path2().isEmpty()) {
            recheck.add(new Key((int) op.c(), op.path2()));
        }
    }

    void run() throws IOException {
        started = System.nanoTime();
        check(c.call(new Op(OpCode.RESYNC_BEGIN, full ? "" : base, "", full ? 1 : 0, 0, 0, null), Ack.APPLIED));
        List<Task> tasks = new ArrayList<>();
        Scope scope = full ? null : Scope.of(dirty.zones().keySet(), dirty.whole(), dirty.names());
        for (int i = 0; i < roots.size(); i++) {
            if (scope == null || scope.enters(i, "")) {
                walk(i, "", tasks, false, scope);
            }
        }
        bytesTotal = tasks.stream().mapToLong(this::weight).sum();
        log.info("resync of {}: walked both trees in {} ms, {} files to compare ({} bytes)",
                owner.settings().module(), (System.nanoTime() - started) / 1_000_000, tasks.size(), bytesTotal);
        phase = "copying";
        report(true);
        for (Task t : tasks) {
            copy(t);
        }
        drain(0);
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
        for (Task t : more) {
            copy(t);
        }
        drain(0);
        log.info("resync of {}: copied in {} ms, {} bytes sent", owner.settings().module(),
                (System.nanoTime() - started) / 1_000_000, bytesSent.get());
        String gen = owner.generationForResync();
        check(c.call(new Op(OpCode.RESYNC_END, gen, "", 0, 0, 0, null), Ack.APPLIED));
        phase = "done";
        log.info("resync of {}: peer marked up to date after {} ms", owner.settings().module(),
                (System.nanoTime() - started) / 1_000_000);
        report(true);
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
                                queue(new Op(OpCode.MKDIR, p, "", l.mode(), 0, dir, null));
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
                                queue(new Op(OpCode.SYMLINK, p, Files.readSymbolicLink(lp).toString(), 0, 0, dir,
                                        null));
                            }
                            return null;
                        });
                    }
                    metadata(dir, p, l, r, false);
                }
                case 'f' -> {
                    boolean differs = r == null || r.size() != l.size();
                    if (quick) {
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

    private static String child(String rel, String name) {
        return rel.isEmpty() ? name : rel + "/" + name;
    }

    /** Sends mode/owner (and file times) when they differ from the peer's (or the peer's entry is new). */
    private void metadata(int dir, String p, TreeOps.Entry l, TreeOps.Entry r, boolean times) throws IOException {
        boolean mode = l.type() != 'l' && (r == null || r.mode() != l.mode());
        boolean own = r == null || r.uid() != l.uid() || r.gid() != l.gid();
        boolean t = times && (r == null || r.mtimeNanos() != l.mtimeNanos());
        if (!mode && !own && !t) {
            return;
        }
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
            if (mode) {
                queue(new Op(OpCode.CHMOD, p, "", now.mode(), 0, dir, null));
            }
            if (own) {
                queue(new Op(OpCode.CHOWN, p, "", now.uid(), now.gid(), dir, null));
            }
            if (t) {
                queue(new Op(OpCode.UTIMENS, p, "", -1, now.mtimeNanos(), dir, null));
            }
            return null;
        });
    }

    private void copy(Task t) throws IOException {
        checkCancelled();
        Path file = roots.get(t.dir()).resolve(t.rel());
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            return;
        }
        long nblocks = (size + TreeOps.BLOCK - 1) / TreeOps.BLOCK;
        BitSet blocks = t.all() ? new BitSet() : t.blocks();
        if (t.all()) {
            blocks.set(0, (int) nblocks);
        }
        for (long[] run : RemoteTree.runs(blocks, nblocks)) {
            checkCancelled();
            byte[] theirs = new byte[0];
            byte[] mine;
            if (t.compare()) {
                var f = remote.checksums(t.dir(), t.rel(), run[0], (int) run[1]);
                try {
                    mine = TreeOps.checksums(file, run[0], (int) run[1]);
                } catch (NoSuchFileException e) {
                    remote.await(f);
                    return;
                }
                theirs = remote.await(f);
            } else {
                mine = new byte[0];
            }
            for (int i = 0; i < run[1]; i++) {
                long block = run[0] + i;
                boolean same = t.compare() && theirs.length >= (i + 1) * TreeOps.HASH
                        && mine.length >= (i + 1) * TreeOps.HASH
                        && java.util.Arrays.equals(mine, i * TreeOps.HASH, (i + 1) * TreeOps.HASH,
                        theirs, i * TreeOps.HASH, (i + 1) * TreeOps.HASH);
                if (!same) {
                    sendBlock(t.dir(), t.rel(), file, block);
                }
                bytesDone += TreeOps.BLOCK;
                report(false);
            }
        }
        // size and metadata last, read under the lock so they are current
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
            if (r == null || r.mode() != now.mode()) {
                queue(new Op(OpCode.CHMOD, t.rel(), "", now.mode(), 0, t.dir(), null));
            }
            if (r == null || r.uid() != now.uid() || r.gid() != now.gid()) {
                queue(new Op(OpCode.CHOWN, t.rel(), "", now.uid(), now.gid(), t.dir(), null));
            }
            queue(new Op(OpCode.UTIMENS, t.rel(), "", -1, now.mtimeNanos(), t.dir(), null));
            return null;
        });
    }

    private void sendBlock(int dir, String rel, Path file, long block) throws IOException {
        owner.ordered(() -> {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                long pos = block * TreeOps.BLOCK;
                long size = ch.size();
                if (pos >= size) {
                    return null;
                }
                ByteBuffer buf = ByteBuffer.allocate((int) Math.min(TreeOps.BLOCK, size - pos));
                while (buf.hasRemaining() && ch.read(buf, pos + buf.position()) > 0) {
                    // whole block
                }
                byte[] data = buf.position() == buf.capacity() ? buf.array()
                        : java.util.Arrays.copyOf(buf.array(), buf.position());
                queue(new Op(OpCode.WRITE, rel, "", pos, 0, dir, data));
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
