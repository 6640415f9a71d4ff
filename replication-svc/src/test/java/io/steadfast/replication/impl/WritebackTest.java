package io.steadfast.replication.impl;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Early writeback: when it starts, and that a failed background flush is not lost to the real fsync. */
class WritebackTest {
    @TempDir
    Path tmp;

    @Test
    void startsAFlushOnlyOnceEnoughWasWrittenSinceTheLastFsync() throws Exception {
        Writeback w = new Writeback("test");
        try (FileChannel ch = FileChannel.open(tmp.resolve("f"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4096));
            Path f = tmp.resolve("f");
            w.wrote(ch, f, Writeback.EVERY - 1);
            assertThat(w.started()).isZero();
            w.force(ch, f, false); // the application's fsync: the count starts again
            w.wrote(ch, f, 1);
            assertThat(w.started()).isZero();
            w.wrote(ch, f, Writeback.EVERY);
            assertThat(w.started()).isEqualTo(1);
            w.force(ch, f, false); // waits for the background one, succeeds
        } finally {
            w.close();
        }
    }

    @Test
    void aFailedBackgroundFlushFailsTheNextFsyncOfThatFile() throws Exception {
        Writeback w = new Writeback("test");
        FakeChannel bad = new FakeChannel();
        Path f = java.nio.file.Files.createFile(tmp.resolve("f"));
        try {
            bad.failNext.set(1); // the background flush gets EIO (and, on Linux, would consume it)
            w.wrote(bad, f, Writeback.EVERY);
            assertThat(bad.flushed.await(30, TimeUnit.SECONDS)).isTrue();
            // the real fsync itself succeeds, yet must report the earlier failure
            assertThatThrownBy(() -> w.force(bad, f, true)).isInstanceOf(IOException.class)
                    .hasMessageContaining("background flush failed");
            w.force(bad, f, true); // reported once
        } finally {
            w.close();
        }
    }

    @Test
    void aFailedBackgroundFlushFailsTheFsyncOfALaterDescriptorEvenAfterARename() throws Exception {
        Writeback w = new Writeback("test");
        FakeChannel bad = new FakeChannel();
        Path f = java.nio.file.Files.createFile(tmp.resolve("f"));
        try {
            bad.failNext.set(1);
            w.wrote(bad, f, Writeback.EVERY);
            assertThat(bad.flushed.await(30, TimeUnit.SECONDS)).isTrue();
            bad.close(); // the application closes without an fsync...
            Path moved = java.nio.file.Files.move(f, tmp.resolve("g"));
            // ...then reopens (after a rename) and fsyncs: the kernel would not tell this new descriptor
            try (FileChannel again = FileChannel.open(moved, StandardOpenOption.WRITE)) {
                for (int i = 0; i < 3000 && !w.failurePending(); i++) {
                    Thread.sleep(10); // recorded right after the flush returns
                }
                assertThatThrownBy(() -> w.force(again, moved, false)).isInstanceOf(IOException.class)
                        .hasMessageContaining("background flush failed");
                w.force(again, moved, false); // reported once
            }
        } finally {
            w.close();
        }
    }

    /** A channel whose force fails on demand. */
    static final class FakeChannel extends FileChannel {
        final AtomicInteger failNext = new AtomicInteger();
        final CountDownLatch flushed = new CountDownLatch(1);

        @Override
        public void force(boolean metaData) throws IOException {
            try {
                if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    throw new IOException("Input/output error");
                }
            } finally {
                flushed.countDown();
            }
        }

        @Override
        public int read(ByteBuffer dst) {
            return -1;
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) {
            return -1;
        }

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            return 0;
        }

        @Override
        public long position() {
            return 0;
        }

        @Override
        public FileChannel position(long newPosition) {
            return this;
        }

        @Override
        public long size() {
            return 0;
        }

        @Override
        public FileChannel truncate(long size) {
            return this;
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) {
            return 0;
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) {
            return 0;
        }

        @Override
        public int read(ByteBuffer dst, long position) {
            return -1;
        }

        @Override
        public int write(ByteBuffer src, long position) {
            return write(src);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            throw new IOException("not supported");
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            throw new IOException("not supported");
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            throw new IOException("not supported");
        }

        @Override
        protected void implCloseChannel() {
            // nothing held
        }
    }
}
