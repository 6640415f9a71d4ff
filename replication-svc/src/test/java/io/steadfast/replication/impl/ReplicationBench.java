package io.steadfast.replication.impl;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Replicated mount vs local disk, side by side in one run (bench/replication/run.sh). Two nodes on loopback in
 * their own JVMs and mount namespaces, both on this machine's one disk. Args: outputDir treeMiB async.
 */
public final class ReplicationBench {
    private static final StringBuilder report = new StringBuilder();

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "bench-out");
        int treeMiB = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
        String async = args.length > 2 ? args[2] : "SECOND";
        // which measures to run (default all): seq, lat, small, resync
        Set<String> parts = Set.of((args.length > 3 ? args[3] : "seq,lat,small,resync").split(","));
        Path run = Files.createDirectories(Path.of("/tmp/sf-bench-" + UUID.randomUUID().toString().substring(0, 8)));
        Files.createDirectories(out);
        TestNode n1 = null;
        TestNode n2 = null;
        try {
            Path secret = run.resolve("secret");
            io.steadfast.testing.TestFiles.writePrivate(secret, UUID.randomUUID() + UUID.randomUUID().toString());
            Path configured = Files.createDirectories(run.resolve("data"));
            int port = 41000 + new Random().nextInt(2000);
            n1 = new TestNode("node1", Files.createDirectories(run.resolve("node1/data")), configured,
                    run.resolve("node1/state"), "127.0.0.1:" + port, secret, async, 5000, run.resolve("node1.log"));
            n2 = new TestNode("node2", Files.createDirectories(run.resolve("node2/data")), configured,
                    run.resolve("node2/state"), "127.0.0.2:" + port, secret, async, 5000, run.resolve("node2.log"));
            n2.start().cmd("demote");
            n1.start().cmd("promote " + n2.listen + " G1");
            n1.awaitStatus(s -> s.getBoolean("upToDate"), Duration.ofSeconds(60));
            Path local = Files.createDirectories(run.resolve("local"));
            Path repl = n1.view();
            line("# Replication benchmark, " + java.time.Instant.now() + ", async=" + async);
            line("both nodes on this machine (loopback, one disk): the replicated side writes every byte twice to it");
            line("load average at start: " + Files.readString(Path.of("/proc/loadavg")).trim()
                    + " (2 cores, shared with other builds)");
            line("");

            if (parts.contains("seq")) {
                sequential(local, repl);
            }
            if (parts.contains("split")) {
                settle();
                split(local, repl, n1.pid(), n2.pid());
            }
            if (parts.contains("lat")) {
                settle();
                latency(local, repl);
            }
            if (parts.contains("small")) {
                settle();
                small(local, repl);
            }
            if (parts.contains("resync")) {
                settle();
                resync(run, n1, n2, repl, treeMiB);
            }
            line("load average at end: " + Files.readString(Path.of("/proc/loadavg")).trim());
            Files.writeString(out.resolve("last-run.txt"), report.toString());
        } finally {
            if (n1 != null) {
                n1.close();
            }
            if (n2 != null) {
                n2.close();
            }
            Path logs = Files.createDirectories(Path.of("/tmp/sf-bench-logs"));
            for (String n : List.of("node1.log", "node2.log")) {
                if (Files.exists(run.resolve(n))) {
                    Files.copy(run.resolve(n), logs.resolve(n), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            try (Stream<Path> all = Files.walk(run)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * 1. Sequential write + fsync, median of 3, local and replicated alternately, after one warm-up round each
     * (printed, not counted): the nodes' JVMs are seconds old and their first 512 MiB runs while the write path is
     * still being compiled (3-4x slower on this machine), which a long-running service does not see.
     */
    static void sequential(Path local, Path repl) throws Exception {
        double wl = dd(local.resolve("seq"));
        double wr = dd(repl.resolve("seq"));
        line(String.format("  warm-up round (not counted): local %.0f MB/s, replicated %.0f MB/s, ratio %.2f", wl, wr,
                wr / wl));
        double[] l = new double[3];
        double[] r = new double[3];
        for (int i = 0; i < 3; i++) {
            l[i] = dd(local.resolve("seq"));
            r[i] = dd(repl.resolve("seq"));
        }
        for (int i = 0; i < 3; i++) {
            line(String.format("  round %d: local %.0f MB/s, replicated %.0f MB/s, ratio %.2f", i + 1, l[i], r[i],
                    r[i] / l[i]));
        }
        double lm = median(l);
        double rm = median(r);
        line(String.format("sequential 512 MiB write + fsync (dd bs=1M conv=fsync, median of 3): local %.0f MB/s,"
                + " replicated %.0f MB/s, ratio %.2f (target >= 0.4)", lm, rm, rm / lm));
    }

    /**
     * Diagnostic of the sequential case: the same 512 x 1 MiB writes + fsync as dd, with the write phase and the
     * final fsync timed apart (where the time goes), local and replicated alternately, 3 rounds.
     */
    static void split(Path local, Path repl, long pid1, long pid2) throws IOException {
        for (int i = 0; i < 3; i++) {
            for (Path dir : List.of(local, repl)) {
                Path f = dir.resolve("split");
                ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
                long c1 = cpuMs(pid1);
                long c2 = cpuMs(pid2);
                long t0 = System.nanoTime();
                long t1;
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
                    for (int k = 0; k < 512; k++) {
                        b.clear();
                        while (b.hasRemaining()) {
                            ch.write(b);
                        }
                    }
                    t1 = System.nanoTime();
                    ch.force(true);
                }
                long t2 = System.nanoTime();
                c1 = cpuMs(pid1) - c1;
                c2 = cpuMs(pid2) - c2;
                Files.delete(f);
                line(String.format("  split %s round %d: write %.0f ms (%.0f MB/s), fsync %.0f ms, total %.0f MB/s%s",
                        dir == local ? "local" : "replicated", i + 1, (t1 - t0) / 1e6, 536.870912e9 / (t1 - t0),
                        (t2 - t1) / 1e6, 536.870912e9 / (t2 - t0),
                        dir == local ? "" : String.format("; CPU of the nodes: primary %d ms, secondary %d ms", c1, c2)));
            }
        }
    }

    /** CPU time (user + system) of a process so far, from /proc (clock ticks of 10 ms). */
    static long cpuMs(long pid) throws IOException {
        String st = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
    }

    /**
     * 2. 4 KiB pwrite + fdatasync latency: 4 rounds of 3000 ops alternating local and replicated, the first round
     * of each not counted (the nodes' JVMs are seconds old: JIT), the median of the other rounds' p50 and p99.
     * Each op's pwrite and fdatasync are also timed apart. A third column, "two copies", is what this one-disk lab
     * imposes on the replicated fdatasync: the same op on two files of the local filesystem by two threads in
     * lockstep (both copies share one ext4 journal here, so the two commits queue behind each other; two servers
     * do not have that).
     */
    static void latency(Path local, Path repl) throws Exception {
        List<double[]> l = new ArrayList<>();
        List<double[]> r = new ArrayList<>();
        List<double[]> two = new ArrayList<>();
        for (int round = 0; round < 4; round++) {
            for (Path dir : List.of(local, repl)) {
                long[][] wf = splitLatencies(dir.resolve("lat"));
                line(String.format("  latency %s round %d%s: pwrite p50 %.3f ms, fdatasync p50 %.3f ms, both p50 %.3f"
                                + " ms p99 %.3f ms", dir == local ? "local" : "replicated", round,
                        round == 0 ? " (warm-up, not counted)" : "", ms(wf[0], 50), ms(wf[1], 50), ms(wf[2], 50),
                        ms(wf[2], 99)));
                if (round > 0) {
                    (dir == local ? l : r).add(new double[] {ms(wf[2], 50), ms(wf[2], 99)});
                }
            }
            long[] lock = lockstepLatencies(local.resolve("lat-a"), local.resolve("lat-b"));
            line(String.format("  latency two copies on the local filesystem in lockstep round %d: p50 %.3f ms, p99"
                    + " %.3f ms", round, ms(lock, 50), ms(lock, 99)));
            if (round > 0) {
                two.add(new double[] {ms(lock, 50), ms(lock, 99)});
            }
        }
        double lp50 = medianOf(l, 0);
        double rp50 = medianOf(r, 0);
        line(String.format("4 KiB pwrite + fdatasync, 3000 ops x 3 rounds (median of the rounds): local p50 %.3f ms"
                        + " p99 %.3f ms; replicated p50 %.3f ms p99 %.3f ms; p50 difference %.3f ms (target <= 0.5);"
                        + " two local copies in lockstep p50 %.3f ms p99 %.3f ms", lp50, medianOf(l, 1), rp50,
                medianOf(r, 1), rp50 - lp50, medianOf(two, 0), medianOf(two, 1)));
    }

    /**
     * Between measures: flush what the previous one left dirty and give the disk a few seconds, so that a measure
     * (in particular the fdatasync latency, which pays twice on this one disk) does not run behind the writeback
     * of the one before it. Local and replicated rounds of a measure run alternately either way.
     */
    static void settle() throws IOException, InterruptedException {
        exec(List.of("sync"));
        Thread.sleep(5000);
    }

    static double medianOf(List<double[]> rounds, int i) {
        double[] v = rounds.stream().mapToDouble(a -> a[i]).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** The op of {@link #splitLatencies} on two files at once, from two threads started together; the slower. */
    static long[] lockstepLatencies(Path a, Path b) throws Exception {
        Files.deleteIfExists(a);
        Files.deleteIfExists(b);
        long[] out = new long[3000];
        long[] pos = new long[1];
        CyclicBarrier start = new CyclicBarrier(2);
        CyclicBarrier end = new CyclicBarrier(2);
        try (FileChannel ca = FileChannel.open(a, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileChannel cb = FileChannel.open(b, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            Thread other = Thread.ofPlatform().start(() -> {
                ByteBuffer buf = ByteBuffer.allocate(4096);
                try {
                    for (int i = 0; i < 3200; i++) {
                        start.await();
                        buf.clear();
                        cb.write(buf, pos[0]);
                        cb.force(false);
                        end.await();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Random r = new Random(2);
            ByteBuffer buf = ByteBuffer.allocate(4096);
            for (int i = 0; i < 3200; i++) {
                pos[0] = (long) r.nextInt(4096) * 4096;
                buf.clear();
                long t = System.nanoTime();
                start.await();
                ca.write(buf, pos[0]);
                ca.force(false);
                end.await();
                if (i >= 200) {
                    out[i - 200] = System.nanoTime() - t;
                }
            }
            other.join();
        }
        Arrays.sort(out);
        return out;
    }

    static long[][] splitLatencies(Path f) throws IOException {
        Random r = new Random(2);
        long[][] out = new long[3][3000];
        Files.deleteIfExists(f);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(4096);
            for (int i = 0; i < 3200; i++) {
                b.clear();
                long pos = (long) r.nextInt(4096) * 4096;
                long t = System.nanoTime();
                ch.write(b, pos);
                long t1 = System.nanoTime();
                ch.force(false);
                long t2 = System.nanoTime();
                if (i >= 200) {
                    out[0][i - 200] = t1 - t;
                    out[1][i - 200] = t2 - t1;
                    out[2][i - 200] = t2 - t;
                }
            }
        }
        for (long[] o : out) {
            Arrays.sort(o);
        }
        return out;
    }

    /** 3. Small files. */
    static void small(Path local, Path repl) throws IOException {
        double lf = smallFiles(Files.createDirectories(local.resolve("small")));
        double rf = smallFiles(Files.createDirectories(repl.resolve("small")));
        line(String.format("small files (4 KiB, create+write+close, 3000): local %.0f files/s, replicated %.0f"
                + " files/s, ratio %.2f", lf, rf, rf / lf));
    }

    /** 4. Resync after downtime with 1 % changed, vs rsync -a between the same trees; then a forced full one. */
    static void resync(Path run, TestNode n1, TestNode n2, Path repl, int treeMiB) throws Exception {
        long t0 = System.nanoTime();
        int files = treeMiB / 4;
        Random rnd = new Random(1);
        Files.createDirectories(repl.resolve("tree"));
        byte[] buf = new byte[4 << 20];
        for (int i = 0; i < files; i++) {
            rnd.nextBytes(buf);
            Files.createDirectories(repl.resolve("tree/d" + (i % 16)));
            Files.write(repl.resolve("tree/d" + (i % 16) + "/f" + i), buf);
        }
        line(String.format("tree: %d files x 4 MiB = %d MiB, written through the mount in %.1f s", files,
                files * 4, (System.nanoTime() - t0) / 1e9));
        n1.awaitStatus(s -> s.getLong("pendingAcks") == 0, Duration.ofSeconds(60));
        // the secondary goes down cleanly (maintenance): with async=second a kill -9 may lose ops it had
        // acknowledged on receipt, which forces a full comparison (measured below) instead of the record
        n2.close();
        // 1 % of the bytes: an 800 KiB zone in 1 of every 19 files... computed to reach 1 %
        long target = (long) files * (4 << 20) / 100;
        int zone = 800 * 1024;
        int changed = (int) Math.max(1, target / zone);
        byte[] z = new byte[zone];
        for (int i = 0; i < changed; i++) {
            rnd.nextBytes(z);
            int f = (int) ((long) i * files / changed);
            ReplicationIT.writeAt(repl.resolve("tree/d" + (f % 16) + "/f" + f), rnd.nextInt(3 << 20), z);
        }
        n1.awaitStatus(s -> s.getBoolean("recording"), Duration.ofSeconds(30));
        line(String.format("changed while the secondary was down: %d zones of 800 KiB = %.1f MiB (%.2f %%)",
                changed, changed * zone / 1048576.0, 100.0 * changed * zone / ((long) files << 22)));
        // rsync reference: the same two trees (primary's, and a copy of what the secondary had)
        Path rs = run.resolve("rsync-dst");
        exec(List.of("cp", "-a", n2.own.toString(), rs.toString()));
        exec(List.of("sync"));
        long r0 = System.nanoTime();
        exec(List.of("rsync", "-a", "--delete", n1.own + "/", rs + "/"));
        double rsyncS = (System.nanoTime() - r0) / 1e9;
        exec(List.of("sync"));
        n1.events.clear();
        n2.start().cmd("demote");
        JsonObject st = n1.awaitStatus(s -> s.getBoolean("upToDate"), Duration.ofMinutes(10));
        double resyncS = resyncSeconds(n1);
        line(String.format("resync (%s): %.2f s from connection to up to date, sent %s bytes;"
                + " rsync -a --delete of the same trees: %.2f s; ratio %.2f (target <= 0.5)", how(n1), resyncS,
                bytes(st), rsyncS, resyncS / rsyncS));
        phases(run.resolve("node1.log"));
        n1.events.clear();
        n1.cmd("promote " + n2.listen + " G1 full");
        st = n1.awaitStatus(s -> s.getBoolean("upToDate"), Duration.ofMinutes(10));
        line(String.format("forced full comparison (fullsync: listings + SHA-256 of every 64 KiB block on both"
                + " sides): %.2f s, sent %s bytes", resyncSeconds(n1), bytes(st)));
        phases(run.resolve("node1.log"));
        List<String> diff = Trees.diff(n1.own, n2.own);
        line("trees equal after resync: " + diff.isEmpty() + (diff.isEmpty() ? "" : " " + diff.subList(0,
                Math.min(5, diff.size()))));
    }

    /** From the RESYNCING status event to the REPLICATING one, as received from the primary. */
    static double resyncSeconds(TestNode n) {
        long start = -1;
        long end = -1;
        for (JsonObject e : n.events) {
            if (!"status".equals(e.getString("event"))) {
                continue;
            }
            String reason = e.getJsonObject("status").getString("reason");
            if (reason.contains("resync") && start < 0 && !e.getJsonObject("status").getBoolean("upToDate")) {
                start = e.getLong("t");
            }
            if (e.getJsonObject("status").getBoolean("upToDate")) {
                end = e.getLong("t");
            }
        }
        return (end - start) / 1e9;
    }

    private static int phaseLines;

    /** The primary's own account of the last resync's phases (new lines of its log). */
    static void phases(Path log) throws IOException {
        List<String> all = Files.readAllLines(log).stream().filter(l -> l.contains("resync of")).toList();
        for (String l : all.subList(Math.min(phaseLines, all.size()), all.size())) {
            line("  primary log: " + l.substring(l.indexOf("resync of")));
        }
        phaseLines = all.size();
    }

    static String how(TestNode n) {
        return n.events.stream().filter(e -> "status".equals(e.getString("event")))
                .map(e -> e.getJsonObject("status").getString("reason")).filter(r -> r.contains("connected"))
                .findFirst().orElse("?");
    }

    static String bytes(JsonObject st) {
        Matcher m = Pattern.compile("resync sent (\\d+) bytes").matcher(st.getString("reason"));
        return m.find() ? m.group(1) : "?";
    }

    static void line(String s) {
        System.out.println(s);
        report.append(s).append('\n');
    }

    static double dd(Path f) throws Exception {
        String o = exec(List.of("dd", "if=/dev/zero", "of=" + f, "bs=1M", "count=512", "conv=fsync"));
        Matcher m = Pattern.compile("copied, ([0-9.]+) s").matcher(o);
        if (!m.find()) {
            throw new IOException("dd: " + o);
        }
        Files.delete(f);
        return 536.870912 / Double.parseDouble(m.group(1));
    }

    static double ms(long[] sorted, int pct) {
        return sorted[Math.min(sorted.length - 1, sorted.length * pct / 100)] / 1e6;
    }

    static double smallFiles(Path dir) throws IOException {
        byte[] data = new byte[4096];
        long t = System.nanoTime();
        for (int i = 0; i < 3000; i++) {
            Files.write(dir.resolve("f" + i), data);
        }
        return 3000 / ((System.nanoTime() - t) / 1e9);
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    static String exec(List<String> argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String o = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(argv + " failed: " + o);
        }
        return o;
    }

    private ReplicationBench() {
    }
}
