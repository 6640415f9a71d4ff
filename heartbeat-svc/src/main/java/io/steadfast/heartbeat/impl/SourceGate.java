package io.steadfast.heartbeat.impl;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What a heartbeat socket lets through to the MAC check, before any cryptographic work: datagrams from the
 * configured addresses of the module's peers on that lan only, and from each source at most a bounded rate.
 *
 * <p>A source (address and port) that already delivered an authentic beat has a bucket of its own
 * ({@link #KNOWN_PER_SECOND}): a peer's beats leave from one socket per lan, so once its port is known, a flood
 * that forges the peer's address from other ports (an attacker off the path does not know the port) drains only
 * the shared bucket of unknown ports of that address ({@link #UNKNOWN_PER_SECOND}) and the real beats keep passing.
 * Not thread-safe: one gate per receiving socket, used by its receiver thread.
 */
public final class SourceGate {
    /** Beats per second from a source that already sent an authentic one: far above any pulse. */
    public static final double KNOWN_PER_SECOND = 200;
    /** Datagrams per second (MAC checks) from the not yet known ports of one allowed address, together. */
    public static final double UNKNOWN_PER_SECOND = 50;
    private static final int MAX_KNOWN_PER_ADDRESS = 4;

    public enum Verdict { PASS, FOREIGN_SOURCE, RATE_LIMITED }

    private final Set<InetAddress> allowed;
    private final Map<InetAddress, TokenBucket> unknown = new HashMap<>();
    /** Known sources per address, oldest first (bounded). */
    private final Map<InetAddress, LinkedHashMap<Integer, TokenBucket>> known = new HashMap<>();

    public SourceGate(Set<InetAddress> allowed) {
        this.allowed = Set.copyOf(allowed);
    }

    public Verdict admit(InetSocketAddress from, long nowNanos) {
        InetAddress a = from.getAddress();
        if (!allowed.contains(a)) {
            return Verdict.FOREIGN_SOURCE;
        }
        LinkedHashMap<Integer, TokenBucket> ports = known.get(a);
        TokenBucket b = ports == null ? null : ports.get(from.getPort());
        if (b == null) {
            b = unknown.computeIfAbsent(a, k -> new TokenBucket(UNKNOWN_PER_SECOND, UNKNOWN_PER_SECOND, nowNanos));
        }
        return b.tryTake(nowNanos) ? Verdict.PASS : Verdict.RATE_LIMITED;
    }

    /** {@code from} delivered an authentic beat: its port gets a bucket of its own. */
    public void authentic(InetSocketAddress from, long nowNanos) {
        LinkedHashMap<Integer, TokenBucket> ports = known.computeIfAbsent(from.getAddress(),
                k -> new LinkedHashMap<>());
        if (!ports.containsKey(from.getPort())) {
            if (ports.size() >= MAX_KNOWN_PER_ADDRESS) {
                ports.remove(ports.keySet().iterator().next()); // a restarted peer's old port
            }
            ports.put(from.getPort(), new TokenBucket(KNOWN_PER_SECOND, KNOWN_PER_SECOND, nowNanos));
        }
    }
}
