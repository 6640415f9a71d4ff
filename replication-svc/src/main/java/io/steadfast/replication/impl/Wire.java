package io.steadfast.replication.impl;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Frames of the replication channel (after the handshake of {@link ChannelAuth}), each sealed on the wire by
 * {@link FrameCipher} (AES-256-GCM with the session's keys).
 *
 * <pre>
 * frame    = int32 length (of body, 1..MAX_FRAME) + body
 * body     = OP    : 1, int64 seq, int8 ack, int8 opcode, str path, str path2, int64 a, int64 b, int64 c, bytes data
 *          | REPLY : 2, int64 seq, int32 status, str message, bytes data
 * str      = uint16 length + UTF-8 (no NUL)
 * bytes    = int32 length + bytes
 * </pre>
 * Everything is bounded: a length outside its bound is a {@link FrameException} and the connection is dropped.
 */
public final class Wire {
    private Wire() {
    }

    /** Largest data payload of one op; writes are split below it. */
    public static final int MAX_DATA = 1 << 20;
    /** Largest frame body: one op with full data and two maximal paths, or a reply with a listing chunk. */
    public static final int MAX_FRAME = MAX_DATA + 3 * 4096 + 64;
    public static final int MAX_STR = 4096;

    public static final byte OP = 1;
    public static final byte REPLY = 2;

    /** When the secondary acknowledges an op. */
    public enum Ack {
        /** On receipt, written right after ({@code async: second}). */
        RECEIPT,
        /** After its own write ({@code async: none}), and its own fsync for {@link OpCode#FSYNC}. */
        APPLIED
    }

    public enum OpCode {
        // mutations, applied to the copy in sequence order
        CREATE, WRITE, TRUNCATE, MKDIR, UNLINK, RMDIR, RENAME, SYMLINK, CHMOD, CHOWN, UTIMENS, SETXATTR,
        REMOVEXATTR, FSYNC, DELETE_TREE,
        // control: state of the copy and resynchronisation
        STATE, RESYNC_BEGIN, RESYNC_END, LIST, CHECKSUMS, XATTRS;

        public boolean mutates() {
            return ordinal() <= DELETE_TREE.ordinal();
        }
    }

    /**
     * One operation. Field meaning by opcode: WRITE a=offset b=mtime after it (0 = leave) data=bytes; TRUNCATE a=size b=mtime (0 = leave); CREATE/MKDIR/CHMOD a=mode;
     * CHOWN a=uid b=gid; UTIMENS a=atime b=mtime (nanoseconds since the epoch, -1 = leave); RENAME path2=target;
     * SYMLINK path2=link target (stored as is, never followed); SETXATTR path2=name data=value;
     * REMOVEXATTR path2=name; FSYNC a=1 for a data-only sync (fdatasync), path "" = every file written; CHECKSUMS a=first block b=block count (-1 = to the end);
     * RESYNC_BEGIN path=base generation, a=1 when full; RESYNC_END path=generation now held; LIST a=first entry
     * (reply: {@link TreeOps#encode}); XATTRS (reply: the entry's user.* names with a SHA-256 of each value,
     * {@link Xattrs#encode}).
     */
    public record Op(OpCode code, String path, String path2, long a, long b, long c, byte[] data) {
        public Op {
            path = path == null ? "" : path;
            path2 = path2 == null ? "" : path2;
            data = data == null ? new byte[0] : data;
        }

        public static Op of(OpCode code, String path) {
            return new Op(code, path, "", 0, 0, 0, null);
        }

        public static Op of(OpCode code, String path, long a) {
            return new Op(code, path, "", a, 0, 0, null);
        }

        public static Op two(OpCode code, String path, String path2) {
            return new Op(code, path, path2, 0, 0, 0, null);
        }

        public static Op write(String path, long offset, byte[] data) {
            return new Op(OpCode.WRITE, path, "", offset, 0, 0, data);
        }

        /** Bytes this op carries (for budgets and counters). */
        public int weight() {
            return data.length + path.length() + path2.length() + 48;
        }

        @Override
        public String toString() {
            return code + " " + path + (path2.isEmpty() ? "" : " " + path2) + " a=" + a + " b=" + b
                    + (data.length > 0 ? " data=" + data.length : "");
        }
    }

    public record Reply(long seq, int status, String message, byte[] data) {
        public boolean ok() {
            return status == 0;
        }
    }

    public sealed interface Frame permits OpFrame, ReplyFrame {
    }

    public record OpFrame(long seq, Ack ack, Op op) implements Frame {
    }

    public record ReplyFrame(Reply reply) implements Frame {
    }

    public static final class FrameException extends IOException {
        public FrameException(String message) {
            super(message);
        }
    }

    public static void writeOp(DataOutputStream out, long seq, Ack ack, Op op) throws IOException {
        writeOpHeader(out, seq, ack, op);
        out.write(op.data());
    }

    /** Writes the frame of {@code op} but its data bytes (which follow it): {@link FrameCipher} seals them apart. */
    static void writeOpHeader(DataOutputStream out, long seq, Ack ack, Op op) throws IOException {
        byte[] p = utf8(op.path());
        byte[] p2 = utf8(op.path2());
        int len = 1 + 8 + 1 + 1 + 2 + p.length + 2 + p2.length + 24 + 4 + op.data().length;
        if (len > MAX_FRAME) {
            throw new FrameException("op too large: " + len);
        }
        out.writeInt(len);
        out.writeByte(OP);
        out.writeLong(seq);
        out.writeByte(ack.ordinal());
        out.writeByte(op.code().ordinal());
        out.writeShort(p.length);
        out.write(p);
        out.writeShort(p2.length);
        out.write(p2);
        out.writeLong(op.a());
        out.writeLong(op.b());
        out.writeLong(op.c());
        out.writeInt(op.data().length);
    }

    public static void writeReply(DataOutputStream out, Reply r) throws IOException {
        writeReplyHeader(out, r);
        out.write(r.data());
    }

    /** Writes the frame of {@code r} but its data bytes (which follow it). */
    static void writeReplyHeader(DataOutputStream out, Reply r) throws IOException {
        byte[] m = utf8(r.message().length() > 1000 ? r.message().substring(0, 1000) : r.message());
        int len = 1 + 8 + 4 + 2 + m.length + 4 + r.data().length;
        if (len > MAX_FRAME) {
            throw new FrameException("reply too large: " + len);
        }
        out.writeInt(len);
        out.writeByte(REPLY);
        out.writeLong(r.seq());
        out.writeInt(r.status());
        out.writeShort(m.length);
        out.write(m);
        out.writeInt(r.data().length);
    }

    /**
     * Reads one frame; any malformation (bounds, unknown type, trailing bytes, bad UTF-8) is a FrameException.
     * An op is parsed from the stream field by field, each read checked against what the frame length leaves, so
     * its data (up to {@link #MAX_DATA}) is read once, straight into its own array; a reply is read whole first.
     */
    public static Frame read(DataInputStream in) throws IOException {
        int len = in.readInt();
        if (len < 1 || len > MAX_FRAME) {
            throw new FrameException("frame length out of bounds: " + len);
        }
        byte type = in.readByte();
        return switch (type) {
            case OP -> readOp(new Bounded(in, len - 1));
            case REPLY -> readReply(in, len - 1);
            default -> throw new FrameException("unknown frame type " + type);
        };
    }

    /** Reads of one frame's body: never past its end (a field that would cross it is a truncated frame). */
    private static final class Bounded {
        final DataInputStream in;
        int left;

        Bounded(DataInputStream in, int left) {
            this.in = in;
            this.left = left;
        }

        void need(int n) throws FrameException {
            if (n > left) {
                throw new FrameException("truncated frame");
            }
            left -= n;
        }

        long i64() throws IOException {
            need(8);
            return in.readLong();
        }

        int i32() throws IOException {
            need(4);
            return in.readInt();
        }

        int i8() throws IOException {
            need(1);
            return in.readByte();
        }

        int u16() throws IOException {
            need(2);
            return in.readUnsignedShort();
        }

        byte[] bytes(int n) throws IOException {
            need(n);
            byte[] b = new byte[n];
            in.readFully(b);
            return b;
        }

        String str() throws IOException {
            int n = u16();
            if (n > MAX_STR) {
                throw new FrameException("string too long: " + n);
            }
            return decode(bytes(n));
        }
    }

    private static OpFrame readOp(Bounded b) throws IOException {
        long seq = b.i64();
        int ack = b.i8();
        int code = b.i8();
        if (ack < 0 || ack >= Ack.values().length) {
            throw new FrameException("bad ack mode " + ack);
        }
        if (code < 0 || code >= OpCode.values().length) {
            throw new FrameException("bad opcode " + code);
        }
        String path = b.str();
        String path2 = b.str();
        long a = b.i64();
        long bb = b.i64();
        long c = b.i64();
        int n = b.i32();
        if (n < 0 || n > MAX_DATA || n > b.left) {
            throw new FrameException("data length out of bounds: " + n);
        }
        byte[] data = b.bytes(n);
        if (b.left > 0) {
            throw new FrameException("trailing bytes in frame");
        }
        return new OpFrame(seq, Ack.values()[ack], new Op(OpCode.values()[code], path, path2, a, bb, c, data));
    }

    private static ReplyFrame readReply(DataInputStream in, int len) throws IOException {
        byte[] body = new byte[len];
        in.readFully(body);
        ByteBuffer b = ByteBuffer.wrap(body);
        try {
            long seq = b.getLong();
            int status = b.getInt();
            String msg = str(b);
            byte[] data = bytes(b, MAX_FRAME);
            if (b.hasRemaining()) {
                throw new FrameException("trailing bytes in frame");
            }
            return new ReplyFrame(new Reply(seq, status, msg, data));
        } catch (java.nio.BufferUnderflowException e) {
            throw new FrameException("truncated frame");
        }
    }

    private static String str(ByteBuffer b) throws FrameException {
        int n = Short.toUnsignedInt(b.getShort());
        if (n > MAX_STR) {
            throw new FrameException("string too long: " + n);
        }
        byte[] s = new byte[n];
        b.get(s);
        return decode(s);
    }

    private static String decode(byte[] s) throws FrameException {
        try {
            String v = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(s)).toString();
            if (v.indexOf('\0') >= 0) {
                throw new FrameException("NUL in string");
            }
            return v;
        } catch (CharacterCodingException e) {
            throw new FrameException("invalid UTF-8");
        }
    }

    private static byte[] bytes(ByteBuffer b, int max) throws FrameException {
        int n = b.getInt();
        if (n < 0 || n > max || n > b.remaining()) {
            throw new FrameException("data length out of bounds: " + n);
        }
        byte[] d = new byte[n];
        b.get(d);
        return d;
    }

    static byte[] utf8(String s) throws FrameException {
        byte[] v = s.getBytes(StandardCharsets.UTF_8);
        if (v.length > MAX_STR) {
            throw new FrameException("string too long: " + v.length);
        }
        return v;
    }
}
