package io.steadfast.replication.impl;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.assertj.core.api.Assertions.assertThat;

class ChangeRecordTest {
    @TempDir
    Path tmp;

    @Test
    void survivesReopenAndIgnoresATornLastLine() throws Exception {
        Path f = tmp.resolve("changes.log");
        try (ChangeRecord r = ChangeRecord.openOrCreate(f, "G1")) {
            r.zone(0, "a/b", 70_000, 10);           // block 1
            r.zone(0, "a/b", 70_000, 10);           // again: no new line
            r.whole(0, "new dir");
            r.name(0, "gone");
        }
        long lines = Files.readAllLines(f).size();
        assertThat(lines).isEqualTo(4);
        Files.writeString(f, "Z 0 torn 1", StandardOpenOption.APPEND); // crash mid-append
        try (ChangeRecord r = ChangeRecord.openOrCreate(f, "other")) {
            assertThat(r.base()).isEqualTo("G1");
            var d = r.snapshot();
            assertThat(d.zones().get(new ChangeRecord.Key(0, "a/b")).stream().boxed().toList()).containsExactly(1);
            assertThat(d.whole()).contains(new ChangeRecord.Key(0, "new dir"));
            assertThat(d.names()).contains(new ChangeRecord.Key(0, "gone"));
            assertThat(d.zones()).doesNotContainKey(new ChangeRecord.Key(0, "torn"));
        }
    }
}
