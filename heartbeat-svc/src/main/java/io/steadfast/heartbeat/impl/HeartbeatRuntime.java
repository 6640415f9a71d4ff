package io.steadfast.heartbeat.impl;

import io.steadfast.config.ModuleConfig;
import io.steadfast.config.SteadfastConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The production surroundings of the module engines: one dedicated thread ("sf-heartbeat") runs every engine
 * and its liveness ticks, so that detection never waits behind event-loop work; another ("sf-heartbeat-tx") sends
 * the beats, so that they keep flowing while the engine thread fsyncs a state file; one UDP socket per
 * module and lan, bound to this node's address on that lan, each with a blocking receiver thread that hands
 * datagrams to the engine thread. Role changes go to the {@link Choreographer}, witness checks to a virtual
 * thread; their answers come back on the engine thread.
 */
public final class HeartbeatRuntime implements EngineEnv, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HeartbeatRuntime.class);

    /** Told on the engine thread; must not block. */
    public interface Listener {
        void transition(Transition t);

        void stateChanged(ModuleEngine engine);
    }

    private final SteadfastConfig config;
    private final String node;
    private final BeatCodec codec;
    private final StateStore store;
    private final Choreographer choreographer;
    private final WitnessChecker witness;
    private final Listener listener;
    private final Map<String, ModuleEngine> engines = new LinkedHashMap<>();
    /** "lan|port" → socket. */
    private final Map<String, DatagramChannel> sockets = new LinkedHashMap<>();
    /** "module|peer|lan" → connected sender. */
    private final Map<String, DatagramChannel> senders = new LinkedHashMap<>();
    private final List<Thread> receivers = new ArrayList<>();
    private final AtomicLong sendErrors = new AtomicLong();
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        return Thread.ofPlatform().name("sf-heartbeat").daemon(true).unstarted(realtime(r));
    });
    /** Sends the beats: never blocked by the engine thread's work (state fsync, decisions). */
    private final ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor(r -> {
        return Thread.ofPlatform().name("sf-heartbeat-tx").daemon(true).unstarted(realtime(r));
    });
    private final long start = System.nanoTime();
    /** module → mono ms of the engine's last tick and of the last pulse sent (health: are the tasks alive?). */
    private final Map<String, Long> lastTick = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Long> lastPulse = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean closed;

    private final Path stateDir;
    private final Consumer<Throwable> fatal;
    /** Saves the peers' replay marks off the engine thread. */
    private final ScheduledExecutorService saver = Executors.newSingleThreadScheduledExecutor(r ->
            Thread.ofPlatform().name("sf-heartbeat-save").daemon(true).unstarted(r));
    /** Datagrams per module and lan dropped before the MAC check; for tests. */
    private final AtomicLong droppedEarly = new AtomicLong();

    /** Renews the watchdog's lease after each pulse (a no-op in tests). */
    private final Runnable lease;

    public HeartbeatRuntime(SteadfastConfig config, String node, byte[] secret, StateStore store,
                            Choreographer choreographer, WitnessChecker witness, Listener listener, Runnable lease) {
        this(config, node, secret, store, choreographer, witness, listener, lease, null, Fatal::exit);
    }

    /**
     * @param stateDir where this node's boot epoch ({@link BootEpoch}) and the peers' replay marks
     *                 ({@link ReplayWindow}) are kept; null: not kept (the epoch is the clock's)
     * @param fatal    what an Error in a heartbeat task does ({@link Fatal#exit} in production)
     */
    public HeartbeatRuntime(SteadfastConfig config, String node, byte[] secret, StateStore store,
                            Choreographer choreographer, WitnessChecker witness, Listener listener, Runnable lease,
                            Path stateDir, Consumer<Throwable> fatal) {
        this.stateDir = stateDir;
        this.fatal = fatal;
        this.lease = lease;
        this.config = config;
        this.node = node;
        this.codec = new BeatCodec(secret);
        this.store = store;
        this.choreographer = choreographer;
        this.witness = witness;
        this.listener = listener;
    }

    /** Loads states, binds the sockets and starts every module of this node. Blocking. */
    public void start() {
        long epoch = stateDir == null ? ModuleEngine.nextEpoch()
                : BootEpoch.next(stateDir.resolve("heartbeat.epoch"), System.currentTimeMillis());
        for (ModuleConfig m : config.modulesOn(node)) {
            Persisted p;
            try {
                p = store.load(m.name()).orElse(Persisted.fresh());
            } catch (RuntimeException e) {
                // a damaged (or unreadable) state is not a reason to crash in a loop, nor to trust any of it: the
                // module waits for an operator (the machine never becomes primary by itself on it)
                LOG.error("module {}: {}", m.name(), e.getMessage());
                p = Persisted.damaged(e.getMessage());
            }
            Map<String, ReplayWindow.Mark> saved = stateDir == null ? Map.of()
                    : ReplayWindow.load(replayFile(m.name()));
            ModuleEngine e = new ModuleEngine(config, m, node, codec, p, this, epoch, saved);
            engines.put(m.name(), e);
            for (Map.Entry<String, String> lan : e.lans().entrySet()) {
                bind(e, lan.getKey(), lan.getValue(), m.heartbeat().port());
            }
            connectSenders(e);
        }
        for (ModuleEngine e : engines.values()) {
            long pulse = e.config().heartbeat().pulse().toMillis();
            long tick = Math.max(10, Math.min(pulse / 2, 50));
            loop.execute(guard(e, e::start));
            if (stateDir != null) {
                loop.scheduleAtFixedRate(guard(e, () -> e.replayChanges().ifPresent(marks ->
                        saver.execute(guard(e, () -> saveReplay(e.name(), marks))))), 1000, 1000,
                        TimeUnit.MILLISECONDS);
            }
            sender.scheduleAtFixedRate(guard(e, () -> {
                e.pulse();
                lease.run();
                lastPulse.put(e.name(), mono());
            }), pulse, pulse, TimeUnit.MILLISECONDS);
            loop.scheduleAtFixedRate(guard(e, () -> {
                pollRefusals(e);
                e.tick();
                lastTick.put(e.name(), mono());
            }), tick, tick, TimeUnit.MILLISECONDS);
        }
        receivers.forEach(Thread::start);
    }

    private Path replayFile(String module) {
        return stateDir.resolve(module + ".peers.json");
    }

    private void saveReplay(String module, Map<String, ReplayWindow.Mark> marks) {
        try {
            ReplayWindow.save(replayFile(module), marks);
        } catch (IOException ex) {
            LOG.warn("{}: cannot save the peers' heartbeat epochs: {}", module, ex.getMessage());
        }
    }

    /** Datagrams dropped by the receiving threads before any MAC check (source, rate). */
    public long droppedEarly() {
        return droppedEarly.get();
    }

    public Map<String, ModuleEngine> engines() {
        return engines;
    }

    /** Runs {@code f} on the engine thread of {@code module}'s engine. */
    public <T> CompletableFuture<T> call(ModuleEngine e, Function<ModuleEngine, T> f) {
        CompletableFuture<T> r = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                r.complete(f.apply(e));
            } catch (RuntimeException ex) {
                r.completeExceptionally(ex);
            } catch (Throwable t) {
                r.completeExceptionally(t);
                fatal.accept(t);
            }
        });
        return r;
    }

    /**
     * Liveness of each module's tasks: ms since its engine last ticked and since its last pulse (counted from the
     * start when it never did). A task that died (an Error escaped it, its executor is gone) shows as a growing age.
     */
    public Map<String, io.steadfast.service.HealthRules.HeartbeatTasks> tasks() {
        long now = mono();
        Map<String, io.steadfast.service.HealthRules.HeartbeatTasks> out = new LinkedHashMap<>();
        engines.forEach((name, e) -> out.put(name, new io.steadfast.service.HealthRules.HeartbeatTasks(
                now - lastTick.getOrDefault(name, 0L), now - lastPulse.getOrDefault(name, 0L),
                e.config().heartbeat().timeout())));
        return out;
    }

    public long sendErrors() {
        return sendErrors.get();
    }

    private void bind(ModuleEngine e, String lan, String addr, int port) {
        String key = lan + "|" + port;
        if (sockets.containsKey(key)) {
            throw new IllegalStateException("module " + e.name() + ": heartbeat port " + port + " on " + lan
                    + " is already used by another module: give each module its own heartbeat.port");
        }
        DatagramChannel ch;
        try {
            ch = DatagramChannel.open(StandardProtocolFamily.INET);
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 256 * 1024);
            ch.bind(new InetSocketAddress(addr, port));
        } catch (IOException ex) {
            throw new IllegalStateException("module " + e.name() + ": cannot bind the heartbeat socket " + addr + ":"
                    + port + " (" + lan + "): " + ex.getMessage() + " — is " + addr + " an address of this node?", ex);
        }
        sockets.put(key, ch);
        Set<InetAddress> peers = new HashSet<>();
        for (Map<String, String> lans : e.peerLans().values()) {
            String a = lans.get(lan);
            if (a != null) {
                try {
                    peers.add(InetAddress.getByName(a));
                } catch (IOException ex) {
                    LOG.warn("{}: peer address {} on {} does not resolve: {}", e.name(), a, lan, ex.getMessage());
                }
            }
        }
        SourceGate gate = new SourceGate(peers);
        BeatCodec codec = e.codec();
        receivers.add(Thread.ofPlatform().name("sf-hb-rx-" + e.name() + "-" + lan).daemon(true).unstarted(realtime(
                Fatal.guard(e.name() + " receiver on " + lan, () -> receive(e, lan, ch, gate, codec), fatal))));
    }

    /**
     * The receiving thread of one socket: drops, before any MAC work, datagrams from other addresses than the
     * module's peers on this lan and those over the source's rate ({@link SourceGate}); checks the MAC of the rest
     * here, so that forged datagrams never cost the engine thread anything; hands authentic beats to the engine.
     */
    private void receive(ModuleEngine e, String lan, DatagramChannel ch, SourceGate gate, BeatCodec codec) {
        ByteBuffer buf = ByteBuffer.allocate(BeatCodec.MAX_SIZE + 1); // one more: an oversize beat shows
        byte[] data = new byte[BeatCodec.MAX_SIZE + 1];
        while (!closed) {
            try {
                buf.clear();
                InetSocketAddress from = (InetSocketAddress) ch.receive(buf);
                long now = System.nanoTime();
                SourceGate.Verdict v = gate.admit(from, now);
                if (v != SourceGate.Verdict.PASS) {
                    droppedEarly.incrementAndGet();
                    e.droppedByReceiver(v == SourceGate.Verdict.FOREIGN_SOURCE ? BeatCodec.Rejected.Kind.UNKNOWN_SOURCE
                            : BeatCodec.Rejected.Kind.RATE_LIMITED);
                    continue;
                }
                buf.flip();
                int n = buf.remaining();
                buf.get(data, 0, n);
                Beat b;
                try {
                    b = codec.decode(data, n);
                } catch (BeatCodec.Rejected r) {
                    e.droppedByReceiver(r.kind());
                    continue;
                }
                gate.authentic(from, now);
                onLoop(e, () -> e.onBeat(b, lan));
            } catch (ClosedChannelException ex) {
                return;
            } catch (IOException | RuntimeException ex) {
                if (!closed) {
                    LOG.warn("{}: heartbeat receive on {} failed: {}", e.name(), lan, ex.getMessage());
                }
            }
        }
    }

    /** {@code r} on a thread raised to the real-time class first (see {@link RealtimePriority}). */
    private static Runnable realtime(Runnable r) {
        return () -> {
            RealtimePriority.raiseCurrentThread();
            r.run();
        };
    }

    /**
     * Beats leave through a socket connected to each peer on each lan (bound to this node's lan address), so that
     * the kernel reports an ICMP port unreachable from the peer's host: its agent is gone (fast failover on
     * kill -9, see {@link PeerTracker#refused}). Without it (connect failed), the shared socket sends.
     */
    private void connectSenders(ModuleEngine e) {
        for (Map.Entry<String, Map<String, String>> peer : e.peerLans().entrySet()) {
            for (Map.Entry<String, String> lan : peer.getValue().entrySet()) {
                String self = e.lans().get(lan.getKey());
                try {
                    DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
                    ch.bind(new InetSocketAddress(self, 0));
                    ch.connect(new InetSocketAddress(lan.getValue(), e.config().heartbeat().port()));
                    ch.configureBlocking(false);
                    senders.put(e.name() + "|" + peer.getKey() + "|" + lan.getKey(), ch);
                } catch (IOException ex) {
                    LOG.warn("{}: no connected heartbeat sender to {} on {} ({}): sending unconnected", e.name(),
                            peer.getKey(), lan.getKey(), ex.getMessage());
                }
            }
        }
    }

    /** Picks up refusals reported between two sends (non-blocking; nothing is ever sent to these sockets). */
    private void pollRefusals(ModuleEngine e) {
        ByteBuffer scratch = ByteBuffer.allocate(16);
        for (Map.Entry<String, Map<String, String>> peer : e.peerLans().entrySet()) {
            for (String lan : peer.getValue().keySet()) {
                DatagramChannel ch = senders.get(e.name() + "|" + peer.getKey() + "|" + lan);
                if (ch == null) {
                    continue;
                }
                try {
                    scratch.clear();
                    ch.read(scratch);
                } catch (PortUnreachableException ex) {
                    e.onRefused(peer.getKey(), lan);
                } catch (IOException ex) {
                    LOG.debug("{}: polling the sender to {} on {}: {}", e.name(), peer.getKey(), lan, ex.getMessage());
                }
            }
        }
    }

    private Runnable guard(ModuleEngine e, Runnable r) {
        return Fatal.guard(e.name(), r, fatal);
    }

    /** Runs {@code r} on the engine thread, guarded ({@link Fatal}). */
    private void onLoop(ModuleEngine e, Runnable r) {
        loop.execute(guard(e, r));
    }

    // ------------------------------------------------------------------ EngineEnv

    @Override
    public long wall() {
        return System.currentTimeMillis();
    }

    @Override
    public long mono() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    @Override
    public void send(ModuleEngine engine, String peer, String lan, String host, int port, byte[] datagram) {
        if (closed) {
            return;
        }
        DatagramChannel connected = senders.get(engine.name() + "|" + peer + "|" + lan);
        DatagramChannel ch = connected != null ? connected : sockets.get(lan + "|" + port);
        if (ch == null) {
            return;
        }
        try {
            if (connected != null) {
                connected.write(ByteBuffer.wrap(datagram));
            } else {
                ch.send(ByteBuffer.wrap(datagram), new InetSocketAddress(host, port));
            }
        } catch (PortUnreachableException ex) {
            onLoop(engine, () -> engine.onRefused(peer, lan));
        } catch (IOException ex) {
            // a downed lan (ENETUNREACH, EPERM from a filter): the other lan carries on; counted in health
            if (sendErrors.incrementAndGet() % 100 == 1) {
                LOG.debug("heartbeat send to {} on {} failed: {}", host, lan, ex.getMessage());
            }
        }
    }

    @Override
    public void persist(String module, Persisted state) {
        store.save(module, state);
    }

    @Override
    public void roleChange(ModuleEngine engine, RoleChange change) {
        choreographer.run(engine.config(), change).whenComplete((v, e) -> {
            if (!closed) {
                onLoop(engine, () -> {
                    if (e == null) {
                        engine.roleDone(change.token());
                    } else {
                        engine.roleFailed(change.token(), Choreographer.message(e));
                    }
                });
            }
        });
    }

    @Override
    public void checkWitness(ModuleEngine engine, long token) {
        Thread.ofVirtual().name("sf-witness").start(() -> {
            WitnessChecker.Result r = witness.check(engine.config().splitbrain().witness());
            LOG.info("{}: witness {} ({})", engine.name(), r.reached() ? "answers" : "does not answer", r.detail());
            if (!closed) {
                onLoop(engine, () -> engine.witnessResult(token, r.reached(), r.detail()));
            }
        });
    }

    @Override
    public void transition(Transition t) {
        listener.transition(t);
    }

    @Override
    public void stateChanged(ModuleEngine engine) {
        listener.stateChanged(engine);
    }

    @Override
    public void close() {
        closed = true;
        sender.shutdownNow();
        loop.shutdownNow();
        saver.shutdown();
        List<DatagramChannel> all = new ArrayList<>(sockets.values());
        all.addAll(senders.values());
        for (DatagramChannel ch : all) {
            try {
                ch.close();
            } catch (IOException e) {
                LOG.debug("closing a heartbeat socket: {}", e.getMessage());
            }
        }
    }
}
