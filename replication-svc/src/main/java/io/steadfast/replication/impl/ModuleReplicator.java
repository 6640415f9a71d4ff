package io.steadfast.replication.impl;

import io.steadfast.api.ReplicationApi.ReplicationStatus;
import io.steadfast.api.ReplicationApi.ResyncProgress;
import io.steadfast.api.ReplicationApi.Role;
import io.steadfast.api.ReplicationApi.VerifyReport;
import io.steadfast.config.AsyncMode;
import io.steadfast.replication.impl.Wire.Ack;
import io.steadfast.replication.impl.Wire.Op;
import io.steadfast.replication.impl.Wire.OpCode;
import io.steadfast.replication.impl.Wire.Reply;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Replication of one module on this node: the role state machine and the write path used by the FUSE layer.
 *
 * <pre>
 * IDLE ──promote(no peer)──► RECORDING ──peer connects──► RESYNCING ──resyncDone──► REPLICATING
 *   │                          ▲   ▲                          │                        │
 *   │                          │   └────────peerLost──────────┴────────peerLost────────┘
 *   └──demote──► TARGET ◄──demote── (any)
 * </pre>
 * Write path ({@link #perform}): under the order lock, record the change when recording, apply it locally, and
 * queue it to the peer (so the peer applies ops in the order they were applied here); then, outside the lock,
 * wait for the acknowledgement, at most {@code send_timeout}. A lost peer turns every unacknowledged op into
 * record entries before any waiting writer returns.
 */
public final class ModuleReplicator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ModuleReplicator.class);

    public enum Mode {
        IDLE, TARGET, RECORDING, RESYNCING, REPLICATING;

        boolean source() {
            return this == RECORDING || this == RESYNCING || this == REPLICATING;
        }
    }

    /** Everything a replicator needs; {@code backings} are where the real files of each dir are reachable. */
    public record Settings(String node, String module, List<Path> backings, Path stateDir, AsyncMode async,
                           Duration sendTimeout, ChannelAuth auth, InetSocketAddress listen) {
    }

    /** Callback of the FUSE layer: the local half of an op, returning 0/positive or -errno. */
    @FunctionalInterface
    public interface Local {
        int run() throws IOException;
    }

    private final Settings s;
    private final ReentrantLock order = new ReentrantLock();
    private final ScheduledExecutorService timer;
    private final Consumer<ReplicationStatus> onStatus;
    private final Consumer<ResyncProgress> onProgress;
    private final AtomicLong bytesReplicated = new AtomicLong();
    private final AtomicLong nacks = new AtomicLong();

    private volatile Mode mode = Mode.IDLE;
    private volatile String reason = "started";
    private volatile ReplicaClient client;
    private ChangeRecord record;
    private ReplicaServer server;
    private volatile Applier applier;
    private String generation = "";
    private Optional<InetSocketAddress> peer = Optional.empty();
    private String peerName = "";
    private boolean fullsyncRequested;
    private ScheduledFuture<?> reconnect;
    private volatile Resync resync;
    private volatile ResyncProgress lastProgress;

    public ModuleReplicator(Settings settings, Consumer<ReplicationStatus> onStatus,
                            Consumer<ResyncProgress> onProgress) throws IOException {
        this.s = settings;
        this.onStatus = onStatus;
        this.onProgress = onProgress;
        Files.createDirectories(settings.stateDir());
        this.timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("repl-timer-" + settings.module()).factory());
    }

    public Settings settings() {
        return s;
    }

    public Mode mode() {
        return mode;
    }

    Path recordFile() {
        return s.stateDir().resolve("changes.log");
    }

    Path targetFile() {
        return s.stateDir().resolve("target.json");
    }

    Path sourceFile() {
        return s.stateDir().resolve("source.json");
    }

    // ---------------------------------------------------------------- transitions

    /**
     * Serve read-write here. With a peer: connect to it and resync it (from the record when it lines up, in full
     * otherwise); without: record changes (ALONE). Idempotent for the same peer.
     */
    public ReplicationStatus promote(Optional<InetSocketAddress> peerAddr, String peerNodeName, String gen,
                                     boolean fullsync) throws IOException {
        order.lock();
        try {
            if (mode.source() && peer.equals(peerAddr) && !fullsync) {
                generation = gen.isEmpty() ? generation : gen;
                return status();
            }
            stopTarget();
            dropClient("promoted");
            // from now on this copy moves ahead of any peer: if we are demoted later, it is not up to date
            // (as a target) until a resync says so
            TargetState ts = TargetState.load(targetFile());
            if (ts.upToDate()) {
                new TargetState(ts.generation(), false, ts.lossy()).save(targetFile());
            }
            generation = gen;
            peer = peerAddr;
            peerName = peerNodeName;
            fullsyncRequested = fullsync;
            startRecording(peerAddr.isEmpty() ? "promoted without a peer (ALONE)" : "promoted; connecting to "
                    + peerNodeName);
        } finally {
            order.unlock();
        }
        if (peerAddr.isPresent()) {
            scheduleReconnect(0);
        }
        return status();
    }

    /**
     * Keeps this copy's replicated directories under {@code target} (see {@link DivergedCopy}) before a demote
     * lets the peer overwrite them. Holds the order lock: no write of this node goes in during the copy.
     */
    public void keepCopy(Path target, List<Path> dirs) throws IOException {
        order.lock();
        try {
            if (mode == Mode.TARGET) {
                throw new IOException("already the target of " + peerName + ": the copy may be partly overwritten");
            }
            log.warn("{}: split brain: keeping this node's copy in {}", s.module(), target);
            DivergedCopy.copy(s.backings(), dirs, target);
            log.warn("{}: split brain: this node's copy is kept in {}", s.module(), target);
        } finally {
            order.unlock();
        }
    }

    /** Become the read-only target of the peer: apply what it sends. */
    public ReplicationStatus demote(String peerNodeName) throws IOException {
        return demote(peerNodeName, false);
    }

    /** As {@link #demote(String)}; {@code fullsync} forgets what this copy holds, so the source compares it all. */
    public ReplicationStatus demote(String peerNodeName, boolean fullsync) throws IOException {
        order.lock();
        try {
            cancelReconnect();
            dropClient("demoted");
            if (record != null) {
                record.close();
                record = null;
            }
            // our data is about to be overwritten by the peer's: a record of our changes means nothing now
            Files.deleteIfExists(recordFile());
            markSourceClean();
            peer = Optional.empty();
            peerName = peerNodeName;
            if (fullsync) {
                stopTarget();
                new TargetState("", false, TargetState.load(targetFile()).lossy()).save(targetFile());
            }
            if (server == null) {
                applier = new Applier(s.backings(), targetFile());
                server = new ReplicaServer(s.module(), s.auth(), applier, s.listen());
            }
            transition(Mode.TARGET, "demoted: target of " + peerNodeName);
        } finally {
            order.unlock();
        }
        return status();
    }

    /** Stop serving (role IDLE): the directory becomes read-only. */
    public ReplicationStatus idle(String why) throws IOException {
        order.lock();
        try {
            cancelReconnect();
            dropClient(why);
            stopTarget();
            if (mode == Mode.REPLICATING) {
                markSourceClean();
            }
            if (record != null) {
                record.close();
                record = null;
            }
            transition(Mode.IDLE, why);
        } finally {
            order.unlock();
        }
        return status();
    }

    /** Caller holds the order lock. Starts (or continues) recording, creating the record if needed. */
    private void startRecording(String why) throws IOException {
        if (record == null) {
            // an existing record survives restarts (it was fsynced before every change); a new one made here has
            // no known base unless we were in sync with the peer (see peerLost)
            record = ChangeRecord.openOrCreate(recordFile(), "");
        }
        transition(Mode.RECORDING, why);
    }

    /** The peer stopped answering (or failed an op): record what it may lack, stop replicating. Idempotent. */
    void peerLost(ReplicaClient c, String why, Op failed) {
        order.lock();
        try {
            if (client != c || !(mode == Mode.REPLICATING || mode == Mode.RESYNCING)) {
                // another thread already handled this loss; an op whose send was refused because the channel
                // had just died was never in flight, so it is not in what that thread recorded: record it here
                if (failed != null && record != null && mode.source()) {
                    note(failed);
                } else if (failed != null && mode.source()) {
                    log.warn("{}: change {} raced a reconnection and may be missing on the peer", s.module(),
                            failed);
                }
                return;
            }
            if (record == null) {
                // we were in sync: the peer holds our generation plus the acknowledged ops
                record = ChangeRecord.openOrCreate(recordFile(), generation);
            }
            for (Op op : c.unacknowledged()) {
                note(op);
            }
            if (failed != null) {
                note(failed);
            }
            markSourceClean();
            client = null;
            transition(Mode.RECORDING, "peer lost: " + why);
        } catch (IOException e) {
            log.error("cannot record changes of {} after losing the peer", s.module(), e);
        } finally {
            order.unlock();
        }
        c.lose(why);
        Resync r = resync;
        if (r != null) {
            r.cancel();
        }
        scheduleReconnect(1000);
    }

    private void resyncDone(ReplicaClient c, Resync r) {
        order.lock();
        try {
            if (client != c || mode != Mode.RESYNCING) {
                return;
            }
            if (record != null) {
                record.delete();
                record = null;
            }
            markSourceOpen();
            resync = null;
            transition(Mode.REPLICATING, "peer " + peerName + " up to date (resync sent " + r.bytesSent()
                    + " bytes)");
        } catch (IOException e) {
            log.error("cannot finish the resync of {}", s.module(), e);
        } finally {
            order.unlock();
        }
    }

    private void transition(Mode to, String why) {
        Mode from = mode;
        mode = to;
        reason = why;
        log.info("replication {} {} -> {}: {}", s.module(), from, to, why);
        ReplicationStatus st = status();
        try {
            onStatus.accept(st);
        } catch (RuntimeException e) {
            log.warn("status listener failed", e);
        }
    }

    // ---------------------------------------------------------------- connecting and resync

    /** The last authentication refusal logged by tryConnect (timer thread only), so each reason is logged once. */
    private String lastAuthFailure;

    private void scheduleReconnect(long delayMs) {
        order.lock();
        try {
            cancelReconnect();
            if (peer.isEmpty() || !mode.source()) {
                return;
            }
            reconnect = timer.schedule(this::tryConnect, delayMs, TimeUnit.MILLISECONDS);
        } finally {
            order.unlock();
        }
    }

    private void cancelReconnect() {
        if (reconnect != null) {
            reconnect.cancel(false);
            reconnect = null;
        }
    }

    private void tryConnect() {
        InetSocketAddress target;
        order.lock();
        try {
            if (mode != Mode.RECORDING || peer.isEmpty()) {
                return;
            }
            target = peer.get();
        } finally {
            order.unlock();
        }
        ReplicaClient c;
        TargetState peerState;
        try {
            Duration ct = s.sendTimeout().compareTo(Duration.ofSeconds(2)) < 0 ? s.sendTimeout() : Duration.ofSeconds(2);
            // the loss callback must name this very client: an older one's late callback must not hit a newer
            java.util.concurrent.atomic.AtomicReference<ReplicaClient> self =
                    new java.util.concurrent.atomic.AtomicReference<>();
            c = ReplicaClient.connect(s.module(), target, s.auth(), ct, s.sendTimeout(), why -> {
                ReplicaClient me = self.get();
                if (me != null) {
                    peerLost(me, why, null);
                }
            });
            self.set(c);
            Reply r = c.call(new Op(OpCode.STATE, "", "", 0, 0, 0, null), Ack.APPLIED);
            peerState = TargetState.fromJson(new JsonObject(new String(r.data(), StandardCharsets.UTF_8)));
        } catch (IOException | RuntimeException e) {
            if (e instanceof ChannelAuth.AuthException && !e.getMessage().equals(lastAuthFailure)) {
                // the peer answers but refuses us (secret, module, protocol version): worth saying, once per reason;
                // an unreachable peer is the usual ALONE case and stays at debug (retried every second)
                log.warn("the peer of {} at {} refused the replication channel: {}", s.module(), target,
                        e.getMessage());
            } else {
                log.debug("cannot reach the peer of {} at {}: {}", s.module(), target, e.getMessage());
            }
            lastAuthFailure = e instanceof ChannelAuth.AuthException ? e.getMessage() : null;
            scheduleReconnect(1000);
            return;
        }
        lastAuthFailure = null;
        order.lock();
        try {
            if (mode != Mode.RECORDING || !peer.equals(Optional.of(target))) {
                c.close();
                return;
            }
            client = c;
            boolean sourceClean = !SourceState.open(sourceFile());
            boolean inSync = !fullsyncRequested && record != null && record.isEmpty() && record.base().isEmpty()
                    && sourceClean && peerState.upToDate() && !peerState.lossy()
                    && peerState.generation().equals(generation) && !generation.isEmpty();
            boolean fromRecord = !fullsyncRequested && record != null && !record.base().isEmpty()
                    && record.base().equals(peerState.generation()) && !peerState.lossy();
            if (inSync) {
                record.delete();
                record = null;
                markSourceOpen();
                transition(Mode.REPLICATING, "peer " + peerName + " connected, already up to date");
                return;
            }
            fullsyncRequested = false;
            // the peer still marked up to date at our base has received nothing of this record's resync yet
            Resync r = new Resync(this, c, record.snapshot(), !fromRecord, !peerState.upToDate(), record.base());
            resync = r;
            transition(Mode.RESYNCING, "peer " + peerName + " connected; " + (fromRecord
                    ? "resync from the change record" : "full resync by block checksums"));
            Thread.ofPlatform().daemon().name("repl-resync-" + s.module()).start(() -> runResync(c, r));
        } catch (IOException e) {
            log.error("cannot start replicating {}", s.module(), e);
        } finally {
            order.unlock();
        }
    }

    private void runResync(ReplicaClient c, Resync r) {
        try {
            r.run();
            resyncDone(c, r);
        } catch (Resync.Cancelled e) {
            log.info("resync of {} interrupted: {}", s.module(), e.getMessage());
        } catch (IOException | RuntimeException e) {
            log.warn("resync of {} failed: {}", s.module(), e.toString());
            peerLost(c, "resync failed: " + e.getMessage(), null);
        }
    }

    void progress(ResyncProgress p) {
        lastProgress = p;
        try {
            onProgress.accept(p);
        } catch (RuntimeException e) {
            log.warn("progress listener failed", e);
        }
    }

    String generationForResync() {
        order.lock();
        try {
            return generation;
        } finally {
            order.unlock();
        }
    }

    String peerName() {
        return peerName;
    }

    public Optional<ResyncProgress> lastProgress() {
        return Optional.ofNullable(lastProgress);
    }

    // ---------------------------------------------------------------- the write path

    /**
     * One mutating operation of the application on directory {@code dir}: recorded (when recording), applied
     * locally by {@code local}, replicated and acknowledged. Returns {@code local}'s result or -errno.
     */
    public int perform(int dir, Op op, Local local, int erofs) throws IOException {
        return perform(dir, op, local, erofs, java.util.function.UnaryOperator.identity());
    }

    /** As above; {@code finish} turns the op into what is sent, after {@code local} ran (e.g. to carry a time). */
    public int perform(int dir, Op op, Local local, int erofs, java.util.function.UnaryOperator<Op> finish)
            throws IOException {
        if (!mode.source()) {
            return -erofs;
        }
        Op tagged = new Op(op.code(), op.path(), op.path2(), op.a(), op.b(), dir, op.data());
        List<Op> sent = new ArrayList<>(3);
        List<CompletableFuture<Reply>> replies = new ArrayList<>(3);
        ReplicaClient c = null;
        int result;
        order.lock();
        try {
            Mode m = mode;
            if (!m.source()) {
                return -erofs;
            }
            if (m != Mode.REPLICATING) {
                note(tagged);
            }
            result = local.run();
            if (result < 0) {
                return result;
            }
            if (m == Mode.REPLICATING || m == Mode.RESYNCING) {
                c = client;
                sent.add(finish.apply(tagged));
                sent.addAll(timesAfter(dir, tagged));
                for (Op o : sent) {
                    replies.add(c.sendForAwait(o, ackFor(o)));
                }
            }
        } finally {
            order.unlock();
        }
        for (int i = 0; i < replies.size(); i++) {
            Op o = sent.get(i);
            try {
                Reply r = c.await(replies.get(i));
                if (r.ok()) {
                    bytesReplicated.addAndGet(o.data().length);
                } else {
                    nacked(c, o, r);
                }
            } catch (IOException e) {
                peerLost(c, e.getMessage(), o);
            }
        }
        return result;
    }

    /**
     * The new mtime of each directory whose entries {@code op} changed, and of the directory or symlink it
     * created, as UTIMENS ops to follow it: the peer's entry gets a time of its own when it applies the op, and
     * nothing else would carry ours (a new file's time travels with its writes and its close). Caller holds the
     * order lock (the time read is the one right after the op).
     */
    private List<Op> timesAfter(int dir, Op op) throws IOException {
        List<String> dirs = switch (op.code()) {
            case MKDIR, SYMLINK -> List.of(SafePaths.parent(op.path()), op.path());
            case CREATE, UNLINK, RMDIR -> List.of(SafePaths.parent(op.path()));
            case RENAME -> SafePaths.parent(op.path()).equals(SafePaths.parent(op.path2()))
                    ? List.of(SafePaths.parent(op.path()))
                    : List.of(SafePaths.parent(op.path()), SafePaths.parent(op.path2()));
            default -> List.of();
        };
        List<Op> ops = new ArrayList<>(dirs.size());
        for (String d : dirs) {
            Path p = d.isEmpty() ? s.backings().get(dir) : s.backings().get(dir).resolve(d);
            try {
                long mtime = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).to(TimeUnit.NANOSECONDS);
                ops.add(new Op(OpCode.UTIMENS, d, "", -1, mtime, dir, null));
            } catch (NoSuchFileException e) {
                // removed by a racing op of the application: its own op follows
            }
        }
        return ops;
    }

    /**
     * An fsync: queued to the peer first (in order, acknowledged after the peer's own fsync), then the local fsync
     * runs outside the order lock, in parallel with the peer's, so other writers are not held behind the disk.
     */
    public int fsync(int dir, String rel, boolean datasync, Local local, int erofs) throws IOException {
        if (!mode.source()) {
            return -erofs;
        }
        // the peer does what the application asked: fdatasync skips the commit of a time-only inode change
        Op op = new Op(OpCode.FSYNC, rel, "", datasync ? 1 : 0, 0, dir, null);
        CompletableFuture<Reply> f = null;
        ReplicaClient c = null;
        order.lock();
        try {
            if (mode == Mode.REPLICATING || mode == Mode.RESYNCING) {
                c = client;
                f = c.sendForAwait(op, Ack.APPLIED);
            }
        } finally {
            order.unlock();
        }
        int result = local.run();
        if (f != null) {
            try {
                Reply r = c.await(f);
                if (!r.ok()) {
                    nacked(c, op, r);
                }
            } catch (IOException e) {
                peerLost(c, e.getMessage(), null);
            }
        }
        return result;
    }

    private Ack ackFor(Op op) {
        return s.async() == AsyncMode.NONE || op.code() == OpCode.FSYNC ? Ack.APPLIED : Ack.RECEIPT;
    }

    private void nacked(ReplicaClient c, Op op, Reply r) {
        nacks.incrementAndGet();
        Resync rs = resync;
        if (mode == Mode.RESYNCING && rs != null) {
            // expected while the copy is incomplete (e.g. a rename of a file not copied yet): look again at the end
            rs.recheck(op);
            return;
        }
        log.warn("secondary of {} failed {}: {}; resynchronising", s.module(), op, r.message());
        peerLost(c, "secondary failed to apply " + op.code() + " " + op.path(), op);
    }

    /** Records what {@code op} changes. Caller holds the order lock and a record exists. */
    private void note(Op op) throws IOException {
        int dir = (int) op.c();
        switch (op.code()) {
            case WRITE -> record.zone(dir, op.path(), op.a(), op.data().length);
            case TRUNCATE -> record.from(dir, op.path(), Math.max(0, op.a() - 1));
            case CREATE, MKDIR, SYMLINK -> record.whole(dir, op.path());
            case RENAME -> {
                record.name(dir, op.path());
                record.whole(dir, op.path2());
            }
            case FSYNC -> {
                // no change of content
            }
            // by name (chmod, chown, utimens, setxattr, …): the resync lists the entry and compares its metadata;
            // the listing's xattr digest tells whether its user.* set differs
            default -> record.name(dir, op.path());
        }
    }

    /** Runs {@code r} under the order lock (resync: read local state and queue its copy atomically). */
    <T> T ordered(IOSupplier<T> r) throws IOException {
        order.lock();
        try {
            return r.get();
        } finally {
            order.unlock();
        }
    }

    @FunctionalInterface
    interface IOSupplier<T> {
        T get() throws IOException;
    }

    // ---------------------------------------------------------------- status and verify

    public ReplicationStatus status() {
        Mode m = mode;
        Role role = m == Mode.IDLE ? Role.IDLE : m == Mode.TARGET ? Role.TARGET : Role.SOURCE;
        ReplicaClient c = client;
        Applier a = applier;
        ReplicaServer srv = server;
        boolean connected = m == Mode.TARGET ? srv != null && srv.connected() : c != null && c.alive();
        boolean upToDate = m == Mode.TARGET ? a != null && a.state().upToDate() : m == Mode.REPLICATING;
        return new ReplicationStatus(s.node(), s.module(), role,
                peerName.isEmpty() ? Optional.empty() : Optional.of(peerName), connected, upToDate,
                m == Mode.RECORDING, c == null ? 0 : c.inFlight(), bytesReplicated.get(), reason);
    }

    /** Compares both copies by content (asked of the source while connected). */
    public VerifyReport verify() throws IOException {
        ReplicaClient c = client;
        if (c == null || !(mode == Mode.REPLICATING || mode == Mode.RESYNCING)) {
            throw new IOException("not connected to a peer: nothing to compare with");
        }
        List<String> diffs = new Verifier(s.backings(), c).differences();
        return new VerifyReport(s.module(), diffs.isEmpty(), diffs);
    }

    public ReplicaServer server() {
        return server;
    }

    // ---------------------------------------------------------------- helpers

    private void stopTarget() throws IOException {
        if (server != null) {
            server.close();
            server = null;
        }
        if (applier != null) {
            applier.close();
            applier = null;
        }
    }

    private void dropClient(String why) {
        ReplicaClient c = client;
        client = null;
        Resync r = resync;
        resync = null;
        if (r != null) {
            r.cancel();
        }
        if (c != null) {
            c.close();
        }
    }

    private void markSourceOpen() throws IOException {
        SourceState.write(sourceFile(), true);
    }

    private void markSourceClean() throws IOException {
        SourceState.write(sourceFile(), false);
    }

    @Override
    public void close() throws IOException {
        idle("closing");
        timer.shutdownNow();
    }

    /** Persisted flag: true while replicating in sync, so a crash there is known at the next start. */
    static final class SourceState {
        static boolean open(Path f) {
            try {
                return new JsonObject(Files.readString(f)).getBoolean("open", false);
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }

        static void write(Path f, boolean open) throws IOException {
            if (open(f) != open) {
                TargetState.writeAtomically(f, new JsonObject().put("open", open).encode());
            }
        }
    }
}
