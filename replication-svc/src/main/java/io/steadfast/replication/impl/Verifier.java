package io.steadfast.replication.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * Compares the local copy with the peer's by content (block SHA-256) and metadata (type, mode, owner, file mtime,
 * link target, {@code user.*} extended attributes of files and directories). A point-in-time comparison: run it
 * while the application is quiet for an exact answer.
 */
final class Verifier {
    private static final int MAX_DIFFS = 1000;
    private final List<Path> roots;
    private final RemoteTree remote;
    private final List<String> diffs = new ArrayList<>();

    Verifier(List<Path> roots, ReplicaClient c) {
        this.roots = roots;
        this.remote = new RemoteTree(c);
    }

    List<String> differences() throws IOException {
        for (int i = 0; i < roots.size(); i++) {
            // the top directory is no listed entry: its user.* attributes are compared on their own
            String top = roots.size() > 1 ? "#" + i + ":" : "";
            xattrs(i, "", top + ".", roots.get(i));
            walk(i, "");
        }
        return diffs;
    }

    private void diff(String d) {
        if (diffs.size() < MAX_DIFFS) {
            diffs.add(d);
        }
    }

    private void walk(int dir, String rel) throws IOException {
        Path root = roots.get(dir);
        List<TreeOps.Entry> local = TreeOps.list(rel.isEmpty() ? root : root.resolve(rel));
        Map<String, TreeOps.Entry> peer = remote.list(dir, rel);
        String prefix = roots.size() > 1 ? "#" + dir + ":" : "";
        for (TreeOps.Entry l : local) {
            String p = rel.isEmpty() ? l.name() : rel + "/" + l.name();
            TreeOps.Entry r = peer.remove(l.name());
            if (r == null) {
                diff("missing on peer: " + prefix + p);
                continue;
            }
            if (r.type() != l.type()) {
                diff("type differs: " + prefix + p);
                continue;
            }
            if (l.type() != 'l' && r.mode() != l.mode()) {
                diff("mode differs: " + prefix + p + " " + Integer.toOctalString(l.mode()) + " vs "
                        + Integer.toOctalString(r.mode()));
            }
            if (r.uid() != l.uid() || r.gid() != l.gid()) {
                diff("owner differs: " + prefix + p);
            }
            if ((l.type() == 'f' || l.type() == 'd') && !l.sameXattrs(r)) {
                xattrs(dir, p, prefix + p, root.resolve(p));
            }
            switch (l.type()) {
                case 'd' -> walk(dir, p);
                case 'l' -> {
                    if (!r.link().equals(l.link())) {
                        diff("link differs: " + prefix + p);
                    }
                }
                case 'f' -> {
                    if (r.size() != l.size()) {
                        diff("size differs: " + prefix + p + " " + l.size() + " vs " + r.size());
                    } else if (!sameContent(dir, p, root.resolve(p), l.size())) {
                        diff("content differs: " + prefix + p);
                    }
                    if (r.mtimeNanos() != l.mtimeNanos()) {
                        diff("mtime differs: " + prefix + p);
                    }
                }
                default -> {
                    // other types are not replicated
                }
            }
        }
        for (String extra : peer.keySet()) {
            diff("extra on peer: " + prefix + (rel.isEmpty() ? extra : rel + "/" + extra));
        }
    }

    /** Lists the user.* attributes that differ (by the peer's value hashes; values never travel). */
    private void xattrs(int dir, String rel, String shown, Path local) throws IOException {
        SortedMap<String, byte[]> mine;
        try {
            mine = Xattrs.hashes(Xattrs.read(local));
        } catch (NoSuchFileException e) {
            return; // removed meanwhile
        }
        SortedMap<String, byte[]> theirs = remote.xattrs(dir, rel);
        Xattrs.Plan plan = Xattrs.compare(mine, theirs);
        for (String n : plan.set()) {
            diff((theirs.containsKey(n) ? "xattr differs: " : "xattr missing on peer: ") + shown + " " + n);
        }
        for (String n : plan.remove()) {
            diff("xattr extra on peer: " + shown + " " + n);
        }
    }

    private boolean sameContent(int dir, String rel, Path file, long size) throws IOException {
        long blocks = (size + TreeOps.BLOCK - 1) / TreeOps.BLOCK;
        BitSet all = new BitSet();
        all.set(0, (int) blocks);
        for (long[] run : RemoteTree.runs(all, blocks)) {
            var f = remote.checksums(dir, rel, run[0], (int) run[1]);
            byte[] mine = Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                    ? TreeOps.checksums(file, run[0], (int) run[1]) : new byte[0];
            if (!Arrays.equals(mine, remote.await(f))) {
                return false;
            }
        }
        return true;
    }
}
