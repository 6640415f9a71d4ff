package io.steadfast.replication.impl;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DivergedCopyTest {
    @TempDir
    Path dir;

    @Test
    void copiesEveryDirectoryUnderItsNameAndOnlyWhereAllowed() throws IOException {
        Path backing = Files.createDirectories(dir.resolve("data/.db.backing/sub"));
        Files.writeString(backing.resolve("f"), "written on this side of the split");
        Files.createSymbolicLink(backing.getParent().resolve("link"), Path.of("sub/f"));
        Path state = dir.resolve("state");
        Path target = DivergedCopy.checkedTarget(state, "db", state + "/diverged/db/20240616T101010Z");
        DivergedCopy.copy(List.of(backing.getParent()), List.of(Path.of("/srv/db")), target);
        assertThat(Files.readString(target.resolve("srv/db/sub/f"))).isEqualTo("written on this side of the split");
        assertThat(Files.isSymbolicLink(target.resolve("srv/db/link"))).isTrue();
        assertThat(Files.exists(state.resolve("diverged/db/20240616T101010Z.partial"))).isFalse();
        // never twice the same, never outside diverged/<module>/
        assertThatThrownBy(() -> DivergedCopy.checkedTarget(state, "db", target.toString()))
                .hasMessageContaining("already exists");
        for (String bad : List.of("/etc/x", state + "/diverged/other/t", state + "/diverged/db/../../x",
                state + "/diverged/db/a/b", state + "/diverged/db/.hidden")) {
            assertThatThrownBy(() -> DivergedCopy.checkedTarget(state, "db", bad)).as(bad)
                    .isInstanceOf(IOException.class);
        }
    }

    @Test
    void aFailedCopyIsReported() {
        Path state = dir.resolve("state");
        assertThatThrownBy(() -> DivergedCopy.copy(List.of(dir.resolve("missing")), List.of(Path.of("/srv/db")),
                state.resolve("diverged/db/t"))).isInstanceOf(IOException.class).hasMessageContaining("cp");
    }
}
