package io.steadfast.replication.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Byte-for-byte and metadata comparison of two trees on the host (type, content, mode, owner, mtime of files,
 * directories (the top one included) and symlinks, link targets, user.* extended attributes of files and directories).
 */
final class Trees {
    private Trees() {
    }

    static List<String> diff(Path a, Path b) throws IOException {
        List<String> out = new ArrayList<>();
        if (!sameXattrs(a, b)) {
            out.add("xattrs: .");
        }
        if (mtime(a) != mtime(b)) {
            out.add("mtime: .");
        }
        walk(a, b, "", out);
        return out;
    }

    private static void walk(Path a, Path b, String rel, List<String> out) throws IOException {
        List<TreeOps.Entry> la = TreeOps.list(rel.isEmpty() ? a : a.resolve(rel));
        List<TreeOps.Entry> lb = TreeOps.list(rel.isEmpty() ? b : b.resolve(rel));
        var mb = new java.util.HashMap<String, TreeOps.Entry>();
        lb.forEach(e -> mb.put(e.name(), e));
        for (TreeOps.Entry x : la) {
            String p = rel.isEmpty() ? x.name() : rel + "/" + x.name();
            TreeOps.Entry y = mb.remove(x.name());
            if (y == null) {
                out.add("only in primary: " + p);
                continue;
            }
            if (x.type() != y.type()) {
                out.add("type: " + p);
                continue;
            }
            if (x.type() != 'l' && x.mode() != y.mode()) {
                out.add("mode: " + p + " " + Integer.toOctalString(x.mode()) + "/" + Integer.toOctalString(y.mode()));
            }
            if (x.uid() != y.uid() || x.gid() != y.gid()) {
                out.add("owner: " + p);
            }
            if (x.type() == 'f' || x.type() == 'd') { // by value, not by the listing's digest
                if (!sameXattrs(a.resolve(p), b.resolve(p))) {
                    out.add("xattrs: " + p + " " + Xattrs.read(a.resolve(p)).keySet() + "/"
                            + Xattrs.read(b.resolve(p)).keySet());
                }
            }
            switch (x.type()) {
                case 'd' -> {
                    if (x.mtimeNanos() != y.mtimeNanos()) {
                        out.add("mtime: " + p + "/");
                    }
                    walk(a, b, p, out);
                }
                case 'l' -> {
                    if (!x.link().equals(y.link())) {
                        out.add("link: " + p);
                    }
                    if (x.mtimeNanos() != y.mtimeNanos()) {
                        out.add("mtime: " + p + "@");
                    }
                }
                case 'f' -> {
                    if (x.size() != y.size()) {
                        out.add("size: " + p + " " + x.size() + "/" + y.size());
                    } else if (!Arrays.equals(TreeOps.contentHash(a.resolve(p)), TreeOps.contentHash(b.resolve(p)))) {
                        out.add("content: " + p);
                    }
                    if (x.mtimeNanos() != y.mtimeNanos()) {
                        out.add("mtime: " + p);
                    }
                }
                default -> {
                }
            }
        }
        mb.keySet().forEach(n -> out.add("only in secondary: " + (rel.isEmpty() ? n : rel + "/" + n)));
    }

    private static long mtime(Path p) throws IOException {
        return Files.getLastModifiedTime(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                .to(java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    static boolean sameXattrs(Path x, Path y) throws IOException {
        var xa = Xattrs.read(x);
        var ya = Xattrs.read(y);
        return xa.keySet().equals(ya.keySet())
                && xa.keySet().stream().allMatch(n -> Arrays.equals(xa.get(n), ya.get(n)));
    }

    /** Polls until equal (the secondary applies ops acknowledged on receipt right after), at most 20 s. */
    static List<String> awaitEqual(Path a, Path b) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        List<String> d = diff(a, b);
        while (!d.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            d = diff(a, b);
        }
        return d;
    }
}
