package io.steadfast.heartbeat.impl;

import io.steadfast.api.State;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The module state file: round trip, upgrade from the wall-clock format, damage detected and never trusted. */
class PersistedTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsThroughTheFile() {
        FileStateStore store = new FileStateStore(dir);
        Persisted p = new Persisted(GenerationHistory.adopt(GenerationHistory.FRESH.next()).next(), true, true,
                State.ALONE, "node1", false, List.of(1L, 2L), true, "SPLIT BRAIN: x", "");
        store.save("db", p);
        assertThat(store.load("db")).contains(p);
        assertThat(store.load("other")).isEmpty();
    }

    @Test
    void readsTheStateOfANodeBeforeWave2AndWritesTheNewFormat() throws IOException {
        Files.writeString(dir.resolve("db.state.json"), """
                {"v":1,"generation":"1700000000000-0000abcd","upToDate":true,"exclusive":true,
                 "lastRole":"ALONE","lastPrim":"node1","adminStopped":false,"loops":[5]}""");
        FileStateStore store = new FileStateStore(dir);
        Persisted p = store.load("db").orElseThrow();
        assertThat(p.history()).isEqualTo(GenerationHistory.fromLegacy("1700000000000-0000abcd"));
        assertThat(p.upToDate()).isTrue();
        assertThat(p.exclusive()).isTrue();
        assertThat(p.lastRole()).isEqualTo(State.ALONE);
        assertThat(p.loops()).containsExactly(5L);
        assertThat(p.isDamaged()).isFalse();
        store.save("db", p);
        JsonObject j = new JsonObject(Files.readString(dir.resolve("db.state.json")));
        assertThat(j.getInteger("v")).isEqualTo(2);
        assertThat(store.load("db")).contains(p);
        // a fresh module of the old format stays fresh
        Files.writeString(dir.resolve("f.state.json"), "{\"v\":1,\"generation\":\"\",\"upToDate\":false}");
        assertThat(store.load("f").orElseThrow().isFresh()).isTrue();
    }

    @Test
    void aDamagedFileIsReportedWithItsNameAndKeptAside() throws IOException {
        FileStateStore store = new FileStateStore(dir);
        store.save("db", new Persisted(GenerationHistory.FRESH.next(), true, false, State.PRIM, "node1", false,
                List.of()));
        String good = Files.readString(dir.resolve("db.state.json"));
        for (String bad : List.of(good.substring(0, good.length() / 2), "", "garbage", "[]", "{\"v\":9}",
                good.replace("\"g2:", "\"g2:zz"), good.replace("\"upToDate\" : true", "\"upToDate\" : \"yes\""),
                "{\"v\":2,\"upToDate\":true}", good.replace("\"PRIM\"", "\"KING\""))) {
            Files.writeString(dir.resolve("db.state.json"), bad);
            assertThatThrownBy(() -> store.load("db")).as(bad).isInstanceOf(FileStateStore.Damaged.class)
                    .hasMessageContaining(dir.resolve("db.state.json").toString());
            assertThat(Files.readString(dir.resolve("db.state.json.damaged"))).isEqualTo(bad);
        }
    }

    @Test
    void aDamagedStateTrustsNothingAndSurvivesARestartUntilAnOperatorActs() {
        Persisted d = Persisted.damaged("x.state.json is damaged (truncated)");
        assertThat(d.isDamaged()).isTrue();
        assertThat(d.isFresh()).isFalse(); // never "fresh": a fresh defaultprim node would start by itself
        assertThat(d.upToDate()).isFalse();
        assertThat(d.exclusive()).isFalse();
        FileStateStore store = new FileStateStore(dir);
        store.save("db", d.withRole(State.WAIT, ""));
        assertThat(store.load("db").orElseThrow().isDamaged()).isTrue();
        assertThat(d.repaired().isDamaged()).isFalse();
    }
}
