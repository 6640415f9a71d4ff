package io.steadfast.replication.impl;

import io.steadfast.replication.impl.Wire.Ack;
import io.steadfast.replication.impl.Wire.Op;
import io.steadfast.replication.impl.Wire.Reply;
import io.steadfast.replication.impl.Wire.ReplyFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The primary's end of one module's replication channel. {@link #send} is pipelined: callers on many threads
 * each get a future for their own op; ops leave in sequence order (assigned under this object's lock), replies
 * come back through one reader thread. Bytes in flight are bounded; a caller that cannot get budget within the
 * send timeout fails like a lost peer.
 *
 * <p>Who writes to the socket: a small op sent while the channel is idle (nothing queued, nobody writing, little
 * in flight) is written by the caller itself, which saves a thread wake-up on the latency path of an fsync or a
 * small write; everything else goes through the sender thread, which batches and lets large writes overlap the
 * callers' local work. At most one thread writes at a time ({@code writing}), and a caller writes directly only
 * when the queue is empty, so frames leave in sequence order.
 *
 * <p>Who reads the replies (leader/followers): at most one thread at a time reads frames from the socket and
 * completes whichever futures they answer. A caller waiting in {@link #await} for an op it sent with
 * {@link #sendForAwait} reads itself when nobody else is — its own reply then wakes it straight from the socket,
 * instead of waking a reader thread that would wake it in turn: one thread wake-up fewer per write and per fsync,
 * each 40–50 µs on a small VM. Waiters that find another thread reading park; the reader completes their futures
 * (which unparks them) and, when it leaves, hands the reading on to one of them. The channel's own reader thread
 * reads only what no waiter will: replies to ops sent with {@link #send} (the resync's pipelines) and, after
 * {@link #IDLE_WATCH} without traffic, the idle channel, so that a peer that closes it is noticed without a write.
 */
public final class ReplicaClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaClient.class);
    private static final int BUDGET = 64 << 20;
    /** Largest op a caller writes itself; larger ones are the sender thread's. */
    private static final int DIRECT_MAX = 64 * 1024;
    /**
     * A caller writes directly only while at most this many bytes are unacknowledged: the socket's send buffer
     * (at least this big) then has room, so the write cannot block the caller (who may hold the order lock).
     */
    private static final int DIRECT_IN_FLIGHT = 128 * 1024;

    public static final class PeerLostException extends IOException {
        public PeerLostException(String message) {
            super(message);
        }
    }

    /** How long the channel is quiet before the reader thread watches it for a peer that closes it. */
    static final Duration IDLE_WATCH = Duration.ofMillis(50);
    /**
     * Longest wait of one read for a frame; then the reader looks again whether it is still the one to read, and a
     * waiter whether it was interrupted (a socket read of a platform thread is not interruptible).
     */
    private static final Duration POLL = Duration.ofMillis(200);

    /** {@code owned}: the sender will await the reply and read it itself; else the reader thread reads it. */
    private record Pending(Op op, int weight, CompletableFuture<Reply> future, boolean owned) {
    }

    private record Outgoing(long seq, Ack ack, Op op) {
    }

    private final String module;
    private final Socket socket;
    private final BufferedInputStream buffered;
    private final DataInputStream in;
    private final DataOutputStream out;
    /** The session's sealed frames; set by the handshake, before the threads start. */
    private SealedChannel channel;
    private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
    /** Ops waiting for the sender thread; guarded by this. */
    private final ArrayDeque<Outgoing> queue = new ArrayDeque<>();
    /** A thread (the sender or a caller) is writing frames; guarded by this. */
    private boolean writing;
    private final Semaphore budget = new Semaphore(BUDGET);
    private final Duration sendTimeout;
    private final Consumer<String> onLost;
    private long nextSeq = 1;
    private volatile String lostReason;
    private final Thread sender;
    private final Thread reader;
    /** Guards {@link #leader} and {@link #followers}; the reader thread waits on it. */
    private final Object reading = new Object();
    /** The thread reading the socket now, if any. */
    private Thread leader;
    /** Waiters parked while another thread reads; one of them is unparked to read when the leader leaves. */
    private final Set<Thread> followers = new LinkedHashSet<>();
    /** Pending ops sent with {@link #send}: their replies are the reader thread's to read. */
    private final AtomicInteger unowned = new AtomicInteger();
    private volatile long lastActivity = System.nanoTime();
    /** Replies read by the reader thread (the rest were read by their waiters); for tests. */
    private final AtomicLong readByReaderThread = new AtomicLong();

    private ReplicaClient(String module, Socket socket, Duration sendTimeout, Consumer<String> onLost)
            throws IOException {
        this.module = module;
        this.socket = socket;
        this.buffered = new BufferedInputStream(socket.getInputStream(), 1 << 20);
        this.in = new DataInputStream(buffered);
        this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 20));
        this.sendTimeout = sendTimeout;
        this.onLost = onLost;
        this.sender = Thread.ofPlatform().daemon().name("repl-send-" + module).unstarted(this::sendLoop);
        this.reader = Thread.ofPlatform().daemon().name("repl-recv-" + module).unstarted(this::readLoop);
    }

    /** Connects and authenticates within {@code connectTimeout}; {@code onLost} is called once, off the caller. */
    public static ReplicaClient connect(String module, InetSocketAddress peer, ChannelAuth auth,
                                        Duration connectTimeout, Duration sendTimeout, Consumer<String> onLost)
            throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.setSendBufferSize(4 << 20);
            s.connect(peer, (int) connectTimeout.toMillis());
            s.setSoTimeout((int) connectTimeout.toMillis());
            ReplicaClient c = new ReplicaClient(module, s, sendTimeout, onLost);
            c.channel = auth.clientSide(c.in, c.out, module);
            s.setSoTimeout(0);
            c.sender.start();
            c.reader.start();
            return c;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    public boolean alive() {
        return lostReason == null;
    }

    public int inFlight() {
        return pending.size();
    }

    long readByReaderThread() {
        return readByReaderThread.get();
    }

    /**
     * Queues {@code op} (sequence order = call order) and returns its reply future, completed by the channel's
     * reader thread. The future fails with {@link PeerLostException} when the channel is lost.
     */
    public CompletableFuture<Reply> send(Op op, Ack ack) {
        return send(op, ack, false);
    }

    /**
     * As {@link #send}, for a caller that will {@link #await} the reply itself soon: until it does, nobody is
     * woken to read the reply (an owner that never awaits is covered by the idle watch).
     */
    public CompletableFuture<Reply> sendForAwait(Op op, Ack ack) {
        return send(op, ack, true);
    }

    private CompletableFuture<Reply> send(Op op, Ack ack, boolean owned) {
        int weight = Math.min(op.weight(), BUDGET);
        try {
            if (!budget.tryAcquire(weight, sendTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                lose("no acknowledgement within send_timeout (" + sendTimeout.toMillis() + " ms, pipeline full)");
                return CompletableFuture.failedFuture(new PeerLostException(lostReason));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new PeerLostException("interrupted"));
        }
        CompletableFuture<Reply> f = new CompletableFuture<>();
        Outgoing direct = null;
        synchronized (this) {
            if (lostReason != null) {
                budget.release(weight);
                return CompletableFuture.failedFuture(new PeerLostException(lostReason));
            }
            long seq = nextSeq++;
            pending.put(seq, new Pending(op, weight, f, owned));
            lastActivity = System.nanoTime();
            if (!owned) {
                unowned.incrementAndGet();
            }
            Outgoing o = new Outgoing(seq, ack, op);
            if (!writing && queue.isEmpty() && weight <= DIRECT_MAX
                    && BUDGET - budget.availablePermits() <= DIRECT_IN_FLIGHT) {
                writing = true;
                direct = o;
            } else {
                queue.add(o);
                notifyAll();
            }
        }
        if (!owned) {
            synchronized (reading) {
                if (leader == null) {
                    reading.notifyAll(); // the reader thread; a leader hands over when it leaves
                }
            }
        }
        if (direct != null) {
            try {
                channel.writeOp(out, direct.seq(), direct.ack(), direct.op());
                out.flush();
            } catch (IOException e) {
                lose("send failed: " + e.getMessage()); // fails the future with the others
            } finally {
                synchronized (this) {
                    writing = false;
                    if (!queue.isEmpty()) {
                        notifyAll();
                    }
                }
            }
        }
        return f;
    }

    /** Sends and waits for the reply, at most the send timeout; a timeout loses the peer. */
    public Reply call(Op op, Ack ack) throws IOException {
        return await(sendForAwait(op, ack));
    }

    /** Waits for {@code f}, at most the send timeout, reading the socket while nobody else does. */
    public Reply await(CompletableFuture<Reply> f) throws IOException {
        if (!f.isDone()) {
            waitFor(f, System.nanoTime() + sendTimeout.toNanos());
        }
        if (!f.isDone() && Thread.currentThread().isInterrupted()) {
            throw new PeerLostException("interrupted");
        }
        if (!f.isDone()) {
            lose("no acknowledgement within send_timeout (" + sendTimeout.toMillis() + " ms)");
            throw new PeerLostException(lostReason);
        }
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerLostException("interrupted");
        }
    }

    private void waitFor(CompletableFuture<Reply> f, long deadline) {
        Thread me = Thread.currentThread();
        f.whenComplete((r, e) -> LockSupport.unpark(me));
        boolean followed = false;
        try {
            while (!f.isDone()) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || me.isInterrupted()) {
                    return;
                }
                // once lost, wait for the future to fail: the owner records the unacknowledged ops first
                if (lostReason == null && lead(me)) {
                    try {
                        readUntil(f, deadline);
                    } finally {
                        resign();
                    }
                } else {
                    followed = true;
                    LockSupport.parkNanos(this, left);
                }
            }
        } finally {
            if (followed) {
                synchronized (reading) {
                    if (followers.remove(me) && leader == null) {
                        handOff(); // it may have been unparked to read and leaves without
                    }
                }
            }
        }
    }

    /** Becomes the reader if nobody reads, else a follower. */
    private boolean lead(Thread me) {
        synchronized (reading) {
            if (leader == null) {
                leader = me;
                followers.remove(me);
                return true;
            }
            followers.add(me);
            return false;
        }
    }

    private void resign() {
        synchronized (reading) {
            leader = null;
            handOff();
        }
    }

    /** Nobody reads now: wakes a follower to read, or the reader thread if replies have no owner. */
    private void handOff() {
        if (!followers.isEmpty()) {
            LockSupport.unpark(followers.iterator().next());
        } else if (unowned.get() > 0) {
            reading.notifyAll();
        }
    }

    /**
     * Reads and dispatches frames until {@code f} is done, the deadline passes, the channel is lost or the caller
     * is interrupted.
     */
    private void readUntil(CompletableFuture<Reply> f, long deadline) {
        try {
            while (!f.isDone() && lostReason == null && !Thread.currentThread().isInterrupted()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                if (frameWithin(Math.min(left, POLL.toNanos()))) {
                    dispatch(channel.read(in));
                }
            }
        } catch (IOException e) {
            lose(lostReason != null ? lostReason : "receive failed: " + e.getMessage());
        }
    }

    /**
     * Waits at most {@code nanos} for the first byte of a frame, consuming nothing: a timeout here leaves the
     * stream at a frame boundary. The rest of the frame must follow within the send timeout (else: a lost peer).
     */
    private boolean frameWithin(long nanos) throws IOException {
        socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)));
        buffered.mark(1);
        try {
            if (buffered.read() < 0) {
                throw new EOFException("the secondary closed the channel");
            }
        } catch (SocketTimeoutException e) {
            return false;
        }
        buffered.reset();
        socket.setSoTimeout((int) sendTimeout.toMillis()); // for the rest of the frame
        return true;
    }

    private void dispatch(Wire.Frame frame) throws IOException {
        if (!(frame instanceof ReplyFrame(Reply r))) {
            throw new Wire.FrameException("unexpected op frame from the secondary");
        }
        Pending p = pending.remove(r.seq());
        if (p == null) {
            throw new Wire.FrameException("reply for unknown sequence " + r.seq());
        }
        budget.release(p.weight());
        if (!p.owned()) {
            unowned.decrementAndGet();
        }
        lastActivity = System.nanoTime();
        p.future().complete(r);
    }

    /** Ops sent and not yet acknowledged (what a lost peer may lack). */
    public List<Op> unacknowledged() {
        List<Op> ops = new ArrayList<>();
        pending.values().forEach(p -> ops.add(p.op()));
        return ops;
    }

    private void sendLoop() {
        List<Outgoing> batch = new ArrayList<>();
        try {
            while (lostReason == null) {
                synchronized (this) {
                    while (lostReason == null && (writing || queue.isEmpty())) {
                        wait(200);
                    }
                    if (lostReason != null) {
                        return;
                    }
                    writing = true;
                    for (Outgoing o; (o = queue.poll()) != null; ) {
                        batch.add(o);
                    }
                }
                try {
                    for (Outgoing o : batch) {
                        channel.writeOp(out, o.seq(), o.ack(), o.op());
                    }
                    out.flush();
                } finally {
                    batch.clear();
                    synchronized (this) {
                        writing = false;
                    }
                }
            }
        } catch (IOException e) {
            lose("send failed: " + e.getMessage());
        } catch (InterruptedException e) {
            lose("interrupted");
        }
    }

    /** The reader thread: reads while replies have no owner to read them, and watches the idle channel. */
    private void readLoop() {
        Thread me = Thread.currentThread();
        try {
            while (lostReason == null) {
                synchronized (reading) {
                    while (lostReason == null && (leader != null || !(unowned.get() > 0 || idle()))) {
                        reading.wait(IDLE_WATCH.toMillis());
                    }
                    if (lostReason != null) {
                        return;
                    }
                    leader = me;
                }
                try {
                    while (lostReason == null) {
                        if (frameWithin(POLL.toNanos())) {
                            dispatch(channel.read(in));
                            readByReaderThread.incrementAndGet();
                        }
                        if (unowned.get() == 0 && !idle()) {
                            break; // traffic whose waiters read their own replies
                        }
                    }
                } finally {
                    resign();
                }
            }
        } catch (IOException e) {
            lose(lostReason != null ? lostReason : "receive failed: " + e.getMessage());
        } catch (InterruptedException e) {
            lose("interrupted");
        }
    }

    private boolean idle() {
        return System.nanoTime() - lastActivity >= IDLE_WATCH.toNanos();
    }

    /** Marks the channel lost (idempotent), closes it and fails everything in flight. */
    public void lose(String reason) {
        synchronized (this) {
            if (lostReason != null) {
                return;
            }
            lostReason = reason;
            notifyAll(); // the sender thread ends
        }
        synchronized (reading) {
            reading.notifyAll(); // the reader thread ends
        }
        log.warn("replication peer of {} lost: {}", module, reason);
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        // failing the futures is left to close()/the callback: the owner records unacknowledged ops first
        Thread.ofPlatform().daemon().name("repl-lost-" + module).start(() -> {
            onLost.accept(reason);
            failAll();
        });
    }

    private void failAll() {
        for (var e : pending.entrySet()) {
            if (pending.remove(e.getKey()) != null) {
                budget.release(e.getValue().weight());
                if (!e.getValue().owned()) {
                    unowned.decrementAndGet();
                }
                e.getValue().future().completeExceptionally(new PeerLostException(lostReason));
            }
        }
    }

    @Override
    public void close() {
        lose("closed");
        try {
            sender.join(2000);
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failAll();
    }
}
