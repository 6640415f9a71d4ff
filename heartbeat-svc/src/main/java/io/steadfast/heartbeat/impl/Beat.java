package io.steadfast.heartbeat.impl;

/**
 * One heartbeat datagram. {@code lan} is the heartbeat network it was sent on (authenticated, so a beat captured
 * on one lan cannot be replayed on another); {@code echoSentAt}/{@code echoHoldMs} return the {@code sentAt} of
 * the last beat received from the addressee on this lan and how long ago it arrived, so the addressee can
 * measure the round trip on its own clock. {@code epoch} is the sender's boot epoch ({@link BootEpoch}, 0 in the
 * beats of a version-1 sender), {@code seq} grows within it.
 */
public record Beat(String cluster, String module, String lan, String bootId, long epoch, long seq, long sentAt,
                   PeerStatus status, long echoSentAt, long echoHoldMs) {
    public String node() {
        return status.node();
    }
}
