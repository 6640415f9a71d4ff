package io.steadfast.replication.impl;

import io.steadfast.replication.impl.Wire.Ack;
import io.steadfast.replication.impl.Wire.Op;
import io.steadfast.replication.impl.Wire.OpCode;
import io.steadfast.replication.impl.Wire.Reply;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/** Reads of the peer's copy over the channel (listings, block checksums, xattr hashes), shared by resync and verify. */
final class RemoteTree {
    private final ReplicaClient c;

    RemoteTree(ReplicaClient c) {
        this.c = c;
    }

    /** Entries of a directory of the peer's copy by name; empty when it does not exist there. */
    Map<String, TreeOps.Entry> list(int dir, String rel) throws IOException {
        Map<String, TreeOps.Entry> out = new LinkedHashMap<>();
        long offset = 0;
        while (true) {
            Reply r = c.call(new Op(OpCode.LIST, rel, "", offset, 0, dir, null), Ack.APPLIED);
            if (!r.ok()) {
                return out;
            }
            TreeOps.Page page = TreeOps.decode(r.data());
            for (TreeOps.Entry e : page.entries()) {
                out.put(e.name(), e);
            }
            if (!page.more()) {
                return out;
            }
            offset += page.entries().size();
        }
    }

    /**
     * The peer's {@code user.*} attributes of an entry: name → SHA-256 of the value (never the values: see
     * {@link Xattrs}); empty when the entry is not there.
     */
    SortedMap<String, byte[]> xattrs(int dir, String rel) throws IOException {
        Reply r = c.call(new Op(OpCode.XATTRS, rel, "", 0, 0, dir, null), Ack.APPLIED);
        return r.ok() ? Xattrs.decode(r.data()) : new TreeMap<>();
    }

    /** Starts a checksum request for blocks [first, first+count) (count at most MAX_BLOCKS_PER_REPLY). */
    CompletableFuture<Reply> checksums(int dir, String rel, long first, int count) {
        return c.send(new Op(OpCode.CHECKSUMS, rel, "", first, count, dir, null), Ack.APPLIED);
    }

    byte[] await(CompletableFuture<Reply> f) throws IOException {
        Reply r = c.await(f);
        return r.ok() ? r.data() : new byte[0];
    }

    static List<long[]> runs(java.util.BitSet blocks, long maxBlocks) {
        List<long[]> out = new ArrayList<>();
        for (int i = blocks.nextSetBit(0); i >= 0 && i < maxBlocks; ) {
            int end = blocks.nextClearBit(i);
            long e = Math.min(end, maxBlocks);
            for (long s = i; s < e; s += TreeOps.MAX_BLOCKS_PER_REPLY) {
                out.add(new long[]{s, Math.min(e - s, TreeOps.MAX_BLOCKS_PER_REPLY)});
            }
            i = blocks.nextSetBit(end);
        }
        return out;
    }
}
