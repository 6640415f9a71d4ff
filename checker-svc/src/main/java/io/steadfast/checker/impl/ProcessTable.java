package io.steadfast.checker.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The processes of this machine (of this PID namespace) read from {@code /proc}. Blocking. */
public final class ProcessTable {
    /**
     * @param cmdline the arguments joined with spaces (empty for kernel threads and zombies)
     * @param name    the kernel's short name ({@code comm}, at most 15 characters)
     * @param pgrp    the process group
     */
    public record Proc(long pid, String name, String cmdline, long pgrp) {
    }

    private final Path proc;

    public ProcessTable() {
        this(Path.of("/proc"));
    }

    ProcessTable(Path proc) {
        this.proc = proc;
    }

    public List<Proc> list() {
        List<Proc> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(proc, p -> isPid(p.getFileName().toString()))) {
            for (Path dir : dirs) {
                read(dir).ifPresent(out::add);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    /** The live processes of process group {@code pgrp} (what a script started with setsid left behind). */
    public List<Proc> group(long pgrp) {
        return list().stream().filter(p -> p.pgrp() == pgrp).toList();
    }

    private static boolean isPid(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static java.util.Optional<Proc> read(Path dir) {
        try {
            String stat = Files.readString(dir.resolve("stat"), StandardCharsets.UTF_8);
            int open = stat.indexOf('(');
            int close = stat.lastIndexOf(')');
            if (open < 0 || close < open) {
                return java.util.Optional.empty();
            }
            String name = stat.substring(open + 1, close);
            String[] rest = stat.substring(close + 2).split(" ");
            // rest[0] state, rest[1] ppid, rest[2] pgrp
            if (rest.length < 3 || "Z".equals(rest[0])) {
                return java.util.Optional.empty();
            }
            byte[] raw = Files.readAllBytes(dir.resolve("cmdline"));
            int len = raw.length;
            while (len > 0 && raw[len - 1] == 0) {
                len--;
            }
            String cmdline = new String(raw, 0, len, StandardCharsets.UTF_8).replace('\0', ' ');
            return java.util.Optional.of(new Proc(Long.parseLong(dir.getFileName().toString()), name, cmdline,
                    Long.parseLong(rest[2])));
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty(); // exited while we looked
        }
    }
}
