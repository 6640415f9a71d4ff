package io.steadfast.service;

import io.steadfast.bus.LocalFirst;
import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.HeartbeatApi.DesiredState;
import io.steadfast.api.NodeApi;
import io.steadfast.api.NodeApi.ServiceHealth;
import io.steadfast.api.ServiceName;
import io.steadfast.bus.BadMessageException;
import io.steadfast.bus.ErrorCode;
import io.steadfast.bus.Fields;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Base of every service verticle: wires the bus, answers {@code health}, and turns bad input into failure replies.
 * A verticle stays thin: it parses, delegates to a plain class, and replies.
 *
 * <p>Contract for garbage: a request whose body does not parse gets {@link ErrorCode#BAD_MESSAGE} with the reason,
 * a publication that does not parse is logged and counted; neither changes anything nor stops the service.
 */
public abstract class ServiceVerticle extends VerticleBase {
    private final Logger log = LoggerFactory.getLogger(getClass());
    protected final ServiceName name;
    protected final ServiceContext ctx;
    private final List<Future<Void>> registrations = new ArrayList<>();
    private final List<MessageConsumer<?>> consumers = new ArrayList<>();
    private final AtomicLong badMessages = new AtomicLong();

    protected ServiceVerticle(ServiceName name, ServiceContext ctx) {
        this.name = name;
        this.ctx = ctx;
    }

    @Override
    public final Future<?> start() {
        serve(NodeApi.health(ctx.nodeName(), name), json -> json, ignored -> Future.succeededFuture(health().toJson()));
        return startService()
                .compose(v -> Future.all(registrations))
                .onSuccess(v -> log.info("{} service started on {}", name.id(), ctx.nodeName()));
    }

    @Override
    public final Future<?> stop() {
        return stopService().onComplete(ar -> log.info("{} service stopped", name.id()));
    }

    /** Registers consumers and timers; completes when the service is ready. */
    protected abstract Future<?> startService();

    protected Future<?> stopService() {
        return Future.succeededFuture();
    }

    /**
     * Health as other nodes and the console see it: the verdict of {@link #assess(HealthVerdict)} (DOWN with the
     * reasons when the service's work has failed, else UP with any warnings) and the facts of
     * {@link #healthDetails()}. Answered on the event loop: both must only read what the service already knows.
     */
    protected ServiceHealth health() {
        HealthVerdict verdict = new HealthVerdict();
        try {
            assess(verdict);
        } catch (RuntimeException e) {
            log.error("assessing the health of {} failed", name.id(), e);
            verdict.down("health assessment failed: " + e);
        }
        JsonObject details = healthDetails().put("badMessages", badMessages.get());
        return new ServiceHealth(ctx.nodeName(), name, verdict.up(), verdict.reason(), details, verdict.warnings());
    }

    /**
     * Decides this service's health into {@code verdict}: {@link HealthVerdict#down} when its work has failed,
     * {@link HealthVerdict#warn} when degraded (the rules are in {@link HealthRules}). Default: up, no warning.
     */
    protected void assess(HealthVerdict verdict) {
    }

    protected JsonObject healthDetails() {
        return new JsonObject();
    }

    public long badMessages() {
        return badMessages.get();
    }

    /**
     * Answers requests on {@code address}: the body is parsed by {@code parse} (which throws
     * {@link BadMessageException} on garbage), handled, and the JSON result is the reply.
     */
    protected <T> void serve(String address, Function<JsonObject, T> parse, Function<T, Future<JsonObject>> handler) {
        MessageConsumer<Object> consumer = vertx.eventBus().consumer(address, msg -> {
            T request;
            try {
                request = parse.apply(Fields.object(msg.body()));
            } catch (RuntimeException e) { // any parse failure is the sender's fault, never ours
                rejected(address, msg, e);
                return;
            }
            Future<JsonObject> reply;
            try {
                reply = handler.apply(request);
            } catch (RuntimeException e) {
                reply = Future.failedFuture(e);
            }
            reply.onSuccess(msg::reply).onFailure(e -> fail(address, msg, e));
        });
        track(consumer);
    }

    /** Receives publications on {@code address}; a publication that does not parse is logged and counted. */
    protected <T> void subscribe(String address, Function<JsonObject, T> parse, Consumer<T> handler) {
        MessageConsumer<Object> consumer = vertx.eventBus().consumer(address, msg -> {
            T event;
            try {
                event = parse.apply(Fields.object(msg.body()));
            } catch (RuntimeException e) {
                badMessages.incrementAndGet();
                log.warn("ignored a bad message on {}: {}", address, e.getMessage());
                return;
            }
            try {
                handler.accept(event);
            } catch (RuntimeException e) {
                log.error("handling a message on {} failed", address, e);
            }
        });
        track(consumer);
    }

    /** How often a service that has no desired state yet asks heartbeat-svc for it. */
    protected static final long DESIRED_ASK_MS = 2_000;

    /**
     * The reconciler's input: this node's desired state from heartbeat-svc, as published, and asked for at start
     * (then every {@link #DESIRED_ASK_MS} until heartbeat-svc has decided something — seq 0 means it has not) so
     * that a restarted service reconciles without waiting for a change. Until then the kernel keeps what it has.
     *
     * <p>Desired states are coalesced: while one {@code reconcile} runs, only the latest state that arrived is kept
     * and applied next, so a slow kernel never builds a queue of stale work. Event-loop confined.
     */
    protected void followDesiredState(Function<DesiredState, Future<?>> reconcile) {
        AtomicBoolean have = new AtomicBoolean();
        Coalescing<DesiredState> coalescing = new Coalescing<>(d -> reconcile.apply(d)
                .onFailure(e -> log.error("reconcile failed", e)));
        Consumer<DesiredState> accept = d -> {
            if (d.node().equals(ctx.nodeName()) && d.seq() > 0) {
                have.set(true);
                coalescing.submit(d);
            }
        };
        subscribe(HeartbeatApi.DESIRED, DesiredState::fromJson, accept);
        Runnable ask = () -> LocalFirst.request(vertx, HeartbeatApi.desired(ctx.nodeName()), new JsonObject(),
                        new DeliveryOptions().setSendTimeout(DESIRED_ASK_MS))
                .onSuccess(msg -> {
                    try {
                        accept.accept(DesiredState.fromJson(Fields.object(msg.body())));
                    } catch (RuntimeException e) {
                        log.warn("bad desired state from heartbeat-svc: {}", e.getMessage());
                    }
                })
                .onFailure(e -> log.debug("desired state not available yet: {}", e.getMessage()));
        ask.run();
        vertx.setPeriodic(DESIRED_ASK_MS, id -> {
            if (have.get()) {
                vertx.cancelTimer(id);
            } else {
                ask.run();
            }
        });
    }

    /** Runs one task at a time; of the items submitted meanwhile only the latest runs next. */
    static final class Coalescing<T> {
        private final Function<T, Future<?>> task;
        private T pending;
        private boolean running;

        Coalescing(Function<T, Future<?>> task) {
            this.task = task;
        }

        void submit(T item) {
            pending = item;
            if (!running) {
                next();
            }
        }

        private void next() {
            T item = pending;
            pending = null;
            running = item != null;
            if (item != null) {
                Future<?> f;
                try {
                    f = task.apply(item);
                } catch (RuntimeException e) {
                    f = Future.failedFuture(e);
                }
                f.onComplete(ar -> next());
            }
        }
    }

    /** Runs blocking work (commands, files) on a worker thread, never on the event loop. */
    protected <R> Future<R> blocking(Callable<R> work) {
        return vertx.executeBlocking(work, false);
    }

    private void track(MessageConsumer<?> consumer) {
        consumers.add(consumer);
        registrations.add(consumer.completion());
    }

    private void rejected(String address, Message<Object> msg, RuntimeException e) {
        badMessages.incrementAndGet();
        log.warn("rejected a bad request on {}: {}", address, e.getMessage());
        msg.fail(ErrorCode.BAD_MESSAGE.code(), e.getMessage());
    }

    private void fail(String address, Message<Object> msg, Throwable e) {
        if (e instanceof ServiceException se) {
            log.info("request on {} refused: {}", address, se.getMessage());
            msg.fail(se.code().code(), se.getMessage());
        } else if (e instanceof BadMessageException) {
            rejected(address, msg, (BadMessageException) e);
        } else {
            log.error("request on {} failed", address, e);
            msg.fail(ErrorCode.INTERNAL.code(), String.valueOf(e.getMessage()));
        }
    }
}
