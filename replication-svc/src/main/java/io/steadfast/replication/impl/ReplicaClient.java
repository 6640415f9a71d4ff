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
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
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

    private record Pending(Op op, int weight, CompletableFuture<Reply> future) {
    }

    private record Outgoing(long seq, Ack ack, Op op) {
    }

    private final String module;
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
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

    private ReplicaClient(String module, Socket socket, Duration sendTimeout, Consumer<String> onLost)
            throws IOException {
        this.module = module;
        this.socket = socket;
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 20));
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
            auth.clientSide(c.in, c.out, module);
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

    /**
     * Queues {@code op} (sequence order = call order) and returns its reply future. The future fails with
     * {@link PeerLostException} when the channel is lost.
     */
    public CompletableFuture<Reply> send(Op op, Ack ack) {
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
            pending.put(seq, new Pending(op, weight, f));
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
        if (direct != null) {
            try {
                Wire.writeOp(out, direct.seq(), direct.ack(), direct.op());
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
        return await(send(op, ack));
    }

    public Reply await(CompletableFuture<Reply> f) throws IOException {
        try {
            return f.get(sendTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            lose("no acknowledgement within send_timeout (" + sendTimeout.toMillis() + " ms)");
            throw new PeerLostException(lostReason);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerLostException("interrupted");
        }
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
                        Wire.writeOp(out, o.seq(), o.ack(), o.op());
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

    private void readLoop() {
        try {
            while (lostReason == null) {
                Wire.Frame f = Wire.read(in);
                if (!(f instanceof ReplyFrame(Reply r))) {
                    throw new Wire.FrameException("unexpected op frame from the secondary");
                }
                Pending p = pending.remove(r.seq());
                if (p == null) {
                    throw new Wire.FrameException("reply for unknown sequence " + r.seq());
                }
                budget.release(p.weight());
                p.future().complete(r);
            }
        } catch (IOException e) {
            lose(lostReason != null ? lostReason : "receive failed: " + e.getMessage());
        }
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
