package io.steadfast.heartbeat.impl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * This node's heartbeat boot epoch: a number that grows at every start of the agent, carried in every beat so that
 * peers refuse the beats of an earlier boot ({@link ReplayWindow}). The next epoch is the larger of the saved one
 * plus one and the wall clock in milliseconds, so it grows even if the file is lost (the clock then carries it) or
 * the clock is set back (the file does); saved and fsynced before the first beat leaves.
 */
public final class BootEpoch {
    private BootEpoch() {
    }

    public static long next(Path file, long wallMillis) {
        long saved = 0;
        try {
            saved = Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim());
        } catch (NoSuchFileException e) {
            // first start
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException(file + " is damaged (" + e.getMessage() + "); remove it (the clock then "
                    + "gives the next heartbeat epoch)", e);
        }
        long epoch = Math.max(saved + 1, wallMillis);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.getParent());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(ByteBuffer.wrap((epoch + "\n").getBytes(StandardCharsets.US_ASCII)));
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the heartbeat epoch in " + file + ": " + e.getMessage(), e);
        }
        return epoch;
    }
}
