package io.steadfast.replication.impl;

import io.steadfast.replication.impl.Wire.Ack;
import io.steadfast.replication.impl.Wire.Op;
import io.steadfast.replication.impl.Wire.OpCode;
import io.steadfast.replication.impl.Wire.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The replication channel without FUSE: authentication, ordering, pipelining, timeouts and hostile frames. */
class ChannelTest {
    private static final byte[] SECRET = "0123456789abcdef-cluster-secret".getBytes(StandardCharsets.UTF_8);
    private static final Duration T = Duration.ofSeconds(3);

    @TempDir
    Path tmp;
    Path root;
    Path outside;
    ReplicaServer server;
    final List<ReplicaClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        root = Files.createDirectories(tmp.resolve("copy"));
        outside = Files.createDirectories(tmp.resolve("outside"));
        server = new ReplicaServer("db", serverAuth(), new Applier(List.of(root), tmp.resolve("t.json")),
                new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void stop() {
        clients.forEach(ReplicaClient::close);
        server.close();
    }

    /** The secondary's side: node2, whose configured peer is node1. */
    static ChannelAuth serverAuth() {
        return new ChannelAuth(SECRET, "node2", "node1");
    }

    /** The primary's side: node1, whose configured peer is node2. */
    static ChannelAuth clientAuth() {
        return new ChannelAuth(SECRET, "node1", "node2");
    }

    ReplicaClient client(byte[] secret, String module) throws IOException {
        ReplicaClient c = ReplicaClient.connect(module, new InetSocketAddress("127.0.0.1", server.port()),
                new ChannelAuth(secret, "node1", "node2"), T, T, why -> { });
        clients.add(c);
        return c;
    }

    @Test
    void pipelinedWritesFromManyThreadsAreAppliedInOrder() throws Exception {
        ReplicaClient c = client(SECRET, "db");
        assertThat(c.call(Op.of(OpCode.CREATE, "f", 0640), Ack.APPLIED).ok()).isTrue();
        // each thread owns a 4 KiB slot; every slot is rewritten many times, the last value must win
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int slot = t;
            fs.add(pool.submit(() -> {
                List<CompletableFuture<Reply>> mine = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    byte[] d = new byte[4096];
                    java.util.Arrays.fill(d, (byte) (i % 100));
                    synchronized (c) { // order of submission = order of application, per the contract
                        mine.add(c.send(Op.write("f", slot * 4096L, d), Ack.RECEIPT));
                    }
                }
                for (var f : mine) {
                    assertThat(c.await(f).ok()).isTrue();
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        c.call(Op.of(OpCode.FSYNC, "f"), Ack.APPLIED);
        byte[] all = Files.readAllBytes(root.resolve("f"));
        assertThat(all).hasSize(8 * 4096);
        for (byte b : all) {
            assertThat(b).isEqualTo((byte) 99);
        }
        assertThat(Files.getPosixFilePermissions(root.resolve("f")).toString()).contains("OWNER_READ");
    }

    @Test
    void smallAndLargeOpsFromManyThreadsLeaveInSubmissionOrder() throws Exception {
        // small ops may be written by their caller, large ones by the sender thread: the order must not change
        ReplicaClient c = client(SECRET, "db");
        int region = 256 * 1024;
        byte[] expected = new byte[region];
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            long seed = 100 + t;
            fs.add(pool.submit(() -> {
                Random r = new Random(seed);
                List<CompletableFuture<Reply>> mine = new ArrayList<>();
                for (int i = 0; i < 150; i++) {
                    int len = r.nextInt(4) == 0 ? 64 * 1024 + r.nextInt(region - 64 * 1024) : 1 + r.nextInt(8192);
                    int off = r.nextInt(region - len + 1);
                    byte[] d = new byte[len];
                    r.nextBytes(d);
                    synchronized (expected) { // submission order = the order we replay here
                        System.arraycopy(d, 0, expected, off, len);
                        mine.add(c.send(Op.write("mixed", off, d), Ack.RECEIPT));
                    }
                    if (r.nextInt(8) == 0) { // now and then wait, so the channel is idle for the next small op
                        c.await(mine.getLast());
                    }
                }
                for (var f : mine) {
                    assertThat(c.await(f).ok()).isTrue();
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        c.call(Op.of(OpCode.FSYNC, "mixed"), Ack.APPLIED);
        byte[] copy = Files.readAllBytes(root.resolve("mixed"));
        assertThat(copy.length).isLessThanOrEqualTo(region);
        assertThat(java.util.Arrays.equals(copy, 0, copy.length, expected, 0, copy.length)).isTrue();
    }

    @Test
    void waitersReadTheirOwnRepliesAndHandTheReadingOn() throws Exception {
        // callers awaiting their own ops read the socket in turn (one at a time, the others parked), while a
        // pipeline of ops nobody awaits yet is read by the channel's reader thread: every reply reaches its caller
        ReplicaClient c = client(SECRET, "db");
        assertThat(c.call(Op.of(OpCode.CREATE, "w", 0640), Ack.APPLIED).ok()).isTrue();
        ExecutorService pool = Executors.newFixedThreadPool(7);
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            int slot = t;
            fs.add(pool.submit(() -> {
                for (int i = 0; i < 300; i++) {
                    CompletableFuture<Reply> f = c.sendForAwait(Op.write("w", slot * 16L, new byte[16]),
                            i % 3 == 0 ? Ack.APPLIED : Ack.RECEIPT);
                    Reply r = i % 50 == 0 ? c.call(Op.of(OpCode.FSYNC, "w"), Ack.APPLIED) : c.await(f);
                    assertThat(r.ok()).isTrue();
                    assertThat(f).isCompleted();
                }
                return null;
            }));
        }
        fs.add(pool.submit(() -> {
            List<CompletableFuture<Reply>> later = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                later.add(c.send(Op.write("w", 96 + i, new byte[1]), Ack.APPLIED));
            }
            for (var f : later) {
                assertThat(f.get(T.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS).ok()).isTrue();
            }
            return null;
        }));
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        assertThat(c.alive()).isTrue();
        assertThat(c.inFlight()).isZero();
    }

    @Test
    void whenEveryReplyIsAwaitedTheWaitersReadThemAll() throws Exception {
        // the point of the leader/followers reading: the reader thread (one more wake-up per op) stays out of it;
        // it may read a few when the channel looked idle for a moment (a waiter descheduled on a busy machine)
        ReplicaClient c = client(SECRET, "db");
        assertThat(c.call(Op.of(OpCode.CREATE, "a", 0640), Ack.APPLIED).ok()).isTrue();
        long before = c.readByReaderThread();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int slot = t;
            fs.add(pool.submit(() -> {
                for (int i = 0; i < 500; i++) {
                    assertThat(c.call(Op.write("a", slot * 8L, new byte[8]), Ack.APPLIED).ok()).isTrue();
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        assertThat(c.readByReaderThread() - before).as("replies read by the reader thread, of 2000").isLessThan(100);
    }

    @Test
    void theReadingPassesToAWaiterWhenTheReaderHasItsReply() throws Exception {
        // a scripted peer answers A's op 20 ms before B's, while B waits behind A (who reads): when A leaves with
        // its reply, B must be handed the reading and read its own; a lost hand-over would leave B's reply to
        // the reader thread's idle watch (50 ms later)
        int rounds = 20;
        try (ServerSocket scripted = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread peer = Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = scripted.accept()) {
                    DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
                    DataOutputStream out = new DataOutputStream(s.getOutputStream());
                    SealedChannel ch = serverAuth().serverSide(in, out, "db");
                    for (int i = 0; i < rounds; i++) {
                        long first = ((Wire.OpFrame) ch.read(in)).seq();
                        long second = ((Wire.OpFrame) ch.read(in)).seq();
                        Thread.sleep(100); // both callers are waiting by now
                        ch.writeReply(out, new Reply(first, 0, "", new byte[0]));
                        out.flush();
                        Thread.sleep(20);
                        ch.writeReply(out, new Reply(second, 0, "", new byte[0]));
                        out.flush();
                    }
                } catch (Exception ignored) {
                    // test ends
                }
            });
            ReplicaClient c = ReplicaClient.connect("db", new InetSocketAddress("127.0.0.1", scripted.getLocalPort()),
                    clientAuth(), T, T, why -> { });
            clients.add(c);
            Thread.sleep(2 * ReplicaClient.IDLE_WATCH.toMillis()); // let the idle watch start and give way
            long before = c.readByReaderThread();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            for (int i = 0; i < rounds; i++) {
                Future<Reply> a = pool.submit(() -> c.call(Op.of(OpCode.FSYNC, "a"), Ack.APPLIED));
                Thread.sleep(10); // A sends first and reads
                Future<Reply> b = pool.submit(() -> c.call(Op.of(OpCode.FSYNC, "b"), Ack.APPLIED));
                assertThat(a.get().ok()).isTrue();
                assertThat(b.get().ok()).isTrue();
            }
            pool.shutdown();
            // the first round may meet the idle watch still reading; a descheduled waiter may meet it once more
            assertThat(c.readByReaderThread() - before).as("replies read by the reader thread, of " + 2 * rounds)
                    .isLessThanOrEqualTo(4);
            peer.join(T.toMillis());
        }
    }

    @Test
    void aReplyItsOwnerNeverAwaitsIsStillRead() throws Exception {
        // an owner that fails between sending and awaiting: the idle watch reads the reply, the budget returns
        ReplicaClient c = client(SECRET, "db");
        CompletableFuture<Reply> f = c.sendForAwait(Op.of(OpCode.CREATE, "orphan", 0640), Ack.APPLIED);
        assertThat(f.get(T.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS).ok()).isTrue();
        assertThat(c.inFlight()).isZero();
        assertThat(root.resolve("orphan")).exists();
    }

    @Test
    void aPeerThatClosesAnIdleChannelIsNoticedWithoutAWrite() throws Exception {
        try (ServerSocket closing = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread t = authenticatedPeer(closing, 300); // idle, then gone
            CompletableFuture<String> lost = new CompletableFuture<>();
            ReplicaClient c = ReplicaClient.connect("db", new InetSocketAddress("127.0.0.1", closing.getLocalPort()),
                    clientAuth(), T, T, lost::complete);
            clients.add(c);
            assertThat(lost.get(T.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS))
                    .contains("closed the channel");
            assertThat(c.alive()).isFalse();
            t.join(T.toMillis());
        }
    }

    @Test
    void wrongSecretIsRefusedAndNothingWritten() {
        assertThatThrownBy(() -> client("another-secret-0123456789".getBytes(StandardCharsets.UTF_8), "db"))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> client(SECRET, "other-module")).isInstanceOf(IOException.class);
        assertThat(server.refused()).isGreaterThanOrEqualTo(2);
        assertThat(root.toFile().list()).isEmpty();
    }

    @Test
    void aPeerOfAnotherProtocolVersionIsToldSo() throws Exception {
        // an older build's client: its magic arrives, the server names both versions and hangs up
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.getOutputStream().write("SFREPL01".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(new byte[2 + 32 + 32]);
            assertThat(readsToEnd(s.getInputStream())).isTrue();
        }
        // an older build's server: our client refuses with a message naming both versions
        try (java.net.ServerSocket old = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            Thread t = Thread.ofPlatform().start(() -> {
                try (Socket s = old.accept()) {
                    s.getOutputStream().write("SFREPL01".getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().write(new byte[32]);
                    s.getInputStream().read();
                } catch (IOException ignored) {
                    // the client hung up
                }
            });
            assertThatThrownBy(() -> ReplicaClient.connect("db", new InetSocketAddress("127.0.0.1",
                    old.getLocalPort()), clientAuth(), T, T, why -> { }))
                    .isInstanceOf(ChannelAuth.AuthException.class)
                    .hasMessageContaining("SFREPL01").hasMessageContaining(ChannelAuth.PROTOCOL)
                    .hasMessageContaining("same Steadfast version");
            t.join(T.toMillis());
        }
        assertThat(server.refused()).isGreaterThanOrEqualTo(1);
        assertThat(root.toFile().list()).isEmpty();
    }

    @Test
    void unauthenticatedGarbageIsRefused() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.getOutputStream().write(new byte[200]);
            assertThat(readsToEnd(s.getInputStream())).isTrue();
        }
        assertThat(root.toFile().list()).isEmpty();
    }

    /**
     * Sends one crafted frame after a valid handshake, sealed with the session's key (a peer holding the secret
     * that sends garbage); the server must drop us and write nothing.
     */
    void hostile(byte[] frame) throws Exception {
        hostile(frame, true);
    }

    /** As {@link #hostile(byte[])}, the frame sealed or sent as it is (unsealed: fails authentication). */
    void hostile(byte[] frame, boolean sealed) throws Exception {
        long before = server.refused();
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            SealedChannel ch = clientAuth().clientSide(in, out, "db");
            if (sealed) {
                ch.writeRaw(out, frame);
            } else {
                out.write(frame);
            }
            out.flush();
            assertThat(readsToEnd(in)).as("server closes the connection").isTrue();
        }
        assertThat(server.refused()).isGreaterThan(before);
        try (Stream<Path> all = Files.walk(tmp)) {
            assertThat(all.filter(p -> !p.equals(tmp.resolve("t.json")) && Files.isRegularFile(p)).toList())
                    .as("nothing written anywhere").isEmpty();
        }
    }

    static boolean readsToEnd(InputStream in) throws IOException {
        byte[] b = new byte[4096];
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline) {
            int n;
            try {
                n = in.read(b);
            } catch (IOException e) {
                return true; // reset
            }
            if (n < 0) {
                return true;
            }
        }
        return false;
    }

    static byte[] op(Op op) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Wire.writeOp(new DataOutputStream(b), 1, Ack.APPLIED, op);
        return b.toByteArray();
    }

    @Test
    void unsealedFramesAfterTheHandshakeAreRefused() throws Exception {
        // what an on-path attacker without the session key can send: a well-formed plaintext frame
        hostile(op(Op.of(OpCode.CREATE, "planted", 0644)), false);
        hostile(op(Op.write("planted", 0, new byte[]{1, 2, 3})), false);
        // a sealed length out of bounds, unread
        hostile(new byte[]{0x7f, 0, 0, 0, 1, 2, 3}, false);
        assertThat(root.resolve("planted")).doesNotExist();
    }

    @Test
    void onlyTheConfiguredPeerNodeIsServed() throws Exception {
        // node3 holds the secret but is not this module's peer: refused by the secondary
        assertThatThrownBy(() -> ReplicaClient.connect("db", new InetSocketAddress("127.0.0.1", server.port()),
                new ChannelAuth(SECRET, "node3", "node2"), T, T, why -> { }))
                .isInstanceOf(IOException.class);
        // a primary whose configured peer is node9 does not talk to node2
        assertThatThrownBy(() -> ReplicaClient.connect("db", new InetSocketAddress("127.0.0.1", server.port()),
                new ChannelAuth(SECRET, "node1", "node9"), T, T, why -> { }))
                .isInstanceOf(ChannelAuth.AuthException.class)
                .hasMessageContaining("served by node \"node2\"").hasMessageContaining("configured peer is \"node9\"");
        assertThat(server.refused()).isGreaterThanOrEqualTo(1);
        assertThat(root.toFile().list()).isEmpty();
    }

    @Test
    void keyDerivationIsHkdfSha256() {
        // RFC 5869 test case 1
        byte[] ikm = new byte[22];
        java.util.Arrays.fill(ikm, (byte) 0x0b);
        byte[] salt = java.util.HexFormat.of().parseHex("000102030405060708090a0b0c");
        byte[] info = java.util.HexFormat.of().parseHex("f0f1f2f3f4f5f6f7f8f9");
        assertThat(java.util.HexFormat.of().formatHex(FrameCipher.hkdf(salt, ikm, info, 42))).isEqualTo(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    }

    @Test
    void sealedFramesOpenOnlyOnceInOrderAndUnaltered() throws Exception {
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, (byte) 7);
        FrameCipher tx = FrameCipher.sealer(key, ChannelAuth.PREFIX_C2S);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        List<Integer> ends = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Wire.writeOpHeader(tx.begin(), i + 1, Ack.APPLIED, Op.write("f", i, "secret-data".getBytes()));
            tx.seal("secret-data".getBytes(), wire);
            ends.add(wire.size());
        }
        byte[] all = wire.toByteArray();
        assertThat(new String(all, StandardCharsets.ISO_8859_1)).doesNotContain("secret-data").doesNotContain("f");
        // in order: every frame opens
        SealedChannel ok = new SealedChannel(FrameCipher.sealer(key, 0), FrameCipher.opener(key, ChannelAuth.PREFIX_C2S));
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(all));
        for (int i = 0; i < 3; i++) {
            assertThat(((Wire.OpFrame) ok.read(in)).seq()).isEqualTo(i + 1);
        }
        // the second frame first (a dropped or reordered frame): refused
        byte[] second = java.util.Arrays.copyOfRange(all, ends.get(0), ends.get(1));
        assertThatThrownBy(() -> new SealedChannel(FrameCipher.sealer(key, 0),
                FrameCipher.opener(key, ChannelAuth.PREFIX_C2S)).read(new DataInputStream(
                new java.io.ByteArrayInputStream(second)))).isInstanceOf(Wire.FrameException.class)
                .hasMessageContaining("failed authentication");
        // one bit flipped anywhere in the first frame, its length word included: refused
        for (int pos = 0; pos < ends.get(0); pos++) {
            byte[] bad = java.util.Arrays.copyOf(all, ends.get(0));
            bad[pos] ^= 0x10;
            SealedChannel c = new SealedChannel(FrameCipher.sealer(key, 0),
                    FrameCipher.opener(key, ChannelAuth.PREFIX_C2S));
            assertThatThrownBy(() -> c.read(new DataInputStream(new java.io.ByteArrayInputStream(bad))))
                    .as("flip at " + pos).isInstanceOf(IOException.class);
        }
        // the other direction's prefix: refused
        assertThatThrownBy(() -> new SealedChannel(FrameCipher.sealer(key, 0),
                FrameCipher.opener(key, ChannelAuth.PREFIX_S2C)).read(new DataInputStream(
                new java.io.ByteArrayInputStream(all)))).isInstanceOf(Wire.FrameException.class);
    }

    @Test
    void traversalIsRefused() throws Exception {
        hostile(op(Op.write("../outside/x", 0, new byte[]{1})));
        hostile(op(Op.write("a/../../outside/x", 0, new byte[]{1})));
        hostile(op(Op.write("./x", 0, new byte[]{1})));
        hostile(op(Op.two(OpCode.RENAME, "x", "../outside/x")));
    }

    @Test
    void absolutePathIsRefused() throws Exception {
        hostile(op(Op.write(outside.resolve("x").toString(), 0, new byte[]{1})));
        hostile(op(Op.of(OpCode.MKDIR, outside.resolve("d").toString(), 0755)));
    }

    @Test
    void symlinkEscapeIsRefused() throws Exception {
        Files.createSymbolicLink(root.resolve("esc"), outside);
        hostile(op(Op.write("esc/x", 0, new byte[]{1})));
        hostile(op(Op.of(OpCode.CREATE, "esc/y", 0644)));
        hostile(op(Op.of(OpCode.MKDIR, "esc/d", 0755)));
        hostile(op(Op.of(OpCode.DELETE_TREE, "esc/z")));
        // the final component being a symlink: never followed (ELOOP), nothing written through it
        Files.createFile(outside.resolve("victim"));
        Files.createSymbolicLink(root.resolve("tofile"), outside.resolve("victim"));
        ReplicaClient c = client(SECRET, "db");
        assertThat(c.call(Op.write("tofile", 0, new byte[]{1, 2, 3}), Ack.APPLIED).ok()).isFalse();
        assertThat(Files.size(outside.resolve("victim"))).isZero();
        assertThat(Files.list(outside).toList()).containsExactly(outside.resolve("victim"));
    }

    @Test
    void oversizeAndMalformedFramesAreRefused() throws Exception {
        DataOutputStreamBytes big = new DataOutputStreamBytes();
        big.out.writeInt(Wire.MAX_FRAME + 1);
        big.out.write(new byte[64]);
        hostile(big.bytes());
        // bad frame type
        hostile(new byte[]{0, 0, 0, 1, 9});
        // declared data length larger than the frame
        byte[] f = op(Op.write("x", 0, new byte[]{1, 2, 3}));
        f[f.length - 7] = 0x7f;
        hostile(f);
        // unknown opcode
        byte[] g = op(Op.write("x", 0, new byte[]{1}));
        g[4 + 1 + 8 + 1] = 99;
        hostile(g);
        // directory index out of range
        hostile(op(new Op(OpCode.WRITE, "x", "", 0, 0, 7, new byte[]{1})));
        // random garbage
        Random r = new Random(42);
        byte[] junk = new byte[512];
        r.nextBytes(junk);
        junk[0] = 0;
        junk[1] = 0;
        junk[2] = 1;
        junk[3] = 0;
        hostile(junk);
    }

    @Test
    void aSilentPeerFailsWithinTheSendTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread t = authenticatedPeer(silent, 20_000); // then never answers
            List<String> lost = new ArrayList<>();
            ReplicaClient c = ReplicaClient.connect("db", new InetSocketAddress("127.0.0.1", silent.getLocalPort()),
                    clientAuth(), T, Duration.ofMillis(500), lost::add);
            clients.add(c);
            long t0 = System.nanoTime();
            // one caller reads the silent socket, the other waits behind it: both fail within the timeout
            CompletableFuture<Reply> other = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.call(Op.write("y", 0, new byte[10]), Ack.RECEIPT);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThatThrownBy(() -> c.call(Op.write("x", 0, new byte[10]), Ack.RECEIPT))
                    .isInstanceOf(ReplicaClient.PeerLostException.class);
            assertThatThrownBy(() -> other.get(3, java.util.concurrent.TimeUnit.SECONDS))
                    .hasCauseInstanceOf(java.io.UncheckedIOException.class)
                    .hasRootCauseInstanceOf(ReplicaClient.PeerLostException.class);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(ms).isLessThan(3000);
            assertThat(c.alive()).isFalse();
            t.interrupt();
        }
    }

    @Test
    void anInterruptedWaiterStopsWaiting() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread t = authenticatedPeer(silent, 20_000);
            ReplicaClient c = ReplicaClient.connect("db", new InetSocketAddress("127.0.0.1", silent.getLocalPort()),
                    clientAuth(), T, Duration.ofSeconds(30), why -> { });
            clients.add(c);
            CompletableFuture<Throwable> failure = new CompletableFuture<>();
            Thread caller = Thread.ofPlatform().start(() -> {
                try {
                    c.call(Op.write("x", 0, new byte[10]), Ack.RECEIPT);
                    failure.complete(null);
                } catch (IOException e) {
                    failure.complete(e);
                }
            });
            Thread.sleep(200);
            caller.interrupt();
            assertThat(failure.get(10, java.util.concurrent.TimeUnit.SECONDS))
                    .isInstanceOf(ReplicaClient.PeerLostException.class).hasMessage("interrupted");
            t.interrupt();
        }
    }

    /** A peer that accepts one connection, passes the handshake, then says nothing for {@code holdMs} and closes. */
    static Thread authenticatedPeer(ServerSocket ss, long holdMs) {
        return Thread.ofPlatform().daemon().start(() -> {
            try (Socket s = ss.accept()) {
                serverAuth().serverSide(new DataInputStream(s.getInputStream()),
                        new DataOutputStream(s.getOutputStream()), "db");
                Thread.sleep(holdMs);
            } catch (Exception ignored) {
                // test ends
            }
        });
    }

    @Test
    void syntaxRules() {
        for (String bad : List.of("/a", "a/../b", "..", ".", "a//b", "a/", "a/./b", "x\0y")) {
            assertThatThrownBy(() -> SafePaths.checkSyntax(bad)).as(bad).isInstanceOf(SafePaths.PathRefused.class);
        }
        for (String ok : List.of("", "a", "a/b", "a..b/c", ".hidden/x")) {
            org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> SafePaths.checkSyntax(ok));
        }
    }

    static final class DataOutputStreamBytes {
        final ByteArrayOutputStream b = new ByteArrayOutputStream();
        final DataOutputStream out = new DataOutputStream(b);

        byte[] bytes() {
            return b.toByteArray();
        }
    }
}
