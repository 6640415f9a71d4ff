package io.steadfast.replication;

import io.steadfast.api.ServiceName;
import io.steadfast.service.ServiceContext;
import io.steadfast.service.ServiceVerticle;
import io.vertx.core.Future;

/** The replication-svc of one node. */
public class ReplicationVerticle extends ServiceVerticle {
    public ReplicationVerticle(ServiceContext ctx) {
        super(ServiceName.REPLICATION, ctx);
    }

    @Override
    protected Future<?> startService() {
        return Future.succeededFuture();
    }
}
