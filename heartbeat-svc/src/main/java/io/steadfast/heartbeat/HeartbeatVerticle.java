package io.steadfast.heartbeat;

import io.steadfast.api.ServiceName;
import io.steadfast.service.ServiceContext;
import io.steadfast.service.ServiceVerticle;
import io.vertx.core.Future;

/** The heartbeat-svc of one node. */
public class HeartbeatVerticle extends ServiceVerticle {
    public HeartbeatVerticle(ServiceContext ctx) {
        super(ServiceName.HEARTBEAT, ctx);
    }

    @Override
    protected Future<?> startService() {
        return Future.succeededFuture();
    }
}
