package io.steadfast.node.impl;

import io.steadfast.api.ServiceName;
import io.steadfast.checker.CheckerVerticle;
import io.steadfast.console.ConsoleVerticle;
import io.steadfast.heartbeat.HeartbeatVerticle;
import io.steadfast.lbfilter.LbFilterVerticle;
import io.steadfast.replication.ReplicationVerticle;
import io.steadfast.service.ServiceContext;
import io.steadfast.service.ServiceVerticle;
import io.steadfast.vip.VipVerticle;

/** The one place that knows which verticle implements which service. */
public final class ServiceFactory {
    private ServiceFactory() {
    }

    public static ServiceVerticle create(ServiceName name, ServiceContext ctx) {
        return switch (name) {
            case HEARTBEAT -> new HeartbeatVerticle(ctx);
            case REPLICATION -> new ReplicationVerticle(ctx);
            case VIP -> new VipVerticle(ctx);
            case CHECKER -> new CheckerVerticle(ctx);
            case LB_FILTER -> new LbFilterVerticle(ctx);
            case CONSOLE -> new ConsoleVerticle(ctx);
        };
    }
}
