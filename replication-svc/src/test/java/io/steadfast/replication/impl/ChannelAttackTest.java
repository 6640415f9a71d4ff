package io.steadfast.replication.impl;

import io.steadfast.api.ReplicationApi.ReplicationStatus;
import io.steadfast.config.AsyncMode;
import io.steadfast.replication.impl.Wire.Ack;
import io.steadfast.replication.impl.Wire.Op;
import io.steadfast.replication.impl.Wire.OpCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The replication channel under attack, without FUSE: a flood of connections that never authenticate, an on-path
 * attacker (a proxy on loopback between primary and secondary) that injects or alters bytes of a live session,
 * and one that only listens.
 */
class ChannelAttackTest {
    private static final byte[] SECRET = "0123456789abcdef-cluster-secret".getBytes(StandardCharsets.UTF_8);
    private static final Duration T = Duration.ofSeconds(3);
    private static final int EROFS = 30;

    @TempDir
    Path tmp;
    final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    static int threads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    @Test
    void threeHundredSilentConnectionsDoNotStopTheRealPeer() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("copy"));
        ReplicaServer server = new ReplicaServer("db", ChannelTest.serverAuth(),
                new Applier(List.of(root), tmp.resolve("t.json")), new InetSocketAddress("127.0.0.1", 0));
        closing.add(server);
        ReplicaClient real = ReplicaClient.connect("db", new InetSocketAddress("127.0.0.1", server.port()),
                ChannelTest.clientAuth(), T, T, why -> { });
        closing.add(real);
        assertThat(real.call(Op.of(OpCode.CREATE, "before", 0640), Ack.APPLIED).ok()).isTrue();
        int threadsBefore = threads();
        // 300 connections at once from another address of this host, each saying nothing
        List<Socket> flood = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                Socket s = new Socket();
                s.bind(new InetSocketAddress("127.0.0.3", 0));
                s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
                flood.add(s);
            }
            await("the connections beyond the cap closed", () -> server.overCap() >= 300
                    - ReplicaServer.MAX_HANDSHAKES_PER_SOURCE);
            assertThat(server.handshaking()).isLessThanOrEqualTo(ReplicaServer.MAX_HANDSHAKES_PER_SOURCE);
            int during = threads();
            // the live session keeps serving during the flood
            assertThat(real.call(Op.write("before", 0, "during the flood".getBytes()), Ack.APPLIED).ok()).isTrue();
            // and a new session of the real peer (another source address) gets through at once
            ReplicaClient again = ReplicaClient.connect("db", new InetSocketAddress("127.0.0.1", server.port()),
                    ChannelTest.clientAuth(), T, T, why -> { });
            closing.add(again);
            assertThat(again.call(Op.of(OpCode.CREATE, "after", 0640), Ack.APPLIED).ok()).isTrue();
            assertThat(Files.readString(root.resolve("before"))).isEqualTo("during the flood");
            // bounded: a handshake thread per admitted connection, nothing per refused one
            assertThat(during - threadsBefore).as("threads added by 300 connections")
                    .isLessThanOrEqualTo(ReplicaServer.MAX_HANDSHAKES_PER_SOURCE + 4);
            // the deadline closes the silent ones that were admitted
            await("the handshake deadline", () -> server.handshaking() == 0);
            for (Socket s : flood) {
                s.setSoTimeout(10_000);
                assertThat(ChannelTest.readsToEnd(s.getInputStream())).isTrue();
            }
        } finally {
            for (Socket s : flood) {
                s.close();
            }
        }
        assertThat(root.toFile().list()).containsExactlyInAnyOrder("before", "after");
    }

    /** A man in the middle on loopback: forwards both ways and alters the stream when told to. */
    static final class Proxy implements AutoCloseable {
        final ServerSocket listen = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final InetSocketAddress target;
        /** Bytes to insert into the primary → secondary stream before the next chunk passes. */
        final AtomicReference<byte[]> injectToServer = new AtomicReference<>();
        /** Flip a bit of the next chunk secondary → primary. */
        volatile boolean flipToClient;
        /** Everything that went primary → secondary, for the eavesdropper. */
        final ByteArrayOutputStream seen = new ByteArrayOutputStream();
        final List<Socket> sockets = new CopyOnWriteArrayList<>();
        final Thread acceptor;

        Proxy(InetSocketAddress target) throws IOException {
            this.target = target;
            acceptor = Thread.ofPlatform().daemon().start(() -> {
                while (!listen.isClosed()) {
                    try {
                        Socket c = listen.accept();
                        Socket s = new Socket();
                        s.connect(target);
                        sockets.add(c);
                        sockets.add(s);
                        pump(c.getInputStream(), s.getOutputStream(), true, c, s);
                        pump(s.getInputStream(), c.getOutputStream(), false, c, s);
                    } catch (IOException e) {
                        // closed
                    }
                }
            });
        }

        int port() {
            return listen.getLocalPort();
        }

        void pump(InputStream in, OutputStream out, boolean toServer, Socket a, Socket b) {
            Thread.ofPlatform().daemon().start(() -> {
                byte[] buf = new byte[64 * 1024];
                try {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        if (toServer) {
                            byte[] inject = injectToServer.getAndSet(null);
                            if (inject != null) {
                                out.write(inject);
                            }
                            synchronized (seen) {
                                seen.write(buf, 0, n);
                            }
                        } else if (flipToClient) {
                            flipToClient = false;
                            buf[n - 1] ^= 0x01;
                        }
                        out.write(buf, 0, n);
                        out.flush();
                    }
                } catch (IOException e) {
                    // one side gone
                } finally {
                    try {
                        a.close();
                        b.close();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
            });
        }

        @Override
        public void close() throws IOException {
            listen.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    /** Primary (node1) and secondary (node2) replicators on plain directories, the primary through {@code proxy}. */
    record Pair(ModuleReplicator primary, ModuleReplicator secondary, Path p, Path s,
                List<ReplicationStatus> statuses) {
        int write(String path, long off, byte[] data) throws IOException {
            Path f = p.resolve(path);
            return primary.perform(0, Op.write(path, off, data), () -> {
                try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE,
                        java.nio.file.StandardOpenOption.CREATE)) {
                    return ch.write(java.nio.ByteBuffer.wrap(data), off);
                }
            }, EROFS);
        }

        int create(String path) throws IOException {
            return primary.perform(0, Op.of(OpCode.CREATE, path, 0644), () -> {
                Files.createFile(p.resolve(path));
                return 0;
            }, EROFS);
        }
    }

    Pair pair(java.util.function.Function<InetSocketAddress, InetSocketAddress> via) throws Exception {
        Path p = Files.createDirectories(tmp.resolve("p"));
        Path s = Files.createDirectories(tmp.resolve("s"));
        List<ReplicationStatus> statuses = new CopyOnWriteArrayList<>();
        ModuleReplicator secondary = new ModuleReplicator(new ModuleReplicator.Settings("node2", "db", List.of(s),
                tmp.resolve("state2"), AsyncMode.SECOND, T, new ChannelAuth(SECRET, "node2", "node1"),
                new InetSocketAddress("127.0.0.1", 0)), st -> { }, pr -> { });
        closing.add(secondary);
        secondary.demote("node1");
        InetSocketAddress direct = new InetSocketAddress("127.0.0.1", secondary.server().port());
        ModuleReplicator primary = new ModuleReplicator(new ModuleReplicator.Settings("node1", "db", List.of(p),
                tmp.resolve("state1"), AsyncMode.SECOND, T, new ChannelAuth(SECRET, "node1", "node2"),
                new InetSocketAddress("127.0.0.1", 0)), statuses::add, pr -> { });
        closing.add(primary);
        primary.promote(Optional.of(via.apply(direct)), "node2", "gen-1", false);
        await("the primary replicating", () -> primary.mode() == ModuleReplicator.Mode.REPLICATING);
        return new Pair(primary, secondary, p, s, statuses);
    }

    @Test
    void bytesInjectedIntoALiveStreamEndTheSessionAndNothingOfThemIsApplied() throws Exception {
        AtomicReference<Proxy> proxy = new AtomicReference<>();
        Pair x = pair(direct -> {
            try {
                Proxy pr = new Proxy(direct);
                proxy.set(pr);
                closing.add(pr);
                return new InetSocketAddress("127.0.0.1", pr.port());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        ReplicaServer server = x.secondary().server();
        assertThat(x.create("f")).isZero();
        assertThat(x.write("f", 0, "one".getBytes())).isEqualTo(3);
        // async: second acknowledges on receipt: let the secondary apply what it received before counting
        await("the secondary's copy", () -> readOrEmpty(x.s().resolve("f")).equals("one"));
        long[] settled = {-1};
        await("the applied count settled", () -> {
            long a = server.applied();
            boolean same = a == settled[0];
            settled[0] = a;
            if (!same) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return same;
        });
        long refusedBefore = server.refused();
        long appliedBefore = server.applied();

        // 1. the attacker (no key) injects a well-formed plaintext frame: create "evil" on the secondary
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        Wire.writeOp(new DataOutputStream(frame), 1_000_000, Ack.APPLIED, Op.of(OpCode.CREATE, "evil", 0644));
        proxy.get().injectToServer.set(frame.toByteArray());
        x.write("f", 3, "two".getBytes()); // carries the injection; its acknowledgement never comes
        await("the secondary refusing the session", () -> server.refused() > refusedBefore);
        await("the primary recording", () -> x.statuses().stream().anyMatch(ReplicationStatus::recording));
        assertThat(server.applied()).as("nothing applied after the injection").isEqualTo(appliedBefore);
        assertThat(x.s().resolve("evil")).doesNotExist();
        // the primary goes on (recording), then reconnects and resynchronises the secondary
        assertThat(x.write("f", 6, "three".getBytes())).isEqualTo(5);
        await("the primary replicating again", () -> x.primary().mode() == ModuleReplicator.Mode.REPLICATING);
        assertThat(x.write("f", 11, "!".getBytes())).isEqualTo(1);
        await("the secondary's copy", () -> readOrEmpty(x.s().resolve("f")).equals("onetwothree!"));

        // 2. a bit flipped in a reply (secondary → primary): the primary refuses it and reconnects
        int statusesBefore = x.statuses().size();
        proxy.get().flipToClient = true;
        x.write("f", 12, "?".getBytes());
        await("the primary recording again", () -> x.statuses().subList(statusesBefore, x.statuses().size())
                .stream().anyMatch(ReplicationStatus::recording));
        assertThat(x.statuses().getLast().toString() + x.primary().status().reason()).isNotNull();
        await("the primary replicating again", () -> x.primary().mode() == ModuleReplicator.Mode.REPLICATING);
        await("the secondary's copy", () -> readOrEmpty(x.s().resolve("f")).equals("onetwothree!?"));
        assertThat(x.s().resolve("evil")).doesNotExist();
        assertThat(x.s().toFile().list()).containsExactly("f");
    }

    static String readOrEmpty(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void anEavesdropperSeesNeitherDataNorPaths() throws Exception {
        AtomicReference<Proxy> proxy = new AtomicReference<>();
        Pair x = pair(direct -> {
            try {
                Proxy pr = new Proxy(direct);
                proxy.set(pr);
                closing.add(pr);
                return new InetSocketAddress("127.0.0.1", pr.port());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(x.create("payroll-2026.csv")).isZero();
        byte[] data = "alice;120000\nbob;95000\n".repeat(100).getBytes();
        assertThat(x.write("payroll-2026.csv", 0, data)).isEqualTo(data.length);
        await("the secondary's copy", () -> readOrEmpty(x.s().resolve("payroll-2026.csv")).length() == data.length);
        String wire;
        synchronized (proxy.get().seen) {
            wire = proxy.get().seen.toString(StandardCharsets.ISO_8859_1);
        }
        assertThat(wire).contains(ChannelAuth.PROTOCOL).contains("node1"); // the handshake is in the clear
        assertThat(wire).doesNotContain("payroll").doesNotContain("alice").doesNotContain("120000");
    }
}
