package io.steadfast.replication.impl;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Listing and block checksums of a tree, identical on both sides (so they can be compared). */
public final class TreeOps {
    private TreeOps() {
    }

    public static final int BLOCK = 64 * 1024;
    public static final int HASH = 32;
    /** Most checksums in one reply (keeps the reply under the frame bound). */
    public static final int MAX_BLOCKS_PER_REPLY = 16 * 1024;
    /** Most entries in one listing reply. */
    public static final int MAX_ENTRIES_PER_REPLY = 4096;
    /**
     * Most bytes of entries in one listing reply: a page stops before the entry that would cross it (but holds at
     * least one; one entry is at most ~6.7 KB: a 255-byte name and a 4095-byte link target in modified UTF-8, plus
     * a 32-byte xattr digest), so a reply stays under {@link Wire#MAX_FRAME} whatever the names and links.
     */
    public static final int MAX_LIST_BYTES = Wire.MAX_DATA - 64 * 1024;

    /**
     * One directory entry; {@code type} 'f' file, 'd' directory, 'l' symlink, 'o' other; {@code xattrs} the
     * {@link Xattrs#digest} of its {@code user.*} extended attributes (empty when none, and for links and others).
     */
    public record Entry(String name, char type, long size, int mode, int uid, int gid, long mtimeNanos, String link,
                        byte[] xattrs) {
        public Entry {
            xattrs = xattrs == null ? new byte[0] : xattrs;
        }

        /** Same set of {@code user.*} attributes as {@code o} (by digest). */
        public boolean sameXattrs(Entry o) {
            return Arrays.equals(xattrs, o.xattrs);
        }
    }

    /** One page of a listing reply; {@code more} when entries follow (ask again from offset + size). */
    public record Page(List<Entry> entries, boolean more) {
    }

    public static Entry entry(Path p, String name) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,lastModifiedTime",
                LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        int fmt = mode & 0170000;
        char type = fmt == 0100000 ? 'f' : fmt == 0040000 ? 'd' : fmt == 0120000 ? 'l' : 'o';
        String link = type == 'l' ? Files.readSymbolicLink(p).toString() : "";
        long mtime = ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS);
        return new Entry(name, type, (Long) a.get("size"), mode & 07777, (Integer) a.get("uid"),
                (Integer) a.get("gid"), mtime, link, Xattrs.digestOf(p, type));
    }

    /** Entries of directory {@code dir}, sorted by name. */
    public static List<Entry> list(Path dir) throws IOException {
        List<Entry> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path c : ds) {
                try {
                    out.add(entry(c, c.getFileName().toString()));
                } catch (java.nio.file.NoSuchFileException gone) {
                    // removed while listing
                }
            }
        }
        out.sort((x, y) -> x.name().compareTo(y.name()));
        return out;
    }

    /**
     * A listing reply: the entries of {@code all} from {@code from}, at most {@link #MAX_ENTRIES_PER_REPLY} and
     * {@link #MAX_LIST_BYTES} bytes of them. Format: int32 count, entries, boolean more.
     */
    public static byte[] encode(List<Entry> all, int from) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(bo);
        int n = 0;
        ByteArrayOutputStream entries = new ByteArrayOutputStream();
        DataOutputStream eo = new DataOutputStream(entries);
        int i = Math.max(0, from);
        for (; i < all.size() && n < MAX_ENTRIES_PER_REPLY; i++) {
            int before = entries.size();
            Entry e = all.get(i);
            eo.writeUTF(e.name());
            eo.writeByte(e.type());
            eo.writeLong(e.size());
            eo.writeInt(e.mode());
            eo.writeInt(e.uid());
            eo.writeInt(e.gid());
            eo.writeLong(e.mtimeNanos());
            eo.writeUTF(e.link());
            eo.writeByte(e.xattrs().length);
            eo.write(e.xattrs());
            if (entries.size() > MAX_LIST_BYTES && n > 0) {
                // over the budget: this entry starts the next page
                byte[] kept = Arrays.copyOf(entries.toByteArray(), before);
                entries.reset();
                entries.write(kept);
                break;
            }
            n++;
        }
        o.writeInt(n);
        o.write(entries.toByteArray());
        o.writeBoolean(i < all.size());
        return bo.toByteArray();
    }

    /** Encodes the whole list as one page (tests, small lists). */
    public static byte[] encode(List<Entry> entries) throws IOException {
        return encode(entries, 0);
    }

    /** Decodes a listing reply from the peer; anything malformed is a FrameException (session ended). */
    public static Page decode(byte[] data) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
        try {
            int n = in.readInt();
            if (n < 0 || n > MAX_ENTRIES_PER_REPLY) {
                throw new Wire.FrameException("bad listing size " + n);
            }
            List<Entry> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                char type = (char) in.readByte();
                long size = in.readLong();
                int mode = in.readInt();
                int uid = in.readInt();
                int gid = in.readInt();
                long mtime = in.readLong();
                String link = in.readUTF();
                int x = in.readUnsignedByte();
                if (x != 0 && x != HASH) {
                    throw new Wire.FrameException("bad xattr digest length " + x);
                }
                byte[] digest = new byte[x];
                in.readFully(digest);
                out.add(new Entry(name, type, size, mode, uid, gid, mtime, link, digest));
            }
            boolean more = in.readBoolean();
            if (in.available() > 0) {
                throw new Wire.FrameException("trailing bytes in listing");
            }
            if (more && n == 0) {
                throw new Wire.FrameException("empty listing page with more to come");
            }
            return new Page(out, more);
        } catch (java.io.EOFException | java.io.UTFDataFormatException e) {
            throw new Wire.FrameException("truncated or malformed listing");
        }
    }

    /** SHA-256 of blocks [first, first+count) of a regular file (fewer at end of file). */
    public static byte[] checksums(Path file, long first, int count) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = ch.size();
            long blocks = (size + BLOCK - 1) / BLOCK;
            int n = (int) Math.max(0, Math.min(count, blocks - first));
            byte[] out = new byte[n * HASH];
            ByteBuffer buf = ByteBuffer.allocateDirect(BLOCK);
            MessageDigest md = sha256();
            for (int i = 0; i < n; i++) {
                buf.clear();
                long pos = (first + i) * BLOCK;
                while (buf.hasRemaining() && ch.read(buf, pos + buf.position()) > 0) {
                    // read the whole block
                }
                buf.flip();
                md.update(buf);
                System.arraycopy(md.digest(), 0, out, i * HASH, HASH);
            }
            return out;
        }
    }

    /** SHA-256 of the whole content of a file. */
    public static byte[] contentHash(Path file) throws IOException {
        MessageDigest md = sha256();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            while (ch.read(buf) > 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        }
        return md.digest();
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sets the length of a file, extending with zeros when larger (FileChannel.truncate only shrinks). */
    public static void setLength(FileChannel ch, long size) throws IOException {
        long cur = ch.size();
        if (size < cur) {
            ch.truncate(size);
        } else if (size > cur) {
            ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
        }
    }
}
