package io.steadfast.heartbeat.impl;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

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
import java.util.Optional;

/**
 * One JSON file per module, {@code <dir>/<module>.state.json}, replaced atomically: written to a temp file,
 * fsynced, renamed over the old one, then the directory is fsynced so that the rename itself survives a crash.
 * A reader therefore sees the old or the new state, never half of one. Blocking: call off the event loop.
 */
public final class FileStateStore implements StateStore {
    private final Path dir;

    public FileStateStore(Path dir) {
        this.dir = dir;
    }

    public Path file(String module) {
        return dir.resolve(module + ".state.json");
    }

    @Override
    public Optional<Persisted> load(String module) {
        Path f = file(module);
        try {
            String text = Files.readString(f, StandardCharsets.UTF_8);
            return Optional.of(Persisted.fromJson(new JsonObject(text)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        } catch (DecodeException | IllegalArgumentException e) {
            Path aside = f.resolveSibling(f.getFileName() + ".damaged");
            try {
                Files.copy(f, aside, StandardCopyOption.REPLACE_EXISTING); // the evidence, before anything rewrites it
            } catch (IOException ignored) {
                // reported below anyway
            }
            throw new Damaged(f + " is damaged (" + e.getMessage() + "; a copy is in " + aside.getFileName()
                    + "): nothing in it is trusted", e);
        }
    }

    /** The state file exists but is not a state this code wrote (truncated, garbled, unknown version). */
    public static final class Damaged extends IllegalStateException {
        public Damaged(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @Override
    public void save(String module, Persisted state) {
        Path target = file(module);
        Path tmp = dir.resolve(module + ".state.json.tmp");
        try {
            Files.createDirectories(dir);
            byte[] bytes = state.toJson().encodePrettily().getBytes(StandardCharsets.UTF_8);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the state of module " + module + " in " + dir + ": "
                    + e.getMessage(), e);
        }
    }
}
