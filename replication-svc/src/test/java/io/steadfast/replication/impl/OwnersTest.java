package io.steadfast.replication.impl;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OwnersTest {
    static final Owners.Caller APP = new Owners.Caller(105, 110);

    @Test
    void aNewEntryBelongsToItsCallerWithTheModeItAskedFor() {
        assertThat(Owners.of(APP, 0755, 0, 0600, false)).isEqualTo(new Owners.NewEntry(105, 110, 0600));
        assertThat(Owners.of(APP, 0755, 0, 0700, true)).isEqualTo(new Owners.NewEntry(105, 110, 0700));
        assertThat(Owners.of(APP, 0755, 0, 0100644, false).mode()).as("type bits dropped").isEqualTo(0644);
    }

    @Test
    void underASetGroupIdDirectoryTheGroupIsTheDirectorysAndDirectoriesKeepTheBit() {
        assertThat(Owners.of(APP, 02775, 50, 0644, false)).isEqualTo(new Owners.NewEntry(105, 50, 0644));
        assertThat(Owners.of(APP, 02775, 50, 0755, true)).isEqualTo(new Owners.NewEntry(105, 50, 02755));
        // a set-group-ID file for a group the caller is not in loses the bit; root and members keep it
        assertThat(Owners.of(APP, 02775, 50, 02755, false).mode()).isEqualTo(0755);
        assertThat(Owners.of(Owners.Caller.ROOT, 02775, 50, 02755, false).mode()).isEqualTo(02755);
        assertThat(Owners.of(new Owners.Caller(105, 50), 02775, 50, 02755, false).mode()).isEqualTo(02755);
    }

    @Test
    void packingKeepsBothIdsAndNoneIsChownsUnchanged() {
        long p = Owners.pack(65534, 4_000_000_000L > Integer.MAX_VALUE ? (int) 4_000_000_000L : 0);
        assertThat(Owners.uid(p)).isEqualTo(65534);
        assertThat(Integer.toUnsignedLong(Owners.gid(p))).isEqualTo(4_000_000_000L);
        assertThat(Owners.pack(-1, -1)).isEqualTo(Owners.NONE);
        assertThat(Owners.pack(0, 0)).isNotEqualTo(Owners.NONE);
    }
}
