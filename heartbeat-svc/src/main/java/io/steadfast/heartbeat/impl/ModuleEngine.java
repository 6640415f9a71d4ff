package io.steadfast.heartbeat.impl;

import io.steadfast.api.Command;
import io.steadfast.api.HeartbeatApi.ModuleDesired;
import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.ReplicationApi;
import io.steadfast.config.FailureAction;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.NodeConfig;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.heartbeat.impl.BeatCodec.Rejected;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * One module on this node: its heartbeats (send, admit, liveness) and its state machine, glued together.
 * Single-threaded: every method runs on the engine thread of {@link EngineEnv}. After every input it sends a beat
 * at once when this node's status changed (so the peer learns of a handover without waiting a pulse) and tells
 * the environment when the public state changed.
 */
public final class ModuleEngine {
    private static final Logger LOG = LoggerFactory.getLogger(ModuleEngine.class);

    private final String cluster;
    private final ModuleConfig module;
    private final String self;
    private final BeatCodec codec;
    private final EngineEnv env;
    private final PeerTracker tracker;
    private final ModuleMachine machine;
    /** lan → this node's address, for the module's lans. */
    private final Map<String, String> selfLans;
    /** peer → (lan → its address), lans shared with this node. */
    private final Map<String, Map<String, String>> peerLans;
    private final String bootId = UUID.randomUUID().toString();
    private final long epoch;
    /** Datagrams dropped by the receiving threads (before the engine thread), by kind. */
    private final java.util.concurrent.atomic.AtomicLongArray droppedByReceivers =
            new java.util.concurrent.atomic.AtomicLongArray(Rejected.Kind.values().length);
    private final Set<String> alive = new HashSet<>();
    private long seq;
    private volatile Outgoing out;
    private Object lastPublished;
    private long rejectedLogAt;
    private long lastTick;
    private long stallGraceUntil;

    public ModuleEngine(SteadfastConfig config, ModuleConfig module, String self, BeatCodec codec, Persisted persisted,
                        EngineEnv env) {
        this(config, module, self, codec, persisted, env, nextEpoch(), Map.of());
    }

    private static final java.util.concurrent.atomic.AtomicLong LAST_EPOCH = new java.util.concurrent.atomic.AtomicLong();

    /** An epoch from the clock, growing even for engines created within one millisecond (tests, simulations). */
    static long nextEpoch() {
        return LAST_EPOCH.updateAndGet(last -> Math.max(last + 1, System.currentTimeMillis()));
    }

    /**
     * @param epoch this node's boot epoch ({@link BootEpoch}), carried in every beat
     * @param savedPeers the peers' epochs and sequences saved before this node's restart ({@link ReplayWindow})
     */
    public ModuleEngine(SteadfastConfig config, ModuleConfig module, String self, BeatCodec codec, Persisted persisted,
                        EngineEnv env, long epoch, Map<String, ReplayWindow.Mark> savedPeers) {
        this.epoch = epoch;
        this.cluster = config.cluster().name();
        this.module = module;
        this.self = self;
        this.codec = codec;
        this.env = env;
        NodeConfig me = config.node(self).orElseThrow(() -> new IllegalArgumentException("unknown node " + self));
        List<String> lans = module.heartbeat().lans().isEmpty() ? List.copyOf(me.lans().keySet())
                : module.heartbeat().lans();
        this.selfLans = new LinkedHashMap<>();
        for (String lan : lans) {
            me.lanAddr(lan).ifPresent(a -> selfLans.put(lan, a));
        }
        this.peerLans = new LinkedHashMap<>();
        Map<String, List<String>> shared = new LinkedHashMap<>();
        for (String n : module.nodes()) {
            if (n.equals(self)) {
                continue;
            }
            NodeConfig peer = config.node(n).orElseThrow(() -> new IllegalArgumentException("unknown node " + n));
            Map<String, String> m = new LinkedHashMap<>();
            for (String lan : selfLans.keySet()) {
                peer.lanAddr(lan).ifPresent(a -> m.put(lan, a));
            }
            if (m.isEmpty()) {
                throw new IllegalArgumentException("module " + module.name() + ": node " + n
                        + " shares no heartbeat lan with " + self);
            }
            peerLans.put(n, m);
            shared.put(n, List.copyOf(m.keySet()));
        }
        this.tracker = new PeerTracker(cluster, module.name(), self, shared, module.heartbeat().timeout().toMillis(),
                savedPeers);
        if (module.isMirror()) {
            MirrorMachine.Effects fx = new MirrorMachine.Effects() {
                public void transition(Transition t) {
                    env.transition(t);
                }

                public void persist(Persisted p) {
                    env.persist(module.name(), p);
                }

                public void roleChange(RoleChange change) {
                    env.roleChange(ModuleEngine.this, change);
                }

                public void checkWitness(long token) {
                    env.checkWitness(ModuleEngine.this, token);
                }
            };
            this.machine = new MirrorMachine(MirrorMachine.Settings.of(module, self, config.cluster().stateDir()),
                    persisted, fx);
        } else {
            FarmMachine.Effects fx = new FarmMachine.Effects() {
                public void transition(Transition t) {
                    env.transition(t);
                }

                public void persist(Persisted p) {
                    env.persist(module.name(), p);
                }

                public void roleChange(RoleChange change) {
                    env.roleChange(ModuleEngine.this, change);
                }
            };
            this.machine = new FarmMachine(FarmMachine.Settings.of(module, self), persisted, fx);
        }
    }

    public String name() {
        return module.name();
    }

    public ModuleConfig config() {
        return module;
    }

    public ModuleMachine machine() {
        return machine;
    }

    /** lan → this node's address: where the transport binds. */
    public Map<String, String> lans() {
        return selfLans;
    }

    public void start() {
        machine.boot(env.wall());
        settle();
    }

    /** A datagram that arrived on {@code lan}. Garbage is counted and dropped. */
    public void onDatagram(byte[] data, int length, String lan) {
        Beat b;
        try {
            b = codec.decode(data, length);
        } catch (Rejected r) {
            rejected(r, lan);
            return;
        }
        onBeat(b, lan);
    }

    /**
     * A datagram a receiving thread dropped before it reached the engine thread (source, rate, MAC): counted here,
     * from any thread.
     */
    public void droppedByReceiver(Rejected.Kind kind) {
        droppedByReceivers.incrementAndGet(kind.ordinal());
    }

    private void rejected(Rejected r, String lan) {
        tracker.count(r.kind());
        long now = env.mono();
        if (now - rejectedLogAt > 10_000) { // a flood must not flood the log
            rejectedLogAt = now;
            LOG.warn("{}: dropped a heartbeat on {}: {}", module.name(), lan, r.getMessage());
        }
    }

    /** A beat whose MAC was checked (by {@link #onDatagram} or a receiving thread) that arrived on {@code lan}. */
    public void onBeat(Beat b, String lan) {
        try {
            PeerStatus st = tracker.admit(b, lan, env.wall(), env.mono());
            alive.add(st.node());
            machine.peerBeat(st, env.wall());
        } catch (Rejected r) {
            rejected(r, lan);
            return;
        }
        settle();
    }

    /** Liveness check and timers; called every pulse/2 or finer. */
    public void tick() {
        long mono = env.mono();
        long timeout = module.heartbeat().timeout().toMillis();
        if (lastTick != 0 && mono - lastTick > timeout / 2) {
            // This node did not run for a while (SIGSTOP, VM pause, GC): the peer's beats may be waiting in the
            // socket. Give them one timeout to arrive before calling the peer lost.
            LOG.warn("{}: this node stalled for {} ms; not judging peers for {} ms", module.name(),
                    mono - lastTick, timeout);
            stallGraceUntil = mono + timeout;
        }
        lastTick = mono;
        boolean judge = mono >= stallGraceUntil;
        for (String peer : tracker.peers()) {
            if (!judge) {
                break;
            }
            if (alive.contains(peer) && (tracker.alive(peer, mono).isEmpty()
                    || tracker.refusedAndQuiet(peer, mono, 3 * module.heartbeat().pulse().toMillis()))) {
                alive.remove(peer);
                machine.peerLost(peer, env.wall());
            }
        }
        machine.tick(env.wall());
        settle();
    }

    /** The peer's heartbeat port on {@code lan} answered ICMP port unreachable (see {@link PeerTracker#refused}). */
    public void onRefused(String peer, String lan) {
        if (alive.contains(peer)) {
            LOG.info("{}: {} refuses heartbeats on {}: its agent is gone", module.name(), peer, lan);
        }
        tracker.refused(peer, lan, env.mono());
    }

    /** The peers' replay marks to save, when they changed since the last call; on the engine thread. */
    public java.util.Optional<Map<String, ReplayWindow.Mark>> replayChanges() {
        return tracker.replayChanges();
    }

    public BeatCodec codec() {
        return codec;
    }

    /** peer → (lan → its address) of the peers this engine beats to. */
    public Map<String, Map<String, String>> peerLans() {
        return peerLans;
    }

    /**
     * Sends one beat to every peer on every shared lan, from the last status the engine thread published. Safe
     * from any thread: the runtime calls it from its own sender thread, so that beats keep flowing while the
     * engine thread is busy (an fsync of the state file on a loaded disk took seconds in the lab). Synchronized
     * so that sequence numbers leave in order.
     */
    public synchronized void pulse() {
        Outgoing o = out;
        if (o == null) {
            return;
        }
        long wall = env.wall();
        long mono = env.mono();
        for (Target t : o.targets()) {
            long[] echo = t.echo();
            long hold = echo[1] == Long.MIN_VALUE ? 0 : mono - echo[1];
            Beat b = new Beat(cluster, module.name(), t.lan(), bootId, epoch, ++seq, wall, o.status(), echo[0],
                    hold);
            env.send(this, t.peer(), t.lan(), t.host(), module.heartbeat().port(), codec.encode(b));
        }
    }

    /** What the sender sends: the status and, per peer and lan, the echo of the last beat received there. */
    private record Outgoing(PeerStatus status, List<Target> targets) {
    }

    /** {@code echo}: {peer's sentAt, local mono time it arrived} (MIN_VALUE when none yet). */
    private record Target(String peer, String lan, String host, long[] echo) {
    }

    /** Publishes the current status for the sender; on the engine thread. */
    private void publishOutgoing() {
        long mono = env.mono();
        List<Target> targets = new java.util.ArrayList<>();
        for (Map.Entry<String, Map<String, String>> peer : peerLans.entrySet()) {
            for (Map.Entry<String, String> lan : peer.getValue().entrySet()) {
                long[] e = tracker.echo(peer.getKey(), lan.getKey(), mono);
                long[] echo = e[0] == 0 ? new long[]{0, Long.MIN_VALUE} : new long[]{e[0], mono - e[1]};
                targets.add(new Target(peer.getKey(), lan.getKey(), lan.getValue(), echo));
            }
        }
        out = new Outgoing(machine.status(env.wall()), List.copyOf(targets));
    }

    public String command(Command c, List<String> options) {
        try {
            if (c == Command.SPLITBRAIN_ACK) {
                return machine instanceof MirrorMachine mm ? mm.acknowledgeSplitBrain(env.wall())
                        : "no split-brain alert (a farm has no replicated copies)";
            }
            return machine.command(c, options, env.wall());
        } finally {
            settle();
        }
    }

    public String action(FailureAction a, String checker, String reason, boolean resume) {
        try {
            return machine.action(a, checker, reason, resume, env.wall());
        } finally {
            settle();
        }
    }

    public void replication(ReplicationApi.Role role, boolean upToDate, boolean recording, String why) {
        machine.replication(role, upToDate, recording, why, env.wall());
        settle();
    }

    public void roleDone(long token) {
        machine.roleDone(token, env.wall());
        settle();
    }

    public void roleFailed(long token, String why) {
        machine.roleFailed(token, why, env.wall());
        settle();
    }

    public void witnessResult(long token, boolean reached, String detail) {
        machine.witnessResult(token, reached, detail, env.wall());
        settle();
    }

    public ModuleState moduleState() {
        Persisted p = machine.persisted();
        JsonObject details = tracker.details(env.mono()).put("busy", machine.busy());
        JsonObject rej = details.getJsonObject("rejected");
        for (Rejected.Kind k : Rejected.Kind.values()) {
            long n = droppedByReceivers.get(k.ordinal());
            if (n > 0) {
                String key = k.name().toLowerCase(java.util.Locale.ROOT);
                rej.put(key, rej.getLong(key, 0L) + n);
            }
        }
        if (module.isFarm()) {
            details.put("members", machine.members());
        }
        if (machine instanceof MirrorMachine mm && !mm.alert().isEmpty()) {
            details.put("splitbrain", mm.alert()); // until `steadfast splitbrain ack`
        }
        if (p.isDamaged()) {
            details.put("damagedState", p.damaged());
        }
        return new ModuleState(self, module.name(), module.type(), machine.state(), machine.readiness(),
                machine.reason(), p.generation(), p.upToDate(), machine.since(), details);
    }

    public ModuleDesired desired() {
        return new ModuleDesired(module.name(), module.type(), machine.desiredRole(), machine.desiredPeer(),
                machine.members(), machine.persisted().generation(), machine.fenced());
    }

    /** True when the peers' lans are partly silent (worth an alert, not a failover). */
    public boolean degraded() {
        long mono = env.mono();
        return tracker.peers().stream().anyMatch(p -> tracker.degraded(p, mono));
    }

    private void settle() {
        PeerStatus before = out == null ? null : out.status();
        publishOutgoing();
        if (!out.status().equals(before)) {
            pulse(); // the peer learns of a change at once, not a pulse later
        }
        Object view = List.of(machine.state(), machine.readiness(), machine.reason(), machine.members(),
                machine.persisted().alert(),
                machine.desiredRole(), machine.desiredPeer(), machine.fenced(), machine.persisted().generation(),
                machine.persisted().upToDate(), degraded());
        if (!Objects.equals(view, lastPublished)) {
            lastPublished = view;
            env.stateChanged(this);
        }
    }
}
