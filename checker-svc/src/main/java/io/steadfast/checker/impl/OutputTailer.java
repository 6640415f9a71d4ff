package io.steadfast.checker.impl;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Follows the file that scripts (and the applications they leave running) write their stdout and stderr to.
 *
 * <p>Why a file and not a pipe: a start script backgrounds the application, which inherits the script's stdout.
 * With a pipe, reading until end-of-file would wait for the application to exit, and closing our end would kill
 * the application with SIGPIPE on its next write. A regular file opened with O_APPEND has neither problem: the
 * script's exit is what we wait for, reading never blocks, and output written later by the application still
 * lands in the module log at the next {@link #poll}. The file is truncated once read past {@code maxBytes}
 * (appenders continue at the new end), so it stays small.
 */
public final class OutputTailer {
    private final Path file;
    private final long maxBytes;
    private long offset;
    private final StringBuilder partial = new StringBuilder();

    public OutputTailer(Path file, long maxBytes) {
        this.file = file;
        this.maxBytes = maxBytes;
    }

    public Path file() {
        return file;
    }

    /** Emits the complete lines written since the last call; {@code flush} also emits a final unterminated line. */
    public synchronized void poll(Consumer<String> lines, boolean flush) {
        try {
            if (!Files.exists(file)) {
                return;
            }
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                long size = raf.length();
                if (size < offset) { // truncated by someone else
                    offset = 0;
                }
                if (size > offset) {
                    raf.seek(offset);
                    byte[] buf = new byte[(int) Math.min(size - offset, 1 << 20)];
                    raf.readFully(buf);
                    offset += buf.length;
                    partial.append(new String(buf, StandardCharsets.UTF_8));
                    int nl;
                    while ((nl = partial.indexOf("\n")) >= 0) {
                        lines.accept(partial.substring(0, nl));
                        partial.delete(0, nl + 1);
                    }
                    if (partial.length() > ModuleLog.MAX_LINE) {
                        lines.accept(partial.toString());
                        partial.setLength(0);
                    }
                }
                if (offset >= maxBytes && raf.length() == offset) {
                    raf.setLength(0);
                    offset = 0;
                }
            }
            if (flush && !partial.isEmpty()) {
                lines.accept(partial.toString());
                partial.setLength(0);
            }
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(OutputTailer.class).warn("reading {}: {}", file, e.toString());
        }
    }
}
