package io.steadfast.checker.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.api.CheckerApi.LogLine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModuleLogTest {
    @TempDir
    Path dir;

    @Test
    void appendsPublishesTailsAndRotatesOnce() throws Exception {
        AtomicLong now = new AtomicLong(1_700_000_000_000L);
        List<LogLine> published = new ArrayList<>();
        ModuleLog log = new ModuleLog(dir.resolve("logs"), "node1", "db", 2000, now::getAndIncrement, published::add);
        for (int i = 0; i < 200; i++) {
            log.append("line " + i + "\nwith a newline");
        }
        assertThat(published).hasSize(200);
        assertThat(published.get(5).line()).isEqualTo("line 5 with a newline");
        assertThat(published.get(5).node()).isEqualTo("node1");
        assertThat(Files.size(dir.resolve("logs/db.log"))).isLessThanOrEqualTo(2000);
        assertThat(Files.size(dir.resolve("logs/db.log.1"))).isLessThanOrEqualTo(2000);
        try (var files = Files.list(dir.resolve("logs"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("db.log", "db.log.1");
        }
        List<LogLine> tail = log.tail(10);
        assertThat(tail).hasSize(10);
        assertThat(tail.getLast().line()).isEqualTo("line 199 with a newline");
        assertThat(tail.getLast().at()).isEqualTo(published.getLast().at());
        // the tail spans the rotated file when the current one is short
        int inCurrent = Files.readAllLines(dir.resolve("logs/db.log")).size();
        assertThat(log.tail(inCurrent + 5)).hasSize(inCurrent + 5);
        assertThat(log.tail(inCurrent + 5).getFirst().line()).isEqualTo("line " + (199 - inCurrent - 4) + " with a newline");
    }

    @Test
    void survivesARestart() {
        ModuleLog a = new ModuleLog(dir, "n", "m", 1 << 20, System::currentTimeMillis, l -> { });
        a.append("before");
        ModuleLog b = new ModuleLog(dir, "n", "m", 1 << 20, System::currentTimeMillis, l -> { });
        b.append("after");
        assertThat(b.tail(5)).extracting(LogLine::line).containsExactly("before", "after");
    }

    @Test
    void tailerEmitsCompleteLinesAndTruncates() throws Exception {
        Path f = dir.resolve("m.out");
        OutputTailer t = new OutputTailer(f, 10);
        List<String> lines = new ArrayList<>();
        t.poll(lines::add, false); // no file yet
        Files.writeString(f, "one\ntw");
        t.poll(lines::add, false);
        assertThat(lines).containsExactly("one");
        Files.writeString(f, "o\nthree\n", java.nio.file.StandardOpenOption.APPEND);
        t.poll(lines::add, false);
        assertThat(lines).containsExactly("one", "two", "three");
        assertThat(Files.size(f)).as("truncated after reading past the limit").isZero();
        Files.writeString(f, "four", java.nio.file.StandardOpenOption.APPEND);
        t.poll(lines::add, true);
        assertThat(lines).containsExactly("one", "two", "three", "four");
    }
}
