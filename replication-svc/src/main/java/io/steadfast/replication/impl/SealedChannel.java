package io.steadfast.replication.impl;

import io.steadfast.replication.impl.Wire.Ack;
import io.steadfast.replication.impl.Wire.Op;
import io.steadfast.replication.impl.Wire.Reply;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * One authenticated session's frames, both directions sealed by {@link FrameCipher} with the keys the handshake
 * derived ({@link ChannelAuth}). The two directions are independent: a thread may write while another reads, but
 * at most one thread writes and one reads at a time (the callers' own exclusion: {@link ReplicaClient}'s writing
 * turn and leader, {@link ReplicaServer}'s session thread and reply lock).
 */
public final class SealedChannel {
    private final FrameCipher tx;
    private final FrameCipher rx;

    SealedChannel(FrameCipher tx, FrameCipher rx) {
        this.tx = tx;
        this.rx = rx;
    }

    /** Seals and writes one op frame (not flushed). */
    public void writeOp(OutputStream out, long seq, Ack ack, Op op) throws IOException {
        Wire.writeOpHeader(tx.begin(), seq, ack, op);
        tx.seal(op.data(), out);
    }

    /** Seals and writes one reply frame (not flushed). */
    public void writeReply(OutputStream out, Reply r) throws IOException {
        Wire.writeReplyHeader(tx.begin(), r);
        tx.seal(r.data(), out);
    }

    /** Reads, authenticates and parses one frame; any failure is a {@link Wire.FrameException}. */
    public Wire.Frame read(DataInputStream in) throws IOException {
        DataInputStream plain = rx.open(in);
        Wire.Frame f;
        try {
            f = Wire.read(plain);
        } catch (java.io.EOFException e) {
            // authentic, yet shorter than the frame it announces: only a peer with the keys can send that
            throw new Wire.FrameException("truncated frame");
        }
        rx.expectEnd();
        return f;
    }

    /** Seals {@code plaintext} as one frame, whatever it holds (tests: crafted frames from an authenticated peer). */
    void writeRaw(OutputStream out, byte[] plaintext) throws IOException {
        tx.begin().write(plaintext);
        tx.seal(new byte[0], out);
    }

    /** Frames written so far (for tests). */
    long sent() {
        return tx.counter();
    }

    long received() {
        return rx.counter();
    }
}
