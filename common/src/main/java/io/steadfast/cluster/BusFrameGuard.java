package io.steadfast.cluster;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Set;

/**
 * Bounds the clustered event bus's TCP server, which Vert.x 5 leaves unbounded: its frame parser
 * ({@code InboundConnection}, a {@code RecordParser} in fixed-size mode) buffers whatever length a frame's 4-byte
 * prefix announces, so one connection announcing 2 GB and streaming bytes fills the heap. Vert.x has no option for
 * it ({@code EventBusOptions}/{@code NetServerOptions} have none), so this reaches the server's Netty channel
 * (reflection on {@code ClusteredEventBus.server} and {@code NetServerImpl.bindFuture}, checked by
 * {@code BusAuthIT}) and puts a handler in front of every accepted connection that:
 * <ul>
 *   <li>closes a connection from an address that is not a configured node's ({@code cluster.nodes[].addr});</li>
 *   <li>closes a connection whose frame announces a length ≤ 0 or above {@link #MAX_FRAME} before buffering it.</li>
 * </ul>
 * With {@code cluster.bus.tls} only the address check applies: a peer must present a certificate of the cluster CA
 * before any frame is parsed.
 */
final class BusFrameGuard {
    private static final Logger LOG = LoggerFactory.getLogger(BusFrameGuard.class);
    /** Control messages are small JSON; the largest (a module's log tail, a verify report) stay far below this. */
    static final int MAX_FRAME = 16 * 1024 * 1024;
    private static final String NAME = "sf-frame-guard";

    private BusFrameGuard() {
    }

    /** Installs the guard on {@code vertx}'s event-bus server; a failure is logged (the bus still works). */
    static void install(Vertx vertx, Set<InetAddress> allowed, boolean tls) {
        try {
            Object bus = ((VertxInternal) vertx).eventBus();
            Object server = field(bus, "server");
            Object bind = field(server, "bindFuture");
            Channel serverChannel = ((Future<?>) bind).map(c -> (Channel) c).result();
            serverChannel.pipeline().addFirst("sf-accept-guard", new AcceptGuard(allowed, tls));
            LOG.debug("event-bus frame guard on {}", serverChannel.localAddress());
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.error("event bus: cannot bound frame sizes on this Vert.x version ({}): a peer can announce frames"
                    + " of any size", e.toString());
        }
    }

    private static Object field(Object target, String name) throws ReflectiveOperationException {
        for (Class<?> c = target.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(target);
            } catch (NoSuchFieldException e) {
                // look in the superclass
            }
        }
        throw new NoSuchFieldException(target.getClass().getName() + "." + name);
    }

    /** On the server channel: sees each accepted connection before Vert.x initialises it. */
    @ChannelHandler.Sharable
    private static final class AcceptGuard extends ChannelInboundHandlerAdapter {
        private final Set<InetAddress> allowed;
        private final boolean tls;

        AcceptGuard(Set<InetAddress> allowed, boolean tls) {
            this.allowed = allowed;
            this.tls = tls;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Channel child) {
                SocketAddress remote = child.remoteAddress();
                if (remote instanceof InetSocketAddress inet && !allowed.contains(inet.getAddress())) {
                    Refusals.log("connection from " + inet.getAddress().getHostAddress()
                            + ", which is not a configured node's address");
                    child.unsafe().closeForcibly();
                    return;
                }
                if (!tls) { // with TLS only holders of a cluster certificate reach the frame parser
                    child.pipeline().addFirst(NAME, new FrameGuard());
                }
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** On each connection: follows the frame boundaries (4-byte big-endian length, then that many bytes). */
    static final class FrameGuard extends ChannelInboundHandlerAdapter {
        private int headerBytes;
        private int header;
        private long remaining;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf && !scan(buf)) {
                ReferenceCountUtil.release(msg);
                Refusals.log("frame announcing " + Integer.toUnsignedString(header) + " bytes from "
                        + ctx.channel().remoteAddress() + " (at most " + MAX_FRAME + "): connection closed");
                ctx.close();
                return;
            }
            ctx.fireChannelRead(msg);
        }

        /** False when a frame length is out of bounds. */
        boolean scan(ByteBuf buf) {
            int i = buf.readerIndex();
            int end = buf.writerIndex();
            while (i < end) {
                if (remaining > 0) {
                    long n = Math.min(remaining, end - i);
                    remaining -= n;
                    i += (int) n;
                    continue;
                }
                header = (header << 8) | (buf.getByte(i++) & 0xff);
                if (++headerBytes == 4) {
                    headerBytes = 0;
                    if (header <= 0 || header > MAX_FRAME) {
                        return false;
                    }
                    remaining = header;
                    header = 0;
                }
            }
            return true;
        }
    }

    /** At most one log line per 10 s. */
    static final class Refusals {
        private static volatile long last;
        private static final java.util.concurrent.atomic.AtomicLong SUPPRESSED = new java.util.concurrent.atomic.AtomicLong();

        static void log(String what) {
            long now = System.currentTimeMillis();
            if (now - last < 10_000) {
                SUPPRESSED.incrementAndGet();
                return;
            }
            last = now;
            long others = SUPPRESSED.getAndSet(0);
            LOG.warn("event bus: refused a {}{}", what, others > 0 ? " (and " + others + " more not logged)" : "");
        }
    }
}
