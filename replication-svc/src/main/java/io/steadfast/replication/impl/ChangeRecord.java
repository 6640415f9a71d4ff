package io.steadfast.replication.impl;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Persistent record of what changed while the peer could not follow (ALONE), so that a resync copies only that.
 * Append-only text, one entry per line, each appended and fsynced before the change it describes is made:
 * after a kill -9 the record covers every change that can have reached the disk (a torn last line describes a
 * change that was never made, and is ignored).
 *
 * <pre>
 * SFCR1 &lt;base generation&gt;      header: the generation the peer held when recording started ("" = unknown)
 * Z &lt;dir&gt; &lt;path&gt; &lt;first&gt; &lt;last&gt;  blocks [first,last] of a file ({@link TreeOps#BLOCK} bytes each) changed
 * W &lt;dir&gt; &lt;path&gt;                 the whole file or subtree at path changed (created, renamed to, ...)
 * N &lt;dir&gt; &lt;path&gt;                 the entry at path changed otherwise (removed, metadata)
 * </pre>
 * Repeated changes of the same zone are recorded once (kept in memory), so recording costs an fsync only the
 * first time a block is touched.
 */
public final class ChangeRecord implements AutoCloseable {
    public record Key(int dir, String path) {
    }

    /** What resync must look at: per path, the dirty blocks, or the whole entry. */
    public record Dirty(Map<Key, BitSet> zones, Set<Key> whole, Set<Key> names) {
    }

    private final Path file;
    private final String base;
    private final FileChannel ch;
    private final Map<Key, BitSet> zones = new HashMap<>();
    private final Set<Key> whole = new HashSet<>();
    private final Set<Key> names = new HashSet<>();

    private ChangeRecord(Path file, String base, FileChannel ch) {
        this.file = file;
        this.base = base;
        this.ch = ch;
    }

    public static boolean exists(Path file) {
        return Files.isRegularFile(file);
    }

    /** Opens an existing record (keeping its base) or creates one with {@code base}. */
    public static ChangeRecord openOrCreate(Path file, String base) throws IOException {
        Files.createDirectories(file.getParent());
        if (Files.isRegularFile(file)) {
            List<String> lines = readLines(file);
            if (!lines.isEmpty() && lines.getFirst().startsWith("SFCR1 ")) {
                String b = dec(lines.getFirst().substring(6));
                FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                ChangeRecord r = new ChangeRecord(file, b, ch);
                for (String l : lines.subList(1, lines.size())) {
                    r.load(l);
                }
                return r;
            }
            // unreadable header: start over untrusted
            base = "";
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        ChangeRecord r = new ChangeRecord(file, base, ch);
        r.append("SFCR1 " + enc(base) + "\n");
        return r;
    }

    private static List<String> readLines(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int end = text.lastIndexOf('\n');
        // a last line without its newline was torn by a crash before its fsync returned: never acted upon
        return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n"));
    }

    private void load(String line) {
        String[] f = line.split(" ");
        try {
            Key k = new Key(Integer.parseInt(f[1]), dec(f[2]));
            switch (f[0]) {
                case "Z" -> zones.computeIfAbsent(k, x -> new BitSet())
                        .set(Integer.parseInt(f[3]), Integer.parseInt(f[4]) + 1);
                case "W" -> whole.add(k);
                case "N" -> names.add(k);
                default -> whole.add(k);
            }
        } catch (RuntimeException e) {
            // a malformed line can only be a torn one; the whole-tree fallback below keeps it safe
            whole.add(new Key(0, ""));
        }
    }

    public String base() {
        return base;
    }

    /** Records that bytes [offset, offset+len) of a file change. */
    public synchronized void zone(int dir, String path, long offset, long len) throws IOException {
        Key k = new Key(dir, path);
        if (covered(k)) {
            return;
        }
        int first = (int) (offset / TreeOps.BLOCK);
        int last = (int) ((offset + Math.max(len, 1) - 1) / TreeOps.BLOCK);
        BitSet b = zones.computeIfAbsent(k, x -> new BitSet());
        if (b.nextClearBit(first) > last) {
            return;
        }
        append("Z " + dir + " " + enc(path) + " " + first + " " + last + "\n");
        b.set(first, last + 1);
    }

    /** Records that a file from {@code offset} to its end changes (truncate). */
    public synchronized void from(int dir, String path, long offset) throws IOException {
        zone(dir, path, offset, TreeOps.BLOCK);
        name(dir, path); // the size itself is compared from the listing
    }

    public synchronized void whole(int dir, String path) throws IOException {
        Key k = new Key(dir, path);
        if (covered(k)) {
            return;
        }
        append("W " + dir + " " + enc(path) + "\n");
        whole.add(k);
    }

    public synchronized void name(int dir, String path) throws IOException {
        Key k = new Key(dir, path);
        if (names.contains(k)) {
            return;
        }
        append("N " + dir + " " + enc(path) + "\n");
        names.add(k);
    }

    private boolean covered(Key k) {
        if (whole.contains(k)) {
            return true;
        }
        // a path under a subtree recorded whole is covered too
        String p = k.path();
        for (int i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
            if (whole.contains(new Key(k.dir(), p.substring(0, i)))) {
                return true;
            }
        }
        return whole.contains(new Key(k.dir(), ""));
    }

    public synchronized Dirty snapshot() {
        Map<Key, BitSet> z = new HashMap<>();
        zones.forEach((k, v) -> z.put(k, (BitSet) v.clone()));
        return new Dirty(z, new HashSet<>(whole), new HashSet<>(names));
    }

    public synchronized boolean isEmpty() {
        return zones.isEmpty() && whole.isEmpty() && names.isEmpty();
    }

    private void append(String line) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            ch.write(b);
        }
        ch.force(false);
    }

    /** Deletes the record (resync complete). */
    public synchronized void delete() throws IOException {
        ch.close();
        Files.deleteIfExists(file);
    }

    @Override
    public synchronized void close() throws IOException {
        if (ch.isOpen()) {
            ch.close();
        }
    }

    private static String enc(String s) {
        return s.isEmpty() ? "%" : URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String dec(String s) {
        return s.equals("%") ? "" : URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
