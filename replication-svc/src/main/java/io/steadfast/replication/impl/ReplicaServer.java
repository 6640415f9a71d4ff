package io.steadfast.replication.impl;

import io.steadfast.replication.impl.SafePaths.PathRefused;
import io.steadfast.replication.impl.Wire.Ack;
import io.steadfast.replication.impl.Wire.FrameException;
import io.steadfast.replication.impl.Wire.OpCode;
import io.steadfast.replication.impl.Wire.OpFrame;
import io.steadfast.replication.impl.Wire.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The secondary's end of one module's replication channel: accepts the primary, authenticates it, and applies
 * its ops in sequence order through one {@link Applier} thread. One session at a time: a newly authenticated
 * primary replaces the previous session after that session's received ops were applied.
 *
 * <p>At most {@link #MAX_HANDSHAKES} connections ({@link #MAX_HANDSHAKES_PER_SOURCE} per source address) may be
 * authenticating at once, each for at most
 * {@link #HANDSHAKE_DEADLINE}; beyond that, a new connection is closed as soon as it is accepted (a flood of
 * connections that say nothing costs a bounded number of threads and buffers, and the real peer gets through once
 * their deadline has passed).
 *
 * <p>A hostile or malformed frame (bounds, garbage, a path outside the directory, through a symlink) ends the
 * session: nothing of that frame is written and nothing after it is applied.
 */
public final class ReplicaServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaServer.class);
    private static final Object POISON = new Object();
    private static final int QUEUE_BYTES = 64 << 20;
    /** Connections that have not authenticated yet, at most; more are closed as soon as accepted. */
    static final int MAX_HANDSHAKES = 16;
    /** ... and at most this many from one source address, so that one host cannot take every slot. */
    static final int MAX_HANDSHAKES_PER_SOURCE = 4;
    /** Time a connection has to complete the handshake, from its accept. */
    static final Duration HANDSHAKE_DEADLINE = Duration.ofSeconds(5);

    private final String module;
    private final ChannelAuth auth;
    private final Applier applier;
    private final ServerSocket server;
    private final Thread acceptor;
    private volatile boolean closed;
    private Session current;
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile boolean connected;
    /** Handshakes under way, in all and per source address; guarded by handshakesBySource. */
    private final java.util.Map<InetAddress, Integer> handshakesBySource = new java.util.HashMap<>();
    private int handshaking;
    private final AtomicLong overCap = new AtomicLong();
    /** Closes the connections whose handshake is not done by the deadline. */
    private final ScheduledExecutorService timer;

    public ReplicaServer(String module, ChannelAuth auth, Applier applier, InetSocketAddress bind) throws IOException {
        this.module = module;
        this.auth = auth;
        this.applier = applier;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(bind, 64);
        timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("repl-deadline-" + module).factory());
        acceptor = Thread.ofPlatform().daemon().name("repl-accept-" + module).start(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    public boolean connected() {
        return connected;
    }

    /** Frames or handshakes refused since start (bad auth, garbage, hostile paths). */
    public long refused() {
        return refused.get();
    }

    public long applied() {
        return applied.get();
    }

    public long failed() {
        return failed.get();
    }

    public Applier applier() {
        return applier;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.warn("replication accept failed for {}: {}", module, e.getMessage());
                }
                continue;
            }
            if (!admitHandshake(s.getInetAddress())) {
                // a flood of connections that do not authenticate: the real peer's next attempt (every second)
                // finds a free slot once the deadline has closed the others
                refused.incrementAndGet();
                long n = overCap.incrementAndGet();
                if (n == 1 || n % 1000 == 0) {
                    log.warn("replication port of {}: {} connections refused so far: {} handshakes under way, at most "
                            + "{} in all and {} per source address (latest from {})", module, n, handshaking(),
                            MAX_HANDSHAKES, MAX_HANDSHAKES_PER_SOURCE, s.getRemoteSocketAddress());
                }
                closeQuietly(s);
                continue;
            }
            try {
                Thread.ofPlatform().daemon().name("repl-session-" + module).start(() -> serve(s));
            } catch (Throwable t) {
                releaseHandshake(s.getInetAddress());
                closeQuietly(s);
                throw t;
            }
        }
    }

    private boolean admitHandshake(InetAddress from) {
        synchronized (handshakesBySource) {
            if (handshaking >= MAX_HANDSHAKES
                    || handshakesBySource.getOrDefault(from, 0) >= MAX_HANDSHAKES_PER_SOURCE) {
                return false;
            }
            handshaking++;
            handshakesBySource.merge(from, 1, Integer::sum);
            return true;
        }
    }

    private void releaseHandshake(InetAddress from) {
        synchronized (handshakesBySource) {
            handshaking--;
            handshakesBySource.computeIfPresent(from, (k, v) -> v == 1 ? null : v - 1);
        }
    }

    /** Handshakes under way now (pre-authentication connections); for tests. */
    int handshaking() {
        synchronized (handshakesBySource) {
            return handshaking;
        }
    }

    /** Connections closed at once because {@link #MAX_HANDSHAKES} handshakes were under way; for tests. */
    long overCap() {
        return overCap.get();
    }

    private void serve(Socket s) {
        // the whole handshake must end within the deadline, however slowly its bytes trickle in
        java.util.concurrent.atomic.AtomicBoolean expired = new java.util.concurrent.atomic.AtomicBoolean();
        ScheduledFuture<?> deadline;
        try {
            deadline = timer.schedule(() -> {
                expired.set(true);
                closeQuietly(s);
            }, HANDSHAKE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) { // closing
            releaseHandshake(s.getInetAddress());
            closeQuietly(s);
            return;
        }
        boolean released = false;
        try {
            s.setTcpNoDelay(true);
            s.setSoTimeout((int) HANDSHAKE_DEADLINE.toMillis());
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 64 * 1024));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 64 * 1024));
            SealedChannel channel = auth.serverSide(in, out, module);
            if (!deadline.cancel(false)) {
                throw new ChannelAuth.AuthException("handshake not done within " + HANDSHAKE_DEADLINE.toMillis()
                        + " ms");
            }
            releaseHandshake(s.getInetAddress());
            released = true;
            s.setSoTimeout(0);
            Session session = new Session(s, in, out, channel);
            Session previous;
            synchronized (this) {
                if (closed) {
                    s.close();
                    return;
                }
                previous = current;
                current = session;
            }
            if (previous != null) {
                previous.stop();
                previous.applierThread.join();
            }
            log.info("replication session for {} from {} ({})", module, auth.peer(), s.getRemoteSocketAddress());
            connected = true;
            session.run();
        } catch (IOException e) {
            refused.incrementAndGet();
            log.warn("replication connection for {} from {} refused: {}", module, s.getRemoteSocketAddress(),
                    expired.get() ? "no handshake within "
                            + HANDSHAKE_DEADLINE.toMillis() + " ms" : e.getMessage());
            closeQuietly(s);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(s);
        } finally {
            deadline.cancel(false);
            if (!released) {
                releaseHandshake(s.getInetAddress());
            }
        }
    }

    private final class Session {
        final Socket socket;
        final DataInputStream in;
        final DataOutputStream out;
        final SealedChannel channel;
        final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(4096);
        /** Bytes received and not yet applied: bounded, so a fast primary is slowed by TCP, not by our heap. */
        final java.util.concurrent.Semaphore budget = new java.util.concurrent.Semaphore(QUEUE_BYTES);
        final Thread applierThread;
        volatile boolean hostile;
        boolean lossyMarked;

        Session(Socket socket, DataInputStream in, DataOutputStream out, SealedChannel channel) {
            this.socket = socket;
            this.in = in;
            this.out = out;
            this.channel = channel;
            this.applierThread = Thread.ofPlatform().daemon().name("repl-apply-" + module).unstarted(this::applyLoop);
        }

        void run() {
            applierThread.start();
            try {
                while (true) {
                    Wire.Frame f = channel.read(in);
                    if (!(f instanceof OpFrame op)) {
                        throw new FrameException("unexpected reply frame from the primary");
                    }
                    SafePaths.checkSyntax(op.op().path());
                    if (op.op().code() == OpCode.RENAME) {
                        SafePaths.checkSyntax(op.op().path2());
                    }
                    boolean receipt = op.ack() == Ack.RECEIPT && op.op().code().mutates()
                            && op.op().code() != OpCode.FSYNC;
                    if (receipt && !lossyMarked) {
                        // ops acknowledged before they are written: a crash from here on may lose some
                        applier.setState(applier.state().withLossy(true));
                        lossyMarked = true;
                    }
                    budget.acquire(Math.min(op.op().weight(), QUEUE_BYTES));
                    if (receipt) {
                        // received (this thread queues it next, whatever happens to the socket): the ack leaves
                        // before the applier thread is woken, which on a busy CPU could otherwise run first
                        reply(new Reply(op.seq(), 0, "", new byte[0]));
                    }
                    queue.put(op);
                }
            } catch (FrameException | PathRefused e) {
                refused.incrementAndGet();
                hostile = true;
                log.warn("replication peer for {} sent a bad frame, disconnected: {}", module, e.getMessage());
            } catch (EOFException | SocketException e) {
                log.info("replication session for {} ended: {}", module, e.getMessage());
            } catch (IOException e) {
                log.warn("replication session for {} failed: {}", module, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                closeQuietly(socket);
                // let the applier drain what was received (and acknowledged), then end
                try {
                    while (applierThread.isAlive()
                            && !queue.offer(POISON, 100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                        Thread.onSpinWait();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        void stop() {
            closeQuietly(socket);
        }

        private void applyLoop() {
            boolean clean = true;
            try {
                while (true) {
                    Object item = queue.take();
                    if (item == POISON) {
                        break;
                    }
                    OpFrame op = (OpFrame) item;
                    budget.release(Math.min(op.op().weight(), QUEUE_BYTES));
                    boolean receipt = op.ack() == Ack.RECEIPT && op.op().code().mutates()
                            && op.op().code() != OpCode.FSYNC;
                    try {
                        byte[] data = applier.apply(op.op());
                        applied.incrementAndGet();
                        if (!receipt) {
                            reply(new Reply(op.seq(), 0, "", data));
                        }
                    } catch (PathRefused e) {
                        refused.incrementAndGet();
                        hostile = true;
                        log.warn("replication peer for {} sent a path outside the directory, disconnected: {}",
                                module, e.getMessage());
                        closeQuietly(socket);
                        clean = false;
                        break;
                    } catch (IOException | RuntimeException e) {
                        failed.incrementAndGet();
                        String msg = op.op().code() + " " + op.op().path() + ": " + e;
                        if (op.op().code() == OpCode.RESYNC_BEGIN || op.op().code() == OpCode.RESYNC_END) {
                            // the copy's state could not be recorded: apply nothing after it (the primary sends
                            // a resync's ops without waiting for RESYNC_BEGIN's answer)
                            log.warn("applying {} failed, session ended", msg);
                            reply(new Reply(op.seq(), 5, msg, new byte[0]));
                            closeQuietly(socket);
                            clean = false;
                            break;
                        }
                        if (receipt) {
                            clean = false;
                            log.warn("applying {} failed after it was acknowledged on receipt", msg);
                        } else {
                            log.debug("applying {} failed", msg);
                            reply(new Reply(op.seq(), e instanceof IOException io ? Applier.status(io) : 5, msg,
                                    new byte[0]));
                        }
                    }
                }
            } catch (InterruptedException e) {
                clean = false;
            } finally {
                connected = false;
                try {
                    if (clean && lossyMarked) {
                        // on the disk first: "applied" is only the page cache, which a power loss takes with it
                        applier.syncAll();
                        applier.setState(applier.state().withLossy(false));
                    }
                } catch (IOException e) {
                    log.warn("cannot persist the state of {}: {}", module, e.getMessage());
                }
            }
        }

        private void reply(Reply r) {
            synchronized (out) {
                try {
                    channel.writeReply(out, r);
                    out.flush();
                } catch (IOException e) {
                    closeQuietly(socket);
                }
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        Session s;
        synchronized (this) {
            closed = true;
            s = current;
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        if (s != null) {
            s.stop();
            try {
                s.applierThread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        timer.shutdownNow();
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
