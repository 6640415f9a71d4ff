package io.steadfast.vip;

import io.steadfast.api.ModuleRef;
import io.steadfast.api.ServiceName;
import io.steadfast.api.VipApi;
import io.steadfast.api.VipApi.VipStatus;
import io.steadfast.api.VipApi.VipStatuses;
import io.steadfast.bus.ErrorCode;
import io.steadfast.config.ModuleConfig;
import io.steadfast.exec.CommandRunner;
import io.steadfast.service.ServiceContext;
import io.steadfast.service.ServiceException;
import io.steadfast.service.ServiceVerticle;
import io.steadfast.vip.impl.VipManager;
import io.steadfast.vip.impl.VipReconciler;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The vip-svc of one node: answers up/down/status, follows heartbeat-svc's desired state, re-sends gratuitous ARP
 * for mirror VIPs configured with a refresh period. Stopping the service leaves the VIPs as they are.
 */
public class VipVerticle extends ServiceVerticle {
    private static final Logger LOG = LoggerFactory.getLogger(VipVerticle.class);
    private static final Duration CMD_TIMEOUT = Duration.ofSeconds(5);

    private final CommandRunner runner;
    private VipReconciler reconciler;
    private final List<Long> timers = new ArrayList<>();

    public VipVerticle(ServiceContext ctx) {
        this(ctx, new CommandRunner());
    }

    /** {@code runner}: e.g. {@link CommandRunner#inNetns} to drive a lab namespace from a test JVM. */
    public VipVerticle(ServiceContext ctx, CommandRunner runner) {
        super(ServiceName.VIP, ctx);
        this.runner = runner;
    }

    @Override
    protected Future<?> startService() {
        String node = ctx.nodeName();
        reconciler = new VipReconciler(node, ctx.modules(), new VipManager(node, runner, CMD_TIMEOUT));
        serve(VipApi.up(node), ModuleRef::fromJson, r -> kernel(() -> reconciler.up(known(r.module())))
                .recover(VipVerticle::unavailable).map(s -> published(s).toJson()));
        serve(VipApi.down(node), ModuleRef::fromJson, r -> kernel(() -> reconciler.down(known(r.module())))
                .recover(VipVerticle::unavailable).map(s -> published(s).toJson()));
        serve(VipApi.status(node), json -> json,
                ignored -> kernel(() -> new VipStatuses(node, reconciler.status()).toJson()));
        followDesiredState(d -> kernel(() -> reconciler.reconcile(d)).onSuccess(list -> list.forEach(this::published)));
        for (ModuleConfig m : ctx.modules()) {
            if (m.isMirror() && m.vip().isPresent() && m.vip().get().garp().refreshes()) {
                long every = Math.max(1000, m.vip().get().garp().refresh().toMillis());
                timers.add(vertx.setPeriodic(every, id -> {
                    if (reconciler.toRefresh().contains(m)) {
                        kernel(() -> {
                            reconciler.announce(m);
                            return null;
                        });
                    }
                }));
            }
        }
        return Future.succeededFuture();
    }

    @Override
    protected Future<?> stopService() {
        timers.forEach(vertx::cancelTimer);
        if (reconciler != null) {
            reconciler.close();
        }
        return Future.succeededFuture();
    }

    private String known(String module) {
        if (reconciler.module(module).isEmpty()) {
            throw new ServiceException(ErrorCode.NOT_FOUND, "module \"" + module + "\" has no VIP on this node");
        }
        return module;
    }

    /** A command that failed (e.g. the farm filter is not there yet): UNAVAILABLE with the reason, retry later. */
    private static <T> Future<T> unavailable(Throwable e) {
        return Future.failedFuture(e instanceof IllegalStateException
                ? new ServiceException(ErrorCode.UNAVAILABLE, e.getMessage()) : e);
    }

    private VipStatus published(VipStatus s) {
        vertx.eventBus().publish(VipApi.EVENTS, s.toJson());
        return s;
    }

    /**
     * Kernel work off the event loop, in arrival order (ordered executeBlocking), so that an up and a down of the
     * same VIP can never overtake each other. Exceptions from a command become INTERNAL failure replies.
     */
    private <R> Future<R> kernel(Callable<R> work) {
        return vertx.executeBlocking(work, true);
    }
}
