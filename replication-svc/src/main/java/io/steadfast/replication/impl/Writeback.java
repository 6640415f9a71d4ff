package io.steadfast.replication.impl;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Early writeback of large writes, on the primary's local file and on the secondary's copy alike: once a file has
 * {@link #EVERY} bytes written since its last flush, a background thread starts an fdatasync of it while the
 * writes go on. Both copies sit on disks that the application's final fsync would otherwise have to fill in one
 * go (on one machine, the same disk: twice the bytes); flushing during the transfer leaves that fsync little to do.
 * The kernel's own background writeback starts only at dirty_background_ratio (gigabytes on a large machine).
 *
 * <p>Durability is unchanged: the real fsync still runs, through {@link #force}. A background flush that fails is
 * remembered and rethrown by the next {@link #force} of that channel, because Linux reports a writeback error
 * once per open file: the background fdatasync would otherwise have consumed the error the real one must see.
 */
public final class Writeback {
    private static final Logger log = LoggerFactory.getLogger(Writeback.class);
    /** Bytes written to one file after which its writeback is started (a few tens of MiB: large sequential). */
    static final long EVERY = 32L << 20;

    private static final class State {
        long unflushed;
        boolean running;
        IOException failed;
    }

    /** Weak: a channel closed and dropped by its owner needs no entry here. FileChannel has identity equality. */
    private final Map<FileChannel, State> files = new WeakHashMap<>();
    private final ExecutorService flusher;
    private long started;

    public Writeback(String name) {
        this.flusher = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().daemon().name("repl-writeback-" + name).factory());
    }

    /** {@code n} bytes were written to {@code ch}: starts its background flush when enough piled up. */
    public void wrote(FileChannel ch, long n) {
        synchronized (this) {
            State s = files.computeIfAbsent(ch, k -> new State());
            s.unflushed += n;
            if (s.running || s.unflushed < EVERY) {
                return;
            }
            s.running = true;
            s.unflushed = 0;
            started++;
        }
        flusher.execute(() -> flush(ch));
    }

    private void flush(FileChannel ch) {
        IOException failed = null;
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
                }
            }
            notifyAll();
        }
    }

    /** The real fsync of {@code ch} (fdatasync unless {@code metaData}); fails if a background flush failed. */
    public void force(FileChannel ch, boolean metaData) throws IOException {
        ch.force(metaData);
        synchronized (this) {
            State s = files.get(ch);
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
                IOException failed = s.failed;
                s.failed = null;
                if (failed != null) {
                    throw new IOException("an earlier background flush failed: " + failed.getMessage(), failed);
                }
            }
        }
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
