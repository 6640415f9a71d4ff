package io.steadfast.replication.impl;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.Arrays;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** user.* attributes as resync and verify see them, and the listing that carries their digest (no FUSE). */
class XattrsTest {
    @TempDir
    Path tmp;

    static void set(Path p, String name, String value) throws Exception {
        Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .write(name, ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
    }

    static SortedMap<String, byte[]> hashes(String... nameValue) {
        SortedMap<String, byte[]> v = new TreeMap<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            v.put(nameValue[i], nameValue[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return Xattrs.hashes(v);
    }

    @Test
    void readsUserAttributesOfFilesAndDirectoriesAndNoneOfLinks() throws Exception {
        Path f = Files.writeString(tmp.resolve("f"), "x");
        Path d = Files.createDirectory(tmp.resolve("d"));
        Path l = Files.createSymbolicLink(tmp.resolve("l"), f.getFileName());
        set(f, "b", "2");
        set(f, "a", "1");
        set(d, "big", "v".repeat(3000));
        assertThat(Xattrs.read(f)).containsOnlyKeys("user.a", "user.b");
        assertThat(new String(Xattrs.read(f).get("user.a"), StandardCharsets.UTF_8)).isEqualTo("1");
        assertThat(Xattrs.read(d).get("user.big")).hasSize(3000);
        assertThat(Xattrs.read(l)).isEmpty(); // not the target's
        assertThat(TreeOps.entry(l, "l").xattrs()).isEmpty();
        assertThat(TreeOps.entry(f, "f").xattrs()).hasSize(TreeOps.HASH);
        assertThat(TreeOps.entry(tmp.resolve("f"), "f").sameXattrs(TreeOps.entry(d, "d"))).isFalse();
        Path plain = Files.writeString(tmp.resolve("plain"), "");
        assertThat(TreeOps.entry(plain, "plain").xattrs()).isEmpty();
    }

    @Test
    void theDigestDependsOnNamesAndValuesOnly() {
        byte[] ab = Xattrs.digest(hashes("user.a", "1", "user.b", "2"));
        assertThat(Xattrs.digest(hashes("user.b", "2", "user.a", "1"))).isEqualTo(ab);
        assertThat(Xattrs.digest(hashes("user.a", "1", "user.b", "3"))).isNotEqualTo(ab);
        assertThat(Xattrs.digest(hashes("user.a", "1", "user.c", "2"))).isNotEqualTo(ab);
        assertThat(Xattrs.digest(hashes("user.a", "1"))).isNotEqualTo(ab);
        assertThat(Xattrs.digest(hashes())).isEmpty();
    }

    @Test
    void comparisonSetsWhatDiffersOrIsMissingAndRemovesWhatThePeerHasInExcess() {
        Xattrs.Plan p = Xattrs.compare(hashes("user.same", "1", "user.changed", "new", "user.new", "x"),
                hashes("user.same", "1", "user.changed", "old", "user.gone", "y"));
        assertThat(p.set()).containsExactly("user.changed", "user.new");
        assertThat(p.remove()).containsExactly("user.gone");
        assertThat(Xattrs.compare(hashes("user.a", "1"), hashes("user.a", "1")).isEmpty()).isTrue();
        assertThat(Xattrs.compare(hashes(), hashes("user.a", "1")).remove()).containsExactly("user.a");
    }

    @Test
    void hashListRoundTripsAndHostileRepliesAreRefused() throws Exception {
        SortedMap<String, byte[]> h = hashes("user.a", "1", "user.é", "2");
        SortedMap<String, byte[]> back = Xattrs.decode(Xattrs.encode(h));
        assertThat(back.keySet()).containsExactlyElementsOf(h.keySet());
        h.forEach((n, v) -> assertThat(back.get(n)).isEqualTo(v));
        assertThat(Xattrs.decode(Xattrs.encode(new TreeMap<>()))).isEmpty();

        byte[] ok = Xattrs.encode(h);
        for (byte[] bad : List.of(
                Arrays.copyOf(ok, ok.length - 1), // truncated hash
                Arrays.copyOf(ok, ok.length + 1), // trailing byte
                new byte[]{0, 0}, // truncated count
                intThen(-1), intThen(Xattrs.MAX_NAMES + 1), intThen(5), // bad or lying counts
                names("trusted.x"), names("user."), names("user.a", "user.a"))) { // outside user.*, duplicate
            assertThatThrownBy(() -> Xattrs.decode(bad)).isInstanceOf(Wire.FrameException.class);
        }
    }

    static byte[] intThen(int n) throws Exception {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        new DataOutputStream(bo).writeInt(n);
        return bo.toByteArray();
    }

    static byte[] names(String... names) throws Exception {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(bo);
        o.writeInt(names.length);
        for (String n : names) {
            o.writeUTF(n);
            o.write(new byte[TreeOps.HASH]);
        }
        return bo.toByteArray();
    }

    static TreeOps.Entry entry(String name, String link, byte[] x) {
        return new TreeOps.Entry(name, link.isEmpty() ? 'f' : 'l', 10, 0644, 1, 2, 123_456_789L, link, x);
    }

    @Test
    void listingRoundTripsWithDigests() throws Exception {
        byte[] d = Xattrs.digest(hashes("user.a", "1"));
        List<TreeOps.Entry> all = List.of(entry("a", "", d), entry("b", "", null), entry("c", "target", null));
        TreeOps.Page page = TreeOps.decode(TreeOps.encode(all));
        assertThat(page.more()).isFalse();
        assertThat(page.entries()).hasSize(3);
        assertThat(page.entries().get(0).xattrs()).isEqualTo(d);
        assertThat(page.entries().get(1).xattrs()).isEmpty();
        assertThat(page.entries().get(2).link()).isEqualTo("target");
        assertThat(page.entries().get(0).sameXattrs(all.get(0))).isTrue();
        assertThat(page.entries().get(0).sameXattrs(page.entries().get(1))).isFalse();
        TreeOps.Page rest = TreeOps.decode(TreeOps.encode(all, 2));
        assertThat(rest.entries()).extracting(TreeOps.Entry::name).containsExactly("c");
    }

    @Test
    void listingPagesStayUnderTheFrameBoundWhateverTheLinks() throws Exception {
        // 4096 entries with 4000-byte link targets and digests: ~16 MiB if sent at once
        byte[] d = Xattrs.digest(hashes("user.a", "1"));
        String link = "t/".repeat(2000);
        List<TreeOps.Entry> all = new java.util.ArrayList<>();
        for (int i = 0; i < TreeOps.MAX_ENTRIES_PER_REPLY + 10; i++) {
            all.add(entry(String.format("n%05d", i), link, d));
        }
        int from = 0;
        int pages = 0;
        List<String> seen = new java.util.ArrayList<>();
        while (true) {
            byte[] reply = TreeOps.encode(all, from);
            assertThat(reply.length).isLessThanOrEqualTo(TreeOps.MAX_LIST_BYTES + 8);
            assertThat(reply.length + 64).isLessThan(Wire.MAX_FRAME);
            TreeOps.Page p = TreeOps.decode(reply);
            p.entries().forEach(e -> seen.add(e.name()));
            pages++;
            if (!p.more()) {
                break;
            }
            from += p.entries().size();
        }
        assertThat(pages).isGreaterThan(10);
        assertThat(seen).containsExactlyElementsOf(all.stream().map(TreeOps.Entry::name).toList());
        // short entries: the entry count bounds the page
        List<TreeOps.Entry> small = new java.util.ArrayList<>();
        for (int i = 0; i < TreeOps.MAX_ENTRIES_PER_REPLY + 1; i++) {
            small.add(entry("s" + i, "", null));
        }
        TreeOps.Page first = TreeOps.decode(TreeOps.encode(small, 0));
        assertThat(first.entries()).hasSize(TreeOps.MAX_ENTRIES_PER_REPLY);
        assertThat(first.more()).isTrue();
    }

    @Test
    void hostileListingsAreRefused() throws Exception {
        byte[] d = Xattrs.digest(hashes("user.a", "1"));
        byte[] ok = TreeOps.encode(List.of(entry("a", "", d)));
        byte[] badDigest = ok.clone();
        // the digest length byte sits right before the 32 digest bytes and the final "more" flag
        badDigest[ok.length - 1 - TreeOps.HASH - 1] = 7;
        byte[] emptyButMore = intThen(0);
        emptyButMore = Arrays.copyOf(emptyButMore, 5);
        emptyButMore[4] = 1;
        for (byte[] bad : List.of(Arrays.copyOf(ok, ok.length - 1), Arrays.copyOf(ok, ok.length + 1), badDigest,
                intThen(-1), intThen(TreeOps.MAX_ENTRIES_PER_REPLY + 1), intThen(3), emptyButMore)) {
            assertThatThrownBy(() -> TreeOps.decode(bad)).isInstanceOf(Wire.FrameException.class);
        }
        assertThat(TreeOps.decode(ok).entries()).hasSize(1);
    }
}
