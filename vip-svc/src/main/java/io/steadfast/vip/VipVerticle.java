package io.steadfast.vip;

import io.steadfast.api.ServiceName;
import io.steadfast.service.ServiceContext;
import io.steadfast.service.ServiceVerticle;
import io.vertx.core.Future;

/** The vip-svc of one node. */
public class VipVerticle extends ServiceVerticle {
    public VipVerticle(ServiceContext ctx) {
        super(ServiceName.VIP, ctx);
    }

    @Override
    protected Future<?> startService() {
        return Future.succeededFuture();
    }
}
