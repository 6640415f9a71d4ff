package io.steadfast.replication.impl;

import io.steadfast.replication.impl.Wire.Op;
import io.steadfast.replication.impl.Wire.OpCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The secondary's applier without a channel. */
class ApplierTest {
    @TempDir
    Path tmp;

    static long openDescriptors() throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    /**
     * async: second (issue 16, item 5): a copy left {@code lossy} — its process stopped while writes it had
     * acknowledged on receipt might not be written — is not up to date when the next process starts, so it is not
     * taken over on; a copy whose session ended cleanly (lossy cleared) stays up to date.
     */
    @Test
    void aCopyLeftWithWritesAcknowledgedOnReceiptIsNotUpToDateAfterARestart() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("copy"));
        Path state = tmp.resolve("target.json");
        new TargetState("G1", true, true).save(state);
        try (Applier restarted = new Applier(List.of(root), state, roots -> { })) {
            assertThat(restarted.state()).isEqualTo(new TargetState("G1", false, true));
        }
        assertThat(TargetState.load(state).upToDate()).as("persisted").isFalse();
        new TargetState("G1", true, false).save(state);
        try (Applier clean = new Applier(List.of(root), state, roots -> { })) {
            assertThat(clean.state().upToDate()).isTrue();
        }
    }

    /**
     * A resync interrupted by a restart of the secondary's service: the blocks the first run wrote may be in the
     * page cache only, and the resumed run does not resend them (their checksums match). The end of the resumed
     * resync flushes the whole file system before the copy is declared up to date; a resync the applier saw from
     * its beginning needs only its own fsyncs.
     */
    @Test
    void aResyncResumedAfterARestartFlushesTheFileSystemBeforeItIsUpToDate() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("copy"));
        Path state = tmp.resolve("target.json");
        java.util.List<java.util.List<Path>> flushes = new java.util.ArrayList<>();
        try (Applier first = new Applier(List.of(root), state, flushes::add)) {
            first.apply(Op.of(OpCode.RESYNC_BEGIN, "G1"));
            first.apply(Op.write("f", 0, new byte[]{1}));
        } // the service stops mid-resync (close syncs what it has; a kill -9 would not)
        try (Applier resumed = new Applier(List.of(root), state, flushes::add)) {
            assertThat(resumed.state().upToDate()).isFalse();
            resumed.apply(Op.of(OpCode.RESYNC_BEGIN, "G1"));
            resumed.apply(Op.of(OpCode.RESYNC_END, "G1"));
            assertThat(flushes).as("file system flushed before up to date").containsExactly(List.of(root));
            assertThat(resumed.state().upToDate()).isTrue();
            // the next resync, seen whole by this applier, relies on its own fsyncs
            resumed.apply(Op.of(OpCode.RESYNC_BEGIN, "G2"));
            resumed.apply(Op.write("f", 0, new byte[]{2}));
            resumed.apply(Op.of(OpCode.RESYNC_END, "G2"));
            assertThat(flushes).hasSize(1);
            assertThat(resumed.lastSynced()).isEqualTo(1);
        }
        try (Applier upToDate = new Applier(List.of(root), state, flushes::add)) {
            upToDate.apply(Op.of(OpCode.RESYNC_BEGIN, "G3"));
            upToDate.apply(Op.of(OpCode.RESYNC_END, "G3"));
            assertThat(flushes).as("started up to date: nothing unknown in the page cache").hasSize(1);
        }
    }

    @Test
    void resyncEndFsyncsEveryFileTheResyncWroteEvenOnceEvictedOrRenamed() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("copy"));
        long fdsBefore = openDescriptors();
        try (Applier a = new Applier(List.of(root), tmp.resolve("target.json"))) {
            a.apply(Op.of(OpCode.RESYNC_BEGIN, "G1"));
            assertThat(a.state().upToDate()).isFalse();
            int files = 150; // more than the applier keeps open
            for (int i = 0; i < files; i++) {
                a.apply(Op.write("d/f" + i, 4096, new byte[]{(byte) i}));
            }
            // a namespace change empties the cache of open files: they must still be synced at the end
            a.apply(Op.two(OpCode.RENAME, "d/f0", "d/renamed"));
            a.apply(Op.write("d/renamed", 0, new byte[]{42}));
            a.apply(Op.of(OpCode.RESYNC_END, "G1"));
            assertThat(a.lastSynced()).as("files fsynced at the end of the resync").isEqualTo(files + 1);
            assertThat(a.state().upToDate()).isTrue();
            assertThat(a.state().generation()).isEqualTo("G1");
            assertThat(Files.readAllBytes(root.resolve("d/renamed"))).hasSize(4097).startsWith(42);
            // the retired channels were closed once synced: only the cache's own stay open
            assertThat(openDescriptors() - fdsBefore).isLessThanOrEqualTo(64 + 8);
            // nothing written since: the next sync has nothing to do
            a.syncAll();
            assertThat(a.lastSynced()).isZero();
        }
    }

    @Test
    void outsideAResyncEvictedFilesAreClosedNotKept() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("copy"));
        try (Applier a = new Applier(List.of(root), tmp.resolve("target.json"))) {
            a.setState(new TargetState("G1", true, false));
            long fdsBefore = openDescriptors();
            for (int i = 0; i < 300; i++) {
                a.apply(Op.write("f" + i, 0, new byte[]{1}));
            }
            assertThat(openDescriptors() - fdsBefore).isLessThanOrEqualTo(64 + 8);
            // an fsync from the application syncs its file (data only when it asked for fdatasync)
            a.apply(new Op(OpCode.FSYNC, "f299", "", 1, 0, 0, null));
            a.syncAll();
            assertThat(a.lastSynced()).as("still open and written, not yet synced").isEqualTo(63);
        }
    }

    /**
     * The peer's side of the xattr comparison: its listing carries each entry's digest, XATTRS its names with value
     * hashes, and the ops a resync derives from them (SETXATTR/REMOVEXATTR) leave its set equal to ours.
     */
    @Test
    void xattrHashesFromThePeerAndThePlanMadeFromThemEqualiseTheSets() throws Exception {
        Path mine = Files.createDirectories(tmp.resolve("mine"));
        Path root = Files.createDirectories(tmp.resolve("copy"));
        for (Path r : List.of(mine, root)) {
            Files.writeString(r.resolve("f"), "x");
        }
        XattrsTest.set(mine.resolve("f"), "same", "1");
        XattrsTest.set(mine.resolve("f"), "changed", "new");
        XattrsTest.set(mine.resolve("f"), "new", "v".repeat(2_000));
        XattrsTest.set(root.resolve("f"), "same", "1");
        XattrsTest.set(root.resolve("f"), "changed", "old");
        XattrsTest.set(root.resolve("f"), "gone", "y");
        XattrsTest.set(mine, "top", "t");
        try (Applier a = new Applier(List.of(root), tmp.resolve("target.json"))) {
            TreeOps.Entry listed = TreeOps.decode(a.apply(Op.of(OpCode.LIST, ""))).entries().getFirst();
            assertThat(listed.sameXattrs(TreeOps.entry(mine.resolve("f"), "f"))).isFalse();
            for (String rel : List.of("f", "")) {
                var values = Xattrs.read(rel.isEmpty() ? mine : mine.resolve(rel));
                var plan = Xattrs.compare(Xattrs.hashes(values), Xattrs.decode(a.apply(Op.of(OpCode.XATTRS, rel))));
                for (String n : plan.remove()) {
                    a.apply(Op.two(OpCode.REMOVEXATTR, rel, n));
                }
                for (String n : plan.set()) {
                    a.apply(new Op(OpCode.SETXATTR, rel, n, 0, 0, 0, values.get(n)));
                }
            }
            // the two trees were made apart: only their xattrs are the subject here, so their times are made equal
            for (String rel : List.of("f", "")) {
                Files.setLastModifiedTime(root.resolve(rel), Files.getLastModifiedTime(mine.resolve(rel)));
            }
            assertThat(Trees.diff(mine, root)).isEmpty();
            listed = TreeOps.decode(a.apply(Op.of(OpCode.LIST, ""))).entries().getFirst();
            assertThat(listed.sameXattrs(TreeOps.entry(mine.resolve("f"), "f"))).isTrue();
            // a link has none, and the peer says so rather than following it
            Files.createSymbolicLink(root.resolve("l"), Path.of("f"));
            assertThat(Xattrs.decode(a.apply(Op.of(OpCode.XATTRS, "l")))).isEmpty();
            assertThatThrownBy(() -> a.apply(Op.of(OpCode.XATTRS, "missing")))
                    .isInstanceOf(java.nio.file.NoSuchFileException.class);
        }
    }
}
