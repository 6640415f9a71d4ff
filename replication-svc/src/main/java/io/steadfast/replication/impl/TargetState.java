package io.steadfast.replication.impl;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * What the copy on this node holds, persisted atomically (temp, fsync, rename):
 * {@code generation} it holds data of; {@code upToDate} false while a resync is incomplete;
 * {@code lossy} true while ops acknowledged on receipt may not have reached the disk (cleared when the queue
 * drained at the end of a session; still true after a crash, which forces a full comparison).
 */
public record TargetState(String generation, boolean upToDate, boolean lossy) {
    public static final TargetState EMPTY = new TargetState("", false, false);

    public static TargetState load(Path file) {
        try {
            JsonObject j = new JsonObject(Files.readString(file));
            return new TargetState(j.getString("generation", ""), j.getBoolean("upToDate", false),
                    j.getBoolean("lossy", false));
        } catch (IOException | RuntimeException e) {
            return EMPTY;
        }
    }

    public void save(Path file) throws IOException {
        writeAtomically(file, toJson().encode());
    }

    public JsonObject toJson() {
        return new JsonObject().put("generation", generation).put("upToDate", upToDate).put("lossy", lossy);
    }

    public static TargetState fromJson(JsonObject j) {
        return new TargetState(j.getString("generation", ""), j.getBoolean("upToDate", false),
                j.getBoolean("lossy", false));
    }

    public TargetState withLossy(boolean l) {
        return new TargetState(generation, upToDate, l);
    }

    static void writeAtomically(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException ignored) {
            // directory fsync is best effort on filesystems that refuse it
        }
    }
}
