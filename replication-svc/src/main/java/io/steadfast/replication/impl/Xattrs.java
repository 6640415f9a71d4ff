package io.steadfast.replication.impl;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The {@code user.*} extended attributes of an entry, as resync and verify compare them. Only {@code user.*}: the
 * only namespace the replicated mount lets the application set ({@link ReplicatedFs#setxattr}). Names are full
 * ({@code user.x}), as in SETXATTR/REMOVEXATTR ops.
 * <p>
 * Values can be up to 64 KiB each, so listings never carry them: a listing entry carries only a digest of the
 * whole set ({@link #digest}); when digests differ, the side comparing asks the peer for its names with a SHA-256
 * per value ({@link Wire.OpCode#XATTRS}, bounded by {@link #MAX_NAMES}) and sends its own values (SETXATTR) only
 * for names whose hash differs, REMOVEXATTR for names it does not have.
 */
public final class Xattrs {
    private Xattrs() {
    }

    public static final String PREFIX = "user.";
    /**
     * Most names in one XATTRS reply. The kernel's list of names of one inode is at most 64 KiB (XATTR_LIST_MAX),
     * each at least 7 bytes ("user.x" + NUL): at most 9363 names, each encoded in at most 2 + 1.5 × its bytes + 32
     * (hash), i.e. well under the 1 MiB frame bound.
     */
    public static final int MAX_NAMES = 65536 / 7 + 1;

    /** The {@code user.*} attributes of a file or directory (empty for a symlink: Linux does not allow them). */
    public static SortedMap<String, byte[]> read(Path p) throws IOException {
        SortedMap<String, byte[]> out = new TreeMap<>();
        UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        List<String> names;
        try {
            names = v.list();
        } catch (java.nio.file.NoSuchFileException e) {
            throw e;
        } catch (FileSystemException e) {
            // a file system without user xattrs (ENOTSUP) has none; a symlink (O_NOFOLLOW: ELOOP) neither
            if (unsupported(e) || Files.isSymbolicLink(p)) {
                return out;
            }
            throw e;
        }
        for (String n : names) {
            try {
                ByteBuffer b = ByteBuffer.allocate(v.size(n));
                v.read(n, b);
                out.put(PREFIX + n, Arrays.copyOf(b.array(), b.position()));
            } catch (FileSystemException e) {
                if (v.list().contains(n)) {
                    throw e;
                }
                // removed since the list: not there any more
            }
        }
        return out;
    }

    private static boolean unsupported(FileSystemException e) {
        String r = e.getReason();
        return r != null && r.contains("not supported");
    }

    /** Name → SHA-256 of the value. */
    public static SortedMap<String, byte[]> hashes(Map<String, byte[]> values) {
        SortedMap<String, byte[]> out = new TreeMap<>();
        values.forEach((n, v) -> out.put(n, TreeOps.sha256().digest(v)));
        return out;
    }

    /** Digest of a whole set (from {@link #hashes}): empty when there is no attribute, else 32 bytes. */
    public static byte[] digest(SortedMap<String, byte[]> hashes) {
        if (hashes.isEmpty()) {
            return new byte[0];
        }
        MessageDigest md = TreeOps.sha256();
        hashes.forEach((n, h) -> {
            md.update(n.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0); // names never contain NUL: unambiguous
            md.update(h);
        });
        return md.digest();
    }

    /** The digest of the attributes of an entry (empty for symlinks and other types). */
    public static byte[] digestOf(Path p, char type) throws IOException {
        return type == 'f' || type == 'd' ? digest(hashes(read(p))) : new byte[0];
    }

    /** XATTRS reply: int32 count, then per name (sorted) UTF name + 32-byte hash. */
    public static byte[] encode(SortedMap<String, byte[]> hashes) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(bo);
        o.writeInt(hashes.size());
        for (Map.Entry<String, byte[]> e : hashes.entrySet()) {
            o.writeUTF(e.getKey());
            o.write(e.getValue());
        }
        return bo.toByteArray();
    }

    /** Decodes an XATTRS reply from the peer; anything malformed is a FrameException (session ended). */
    public static SortedMap<String, byte[]> decode(byte[] data) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
        try {
            int n = in.readInt();
            if (n < 0 || n > MAX_NAMES) {
                throw new Wire.FrameException("bad xattr count " + n);
            }
            SortedMap<String, byte[]> out = new TreeMap<>();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                if (!validName(name) || out.containsKey(name)) {
                    throw new Wire.FrameException("bad xattr name");
                }
                byte[] h = new byte[TreeOps.HASH];
                in.readFully(h);
                out.put(name, h);
            }
            if (in.available() > 0) {
                throw new Wire.FrameException("trailing bytes in xattr list");
            }
            return out;
        } catch (java.io.EOFException | java.io.UTFDataFormatException e) {
            throw new Wire.FrameException("truncated or malformed xattr list");
        }
    }

    static boolean validName(String name) {
        return name.startsWith(PREFIX) && name.length() > PREFIX.length() && name.indexOf('\0') < 0
                && name.getBytes(StandardCharsets.UTF_8).length <= 255;
    }

    /** What to send so the peer's set equals ours: names to set (with our value) and names to remove. */
    public record Plan(List<String> set, List<String> remove) {
        public boolean isEmpty() {
            return set.isEmpty() && remove.isEmpty();
        }
    }

    /** Compares our hashes with the peer's (both name → SHA-256 of the value). */
    public static Plan compare(Map<String, byte[]> mine, Map<String, byte[]> theirs) {
        List<String> set = new ArrayList<>();
        List<String> remove = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : new TreeMap<>(mine).entrySet()) {
            byte[] t = theirs.get(e.getKey());
            if (t == null || !Arrays.equals(t, e.getValue())) {
                set.add(e.getKey());
            }
        }
        for (String n : new TreeMap<>(theirs).keySet()) {
            if (!mine.containsKey(n)) {
                remove.add(n);
            }
        }
        return new Plan(Collections.unmodifiableList(set), Collections.unmodifiableList(remove));
    }
}
