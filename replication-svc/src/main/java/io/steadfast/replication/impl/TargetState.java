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

    /**
     * The state in {@code file}; {@link #EMPTY} when there is none. A damaged file (truncated, garbled, wrong types)
     * is never trusted: it is reported (which file, why; a copy kept as {@code <file>.damaged}) and read as
     * "holds nothing known, possibly lossy", so the next resync compares everything and this copy is not up to date.
     */
    public static TargetState load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (java.nio.file.NoSuchFileException e) {
            return EMPTY;
        } catch (IOException e) {
            return damaged(file, "cannot read it: " + e.getMessage());
        }
        try {
            JsonObject j = new JsonObject(text);
            if (!(j.getValue("generation") instanceof String g) || !(j.getValue("upToDate") instanceof Boolean u)
                    || !(j.getValue("lossy", false) instanceof Boolean l)) {
                return damaged(file, "fields missing or of the wrong type");
            }
            return new TargetState(g, u, l);
        } catch (RuntimeException e) {
            return damaged(file, "not JSON (" + e.getMessage() + ")");
        }
    }

    private static TargetState damaged(Path file, String why) {
        org.slf4j.LoggerFactory.getLogger(TargetState.class).error("{} is damaged ({}): not trusted; this copy counts"
                + " as holding nothing known and is compared in full at the next resync", file, why);
        try {
            Files.copy(file, file.resolveSibling(file.getFileName() + ".damaged"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException ignored) {
            // the log line says it all
        }
        return new TargetState("", false, true);
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
