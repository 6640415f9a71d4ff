package io.steadfast.heartbeat.impl;

import io.steadfast.heartbeat.impl.BeatCodec.Rejected;
import io.vertx.core.json.JsonObject;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Receive side of one module's heartbeats on one node: admits only fresh, in-order beats from the module's other
 * nodes on the lans they share with this node, and keeps per peer and per lan when the last valid beat came and
 * the measured round trip. Not thread-safe: driven from one thread.
 *
 * <p>Replay rules: per (sender, lan) the sequence number must grow within a boot, and the peer's status is the
 * one of its newest beat over all lans; a new boot is accepted only with a newer boot epoch than any seen from the
 * peer, remembered across restarts of this node ({@link ReplayWindow}; for a version-1 sender without epochs: with
 * a send time later than anything seen from the previous boot), and a first beat since this node started must be
 * within {@link #MAX_SKEW_MS} of this node's clock.
 */
public final class PeerTracker {
    /** Largest clock difference accepted on first contact; later beats are judged by boot id + sequence. */
    public static final long MAX_SKEW_MS = 30_000;

    private final String cluster;
    private final String module;
    private final String self;
    /** peer → lans shared with this node, in config order. */
    private final Map<String, List<String>> lansByPeer;
    private final long timeoutMs;
    private final Map<String, Peer> peers = new LinkedHashMap<>();
    private final EnumMap<Rejected.Kind, Long> rejected = new EnumMap<>(Rejected.Kind.class);
    private final ReplayWindow window;

    public PeerTracker(String cluster, String module, String self, Map<String, List<String>> lansByPeer,
                       long timeoutMs) {
        this(cluster, module, self, lansByPeer, timeoutMs, Map.of());
    }

    /** {@code saved}: the peers' boot epochs and sequences saved before this node's restart ({@link ReplayWindow}). */
    public PeerTracker(String cluster, String module, String self, Map<String, List<String>> lansByPeer,
                       long timeoutMs, Map<String, ReplayWindow.Mark> saved) {
        this.window = new ReplayWindow(saved);
        this.cluster = cluster;
        this.module = module;
        this.self = self;
        this.lansByPeer = Map.copyOf(lansByPeer);
        this.timeoutMs = timeoutMs;
        lansByPeer.keySet().forEach(p -> peers.put(p, new Peer()));
    }

    /**
     * Admits a decoded beat that arrived on {@code lan}. {@code wall} (ms since the epoch) is compared with the
     * sender's clock; {@code now} (monotonic ms) is used for liveness, so a clock step never fakes a lost peer.
     *
     * @throws Rejected when it is not for this module/node/lan, replayed or stale (the caller counts it)
     */
    public PeerStatus admit(Beat b, String lan, long wall, long now) {
        if (!cluster.equals(b.cluster()) || !module.equals(b.module())) {
            throw new Rejected(Rejected.Kind.FOREIGN, "cluster/module " + b.cluster() + "/" + b.module());
        }
        Peer p = peers.get(b.node());
        if (p == null || b.node().equals(self)) {
            throw new Rejected(Rejected.Kind.FOREIGN, "sender " + b.node() + " is not a peer in this module");
        }
        if (!lan.equals(b.lan()) || !lansByPeer.get(b.node()).contains(lan)) {
            throw new Rejected(Rejected.Kind.FOREIGN, "beat for lan " + b.lan() + " arrived on " + lan);
        }
        boolean newBoot;
        if (b.epoch() > 0) {
            switch (window.check(b.node(), b.epoch(), b.seq())) {
                case OLD_EPOCH -> throw new Rejected(Rejected.Kind.STALE, "boot epoch " + b.epoch() + " of "
                        + b.node() + " is older than " + window.mark(b.node()).orElseThrow().epoch()
                        + " seen before (replayed beat of an earlier boot)");
                case BELOW_FLOOR -> throw new Rejected(Rejected.Kind.REPLAYED, "seq " + b.seq() + " of epoch "
                        + b.epoch() + " was seen before this node restarted");
                case NEW_EPOCH -> {
                    if (p.bootId == null && Math.abs(wall - b.sentAt()) > MAX_SKEW_MS) {
                        throw new Rejected(Rejected.Kind.STALE, "boot " + b.bootId() + " sent at " + b.sentAt());
                    }
                    newBoot = true;
                }
                default -> { // the epoch seen last
                    if (p.bootId != null && !b.bootId().equals(p.bootId)) {
                        throw new Rejected(Rejected.Kind.STALE, "boot " + b.bootId() + " reuses epoch " + b.epoch());
                    }
                    newBoot = p.bootId == null;
                }
            }
        } else {
            // a version-1 sender (no epoch): the send time orders its boots, within the memory of this run
            if (window.knows(b.node())) {
                throw new Rejected(Rejected.Kind.STALE, "a beat without boot epoch from " + b.node()
                        + ", which sends epochs (replayed from an older version)");
            }
            newBoot = !b.bootId().equals(p.bootId);
            if (newBoot && (p.bootId == null ? Math.abs(wall - b.sentAt()) > MAX_SKEW_MS
                    : b.sentAt() <= p.maxSentAt)) {
                throw new Rejected(Rejected.Kind.STALE, "boot " + b.bootId() + " sent at " + b.sentAt());
            }
        }
        if (newBoot) {
            p.bootId = b.bootId();
            p.lans.clear();
            p.statusSeq = Long.MIN_VALUE;
        }
        Lan l = p.lans.computeIfAbsent(lan, k -> new Lan());
        if (b.seq() <= l.seq) {
            throw new Rejected(Rejected.Kind.REPLAYED, "seq " + b.seq() + " ≤ " + l.seq + " on " + lan);
        }
        l.seq = b.seq();
        if (b.epoch() > 0) {
            window.accepted(b.node(), b.epoch(), b.seq());
        }
        l.lastSeen = now;
        l.peerSentAt = b.sentAt();
        if (b.echoSentAt() > 0) {
            long rtt = wall - b.echoSentAt() - b.echoHoldMs();
            if (rtt >= 0 && rtt < timeoutMs * 10) {
                l.rttMs = rtt;
            }
        }
        p.maxSentAt = Math.max(p.maxSentAt, b.sentAt());
        p.lastSeen = now;
        // The sender numbers all its beats with one counter: a beat that was slow on one lan must not bring back an
        // older state than a faster lan already delivered (seen under load: a stale WAIT made a SECOND take over
        // from a primary that had just started, and both ran ALONE for a moment).
        if (b.seq() > p.statusSeq) {
            p.statusSeq = b.seq();
            p.status = b.status();
        }
        return p.status;
    }

    /**
     * The peer's host answered a beat with ICMP port unreachable on {@code lan}: nothing listens on the heartbeat
     * port there any more, i.e. its agent is gone while the machine is up (kill -9, crash).
     */
    public void refused(String peer, String lan, long now) {
        Peer p = peers.get(peer);
        if (p != null) {
            p.refusedAt = now;
        }
    }

    /**
     * Fast loss: the peer's port was refused after its last valid beat and nothing valid came for {@code quietMs}
     * (a few pulses). A live agent keeps its socket open (even frozen: the kernel queues the beats), so a refusal is
     * proof that it is gone; the quiet period keeps a forged ICMP message from mattering while beats still flow.
     */
    public boolean refusedAndQuiet(String peer, long now, long quietMs) {
        Peer p = peers.get(peer);
        return p != null && p.refusedAt > p.lastSeen && now - p.refusedAt <= timeoutMs && now - p.lastSeen >= quietMs;
    }

    public void count(Rejected.Kind kind) {
        rejected.merge(kind, 1L, Long::sum);
    }

    /** The peer's last status when a valid beat arrived on any lan within the timeout. */
    public Optional<PeerStatus> alive(String peer, long now) {
        Peer p = peers.get(peer);
        return p != null && p.status != null && now - p.lastSeen <= timeoutMs ? Optional.of(p.status) : Optional.empty();
    }

    /** The peer's boot id (changes when its agent restarts); null before the first beat. */
    public String bootId(String peer) {
        Peer p = peers.get(peer);
        return p == null ? null : p.bootId;
    }

    public Set<String> peers() {
        return peers.keySet();
    }

    /** sentAt of the last beat from {@code peer} on {@code lan} and how long ago it came, for the echo. */
    public long[] echo(String peer, String lan, long now) {
        Peer p = peers.get(peer);
        Lan l = p == null ? null : p.lans.get(lan);
        return l == null || l.peerSentAt == 0 ? new long[]{0, 0} : new long[]{l.peerSentAt, now - l.lastSeen};
    }

    /** True when some but not all shared lans of a live peer are silent: worth an alert, not a failover. */
    public boolean degraded(String peer, long now) {
        if (alive(peer, now).isEmpty()) {
            return false;
        }
        Peer p = peers.get(peer);
        return lansByPeer.get(peer).stream().anyMatch(lan -> {
            Lan l = p.lans.get(lan);
            return l == null || now - l.lastSeen > timeoutMs;
        });
    }

    public JsonObject details(long now) {
        JsonObject out = new JsonObject();
        peers.forEach((name, p) -> {
            JsonObject lans = new JsonObject();
            for (String lan : lansByPeer.get(name)) {
                Lan l = p.lans.get(lan);
                JsonObject j = new JsonObject().put("up", l != null && now - l.lastSeen <= timeoutMs);
                if (l != null) {
                    j.put("lastSeenMsAgo", now - l.lastSeen).put("rttMs", l.rttMs);
                }
                lans.put(lan, j);
            }
            out.put(name, new JsonObject().put("alive", alive(name, now).isPresent())
                    .put("degraded", degraded(name, now)).put("lans", lans));
        });
        JsonObject rej = new JsonObject();
        rejected.forEach((k, v) -> rej.put(k.name().toLowerCase(java.util.Locale.ROOT), v));
        return new JsonObject().put("peers", out).put("rejected", rej);
    }

    /** The replay marks to save when they changed since the last call ({@link ReplayWindow#takeChanges}). */
    public java.util.Optional<Map<String, ReplayWindow.Mark>> replayChanges() {
        return window.takeChanges();
    }

    public Map<Rejected.Kind, Long> rejectedCounts() {
        return new HashMap<>(rejected);
    }

    private static final class Peer {
        String bootId;
        long maxSentAt;
        /** Sequence number of the beat whose status {@link #status} is (the newest one, whatever its lan). */
        long statusSeq = Long.MIN_VALUE;
        long lastSeen;
        long refusedAt = Long.MIN_VALUE;
        PeerStatus status;
        final Map<String, Lan> lans = new HashMap<>();
    }

    private static final class Lan {
        long seq = Long.MIN_VALUE;
        long lastSeen;
        long peerSentAt;
        long rttMs = -1;
    }
}
