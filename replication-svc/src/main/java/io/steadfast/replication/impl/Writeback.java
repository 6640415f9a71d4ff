package io.steadfast.replication.impl;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Early writeback of large writes, on the primary's local file and on the secondary's copy alike: once a file has
 * {@link #EVERY} bytes written since its last flush, a background thread starts an fdatasync of it while the
 * writes go on. Both copies sit on disks that the application's final fsync would otherwise have to fill in one
 * go (on one machine, the same disk: twice the bytes); flushing during the transfer leaves that fsync little to do.
 * The kernel's own background writeback starts only at dirty_background_ratio (gigabytes on a large machine).
 *
 * <p>Durability is unchanged: the real fsync still runs, through {@link #force}. A background flush that fails is
 * remembered and rethrown by the next {@link #force} of that file — through the same channel, or through any
 * other later (the file is known by its inode, so a rename does not matter): Linux reports a writeback error to
 * each file descriptor open at the time, and to one opened later only while nobody has fsynced since, so the
 * background fdatasync would otherwise have taken the error from an application that closes, reopens and fsyncs.
 * (sync_file_range(SYNC_FILE_RANGE_WRITE), which takes no error, left 0.35-0.45 s of the final fsync in 4 of 6 of
 * the split rounds here, against 0.04-0.07 s for the fdatasync.)
 */
public final class Writeback {
    private static final Logger log = LoggerFactory.getLogger(Writeback.class);
    /** Bytes written to one file after which its writeback is started (a few tens of MiB: large sequential). */
    static final long EVERY = 32L << 20;

    private static final class State {
        long unflushed;
        boolean running;
        IOException failed;
        Object key; // the file's inode when its last flush started
    }

    /** Weak: a channel closed and dropped by its owner needs no entry here. FileChannel has identity equality. */
    private final Map<FileChannel, State> files = new WeakHashMap<>();
    private final ExecutorService flusher;
    /** Background flush failures by inode, until an fsync of that file reports them. */
    private final Map<Object, IOException> failedFiles = new java.util.HashMap<>();
    private long started;

    public Writeback(String name) {
        this.flusher = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().daemon().name("repl-writeback-" + name).factory());
    }

    /** {@code n} bytes were written to {@code ch}, open on {@code file}: starts its flush when enough piled up. */
    public void wrote(FileChannel ch, Path file, long n) {
        State s;
        synchronized (this) {
            s = files.computeIfAbsent(ch, k -> new State());
            s.unflushed += n;
            if (s.running || s.unflushed < EVERY) {
                return;
            }
            s.running = true;
            s.unflushed = 0;
            started++;
        }
        try {
            flusher.execute(() -> flush(ch, file));
        } catch (RejectedExecutionException e) {
            synchronized (this) {
                s.running = false; // closing
                notifyAll();
            }
        }
    }

    private static Object key(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null; // gone: the failure is then kept on the channel only
        }
    }

    private void flush(FileChannel ch, Path file) {
        IOException failed = null;
        Object key = key(file);
        try {
            ch.force(false);
        } catch (ClosedChannelException e) {
            // closed meanwhile by its owner: whoever needed it durable fsynced it before closing
        } catch (IOException e) {
            failed = e;
            log.debug("background flush failed: {}", e.toString());
        }
        synchronized (this) {
            State s = files.get(ch);
            if (s != null) {
                s.running = false;
                if (failed != null && s.failed == null) {
                    s.failed = failed;
                    s.key = key;
                }
            }
            if (failed != null && key != null) {
                failedFiles.putIfAbsent(key, failed);
            }
            notifyAll();
        }
    }

    /**
     * The real fsync of {@code ch} (fdatasync unless {@code metaData}), open on {@code file} (null: not known);
     * fails if a background flush of that file failed since the last report.
     */
    public void force(FileChannel ch, Path file, boolean metaData) throws IOException {
        ch.force(metaData);
        synchronized (this) {
            State s = files.get(ch);
            IOException failed = null;
            if (s != null) {
                // a background flush still running may yet fail (having taken the error this fsync should see)
                while (s.running) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted while waiting for a background flush");
                    }
                }
                s.unflushed = 0;
                failed = s.failed;
                s.failed = null;
                if (failed != null && s.key != null) {
                    failedFiles.remove(s.key);
                }
            }
            if (failed == null && file != null && !failedFiles.isEmpty()) {
                Object key = key(file);
                failed = key == null ? null : failedFiles.remove(key);
            }
            if (failed != null) {
                throw new IOException("an earlier background flush failed: " + failed.getMessage(), failed);
            }
        }
    }

    /** A background flush failure waits for an fsync of its file to report it (for tests). */
    synchronized boolean failurePending() {
        return !failedFiles.isEmpty();
    }

    /** Background flushes started so far (for tests). */
    synchronized long started() {
        return started;
    }

    /** Lets a running flush finish (no interrupt: that would close the channel under its owner). */
    public void close() {
        flusher.shutdown();
    }
}
