package io.steadfast.heartbeat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The agent's proof of life for its watchdog ({@code steadfast watchdog}): a 16-byte memory-mapped file in the
 * state dir holding the agent's pid and the {@code CLOCK_MONOTONIC} time ({@link System#nanoTime()}, system-wide
 * on Linux) of the last beat the agent sent. Written by the heartbeat sender on every pulse without a system
 * call; the watchdog reads it. When the beats stop (agent killed, frozen, starved), the peer takes over after the
 * heartbeat timeout, and the watchdog must release this node's primary resources before that.
 */
public final class AgentLease implements AutoCloseable {
    public static final String FILE = "agent.lease";
    /** pid, last renewal (nanoTime), holding (1 when a module serves here: PRIM, ALONE or UP). */
    private static final int SIZE = 24;
    private static final int OLD_SIZE = 16;

    private final FileChannel channel;
    private final MappedByteBuffer map;

    private AgentLease(FileChannel channel, MappedByteBuffer map) {
        this.channel = channel;
        this.map = map;
    }

    public static Path file(Path stateDir) {
        return stateDir.resolve(FILE);
    }

    /** Opens (creating) the lease of this process. */
    public static AgentLease open(Path stateDir) {
        try {
            Files.createDirectories(stateDir);
            FileChannel ch = FileChannel.open(file(stateDir), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, SIZE);
            m.order(ByteOrder.nativeOrder());
            // The file may still hold the previous agent's lease (holding, renewed long ago) while the watchdog of
            // this agent already reads it: write the pid last, so that a reading with this agent's pid never
            // pairs it with the old renewal (seen once: a restarting agent killed by its own watchdog as "stuck").
            m.putLong(16, 0);
            m.putLong(8, System.nanoTime());
            m.putLong(0, ProcessHandle.current().pid());
            return new AgentLease(ch, m);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the agent lease in " + stateDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * A beat left: the agent is alive; {@code holding}: a module serves on this node (something to release if the
     * agent stalls). Thread-safe enough: 8-byte aligned stores.
     */
    public void renew(boolean holding) {
        map.putLong(16, holding ? 1 : 0);
        map.putLong(8, System.nanoTime());
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing to do: the mapping stays valid until unmapped by the GC
        }
    }

    /** What a watchdog reads: the agent's pid and its last renewal (nanoTime), if the file is there. */
    public record Reading(long pid, long renewedNanos, boolean holding) {
    }

    public static Optional<Reading> read(Path stateDir) {
        Path f = file(stateDir);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < OLD_SIZE) {
                return Optional.empty();
            }
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, SIZE));
            m.order(ByteOrder.nativeOrder());
            // a lease without the word (older agent) counts as holding: releasing then is the safe side
            return Optional.of(new Reading(m.getLong(0), m.getLong(8), size < SIZE || m.getLong(16) != 0));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
