package io.steadfast.replication.impl;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Two replication nodes in their own JVMs and mount namespaces on loopback (node1 127.0.0.1, node2 127.0.0.2,
 * same port), each with the same configured path bound to its own directory, real FUSE mounts, kill -9.
 */
class ReplicationIT {
    static final Duration UP = Duration.ofSeconds(60);
    Path run;
    TestNode n1;
    TestNode n2;
    int port;

    @BeforeEach
    void setUp() throws IOException {
        assertThat(new com.sun.security.auth.module.UnixSystem().getUid()).as("must run as root (FUSE, mounts)")
                .isZero();
        run = Files.createDirectories(Path.of("/tmp/sf-repl-" + UUID.randomUUID().toString().substring(0, 8)));
        Path secret = run.resolve("secret");
        io.steadfast.testing.TestFiles.writePrivate(secret, UUID.randomUUID() + UUID.randomUUID().toString() + "\n");
        Path configured = Files.createDirectories(run.resolve("data"));
        port = 20000 + ThreadLocalRandom.current().nextInt(20000);
        n1 = node("node1", "127.0.0.1", configured, secret, "SECOND");
        n2 = node("node2", "127.0.0.2", configured, secret, "SECOND");
    }

    TestNode node(String name, String ip, Path configured, Path secret, String async) throws IOException {
        Path own = Files.createDirectories(run.resolve(name).resolve("data"));
        return new TestNode(name, own, configured, run.resolve(name).resolve("state"), ip + ":" + port, secret, async,
                2000, run.resolve(name + ".log"));
    }

    void useAsync(String async) throws IOException {
        Path configured = run.resolve("data");
        Path secret = run.resolve("secret");
        n1 = node("node1", "127.0.0.1", configured, secret, async);
        n2 = node("node2", "127.0.0.2", configured, secret, async);
    }

    @AfterEach
    void tearDown(org.junit.jupiter.api.TestInfo info) throws Exception {
        try {
            // keep the nodes' logs for a post-mortem
            Path keep = Files.createDirectories(Path.of("target", "it-logs",
                    info.getTestMethod().map(java.lang.reflect.Method::getName).orElse("test")));
            for (String n : List.of("node1.log", "node2.log")) {
                if (Files.exists(run.resolve(n))) {
                    Files.copy(run.resolve(n), keep.resolve(n), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            if (n1 != null) {
                n1.close();
            }
        } finally {
            if (n2 != null) {
                n2.close();
            }
            if (run != null) {
                try (Stream<Path> all = Files.walk(run)) {
                    all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    /** node2 target, node1 source replicating to it and up to date. */
    void pair() throws Exception {
        n2.start().cmd("demote");
        n1.start().cmd("promote " + n2.listen + " G1");
        n1.awaitStatus(s -> s.getBoolean("upToDate"), UP);
    }

    static long resyncBytes(JsonObject status) {
        System.err.println("resync status: " + status.getString("reason"));
        Matcher m = Pattern.compile("resync sent (\\d+) bytes").matcher(status.getString("reason"));
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static void writeAt(Path f, long pos, byte[] data) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                pos += ch.write(b, pos);
            }
        }
    }

    /** Sets (value) or removes (null) {@code user.<name>} of {@code p}, not following a link. */
    static void xattr(Path p, String name, String value) throws IOException {
        var v = Files.getFileAttributeView(p, java.nio.file.attribute.UserDefinedFileAttributeView.class,
                java.nio.file.LinkOption.NOFOLLOW_LINKS);
        if (value == null) {
            v.delete(name);
        } else {
            v.write(name, ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
        }
    }

    static byte[] random(int n, Random r) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    @Test
    void randomOperationsFromManyThreadsLeaveBothTreesEqual() throws Exception {
        pair();
        Path v = n1.view();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Integer>> fs = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            long seed = 1000 + t;
            fs.add(pool.submit(() -> randomOps(v, new Random(seed), 250)));
        }
        int done = 0;
        for (Future<Integer> f : fs) {
            done += f.get();
        }
        pool.shutdown();
        assertThat(done).as("operations that succeeded").isGreaterThan(300);
        assertThat(Trees.awaitEqual(n1.own, n2.own)).isEmpty();
        JsonObject verify = n1.cmd("verify");
        assertThat(verify.getBoolean("equal")).as(verify.encode()).isTrue();
    }

    /** Random namespace and data operations on shared names; failures (ENOENT, ENOTEMPTY...) are part of it. */
    static int randomOps(Path root, Random r, int count) {
        String[] names = {"a", "b", "c", "d/e", "d/f", "g/h", "d", "g"};
        int ok = 0;
        for (int i = 0; i < count; i++) {
            Path p = root.resolve(names[r.nextInt(names.length)]);
            Path q = root.resolve(names[r.nextInt(names.length)]);
            try {
                switch (r.nextInt(14)) {
                    case 0, 1, 2 -> writeAt(p, r.nextInt(300_000), random(1 + r.nextInt(100_000), r));
                    case 3 -> {
                        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                            ch.truncate(r.nextInt(200_000));
                        }
                    }
                    case 4 -> Files.move(p, q, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    case 5 -> Files.delete(p);
                    case 6 -> Files.createDirectory(p);
                    case 7 -> Files.createSymbolicLink(p, Path.of("target-" + r.nextInt(5)));
                    case 8 -> Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(
                            r.nextBoolean() ? "rw-r-----" : "rwxr-xr-x"));
                    case 9 -> Files.setLastModifiedTime(p, FileTime.fromMillis(1_600_000_000_000L + r.nextInt(1 << 30)));
                    case 10 -> Files.setAttribute(p, "unix:uid", r.nextBoolean() ? 0 : 1000,
                            java.nio.file.LinkOption.NOFOLLOW_LINKS);
                    // user.* xattrs on files and directories (on a link: refused, O_NOFOLLOW)
                    case 12 -> xattr(p, "x" + r.nextInt(3), "v" + r.nextInt(1000));
                    case 13 -> xattr(p, "x" + r.nextInt(3), null);
                    default -> {
                        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                            ch.write(ByteBuffer.wrap(random(4096, r)), r.nextInt(100_000));
                            ch.force(false);
                        }
                    }
                }
                ok++;
            } catch (IOException e) {
                // expected for some random sequences
            }
        }
        return ok;
    }

    @Test
    void killingThePrimaryMidWriteLosesNoAcknowledgedRecord() throws Exception {
        pair();
        Random rnd = new Random();
        int iterations = 6;
        long totalAcked = 0;
        for (int it = 0; it < iterations; it++) {
            Path log = n1.view().resolve("journal.log");
            List<long[]> acked = new ArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            int iter = it;
            Thread writer = Thread.ofPlatform().start(() -> {
                try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
                    long pos = ch.size();
                    for (int n = 0; !stop.get() && n < 1_000_000; n++) {
                        byte[] rec = String.format("%-63s\n", "iter " + iter + " record " + n)
                                .getBytes(StandardCharsets.US_ASCII);
                        ch.write(ByteBuffer.wrap(rec), pos);
                        ch.force(false); // acknowledged = this returned
                        synchronized (acked) {
                            acked.add(new long[]{pos, n});
                        }
                        pos += rec.length;
                    }
                } catch (IOException e) {
                    // the primary died under us
                }
            });
            long until = System.nanoTime() + 30_000_000_000L;
            while (true) { // at least one acknowledged record, then a random moment
                synchronized (acked) {
                    if (!acked.isEmpty() || System.nanoTime() > until) {
                        break;
                    }
                }
                Thread.sleep(5);
            }
            Thread.sleep(rnd.nextInt(800));
            n1.kill9();
            stop.set(true);
            writer.join(10_000);
            // the secondary notices the end of the session after applying what it received
            n2.awaitStatus(s -> !s.getBoolean("connected"), UP);
            byte[] copy = Files.readAllBytes(n2.own.resolve("journal.log"));
            synchronized (acked) {
                assertThat(acked).as("iteration %d wrote something", it).isNotEmpty();
                for (long[] a : acked) {
                    String want = String.format("%-63s\n", "iter " + it + " record " + a[1]);
                    assertThat(copy.length).as("record %d of iteration %d", a[1], it).isGreaterThanOrEqualTo(
                            (int) a[0] + 64);
                    assertThat(new String(copy, (int) a[0], 64, StandardCharsets.US_ASCII)).isEqualTo(want);
                }
                totalAcked += acked.size();
            }
            // the primary comes back (it crashed while in sync: full comparison) and writing goes on
            n1.start().cmd("promote " + n2.listen + " G1");
            n1.awaitStatus(s -> s.getBoolean("upToDate"), UP);
            assertThat(Trees.awaitEqual(n1.own, n2.own)).isEmpty();
        }
        assertThat(totalAcked).isGreaterThan(iterations);
    }

    /** Builds 16 files of 1 MiB through the mount (replicated). */
    static void tree(Path v, Random r) throws IOException {
        Files.createDirectories(v.resolve("t/sub"));
        for (int i = 0; i < 16; i++) {
            Files.write(v.resolve((i % 2 == 0 ? "t/" : "t/sub/") + "f" + i), random(1 << 20, r));
        }
    }

    @Test
    void secondaryDownThenOnlyTheChangedZonesAreTransferred() throws Exception {
        useAsync("NONE");
        pair();
        Random r = new Random(7);
        Path v = n1.view();
        tree(v, r);
        n2.kill9();
        // first writes notice the loss (connection reset) and go on recording
        writeAt(v.resolve("t/f0"), 100_000, random(4096, r));
        n1.awaitStatus(s -> s.getBoolean("recording"), UP);
        writeAt(v.resolve("t/f0"), 900_000, random(4096, r));
        writeAt(v.resolve("t/sub/f1"), 10, random(4096, r));
        writeAt(v.resolve("t/f2"), 500_000, random(8192, r));
        Files.write(v.resolve("t/new"), random(100_000, r));
        Files.delete(v.resolve("t/f4"));
        Files.setPosixFilePermissions(v.resolve("t/f6"), PosixFilePermissions.fromString("rw-------"));
        Files.move(v.resolve("t/sub/f3"), v.resolve("t/sub/f3-renamed"));
        n2.start().cmd("demote");
        JsonObject st = n1.awaitStatus(s -> s.getBoolean("upToDate"), UP);
        long sent = resyncBytes(st);
        assertThat(st.getString("reason")).contains("up to date");
        // 4 blocks of 64 KiB (f0 twice, f1, f2) + the new file + the renamed file (1 MiB: not at that name there)
        assertThat(sent).as(st.encode()).isBetween(100_000L, 4L * 65536 + 100_000 + (1 << 20));
        assertThat(Trees.awaitEqual(n1.own, n2.own)).isEmpty();
    }

    @Test
    void aResyncFromTheRecordAfterMixedChangesLeavesBothTreesEqual() throws Exception {
        // files changed only by writes are copied straight from the record, the rest by walking: both together
        useAsync("NONE");
        pair();
        Random r = new Random(12);
        Path v = n1.view();
        tree(v, r);
        n2.kill9();
        writeAt(v.resolve("t/f0"), 0, random(10, r));
        n1.awaitStatus(s -> s.getBoolean("recording"), UP);
        for (int i = 0; i < 16; i++) { // a zone in every file
            writeAt(v.resolve((i % 2 == 0 ? "t/" : "t/sub/") + "f" + i), r.nextInt(1 << 20), random(5000, r));
        }
        writeAt(v.resolve("t/f2"), (1 << 20) - 10, random(200_000, r)); // grows past its end
        Files.setPosixFilePermissions(v.resolve("t/f2"), PosixFilePermissions.fromString("rw-------"));
        try (FileChannel ch = FileChannel.open(v.resolve("t/f4"), StandardOpenOption.WRITE)) {
            ch.truncate(500_000);
        }
        Files.delete(v.resolve("t/f6"));
        Files.write(v.resolve("t/f6"), random(70_000, r)); // written, removed, created again
        Files.move(v.resolve("t/sub"), v.resolve("t/moved")); // a directory of written files renamed away
        writeAt(v.resolve("t/moved/f1"), 300_000, random(70_000, r));
        Files.setLastModifiedTime(v.resolve("t/f8"), FileTime.fromMillis(1_600_000_000_000L));
        randomOps(v, new Random(13), 300);
        resyncFromRecord();
        JsonObject verify = n1.cmd("verify");
        assertThat(verify.getBoolean("equal")).as(verify.encode()).isTrue();
    }

    @Test
    void resyncRunsWhileTheApplicationKeepsWriting() throws Exception {
        useAsync("NONE");
        pair();
        Random r = new Random(8);
        Path v = n1.view();
        tree(v, r);
        n2.kill9();
        writeAt(v.resolve("t/f0"), 0, random(4096, r));
        n1.awaitStatus(s -> s.getBoolean("recording"), UP);
        for (int i = 0; i < 48; i++) {
            Files.write(v.resolve("t/big" + i), random(1 << 20, r)); // 48 MiB to copy while the app writes
        }
        AtomicBoolean stop = new AtomicBoolean();
        Future<Integer> writer = Executors.newSingleThreadExecutor().submit(() -> {
            Random w = new Random(9);
            int n = 0;
            while (!stop.get() && n < 100_000) {
                writeAt(v.resolve("t/big" + w.nextInt(48)), w.nextInt(1 << 20), random(4096, w));
                writeAt(v.resolve("t/during-" + (n % 20)), w.nextInt(1 << 16), random(1000, w));
                n++;
            }
            return n;
        });
        n2.start().cmd("demote");
        n1.awaitStatus(s -> s.getBoolean("upToDate"), UP);
        Thread.sleep(300); // keep writing a little after the resync too
        stop.set(true);
        assertThat(writer.get()).isGreaterThan(0);
        assertThat(Trees.awaitEqual(n1.own, n2.own)).isEmpty();
    }

    @Test
    void anInterruptedResyncResumesWithoutStartingOver() throws Exception {
        useAsync("NONE");
        pair();
        Random r = new Random(10);
        Path v = n1.view();
        n2.kill9();
        writeAt(v.resolve("first"), 0, random(10, r));
        n1.awaitStatus(s -> s.getBoolean("recording"), UP);
        int files = 160;
        for (int i = 0; i < files; i++) {
            Files.write(v.resolve("big" + i), random(1 << 20, r));
        }
        n1.events.clear();
        n2.start().cmd("demote");
        // kill the secondary once the copy is under way: watched on its own disk every few ms (progress events come
        // about once a second, and on a quiet machine the whole copy can be done by then)
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (bytesIn(n2.own) <= (8 << 20)) {
            assertThat(System.nanoTime()).as("resync under way").isLessThan(deadline);
            Thread.sleep(2);
        }
        n2.kill9();
        JsonObject lost = n1.awaitStatus(s -> s.getBoolean("recording"), UP);
        assertThat(lost.getBoolean("upToDate")).isFalse();
        n2.start().cmd("demote");
        JsonObject st = n1.awaitStatus(s -> s.getBoolean("upToDate"), UP);
        long second = resyncBytes(st);
        assertThat(second).as("the second resync sends only what the first did not: " + st.encode())
                .isGreaterThan(0).isLessThan((long) files << 20);
        assertThat(Trees.awaitEqual(n1.own, n2.own)).isEmpty();
    }

    /**
     * user.* xattrs set, changed and removed while the secondary is down (files, a directory, the top directory, a
     * file created meanwhile, one whose only change is an xattr) are copied by the resync from the record; verify
     * reports an xattr difference made behind the replication's back, and none after a full resync.
     */
    @Test
    void xattrsChangedWhileTheSecondaryIsDownAreCopiedByTheResyncAndCheckedByVerify() throws Exception {
        useAsync("NONE");
        pair();
        Path v = n1.view();
        Files.createDirectories(v.resolve("t/sub"));
        Files.writeString(v.resolve("t/a"), "a");
        Files.writeString(v.resolve("t/b"), "b");
        Files.createSymbolicLink(v.resolve("t/link"), Path.of("a"));
        xattr(v.resolve("t/a"), "keep", "1");
        xattr(v.resolve("t/a"), "change", "old");
        xattr(v.resolve("t/a"), "drop", "x");
        xattr(v.resolve("t/b"), "drop", "y");
        xattr(v.resolve("t"), "dir", "d");
        assertThat(Trees.awaitEqual(n1.own, n2.own)).isEmpty(); // replicated live
        assertThat(Xattrs.read(n2.own.resolve("t/a"))).containsOnlyKeys("user.keep", "user.change", "user.drop");
        n2.kill9();
        writeAt(v.resolve("t/other"), 0, "notices the loss".getBytes(StandardCharsets.UTF_8));
        n1.awaitStatus(s -> s.getBoolean("recording"), UP);
        xattr(v.resolve("t/a"), "change", "new");
        xattr(v.resolve("t/a"), "drop", null);
        xattr(v.resolve("t/a"), "added", "z".repeat(2000));
        xattr(v.resolve("t/b"), "drop", null); // t/b: no change but this one
        xattr(v.resolve("t/sub"), "s", "1");
        xattr(v.resolve("t"), "dir", null);
        xattr(v, "top", "t");
        Files.writeString(v.resolve("t/created"), "c");
        xattr(v.resolve("t/created"), "c", "3");
        assertThatThrownBy(() -> xattr(v.resolve("t/link"), "l", "1")).isInstanceOf(IOException.class);
        resyncFromRecord();
        assertThat(Xattrs.read(n2.own.resolve("t/a"))).containsOnlyKeys("user.keep", "user.change", "user.added");
        assertThat(Xattrs.read(n2.own.resolve("t/b"))).isEmpty();
        assertThat(Xattrs.read(n2.own)).containsOnlyKeys("user.top");
        JsonObject verify = n1.cmd("verify");
        assertThat(verify.getBoolean("equal")).as(verify.encode()).isTrue();

        // behind the replication's back, on the secondary's own directory
        xattr(n2.own.resolve("t/a"), "rogue", "r");
        xattr(n2.own.resolve("t/a"), "keep", "2");
        xattr(n2.own.resolve("t/sub"), "s", null);
        verify = n1.cmd("verify");
        assertThat(verify.getBoolean("equal")).as(verify.encode()).isFalse();
        assertThat(verify.getJsonArray("differences").getList()).as(verify.encode()).containsExactlyInAnyOrder(
                "xattr differs: t/a user.keep", "xattr extra on peer: t/a user.rogue",
                "xattr missing on peer: t/sub user.s");
        n1.cmd("promote " + n2.listen + " G1 full");
        n1.awaitStatus(s -> s.getBoolean("upToDate"), UP);
        assertThat(Trees.awaitEqual(n1.own, n2.own)).isEmpty();
        verify = n1.cmd("verify");
        assertThat(verify.getBoolean("equal")).as(verify.encode()).isTrue();
    }

    @Test
    void generationsThatDoNotLineUpForceAFullComparison() throws Exception {
        useAsync("NONE");
        pair();
        Random r = new Random(11);
        Path v = n1.view();
        tree(v, r);
        n2.kill9();
        writeAt(v.resolve("t/f0"), 0, random(10, r));
        n1.awaitStatus(s -> s.getBoolean("recording"), UP);
        // meanwhile node2's copy changed on its own (say it ran ALONE): the record cannot know about that
        writeAt(n2.own.resolve("t/f8"), 4096, random(100, r));
        Files.writeString(n2.state.resolve("target.json"),
                new JsonObject().put("generation", "G-other").put("upToDate", true).encode());
        n2.start().cmd("demote");
        JsonObject st = n1.awaitStatus(s -> s.getBoolean("upToDate"), UP);
        assertThat(Trees.awaitEqual(n1.own, n2.own)).isEmpty();
        // full comparison: only the differing blocks travel (f0's first block, f8's tampered one)
        assertThat(resyncBytes(st)).isBetween(2L * 65536, 3L * 65536);
        assertThat(n1.events.stream().filter(e -> "status".equals(e.getString("event")))
                .map(e -> e.getJsonObject("status").getString("reason")).toList())
                .anyMatch(s -> s.contains("full resync"));
    }

    static final int NOBODY = 65534;
    static final int USERS = 100;

    /**
     * Runs {@code script} with sh as user nobody (no supplementary groups) in {@code node}'s mount namespace, where
     * the replicated directory is mounted, in {@code dir}; returns its exit code, output in {@code out}.
     */
    static int asNobody(TestNode node, Path dir, String script, StringBuilder out) throws Exception {
        Process p = new ProcessBuilder("nsenter", "-t", Long.toString(node.pid()), "-m", "--", "setpriv",
                "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--", "sh", "-c",
                "umask 022; cd \"$1\" && " + script, "sh", dir.toString()).redirectErrorStream(true)
                .directory(new java.io.File("/")).start();
        out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("as nobody: " + script).isTrue();
        return p.exitValue();
    }

    static Map<String, Object> unix(Path p) throws IOException {
        return Files.readAttributes(p, "unix:uid,gid,mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void anApplicationUserCreatesFilesAsItselfAndTheKernelChecksItsPermissions() throws Exception {
        useAsync("NONE"); // nothing acknowledged on receipt only: the secondary's kill leaves the record usable
        pair();
        Path v = n1.view();
        Path configured = run.resolve("data");
        // prepared by root: a directory for everyone, a set-group-ID directory of group users, a file only root may
        // write, a world-writable set-ID file
        Files.createDirectory(v.resolve("open"));
        Files.setPosixFilePermissions(v.resolve("open"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.createDirectory(v.resolve("team"));
        Files.setAttribute(v.resolve("team"), "unix:gid", USERS);
        Files.setAttribute(v.resolve("team"), "unix:mode", 02777);
        Files.writeString(v.resolve("root-only"), "root\n");
        Files.writeString(v.resolve("setid"), "#!/bin/sh\n");
        Files.setAttribute(v.resolve("setid"), "unix:mode", 06777);

        StringBuilder out = new StringBuilder();
        assertThat(asNobody(n1, configured, "mkdir open/d && echo a > open/d/f && ln -s f open/d/l"
                + " && mkdir team/sub && echo b > team/file && echo c >> setid", out)).as(out.toString()).isZero();
        // the kernel's permission checks hold: nobody may not write root's file, nor reach the backing directory
        assertThat(asNobody(n1, configured, "echo x >> root-only", out)).as(out.toString()).isNotZero();
        assertThat(asNobody(n1, configured, "ls ../.data.sf-backing/data", out)).as(out.toString()).isNotZero();
        assertThat(asNobody(n1, configured, "echo x > ../.data.sf-backing/data/planted", out)).isNotZero();
        assertThat(out.toString()).contains("Permission denied");
        assertThat(Files.readString(v.resolve("root-only"))).isEqualTo("root\n");

        for (Path own : List.of(n1.own, n2.own)) {
            for (String made : List.of("open/d", "open/d/f", "open/d/l")) {
                assertThat(unix(own.resolve(made))).as(own + " " + made).containsEntry("uid", NOBODY)
                        .containsEntry("gid", NOBODY);
            }
            assertThat((Integer) unix(own.resolve("open/d/f")).get("mode") & 07777).isEqualTo(0644);
            assertThat((Integer) unix(own.resolve("open/d")).get("mode") & 07777).isEqualTo(0755);
            // BSD group semantics under a set-group-ID directory: its group, and a new directory keeps the bit
            assertThat(unix(own.resolve("team/sub"))).containsEntry("uid", NOBODY).containsEntry("gid", USERS);
            assertThat((Integer) unix(own.resolve("team/sub")).get("mode") & 07777).isEqualTo(02755);
            assertThat(unix(own.resolve("team/file"))).containsEntry("uid", NOBODY).containsEntry("gid", USERS);
            // a write by a non-owner clears set-user-ID and set-group-ID
            assertThat((Integer) unix(own.resolve("setid")).get("mode") & 07777).as(own + " setid").isEqualTo(0777);
        }
        assertThat(Trees.awaitEqual(n1.own, n2.own)).isEmpty();

        // while the secondary is down: created by nobody, recorded, resynced with owners and modes
        n2.kill9();
        assertThat(asNobody(n1, configured, "mkdir -p open/later/deep && echo d > open/later/deep/g"
                + " && ln -s g open/later/deep/m && echo e > team/late && chmod 2755 team/sub", out))
                .as(out.toString()).isZero();
        n1.awaitStatus(s -> s.getBoolean("recording"), UP);
        // given away and made set-user-ID by root: the resync must send the owner before the mode (a chown clears it)
        Files.setAttribute(v.resolve("setid"), "unix:uid", NOBODY);
        Files.setAttribute(v.resolve("setid"), "unix:mode", 04755);
        resyncFromRecord();
        assertThat(unix(n2.own.resolve("open/later/deep/g"))).containsEntry("uid", NOBODY).containsEntry("gid", NOBODY);
        assertThat(unix(n2.own.resolve("open/later/deep/m"))).containsEntry("uid", NOBODY);
        assertThat(unix(n2.own.resolve("team/late"))).containsEntry("gid", USERS);
        assertThat((Integer) unix(n2.own.resolve("setid")).get("mode") & 07777).isEqualTo(04755);
        JsonObject verify = n1.cmd("verify");
        assertThat(verify.getBoolean("equal")).as(verify.encode()).isTrue();
    }

    /**
     * Issue 15: PostgreSQL of the project's template, run as user postgres, on the replicated directory. A ledger
     * client (one transaction per row) and pgbench write; the primary crashes (its replication node killed -9, its
     * mount dead under the server, then the server killed by the template's forced stop, as the watchdog does) → the
     * server starts on the secondary's copy (crash recovery), every acknowledged row is
     * there and pg_amcheck finds nothing; the old primary returns as the target, is resynchronised, the roles are
     * swapped back, and every row is still there.
     */
    @Test
    void postgresqlLosesNoCommittedRowWhenThePrimaryLosesPower() throws Exception {
        pair();
        Path configured = run.resolve("data");
        int pgPort = 30000 + ThreadLocalRandom.current().nextInt(20000); // names the socket (TCP is off)
        PgServer pg1 = new PgServer(n1, configured, run, pgPort);
        PgServer pg2 = new PgServer(n2, configured, run, pgPort);
        Process bench = null;
        try {
            expectOk(pg1.script("init"));
            expectOk(pg1.script("start", "ALONE", "PRIM", "start"));
            pg1.sql("create table ledger(id bigint primary key)");
            expectOk(PgServer.Exec.run(pg1.client("pgbench", "-i", "-s", "1", "-q", "postgres"), 300));
            bench = new ProcessBuilder(pg1.client("pgbench", "-n", "-c", "2", "-j", "1", "-T", "300", "postgres"))
                    .directory(new java.io.File("/"))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            List<Long> acked;
            try (PgServer.Ledger ledger = pg1.new Ledger()) {
                long until = System.nanoTime() + 120_000_000_000L;
                while (ledger.count() < 300 && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
                assertThat(ledger.count()).as("rows committed before the power loss").isGreaterThanOrEqualTo(300);
                long postmaster = pg1.postmaster();
                n1.kill9(); // the node's replication dies: its mount with it (ENOTCONN under the server)
                // the template's forced stop still finds the server (by its node-local socket lock) and kills it,
                // as the watchdog's stop_prim does after an agent crash
                // (the server may already have stopped by itself on the I/O errors: then there is nothing to stop)
                if (ProcessHandle.of(postmaster).map(ProcessHandle::isAlive).orElse(false)) {
                    PgServer.Exec stop = pg1.scriptIn(postmaster, "stop", "PRIM", "STOP", "stop", "force");
                    assertThat(stop.code() == 0 || ProcessHandle.of(postmaster).isEmpty()).as(stop.out()).isTrue();
                }
                pg1.kill9(); // nothing left of it, whatever the stop found
                assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive).orElse(false)).isFalse();
                ledger.awaitEnd();
                acked = ledger.acked();
            }
            bench.destroyForcibly();
            n2.awaitStatus(s -> !s.getBoolean("connected"), UP);
            n2.cmd("promote " + n1.listen + " G2");
            expectOk(pg2.script("start", "SECOND", "ALONE", "start"));
            assertThat(ledgerRows(pg2)).as("every acknowledged row on the new primary").containsAll(acked);
            amcheck(pg2);
            pg2.sql("insert into ledger(id) values (-1)"); // written while ALONE: must reach node1 by the resync

            // the old primary returns as the target and is resynchronised; then the roles are swapped back
            n1.start().cmd("demote");
            n2.awaitStatus(s -> s.getBoolean("upToDate"), UP);
            expectOk(pg2.script("stop", "ALONE", "SECOND", "swap"));
            n2.cmd("demote");
            n1.cmd("promote " + n2.listen + " G3");
            n1.awaitStatus(s -> s.getBoolean("upToDate"), UP);
            expectOk(pg1.script("start", "SECOND", "PRIM", "swap"));
            List<Long> rows = ledgerRows(pg1);
            assertThat(rows).containsAll(acked).contains(-1L);
            amcheck(pg1);
            expectOk(pg1.script("stop", "PRIM", "STOP", "stop"));
            expectOk(pg1.script("stop", "PRIM", "STOP", "stop", "force")); // idempotent
            assertThat(pg1.postmaster() < 0 || ProcessHandle.of(pg1.postmaster()).isEmpty()).isTrue();
            assertThat(Trees.awaitEqual(n1.own, n2.own)).isEmpty();
        } finally {
            if (bench != null) {
                bench.destroyForcibly();
            }
            pg1.kill9();
            pg2.kill9();
        }
    }

    static void expectOk(PgServer.Exec r) {
        assertThat(r.code()).as(r.out()).isZero();
    }

    static List<Long> ledgerRows(PgServer pg) throws Exception {
        return pg.sql("select id from ledger order by id").stream().map(Long::parseLong).toList();
    }

    /** pg_amcheck of every table and index (heap and B-tree checks, the extension installed when missing). */
    static void amcheck(PgServer pg) throws Exception {
        expectOk(PgServer.Exec.run(pg.client("pg_amcheck", "--install-missing", "--heapallindexed", "-d",
                "postgres"), 300));
    }

    /**
     * async: second (issue 16, item 5): the secondary acknowledges writes on receipt, then dies, then the primary
     * dies. What it received but had not written is gone with it, so its copy must not be taken over as up to date:
     * restarted, it reports "not up to date" (an operator's forced promotion accepts the loss); what the
     * application fsync'd is on its disk whatever happens.
     */
    @Test
    void aSecondaryThatDiesAfterAcknowledgingOnReceiptIsNotUpToDateWhenItReturns() throws Exception {
        pair(); // async: second
        Path v = n1.view();
        writeAt(v.resolve("synced"), 0, "fsynced\n".getBytes(StandardCharsets.US_ASCII));
        try (FileChannel ch = FileChannel.open(v.resolve("synced"), StandardOpenOption.WRITE)) {
            ch.force(true); // an fsync is acknowledged after the secondary's own
        }
        for (int i = 0; i < 50; i++) { // acknowledged on receipt, never fsync'd
            writeAt(v.resolve("buffered-" + i), 0, random(64 << 10, new Random(i)));
        }
        n2.kill9();
        n1.kill9();
        JsonObject st = n2.start().cmd("demote");
        assertThat(st.getBoolean("upToDate")).as("copy after a crash with writes acknowledged on receipt: %s",
                st.encode()).isFalse();
        assertThat(Files.readString(n2.own.resolve("synced"))).isEqualTo("fsynced\n");
    }

    @Test
    void unsupportedOperationsFailClearlyAndTheTargetIsReadOnly() throws Exception {
        pair();
        Path v = n1.view();
        Files.writeString(v.resolve("x"), "x");
        assertThatThrownBy(() -> Files.createLink(v.resolve("hard"), v.resolve("x")))
                .isInstanceOf(FileSystemException.class).hasMessageContaining("Operation not permitted");
        Process fa = new ProcessBuilder("fallocate", "-l", "1M", v.resolve("x").toString()).redirectErrorStream(true)
                .start();
        String out = new String(fa.getInputStream().readAllBytes());
        assertThat(fa.waitFor()).isNotZero();
        assertThat(out).contains("Operation not supported");
        assertThat(Trees.awaitEqual(n1.own, n2.own)).isEmpty();
        Path target = n2.view();
        assertThat(Files.readString(target.resolve("x"))).isEqualTo("x");
        assertThatThrownBy(() -> Files.writeString(target.resolve("y"), "y"))
                .isInstanceOf(FileSystemException.class).hasMessageContaining("Read-only file system");
        assertThatThrownBy(() -> Files.writeString(target.resolve("x"), "changed"))
                .isInstanceOf(FileSystemException.class).hasMessageContaining("Read-only file system");
        assertThat(Files.readString(n2.own.resolve("x"))).isEqualTo("x");
    }

    /** Bytes of the regular files under {@code dir} (0 for a file that vanishes while counted). */
    static long bytesIn(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            return files.mapToLong(f -> {
                try {
                    return Files.isRegularFile(f) ? Files.size(f) : 0;
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (java.io.UncheckedIOException e) {
            return 0;
        }
    }

    /** The secondary comes back: the primary must resync it from its change record, and the trees end equal. */
    private void resyncFromRecord() throws Exception {
        n1.events.clear();
        n2.start().cmd("demote");
        n1.awaitStatus(s -> s.getBoolean("upToDate"), UP);
        assertThat(n1.events.stream().filter(e -> "status".equals(e.getString("event")))
                .map(e -> e.getJsonObject("status").getString("reason")).toList())
                .anyMatch(s -> s.contains("resync from the change record"));
        assertThat(Trees.awaitEqual(n1.own, n2.own)).isEmpty();
    }
}
