package io.steadfast.checker;

import io.steadfast.api.ServiceName;
import io.steadfast.service.ServiceContext;
import io.steadfast.service.ServiceVerticle;
import io.vertx.core.Future;

/** The checker-svc of one node. */
public class CheckerVerticle extends ServiceVerticle {
    public CheckerVerticle(ServiceContext ctx) {
        super(ServiceName.CHECKER, ctx);
    }

    @Override
    protected Future<?> startService() {
        return Future.succeededFuture();
    }
}
