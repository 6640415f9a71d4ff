package io.steadfast.bus.auth;

import io.steadfast.api.ServiceName;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.impl.clustered.ClusteredMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Event-bus authentication, installed on every clustered Vert.x by {@code ClusterBootstrap}: an outbound
 * interceptor signs every message this JVM sends, publishes or replies ({@link BusMac}); an inbound interceptor
 * drops every message received from another JVM that is unsigned, badly signed, signed for a node that is not in
 * {@code cluster.nodes}, replayed ({@link ReplayGuard}) or not allowed from its sender ({@link SenderRules}),
 * logging why (at most one line per {@value #LOG_EVERY_MS} ms, with the count of the others). A refused request
 * gets a failure reply (code {@value #REFUSED}), so a misconfigured node sees why at once rather than a timeout.
 *
 * <p>Deliveries inside this JVM are not checked: they never left the process.
 */
public final class BusAuth {
    private static final Logger LOG = LoggerFactory.getLogger(BusAuth.class);
    /** The instance name of the node agent (all services in one JVM); a service run alone signs as its id. */
    public static final String AGENT = "node";
    public static final int REFUSED = 403;
    static final long LOG_EVERY_MS = 10_000;
    private static final Set<String> INSTANCES = Stream.concat(Stream.of(AGENT),
            Arrays.stream(ServiceName.values()).map(ServiceName::id)).collect(Collectors.toUnmodifiableSet());
    private static final Map<Vertx, BusAuth> INSTALLED = new WeakHashMap<>();

    private final String node;
    private final String instance;
    private final BusMac mac;
    private final SenderRules rules;
    private final ReplayGuard replay = new ReplayGuard();
    private final long boot;
    private final long bootTime;
    private final AtomicLong seq = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong suppressed = new AtomicLong();
    private volatile long lastLog;
    private volatile String lastRefusal = "";

    BusAuth(byte[] secret, String node, String instance, Set<String> nodes) {
        if (!INSTANCES.contains(instance)) {
            throw new IllegalArgumentException("unknown bus instance " + instance);
        }
        this.node = node;
        this.instance = instance;
        this.mac = new BusMac(BusKeys.busKey(secret));
        this.rules = new SenderRules(nodes);
        this.boot = new SecureRandom().nextLong();
        this.bootTime = System.currentTimeMillis();
    }

    /**
     * Signs everything {@code vertx} sends and checks everything it receives from another JVM.
     *
     * @param node     this node's name (what its messages are signed as)
     * @param instance {@link #AGENT}, or the id of the service run alone in this JVM
     * @param nodes    every name in {@code cluster.nodes}
     */
    public static BusAuth install(Vertx vertx, byte[] secret, String node, String instance, Set<String> nodes) {
        BusAuth auth = new BusAuth(secret, node, instance, nodes);
        vertx.eventBus().addOutboundInterceptor(auth::sign);
        vertx.eventBus().addInboundInterceptor(auth::check);
        synchronized (INSTALLED) {
            INSTALLED.put(vertx, auth);
        }
        return auth;
    }

    /** The authentication installed on {@code vertx}; empty when the cluster runs with {@code insecure: true}. */
    public static Optional<BusAuth> of(Vertx vertx) {
        synchronized (INSTALLED) {
            return Optional.ofNullable(INSTALLED.get(vertx));
        }
    }

    /** Received from another JVM (not a delivery within this one). */
    public static boolean isRemote(Message<?> message) {
        return message instanceof ClusteredMessage<?, ?> c && c.isFromWire();
    }

    public long accepted() {
        return accepted.get();
    }

    public long refused() {
        return refused.get();
    }

    /** For /health: messages accepted and refused from other JVMs, and the last refusal. */
    public JsonObject status() {
        return new JsonObject().put("signed", true).put("accepted", accepted.get()).put("refused", refused.get())
                .put("lastRefusal", lastRefusal);
    }

    private void sign(DeliveryContext<Object> ctx) {
        Message<Object> m = ctx.message();
        BusMac.Signature s = new BusMac.Signature(node, instance, boot, bootTime, seq.incrementAndGet(), null);
        byte[] tag = mac.mac(s, m.address(), ctx.send(), m.replyAddress(), ctx.body());
        m.headers().set(BusMac.HEADER, new BusMac.Signature(node, instance, boot, bootTime, s.seq(), tag).header());
        ctx.next();
    }

    private void check(DeliveryContext<Object> ctx) {
        Message<Object> m = ctx.message();
        if (!isRemote(m)) {
            ctx.next();
            return;
        }
        Optional<String> refusal;
        try {
            refusal = verify(m);
        } catch (RuntimeException e) { // a body that does not decode, …: refused like the rest
            refusal = Optional.of("unreadable message: " + e);
        }
        if (refusal.isEmpty()) {
            accepted.incrementAndGet();
            ctx.next();
            return;
        }
        refused.incrementAndGet();
        lastRefusal = refusal.get();
        log(m.address(), refusal.get());
        if (m.isSend() && m.replyAddress() != null) {
            m.fail(REFUSED, "refused by the cluster's event-bus authentication");
        }
    }

    /** Why this received message is refused, or empty. */
    Optional<String> verify(Message<Object> m) {
        String header = m.headers().get(BusMac.HEADER);
        if (header == null) {
            return Optional.of("unsigned");
        }
        Optional<BusMac.Signature> parsed = BusMac.Signature.parse(header);
        if (parsed.isEmpty()) {
            return Optional.of("malformed signature header");
        }
        BusMac.Signature s = parsed.get();
        if (!rules.isNode(s.node())) {
            return Optional.of("signed as \"" + s.node() + "\", which is not in cluster.nodes");
        }
        if (!INSTANCES.contains(s.instance())) {
            return Optional.of("signed by an unknown instance \"" + s.instance() + "\" of " + s.node());
        }
        Object body = m.body();
        if (!signable(body)) {
            return Optional.of("body of type " + body.getClass().getName() + " is not accepted from the cluster");
        }
        if (!mac.valid(s, m.address(), m.isSend(), m.replyAddress(), body)) {
            return Optional.of("bad signature (claims " + s.node() + "/" + s.instance()
                    + "; a different cluster secret?)");
        }
        // the address string is decoded once per received frame and shared by the copies Vert.x hands to each
        // consumer of a publication: it tells a second consumer of one message from a replay of it
        ReplayGuard.Verdict verdict = replay.check(s.node(), s.instance(), s.boot(), s.bootTime(), s.seq(),
                m.isSend() ? null : m.address());
        if (verdict != ReplayGuard.Verdict.ACCEPTED) {
            return Optional.of((verdict == ReplayGuard.Verdict.REPLAYED ? "replayed" : "replayed from an earlier run")
                    + " (" + s.node() + "/" + s.instance() + " #" + s.seq() + ")");
        }
        return rules.refusal(s.node(), m.address(), m.isSend(), body);
    }

    static boolean signable(Object body) {
        return body == null || body instanceof JsonObject || body instanceof JsonArray || body instanceof String
                || body instanceof Buffer || body instanceof byte[] || body instanceof ReplyException
                || body instanceof Number || body instanceof Boolean || body instanceof Character;
    }

    private void log(String address, String why) {
        long now = System.currentTimeMillis();
        if (now - lastLog < LOG_EVERY_MS) {
            suppressed.incrementAndGet();
            return;
        }
        lastLog = now;
        long others = suppressed.getAndSet(0);
        LOG.warn("event bus: refused a message to {}: {}{}", address, why,
                others > 0 ? " (and " + others + " other refusals not logged since the last line)" : "");
    }
}
