package io.steadfast.console;

import io.steadfast.api.NodeApi;
import io.steadfast.api.NodeApi.Presence;
import io.steadfast.api.NodeApi.ServiceHealth;
import io.steadfast.api.ServiceName;
import io.steadfast.bus.ErrorCode;
import io.steadfast.config.NodeConfig;
import io.steadfast.console.impl.ClusterView;
import io.steadfast.service.ServiceContext;
import io.steadfast.service.ServiceVerticle;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;

/** The console of one node: HTTP API and health for the whole cluster, aggregated from bus publications. */
public class ConsoleVerticle extends ServiceVerticle {
    /** How long a service may take to answer a health request before it counts as down. */
    static final long HEALTH_TIMEOUT_MS = 1500;
    static final long MEMBERSHIP_POLL_MS = 250;

    private final ClusterView view = new ClusterView();
    private HttpServer server;

    public ConsoleVerticle(ServiceContext ctx) {
        super(ServiceName.CONSOLE, ctx);
    }

    @Override
    protected Future<?> startService() {
        subscribe(NodeApi.PRESENCE, Presence::fromJson, view::seen);
        vertx.setPeriodic(MEMBERSHIP_POLL_MS, id -> view.retain(ctx.membership().members()));

        Router router = Router.router(vertx);
        router.get("/health").handler(this::health);
        router.get("/api/v1/cluster").handler(this::cluster);
        router.route().last().handler(rc -> error(rc, 404, ErrorCode.NOT_FOUND, "no such path: " + rc.request().path()));
        var console = ctx.config().cluster().console();
        return vertx.createHttpServer().requestHandler(router).listen(console.port(), console.bind())
                .onSuccess(s -> server = s);
    }

    @Override
    protected Future<?> stopService() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    /** This node's services: 200 when every one answers up, 503 otherwise. */
    private void health(RoutingContext rc) {
        servicesOf(ctx.nodeName()).onSuccess(services -> {
            boolean allUp = services.stream().allMatch(s -> s.getBoolean("up"));
            rc.response().setStatusCode(allUp ? 200 : 503).putHeader("content-type", "application/json")
                    .end(new JsonObject().put("node", ctx.nodeName()).put("up", allUp)
                            .put("services", new JsonArray(services)).encode());
        });
    }

    private void cluster(RoutingContext rc) {
        List<Future<JsonObject>> nodes = new ArrayList<>();
        for (NodeConfig node : ctx.config().cluster().nodes()) {
            boolean up = view.isUp(node.name());
            Future<List<JsonObject>> services = up ? servicesOf(node.name()) : Future.succeededFuture(List.of());
            nodes.add(services.map(list -> new JsonObject().put("name", node.name()).put("addr", node.addr())
                    .put("up", up).put("services", new JsonArray(list))));
        }
        Future.join(nodes).onComplete(ar -> {
            JsonArray out = new JsonArray();
            nodes.forEach(f -> out.add(f.result()));
            rc.response().putHeader("content-type", "application/json")
                    .end(new JsonObject().put("cluster", ctx.config().cluster().name()).put("node", ctx.nodeName())
                            .put("nodes", out).encode());
        });
    }

    /** Asks every service of a node for its health over the bus; no answer means down, with the reason. */
    private Future<List<JsonObject>> servicesOf(String node) {
        List<Future<JsonObject>> asks = new ArrayList<>();
        for (ServiceName svc : ServiceName.values()) {
            asks.add(vertx.eventBus()
                    .<Object>request(NodeApi.health(node, svc), new JsonObject(),
                            new DeliveryOptions().setSendTimeout(HEALTH_TIMEOUT_MS))
                    .map(msg -> ServiceHealth.fromJson((JsonObject) msg.body()).toJson())
                    .recover(e -> Future.succeededFuture(new ServiceHealth(node, svc, false,
                            ErrorCode.of(e).id() + ": " + e.getMessage(), new JsonObject()).toJson())));
        }
        return Future.join(asks).map(cf -> asks.stream().map(Future::result).toList());
    }

    static void error(RoutingContext rc, int status, ErrorCode code, String message) {
        rc.response().setStatusCode(status).putHeader("content-type", "application/json")
                .end(new JsonObject().put("error", code.id()).put("message", message).encode());
    }
}
