package io.steadfast.heartbeat.impl;

import io.steadfast.config.ModuleConfig;
import io.steadfast.config.SteadfastConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
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

    /** Renews the watchdog's lease after each pulse (a no-op in tests). */
    private final Runnable lease;

    public HeartbeatRuntime(SteadfastConfig config, String node, byte[] secret, StateStore store,
                            Choreographer choreographer, WitnessChecker witness, Listener listener, Runnable lease) {
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
            ModuleEngine e = new ModuleEngine(config, m, node, codec, p, this);
            engines.put(m.name(), e);
            for (Map.Entry<String, String> lan : e.lans().entrySet()) {
                bind(e, lan.getKey(), lan.getValue(), m.heartbeat().port());
            }
            connectSenders(e);
        }
        for (ModuleEngine e : engines.values()) {
            long pulse = e.config().heartbeat().pulse().toMillis();
            long tick = Math.max(10, Math.min(pulse / 2, 50));
            loop.execute(e::start);
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
        receivers.add(Thread.ofPlatform().name("sf-hb-rx-" + e.name() + "-" + lan).daemon(true).unstarted(realtime(() -> {
            ByteBuffer buf = ByteBuffer.allocate(BeatCodec.MAX_SIZE + 1); // one more: an oversize beat shows
            while (!closed) {
                try {
                    buf.clear();
                    ch.receive(buf);
                    buf.flip();
                    byte[] data = Arrays.copyOf(buf.array(), buf.limit());
                    loop.execute(() -> e.onDatagram(data, data.length, lan));
                } catch (ClosedChannelException ex) {
                    return;
                } catch (IOException | RuntimeException ex) {
                    if (!closed) {
                        LOG.warn("{}: heartbeat receive on {} failed: {}", e.name(), lan, ex.getMessage());
                    }
                }
            }
        })));
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
        return () -> {
            try {
                r.run();
            } catch (RuntimeException ex) { // a bug must not kill the periodic task (and detection with it)
                LOG.error("{}: heartbeat engine error", e.name(), ex);
            }
        };
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
            loop.execute(() -> engine.onRefused(peer, lan));
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
                loop.execute(() -> {
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
                loop.execute(() -> engine.witnessResult(token, r.reached(), r.detail()));
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
