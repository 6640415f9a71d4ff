package io.steadfast.replication.impl;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** target.json: round trip; a damaged file is never trusted (nothing known, lossy: full comparison) and kept aside. */
class TargetStateTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsAndAMissingFileIsEmpty() throws IOException {
        Path f = dir.resolve("target.json");
        assertThat(TargetState.load(f)).isEqualTo(TargetState.EMPTY);
        TargetState t = new TargetState("0123456789abcdef", true, false);
        t.save(f);
        assertThat(TargetState.load(f)).isEqualTo(t);
    }

    @Test
    void aDamagedFileIsNeverTrusted() throws IOException {
        Path f = dir.resolve("target.json");
        new TargetState("0123456789abcdef", true, false).save(f);
        String good = Files.readString(f);
        for (String bad : List.of(good.substring(0, good.length() / 2), "", "null", "{}", "[1]",
                good.replace("true", "\"yes\""), good.replace("\"0123456789abcdef\"", "7"))) {
            Files.writeString(f, bad);
            TargetState t = TargetState.load(f);
            assertThat(t.upToDate()).as(bad).isFalse();
            assertThat(t.generation()).as(bad).isEmpty();
            assertThat(t.lossy()).as(bad).isTrue();
            assertThat(Files.readString(dir.resolve("target.json.damaged"))).isEqualTo(bad);
        }
    }
}
