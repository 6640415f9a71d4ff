package io.steadfast.checker.impl;

import io.steadfast.api.CheckerApi.LogLine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The log of one module on this node: {@code <state_dir>/logs/<module>.log}, one line per event (script output,
 * actions, checker transitions), each prefixed with its ISO time. Size-bounded: when the file would exceed
 * {@code maxBytes} it is renamed to {@code <module>.log.1} (replacing the previous one) and a new file begins, so
 * the disk use of a module log is at most about twice {@code maxBytes}. Every line is also handed to
 * {@code listener} (the verticle publishes it on the bus). Thread-safe: scripts and checkers write concurrently.
 */
public final class ModuleLog {
    public static final long DEFAULT_MAX_BYTES = 1 << 20;
    /** A longer line is cut: one runaway line must not rotate the whole history away. */
    static final int MAX_LINE = 4096;

    private final String node;
    private final String module;
    private final Path file;
    private final Path rotated;
    private final long maxBytes;
    private final LongSupplier clock;
    private final Consumer<LogLine> listener;
    private long size = -1;

    public ModuleLog(Path logDir, String node, String module, long maxBytes, LongSupplier clock,
                     Consumer<LogLine> listener) {
        this.node = node;
        this.module = module;
        this.file = logDir.resolve(module + ".log");
        this.rotated = logDir.resolve(module + ".log.1");
        this.maxBytes = maxBytes;
        this.clock = clock;
        this.listener = listener;
    }

    public Path file() {
        return file;
    }

    public String module() {
        return module;
    }

    /** Appends one line (a newline inside is replaced, so one call is one line). */
    public void append(String text) {
        String line = text.replace('\n', ' ').replace('\r', ' ');
        if (line.length() > MAX_LINE) {
            line = line.substring(0, MAX_LINE) + "…";
        }
        long at = clock.getAsLong();
        LogLine logLine = new LogLine(node, module, at, line);
        synchronized (this) {
            try {
                write(Instant.ofEpochMilli(at) + " " + line + "\n");
            } catch (IOException e) {
                // the log is best effort: a full disk must not fail a script or a checker
                org.slf4j.LoggerFactory.getLogger(ModuleLog.class).warn("module log {}: {}", file, e.toString());
            }
        }
        listener.accept(logLine);
    }

    private void write(String entry) throws IOException {
        byte[] bytes = entry.getBytes(StandardCharsets.UTF_8);
        if (size < 0) {
            Files.createDirectories(file.getParent());
            size = Files.exists(file) ? Files.size(file) : 0;
        }
        if (size > 0 && size + bytes.length > maxBytes) {
            Files.move(file, rotated, StandardCopyOption.REPLACE_EXISTING);
            size = 0;
        }
        Files.write(file, bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        size += bytes.length;
    }

    /** The last {@code lines} lines, oldest first (from the rotated file too when needed). Blocking. */
    public synchronized List<LogLine> tail(int lines) {
        Deque<String> last = new ArrayDeque<>(lines);
        try {
            for (Path p : List.of(rotated, file)) {
                if (Files.exists(p)) {
                    try (var reader = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
                        String l;
                        while ((l = reader.readLine()) != null) {
                            if (last.size() == lines) {
                                last.removeFirst();
                            }
                            last.addLast(l);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<LogLine> out = new ArrayList<>(last.size());
        for (String l : last) {
            out.add(parse(l));
        }
        return out;
    }

    private LogLine parse(String stored) {
        int sp = stored.indexOf(' ');
        if (sp > 0) {
            try {
                return new LogLine(node, module, Instant.parse(stored.substring(0, sp)).toEpochMilli(),
                        stored.substring(sp + 1));
            } catch (RuntimeException e) {
                // not written by us (edited by hand): keep the text as it is
            }
        }
        return new LogLine(node, module, 0, stored);
    }
}
