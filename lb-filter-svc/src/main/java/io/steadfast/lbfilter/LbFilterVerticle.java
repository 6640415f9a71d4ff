package io.steadfast.lbfilter;

import io.steadfast.api.LbFilterApi;
import io.steadfast.api.LbFilterApi.FilterStatus;
import io.steadfast.api.LbFilterApi.FilterStatuses;
import io.steadfast.api.ServiceName;
import io.steadfast.exec.CommandRunner;
import io.steadfast.lbfilter.impl.FilterReconciler;
import io.steadfast.lbfilter.impl.LbFilter;
import io.steadfast.service.HealthRules;
import io.steadfast.service.HealthVerdict;
import io.steadfast.service.ServiceContext;
import io.steadfast.service.ServiceVerticle;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;

/**
 * The lb-filter-svc of one node: follows heartbeat-svc's desired state (farm members) and keeps the kernel's
 * bucket filter of every farm module of this node in line. Stopping this service leaves the kernel tables as they
 * are — the farm keeps serving — and a restarted service reconciles them.
 */
public class LbFilterVerticle extends ServiceVerticle {
    private static final Logger LOG = LoggerFactory.getLogger(LbFilterVerticle.class);
    private static final Duration NFT_TIMEOUT = Duration.ofSeconds(5);
    private static final long VERIFY_EVERY_MS = 10_000;
    private static final long TICK_MS = 1_000;
    private final CommandRunner runner;
    private FilterReconciler reconciler;

    public LbFilterVerticle(ServiceContext ctx) {
        this(ctx, new CommandRunner());
    }

    /** {@code runner}: e.g. {@link CommandRunner#inNetns} to drive a lab namespace from a test JVM. */
    public LbFilterVerticle(ServiceContext ctx, CommandRunner runner) {
        super(ServiceName.LB_FILTER, ctx);
        this.runner = runner;
    }

    @Override
    protected Future<?> startService() {
        LbFilter filter = new LbFilter(ctx.nodeName(), runner, NFT_TIMEOUT, System::currentTimeMillis);
        reconciler = new FilterReconciler(ctx.nodeName(), ctx.modules(), filter, VERIFY_EVERY_MS,
                System::currentTimeMillis);
        serve(LbFilterApi.status(ctx.nodeName()), json -> json,
                ignored -> kernel(() -> new FilterStatuses(ctx.nodeName(), reconciler.status()).toJson()));
        followDesiredState(d -> kernel(() -> reconciler.reconcile(d)).onSuccess(this::publish));
        // the handover's clock (issue 20): free while nothing drains; the nft work stays in arrival order
        vertx.setPeriodic(TICK_MS, id -> kernel(() -> reconciler.tick()).onSuccess(this::publish));
        return Future.succeededFuture();
    }

    /** DOWN while a farm module's filter could not be applied (see {@link HealthRules#lbFilter}). */
    @Override
    protected void assess(HealthVerdict verdict) {
        if (reconciler != null) {
            verdict.include(HealthRules.lbFilter(reconciler.failures()));
        }
    }

    private void publish(List<FilterStatus> changed) {
        changed.forEach(s -> vertx.eventBus().publish(LbFilterApi.EVENTS, s.toJson()));
    }

    /** nft work, in arrival order (ordered executeBlocking), off the event loop. */
    private <R> Future<R> kernel(java.util.concurrent.Callable<R> work) {
        return vertx.executeBlocking(work, true);
    }
}
