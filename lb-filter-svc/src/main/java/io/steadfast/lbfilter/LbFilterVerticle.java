package io.steadfast.lbfilter;

import io.steadfast.api.ServiceName;
import io.steadfast.service.ServiceContext;
import io.steadfast.service.ServiceVerticle;
import io.vertx.core.Future;

/** The lb-filter-svc of one node. */
public class LbFilterVerticle extends ServiceVerticle {
    public LbFilterVerticle(ServiceContext ctx) {
        super(ServiceName.LB_FILTER, ctx);
    }

    @Override
    protected Future<?> startService() {
        return Future.succeededFuture();
    }
}
