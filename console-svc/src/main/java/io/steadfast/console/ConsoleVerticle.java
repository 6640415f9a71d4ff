package io.steadfast.console;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.steadfast.api.CheckerApi;
import io.steadfast.api.CheckerApi.CheckerStatus;
import io.steadfast.api.CheckerApi.CheckerStatuses;
import io.steadfast.api.CheckerApi.CheckerToggle;
import io.steadfast.api.CheckerApi.LogLine;
import io.steadfast.api.CheckerApi.LogLines;
import io.steadfast.api.CheckerApi.LogRequest;
import io.steadfast.api.Command;
import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.HeartbeatApi.CommandReply;
import io.steadfast.api.HeartbeatApi.CommandRequest;
import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.HeartbeatApi.NodeStates;
import io.steadfast.api.LbFilterApi;
import io.steadfast.api.LbFilterApi.FilterStatus;
import io.steadfast.api.LbFilterApi.FilterStatuses;
import io.steadfast.api.ModuleRef;
import io.steadfast.api.NodeApi;
import io.steadfast.api.NodeApi.Presence;
import io.steadfast.api.NodeApi.ServiceHealth;
import io.steadfast.api.ReplicationApi;
import io.steadfast.api.ReplicationApi.ReplicationStatus;
import io.steadfast.api.ReplicationApi.ResyncProgress;
import io.steadfast.api.ReplicationApi.VerifyReport;
import io.steadfast.api.ServiceName;
import io.steadfast.api.State;
import io.steadfast.api.VipApi;
import io.steadfast.api.VipApi.VipStatus;
import io.steadfast.api.VipApi.VipStatuses;
import io.steadfast.bus.BadMessageException;
import io.steadfast.bus.ErrorCode;
import io.steadfast.bus.auth.BusAuth;
import io.steadfast.cluster.ClusterBootstrap;
import io.steadfast.bus.Fields;
import io.steadfast.config.ConsoleConfig;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.NodeConfig;
import io.steadfast.config.SecretFiles;
import io.steadfast.console.impl.AggregateView;
import io.steadfast.console.impl.Authenticator;
import io.steadfast.console.impl.Authenticator.Credentials;
import io.steadfast.console.impl.LoginThrottle;
import io.steadfast.console.impl.Sessions;
import io.steadfast.console.impl.ClusterView;
import io.steadfast.console.impl.ConsoleMetrics;
import io.steadfast.console.impl.EventStream;
import io.steadfast.service.ServiceContext;
import io.steadfast.service.ServiceVerticle;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PfxOptions;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.micrometer.backends.BackendRegistries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The console of one node: the whole cluster's aggregate view (from bus publications), the REST API, live
 * events (SSE), the web page, health and metrics. Any node's console shows and commands the whole cluster:
 * commands are relayed to the heartbeat-svc of the node they name.
 *
 * <p>Security: only the probes ({@code cluster.console.open}, default {@code /health}, {@code /metrics},
 * {@code /api/v1/modules/{m}/ready}), the page (its sign-in form) and the OpenAPI text are served to anybody; every
 * other read needs a signed-in user of any role ({@code monitor} is read-only). Every POST and DELETE needs (1) the
 * header {@value #CSRF_HEADER} and, when the browser sends one, an {@code Origin} equal to the console's own — a
 * cross-site page can do neither without a CORS preflight this server never grants; (2) except for signing in,
 * a user whose role may command. Without a users file nothing else is served (403 with how to add a user): there is
 * no default password. Signing in ({@code POST /api/v1/session}) gives an opaque session token ({@link Sessions});
 * password checks are throttled per client address and per user ({@link LoginThrottle}) and run on a small pool of
 * their own whose queue is bounded (full: 503 at once), never on the worker pool of the agent's other services.
 */
public class ConsoleVerticle extends ServiceVerticle {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleVerticle.class);
    /** How long a service may take to answer a health request before it counts as down. */
    static final long HEALTH_TIMEOUT_MS = 1500;
    static final long MEMBERSHIP_POLL_MS = 250;
    static final long SNAPSHOT_TIMEOUT_MS = 3000;
    static final long STATES_REFRESH_MS = 5000;
    /** A role change runs scripts with their own timeouts; the heartbeat-svc answers when it is done. */
    static final long COMMAND_TIMEOUT_MS = 60_000;
    static final long LOG_TIMEOUT_MS = 5000;
    static final long VERIFY_TIMEOUT_MS = 30 * 60_000;
    static final int LOG_LINES_MAX = 5000;
    static final long SSE_KEEPALIVE_MS = 15_000;
    /** Header every mutating request must carry (CSRF defence; set by the page and the CLI). */
    public static final String CSRF_HEADER = "X-Steadfast-Request";
    static final String WEBROOT = "io/steadfast/console/webroot";
    /** Password checks (PBKDF2) at once, and waiting: more are refused with 503 rather than queued. */
    static final int HASH_THREADS = 2;
    static final int HASH_QUEUE = 16;
    /** A session token lives 12 h from sign-in, or 1 h without use (an open event stream counts as use). */
    static final long SESSION_TTL_MS = 12 * 3600_000L;
    static final long SESSION_IDLE_MS = 3600_000L;
    static final long USERS_REFRESH_MS = 2000;
    /** HSTS when the console speaks TLS: a year. */
    static final String HSTS = "max-age=31536000";

    private final ClusterView presences = new ClusterView();
    private final EventStream events = new EventStream();
    private AggregateView view;
    private ConsoleMetrics metrics;
    private PrometheusMeterRegistry prometheus;
    private Authenticator auth;
    private final Sessions sessions = new Sessions(System::currentTimeMillis, SESSION_TTL_MS, SESSION_IDLE_MS, 100,
            10_000);
    private final LoginThrottle throttle = new LoginThrottle(LoginThrottle.Limits.DEFAULT, System::currentTimeMillis);
    private ThreadPoolExecutor hashPool;
    private HealthChecks healthChecks;
    private final Set<String> healthRegistered = new HashSet<>();
    private volatile String openapi;
    private HttpServer server;

    public ConsoleVerticle(ServiceContext ctx) {
        super(ServiceName.CONSOLE, ctx);
    }

    /** The aggregate view (for tests running in the same JVM). */
    public AggregateView view() {
        return view;
    }

    @Override
    protected Future<?> startService() {
        view = new AggregateView(ctx.config(), System::currentTimeMillis, events::publish);
        prometheus = registry();
        metrics = new ConsoleMetrics(prometheus, ctx.config(), view);
        ConsoleConfig console = ctx.config().cluster().console();
        auth = new Authenticator(console.usersFile(), System::currentTimeMillis);
        hashPool = hashPool();
        refreshUsers();
        vertx.setPeriodic(USERS_REFRESH_MS, id -> refreshUsers());
        console.usersFile().filter(Files::exists).ifPresent(f -> {
            try {
                SecretFiles.checkPrivate(f, "cluster.console.users_file");
            } catch (IOException e) {
                LOG.error("{} (until then only the probes are served)", e.getMessage());
            }
        });

        subscribe(NodeApi.PRESENCE, Presence::fromJson, this::presence);
        subscribe(HeartbeatApi.MODULE_STATE, ModuleState::fromJson, this::state);
        subscribe(VipApi.EVENTS, VipStatus::fromJson, view::vip);
        subscribe(ReplicationApi.EVENTS, ReplicationStatus::fromJson, view::replication);
        subscribe(ReplicationApi.RESYNC, ResyncProgress::fromJson, view::resync);
        subscribe(CheckerApi.CHECKER_EVENTS, CheckerStatus::fromJson, this::checker);
        subscribe(CheckerApi.MODULE_LOG, LogLine::fromJson, view::log);
        subscribe(LbFilterApi.EVENTS, FilterStatus::fromJson, view::filter);
        vertx.setPeriodic(MEMBERSHIP_POLL_MS, id -> membership());
        vertx.setPeriodic(SSE_KEEPALIVE_MS, id -> events.keepAlive());
        // States are published on change only: a periodic ask repairs a missed publication and keeps the
        // heartbeat round trips (in the states' details) fresh for /metrics.
        vertx.setPeriodic(STATES_REFRESH_MS, id -> ctx.config().cluster().nodes().stream()
                .filter(n -> view.isUp(n.name())).forEach(n -> ask(HeartbeatApi.states(n.name()), new JsonObject(),
                        SNAPSHOT_TIMEOUT_MS).map(NodeStates::fromJson).onSuccess(st -> st.modules().forEach(this::state))));
        // Whatever was published before this console started: ask every node (unknown nodes simply don't answer).
        ctx.config().cluster().nodes().forEach(n -> snapshot(n.name()));

        healthChecks = HealthChecks.create(vertx);
        // Files (the OpenAPI text, the TLS password) are read off the event loop.
        return blocking(() -> {
            openapi = resource("io/steadfast/console/openapi.json");
            return serverOptions(console);
        }).compose(options -> vertx.createHttpServer(options).requestHandler(router()).listen(console.port(),
                console.bind())).onSuccess(s -> {
                    server = s;
                    LOG.info("console on {}://{}:{}", console.tls().isPresent() ? "https" : "http", console.bind(),
                            s.actualPort());
                });
    }

    @Override
    protected Future<?> stopService() {
        events.closeAll();
        if (hashPool != null) {
            hashPool.shutdownNow();
        }
        if (metrics != null) {
            metrics.close();
        }
        return server == null ? Future.succeededFuture() : server.close();
    }

    /** Open SSE streams (tests). */
    public int eventClients() {
        return events.size();
    }

    /** The port actually bound (tests configure port 0). */
    public int actualPort() {
        return server == null ? -1 : server.actualPort();
    }

    private Router router() {
        Router router = Router.router(vertx);
        boolean tls = ctx.config().cluster().console().tls().isPresent();
        router.route().handler(rc -> {
            // The page's confirmation dialogs must not be framed by another site (clickjacking); no inline script.
            rc.response().putHeader("X-Frame-Options", "DENY").putHeader("X-Content-Type-Options", "nosniff")
                    .putHeader("Referrer-Policy", "no-referrer")
                    .putHeader("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
            if (tls) {
                rc.response().putHeader("Strict-Transport-Security", HSTS);
            }
            rc.next();
        });
        router.route("/api/v1/*").method(HttpMethod.POST).method(HttpMethod.DELETE)
                .handler(BodyHandler.create().setBodyLimit(64 * 1024)).handler(this::csrf);
        router.post("/api/v1/session").handler(this::signIn);
        router.delete("/api/v1/session").handler(this::signOut);
        router.get("/api/v1/session").handler(need(false)).handler(this::whoAmI);
        router.post("/api/v1/*").handler(need(true));
        read(router.get("/health"), ConsoleConfig.Open.HEALTH).handler(this::health);
        read(router.get("/metrics"), ConsoleConfig.Open.METRICS).handler(this::metrics);
        router.get("/api/v1/openapi.json").handler(rc -> rc.response()
                .putHeader("content-type", "application/json").end(openapi));
        read(router.get("/api/v1/cluster"), ConsoleConfig.Open.CLUSTER).handler(this::cluster);
        read(router.get("/api/v1/events"), ConsoleConfig.Open.EVENTS).handler(this::events);
        read(router.get("/api/v1/modules/:m"), ConsoleConfig.Open.MODULES).handler(this::module);
        read(router.get("/api/v1/modules/:m/ready"), ConsoleConfig.Open.READY).handler(this::ready);
        read(router.get("/api/v1/modules/:m/log"), ConsoleConfig.Open.LOG).handler(this::log);
        router.post("/api/v1/modules/:m/verify").handler(this::verify);
        router.post("/api/v1/modules/:m/splitbrain/ack").handler(this::splitBrainAck);
        router.post("/api/v1/modules/:m/nodes/:n/:command").handler(this::command);
        router.post("/api/v1/modules/:m/nodes/:n/checkers/:c/:action").handler(this::checkerToggle);
        router.get("/*").handler(StaticHandler.create(WEBROOT).setCachingEnabled(false)
                .setDefaultContentEncoding("UTF-8"));
        router.errorHandler(404, rc -> error(rc, 404, "not-found", "no such path: " + rc.request().path()));
        router.errorHandler(405, rc -> error(rc, 405, "method-not-allowed",
                rc.request().method() + " is not allowed on " + rc.request().path()));
        router.errorHandler(413, rc -> error(rc, 413, "too-large", "request body too large"));
        router.errorHandler(500, rc -> {
            LOG.error("console request {} failed", rc.request().path(), rc.failure());
            error(rc, 500, "internal", String.valueOf(rc.failure() == null ? "" : rc.failure().getMessage()));
        });
        return router;
    }

    // ---- inputs ---------------------------------------------------------------------------------------------

    private void presence(Presence p) {
        boolean wasUp = view.isUp(p.node());
        presences.seen(p);
        if (!wasUp && ctx.config().node(p.node()).isPresent()) {
            view.nodeUp(p.node());
            snapshot(p.node());
        }
    }

    private void membership() {
        presences.retain(ctx.membership().members());
        Set<String> up = presences.nodesUp();
        for (NodeConfig n : ctx.config().cluster().nodes()) {
            if (view.isUp(n.name()) && !up.contains(n.name())) {
                view.nodeDown(n.name());
            }
        }
    }

    private void state(ModuleState s) {
        view.state(s);
        if (ctx.config().module(s.module()).map(m -> m.runsOn(s.node())).orElse(false)) {
            metrics.heartbeatSeen(s);
        }
    }

    private void checker(CheckerStatus c) {
        view.checker(c);
        if (ctx.config().module(c.module()).map(m -> m.runsOn(c.node())).orElse(false)) {
            metrics.checkerSeen(c);
        }
    }

    /** Asks one node's services for their current facts; a service that does not answer is simply skipped. */
    private void snapshot(String node) {
        ask(HeartbeatApi.states(node), new JsonObject(), SNAPSHOT_TIMEOUT_MS)
                .map(NodeStates::fromJson).onSuccess(s -> s.modules().forEach(this::state));
        ask(CheckerApi.checkers(node), new JsonObject(), SNAPSHOT_TIMEOUT_MS)
                .map(CheckerStatuses::fromJson).onSuccess(s -> s.checkers().forEach(this::checker));
        ask(VipApi.status(node), new JsonObject(), SNAPSHOT_TIMEOUT_MS)
                .map(VipStatuses::fromJson).onSuccess(s -> s.vips().forEach(view::vip));
        ask(LbFilterApi.status(node), new JsonObject(), SNAPSHOT_TIMEOUT_MS)
                .map(FilterStatuses::fromJson).onSuccess(s -> s.modules().forEach(view::filter));
        for (ModuleConfig m : ctx.config().modulesOn(node)) {
            if (m.isMirror()) {
                ask(ReplicationApi.status(node), new ModuleRef(m.name()).toJson(), SNAPSHOT_TIMEOUT_MS)
                        .map(ReplicationStatus::fromJson).onSuccess(view::replication);
            }
        }
    }

    // ---- read endpoints -------------------------------------------------------------------------------------

    private void cluster(RoutingContext rc) {
        List<Future<JsonObject>> nodes = new ArrayList<>();
        for (NodeConfig node : ctx.config().cluster().nodes()) {
            boolean up = presences.isUp(node.name());
            Future<List<JsonObject>> services = up ? servicesOf(node.name(), servicesRunOn(node.name()))
                    : Future.succeededFuture(List.of());
            nodes.add(services.map(list -> new JsonObject().put("name", node.name()).put("addr", node.addr())
                    .put("up", up).put("services", new JsonArray(list))));
        }
        Future.join(nodes).onComplete(ar -> {
            JsonArray out = new JsonArray();
            nodes.forEach(f -> out.add(f.result()));
            JsonArray modules = new JsonArray();
            ctx.config().modules().forEach(m -> modules.add(view.moduleJson(m, false)));
            json(rc, 200, new JsonObject().put("cluster", ctx.config().cluster().name()).put("node", ctx.nodeName())
                    .put("insecure", ctx.config().cluster().insecure()).put("nodes", out).put("modules", modules));
        });
    }

    private void module(RoutingContext rc) {
        moduleOf(rc).ifPresent(m -> json(rc, 200, view.moduleJson(m, true).put("console", ctx.nodeName())));
    }

    /** 200 where the module serves on this node, 503 elsewhere: the probe for load balancers. */
    private void ready(RoutingContext rc) {
        moduleOf(rc).ifPresent(m -> {
            Optional<State> state = view.state(m.name(), ctx.nodeName());
            boolean serves = state.map(State::serves).orElse(false);
            json(rc, serves ? 200 : 503, new JsonObject().put("module", m.name()).put("node", ctx.nodeName())
                    .put("state", state.map(Enum::name).orElse(null)).put("ready", serves)
                    .put("message", serves ? "serving" : !m.runsOn(ctx.nodeName())
                            ? "module " + m.name() + " does not run on " + ctx.nodeName()
                            : state.map(s -> "state " + s).orElse("state unknown")));
        });
    }

    /** The tail of the module log of each node (or {@code ?node=N}), merged by time. */
    private void log(RoutingContext rc) {
        Optional<ModuleConfig> mod = moduleOf(rc);
        if (mod.isEmpty()) {
            return;
        }
        ModuleConfig m = mod.get();
        int lines;
        try {
            lines = intParam(rc, "lines", 200, 1, LOG_LINES_MAX);
        } catch (IllegalArgumentException e) {
            error(rc, 400, "bad-request", e.getMessage());
            return;
        }
        String only = rc.queryParams().get("node");
        if (only != null && !m.runsOn(only)) {
            error(rc, 404, "not-found", "node \"" + only + "\" is not a node of module " + m.name());
            return;
        }
        List<String> nodes = only == null ? m.nodes() : List.of(only);
        List<Future<LogLines>> asks = nodes.stream().map(n -> ask(CheckerApi.log(n),
                new LogRequest(m.name(), lines).toJson(), LOG_TIMEOUT_MS).map(LogLines::fromJson)).toList();
        Future.join(asks).onComplete(ar -> {
            List<LogLine> all = new ArrayList<>();
            JsonArray errors = new JsonArray();
            for (int i = 0; i < nodes.size(); i++) {
                Future<LogLines> f = asks.get(i);
                if (f.succeeded()) {
                    all.addAll(f.result().lines());
                } else {
                    errors.add(new JsonObject().put("node", nodes.get(i)).put("error", ErrorCode.of(f.cause()).id())
                            .put("message", String.valueOf(f.cause().getMessage())));
                }
            }
            all.sort(Comparator.comparingLong(LogLine::at));
            List<LogLine> tail = all.subList(Math.max(0, all.size() - lines), all.size());
            json(rc, 200, new JsonObject().put("module", m.name())
                    .put("lines", new JsonArray(tail.stream().map(LogLine::toJson).toList())).put("errors", errors));
        });
    }

    /** Server-sent events; {@code ?module=M} and {@code ?types=state,log,…} filter them. */
    private void events(RoutingContext rc) {
        String module = rc.queryParams().get("module");
        if (module != null && ctx.config().module(module).isEmpty()) {
            error(rc, 404, "not-found", "no module \"" + module + "\"");
            return;
        }
        String types = rc.queryParams().get("types");
        Set<String> typeSet = types == null ? Set.of() : Set.of(types.split(","));
        for (String t : typeSet) {
            if (!EventStream.TYPES.contains(t)) {
                error(rc, 400, "bad-request", "types: \"" + t + "\" is not one of " + EventStream.TYPES);
                return;
            }
        }
        Sessions.Session session = rc.get("session");
        if (session == null) {
            events.open(rc.response(), module, typeSet);
        } else {
            events.open(rc.response(), module, typeSet, () -> sessions.live(session.key())
                    && auth.checkSession(session) instanceof Authenticator.Ok);
        }
    }

    /**
     * This node's services through Vert.x health checks (one procedure per service, asking its bus health):
     * 200 when all are up, 503 otherwise (a service is down when its work has failed: it says why). Body:
     * {@code node}, {@code up}, {@code reasons} ("service: why" of each down service), {@code warnings}
     * ("service: warning" — degraded but working: still 200), {@code services} (each service's health) plus the
     * health-check module's {@code status}/{@code checks}.
     */
    private void health(RoutingContext rc) {
        Set<ServiceName> expected = servicesRunOn(ctx.nodeName());
        for (ServiceName svc : ServiceName.values()) {
            boolean want = expected.contains(svc);
            if (want && healthRegistered.add(svc.id())) {
                healthChecks.register(svc.id(), HEALTH_TIMEOUT_MS + 500, p -> ask(
                        NodeApi.health(ctx.nodeName(), svc), new JsonObject(), HEALTH_TIMEOUT_MS)
                        .map(ServiceHealth::fromJson)
                        .onSuccess(h -> p.complete(new Status().setOk(h.up()).setData(h.toJson())))
                        .onFailure(e -> p.complete(Status.KO(new ServiceHealth(ctx.nodeName(), svc, false,
                                ErrorCode.of(e).id() + ": " + e.getMessage(), new JsonObject()).toJson()))));
            } else if (!want && healthRegistered.remove(svc.id())) {
                healthChecks.unregister(svc.id());
            }
        }
        healthChecks.checkStatus().onComplete(ar -> {
            CheckResult result = ar.succeeded() ? ar.result() : CheckResult.from("health", ar.cause());
            boolean up = CheckResult.isUp(result);
            JsonArray services = new JsonArray();
            if (result.getChecks() != null) {
                result.getChecks().forEach(c -> services.add(c.getData() != null && !c.getData().isEmpty()
                        ? c.getData() : new JsonObject().put("node", ctx.nodeName()).put("service", c.getId())
                        .put("up", false).put("reason", "no answer")));
            }
            JsonArray reasons = new JsonArray();
            JsonArray warnings = new JsonArray();
            services.forEach(o -> {
                JsonObject svc = (JsonObject) o;
                String id = svc.getString("service", "?");
                if (!svc.getBoolean("up", false)) {
                    reasons.add(id + ": " + svc.getString("reason", "down"));
                }
                if (svc.getValue("warnings") instanceof JsonArray w) {
                    w.forEach(text -> warnings.add(id + ": " + text));
                }
            });
            JsonObject body = result.toJson().put("node", ctx.nodeName()).put("up", up).put("reasons", reasons)
                    .put("warnings", warnings).put("services", services).put("bus", busSecurity());
            json(rc, up ? 200 : 503, body);
        });
    }

    /** For /health: whether the event bus is signed (and what it refused), or the insecure warning. */
    private JsonObject busSecurity() {
        if (ctx.config().cluster().insecure()) {
            return new JsonObject().put("signed", false).put("insecure", true)
                    .put("warning", ClusterBootstrap.INSECURE_WARNING);
        }
        return BusAuth.of(vertx).map(BusAuth::status).orElse(new JsonObject().put("signed", true));
    }

    private void metrics(RoutingContext rc) {
        rc.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(prometheus.scrape());
    }

    // ---- mutating endpoints ----------------------------------------------------------------------------------

    /** CSRF check of every POST and DELETE: the header, and the console's own origin when the browser names one. */
    private void csrf(RoutingContext rc) {
        String marker = rc.request().getHeader(CSRF_HEADER);
        if (marker == null || marker.isBlank()) {
            error(rc, 403, "csrf", "mutating requests must carry the header " + CSRF_HEADER
                    + " (the console page and the CLI send it)");
            return;
        }
        String origin = rc.request().getHeader("Origin");
        var authority = rc.request().authority(); // Host, or :authority in HTTP/2
        String host = authority == null ? null
                : authority.port() >= 0 ? authority.host() + ":" + authority.port() : authority.host();
        if (origin != null && !sameOrigin(origin, host)) {
            error(rc, 403, "csrf", "cross-origin request refused (Origin " + origin + ")");
            return;
        }
        rc.next();
    }

    /** A read route: open when {@code cluster.console.open} lists it, else for signed-in users. */
    private Route read(Route route, ConsoleConfig.Open endpoint) {
        return ctx.config().cluster().console().isOpen(endpoint) ? route : route.handler(need(false));
    }

    /** Authentication, then the role check: {@code command} true = a role that may command, else any role. */
    private Handler<RoutingContext> need(boolean command) {
        return rc -> authenticate(rc, ok -> {
            if (command && !ok.role().mayCommand()) {
                error(rc, 403, "forbidden", "user " + ok.user() + " has role " + ok.role().id()
                        + ", which is read-only");
                return;
            }
            rc.put("user", ok.user());
            rc.put("role", ok.role());
            rc.next();
        });
    }

    /** Who sends the request; calls {@code then} with the user, or answers the refusal itself. */
    private void authenticate(RoutingContext rc, Consumer<Authenticator.Ok> then) {
        Credentials credentials = Authenticator.parse(rc.request().getHeader("Authorization"));
        String client = clientOf(rc);
        switch (credentials) {
            case Authenticator.None n -> refuse(rc, auth.usersProblem()
                    .orElse(new Authenticator.Refused(401, "unauthenticated", Authenticator.SIGN_IN)));
            case Authenticator.Malformed m -> {
                if (throttled(rc, throttle.check(client, ""))) {
                    return;
                }
                throttle.failed(client).ifPresent(d -> lockout(d, client, null));
                refuse(rc, new Authenticator.Refused(401, "unauthenticated", "Authorization must be Basic "
                        + "base64(user:password), Bearer user:password or Bearer <session token>"));
            }
            case Authenticator.Token t -> {
                // 256 random bits cannot be guessed: no throttling, no hashing pool (a signed-in page keeps working
                // while password guessers keep the pool busy)
                Optional<Sessions.Session> session = sessions.find(t.token());
                if (session.isEmpty()) {
                    refuse(rc, auth.usersProblem().orElse(new Authenticator.Refused(401, "unauthenticated",
                            "unknown or expired session token: sign in again")));
                    return;
                }
                Authenticator.Result r = auth.checkSession(session.get());
                if (r instanceof Authenticator.Ok ok) {
                    rc.put("session", session.get());
                    then.accept(ok);
                } else {
                    if (((Authenticator.Refused) r).status() == 401) {
                        sessions.closeKey(session.get().key());
                    }
                    refuse(rc, (Authenticator.Refused) r);
                }
            }
            case Authenticator.Password p -> checkPassword(rc, client, p.user(), p.password(), then);
        }
    }

    /** Throttle, then PBKDF2 on the hashing pool; the outcome feeds the throttle. */
    private void checkPassword(RoutingContext rc, String client, String user, String password,
                               Consumer<Authenticator.Ok> then) {
        if (throttled(rc, throttle.check(client, user))) {
            return;
        }
        onHashPool(() -> auth.checkPassword(user, password)).onComplete(ar -> {
            if (ar.failed()) {
                if (ar.cause() instanceof RejectedExecutionException) {
                    rc.response().putHeader("Retry-After", "1");
                    error(rc, 503, "busy", "too many sign-ins at once; retry in a second");
                } else {
                    error(rc, 500, "internal", "authentication failed: " + ar.cause().getMessage());
                }
            } else if (ar.result() instanceof Authenticator.Refused r) {
                if (r.status() == 401) {
                    throttle.failed(client, user).ifPresent(d -> lockout(d, client, user));
                }
                refuse(rc, r);
            } else if (ar.result() instanceof Authenticator.Ok ok) {
                throttle.succeeded(client, user);
                then.accept(ok);
            }
        });
    }

    private static void lockout(LoginThrottle.Deny d, String client, String user) {
        LOG.warn("console: too many failed sign-ins {}: refused for {} s", d.what().equals("client")
                ? "from " + client : "for user name \"" + printable(user) + "\" (last from " + client + ")",
                (d.retryAfterMs() + 999) / 1000);
    }

    /** A name a client sent, fit for one log line. */
    private static String printable(String s) {
        String clean = s.replaceAll("\\p{Cntrl}", "?");
        return clean.length() > 64 ? clean.substring(0, 64) + "…" : clean;
    }

    private boolean throttled(RoutingContext rc, LoginThrottle.Decision d) {
        if (d instanceof LoginThrottle.Deny deny) {
            long seconds = Math.max(1, (deny.retryAfterMs() + 999) / 1000);
            rc.response().putHeader("Retry-After", String.valueOf(seconds));
            error(rc, 429, "throttled", "too many failed sign-ins " + (deny.what().equals("client")
                    ? "from this address" : "for this user name") + "; retry in " + seconds + " s");
            return true;
        }
        return false;
    }

    private void refuse(RoutingContext rc, Authenticator.Refused r) {
        if (r.status() == 401 && "cli".equals(rc.request().getHeader(CSRF_HEADER))) {
            rc.response().putHeader("WWW-Authenticate", "Basic realm=\"steadfast\"");
        }
        error(rc, r.status(), r.code(), r.message());
    }

    private static String clientOf(RoutingContext rc) {
        var remote = rc.request().remoteAddress();
        String host = remote == null ? null : remote.hostAddress();
        return host == null ? "unknown" : host;
    }

    /** Runs a password check on the console's own bounded pool; fails at once with RejectedExecution when full. */
    private <T> Future<T> onHashPool(Callable<T> task) {
        Context context = vertx.getOrCreateContext();
        Promise<T> promise = Promise.promise();
        try {
            hashPool.execute(() -> {
                try {
                    T value = task.call();
                    context.runOnContext(v -> promise.complete(value));
                } catch (Throwable e) {
                    context.runOnContext(v -> promise.fail(e));
                }
            });
        } catch (RejectedExecutionException e) {
            return Future.failedFuture(e);
        }
        return promise.future();
    }

    private static ThreadPoolExecutor hashPool() {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(HASH_THREADS, HASH_THREADS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(HASH_QUEUE), r -> {
                    Thread t = new Thread(r, "console-auth-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** Re-reads the users file now and then (mode, changes), so that tokens and anonymous answers follow it. */
    private void refreshUsers() {
        try {
            hashPool.execute(auth::refresh);
        } catch (RejectedExecutionException e) {
            // busy with password checks, which read the file themselves; the next tick tries again
        }
    }

    // ---- sessions --------------------------------------------------------------------------------------------

    /** {@code POST /api/v1/session}, body {@code {user, password}} (or HTTP Basic): a session token. */
    private void signIn(RoutingContext rc) {
        String user;
        String password;
        Credentials header = Authenticator.parse(rc.request().getHeader("Authorization"));
        try {
            JsonObject body = bodyJson(rc);
            if (body.containsKey("user") || body.containsKey("password")) {
                user = Fields.string(body, "user");
                password = Fields.string(body, "password");
            } else if (header instanceof Authenticator.Password p) {
                user = p.user();
                password = p.password();
            } else {
                throw new BadMessageException("sign in with a body {\"user\": …, \"password\": …} or HTTP Basic");
            }
        } catch (BadMessageException | ClassCastException e) {
            error(rc, 400, "bad-request", e.getMessage());
            return;
        }
        if (user.isEmpty() || password.isEmpty()) {
            error(rc, 400, "bad-request", "user and password must not be empty");
            return;
        }
        checkPassword(rc, clientOf(rc), user, password, ok -> {
            Sessions.Opened opened = sessions.open(ok.user(), ok.role(), ok.line());
            LOG.info("user {} signed in from {}", ok.user(), clientOf(rc));
            json(rc, 201, new JsonObject().put("token", opened.token()).put("user", ok.user())
                    .put("role", ok.role().id()).put("commands", ok.role().mayCommand())
                    .put("expiresAt", sessions.validUntil(opened.session()))
                    .put("idleTimeoutMs", SESSION_IDLE_MS).put("maxAgeMs", SESSION_TTL_MS));
        });
    }

    /** {@code DELETE /api/v1/session} with {@code Authorization: Bearer <token>}: signs out (idempotent). */
    private void signOut(RoutingContext rc) {
        if (!(Authenticator.parse(rc.request().getHeader("Authorization")) instanceof Authenticator.Token t)) {
            error(rc, 400, "bad-request", "sign-out needs Authorization: Bearer <session token>");
            return;
        }
        boolean was = sessions.close(t.token());
        events.revalidate(); // the streams it opened end now
        json(rc, 200, new JsonObject().put("signedOut", was));
    }

    /** {@code GET /api/v1/session}: who the credentials are. */
    private void whoAmI(RoutingContext rc) {
        Sessions.Session s = rc.get("session");
        String user = rc.get("user");
        io.steadfast.console.Role role = rc.get("role");
        JsonObject out = new JsonObject().put("user", user).put("role", role.id()).put("commands", role.mayCommand());
        if (s != null) {
            out.put("expiresAt", sessions.validUntil(s));
        }
        json(rc, 200, out);
    }

    private void command(RoutingContext rc) {
        Optional<ModuleNode> target = moduleNodeOf(rc);
        if (target.isEmpty()) {
            return;
        }
        ModuleConfig m = target.get().module();
        String node = target.get().node();
        String name = rc.pathParam("command");
        Optional<Command> command = Command.of(name);
        if (command.isEmpty()) {
            error(rc, 400, "bad-request", "command \"" + name + "\" is not one of start, stop, restart, "
                    + "stopstart, forcestop, prim, second, swap");
            return;
        }
        List<String> options;
        try {
            JsonObject body = bodyJson(rc);
            options = new java.util.ArrayList<>(Fields.strings(body, "options"));
            // prim --force: ?force=true or {"force": true} as well as options ["force"]
            boolean force = Boolean.TRUE.equals(body.getValue("force"))
                    || "true".equals(rc.request().getParam("force")) || "1".equals(rc.request().getParam("force"));
            if (force && !options.contains("force")) {
                options.add("force");
            }
        } catch (BadMessageException | ClassCastException e) {
            error(rc, 400, "bad-request", e.getMessage());
            return;
        }
        LOG.info("user {} asks {} of module {} on {}", rc.<String>get("user"), command.get().id(), m.name(), node);
        ask(HeartbeatApi.command(node), new CommandRequest(m.name(), command.get(), options).toJson(),
                COMMAND_TIMEOUT_MS).map(CommandReply::fromJson)
                .onSuccess(reply -> json(rc, 200, reply.toJson().put("command", command.get().id())))
                .onFailure(e -> busError(rc, e, "heartbeat service of " + node));
    }

    /**
     * Maintenance switch of a checker on one node ({@code :c} a checker name, or {@code *} for all of the module's),
     * relayed to that node's checker-svc; a disabled checker neither fails nor keeps the module parked.
     */
    private void checkerToggle(RoutingContext rc) {
        Optional<ModuleNode> target = moduleNodeOf(rc);
        if (target.isEmpty()) {
            return;
        }
        ModuleConfig m = target.get().module();
        String node = target.get().node();
        String action = rc.pathParam("action");
        if (!action.equals("enable") && !action.equals("disable")) {
            error(rc, 400, "bad-request", "checker action \"" + action + "\" is not one of enable, disable");
            return;
        }
        String checker = rc.pathParam("c");
        LOG.info("user {} asks to {} checker {} of module {} on {}", rc.<String>get("user"), action, checker, m.name(),
                node);
        ask(CheckerApi.toggle(node), new CheckerToggle(m.name(), checker, action.equals("enable")).toJson(),
                COMMAND_TIMEOUT_MS).map(CheckerStatuses::fromJson)
                .onSuccess(st -> json(rc, 200, st.toJson().put("action", action)))
                .onFailure(e -> busError(rc, e, "checker service of " + node));
    }

    /**
     * {@code POST /api/v1/modules/{m}/splitbrain/ack} ({@code steadfast splitbrain ack -m M}): clears the split-brain
     * alert of the module on every node of it; 200 with each node's answer, 503 when a node could not be reached
     * (its alert stands).
     */
    private void splitBrainAck(RoutingContext rc) {
        Optional<ModuleConfig> mod = moduleOf(rc);
        if (mod.isEmpty()) {
            return;
        }
        ModuleConfig m = mod.get();
        LOG.info("user {} acknowledges the split-brain alert of module {}", rc.<String>get("user"), m.name());
        List<Future<JsonObject>> asks = m.nodes().stream().map(n -> ask(HeartbeatApi.command(n),
                new CommandRequest(m.name(), Command.SPLITBRAIN_ACK, List.of()).toJson(), COMMAND_TIMEOUT_MS)).toList();
        Future.join(asks).onComplete(ignored -> {
            JsonObject nodes = new JsonObject();
            List<String> unreachable = new java.util.ArrayList<>();
            for (int i = 0; i < asks.size(); i++) {
                Future<JsonObject> f = asks.get(i);
                String n = m.nodes().get(i);
                if (f.succeeded()) {
                    nodes.put(n, CommandReply.fromJson(f.result()).message());
                } else {
                    unreachable.add(n);
                    nodes.put(n, "not reached: " + f.cause().getMessage());
                }
            }
            if (!unreachable.isEmpty()) {
                error(rc, 503, "unavailable", "the alert stands on " + String.join(", ", unreachable)
                        + " (heartbeat service not reached); acknowledged elsewhere: " + nodes.encode());
                return;
            }
            json(rc, 200, new JsonObject().put("module", m.name()).put("nodes", nodes)
                    .put("message", "split-brain alert acknowledged"));
        });
    }

    /** A module and one of its nodes, from the path. */
    private record ModuleNode(ModuleConfig module, String node) {
    }

    /** The path's module {@code :m} and node {@code :n} when it is a node of that module; else a 404 was sent. */
    private Optional<ModuleNode> moduleNodeOf(RoutingContext rc) {
        Optional<ModuleConfig> mod = moduleOf(rc);
        if (mod.isEmpty()) {
            return Optional.empty();
        }
        ModuleConfig m = mod.get();
        String node = rc.pathParam("n");
        if (!m.runsOn(node)) {
            error(rc, 404, "not-found", "node \"" + node + "\" is not a node of module " + m.name()
                    + " (" + String.join(", ", m.nodes()) + ")");
            return Optional.empty();
        }
        return Optional.of(new ModuleNode(m, node));
    }

    /** Relays ReplicationApi.verify to the node where the mirror serves. */
    private void verify(RoutingContext rc) {
        Optional<ModuleConfig> mod = moduleOf(rc);
        if (mod.isEmpty()) {
            return;
        }
        ModuleConfig m = mod.get();
        if (!m.isMirror()) {
            error(rc, 409, "conflict", "module " + m.name() + " is a farm: only mirrors replicate");
            return;
        }
        List<String> serving = view.serving(m);
        if (serving.size() != 1) {
            error(rc, 409, "conflict", "module " + m.name() + " has " + (serving.isEmpty() ? "no primary"
                    : "two primaries " + serving) + ": verify compares the primary with its secondary");
            return;
        }
        ask(ReplicationApi.verify(serving.getFirst()), new ModuleRef(m.name()).toJson(), VERIFY_TIMEOUT_MS)
                .map(VerifyReport::fromJson).onSuccess(r -> json(rc, 200, r.toJson().put("node", serving.getFirst())))
                .onFailure(e -> busError(rc, e, "replication service of " + serving.getFirst()));
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    /**
     * The services a node is expected to run: all of them, whether in one agent JVM or one JVM each, so that a
     * service whose JVM died shows as down (with the bus's reason) instead of disappearing.
     */
    private Set<ServiceName> servicesRunOn(String node) {
        return EnumSet.allOf(ServiceName.class);
    }

    /** Asks every service of a node for its health over the bus; no answer means down, with the reason. */
    private Future<List<JsonObject>> servicesOf(String node, Set<ServiceName> services) {
        List<Future<JsonObject>> asks = new ArrayList<>();
        for (ServiceName svc : services) {
            asks.add(ask(NodeApi.health(node, svc), new JsonObject(), HEALTH_TIMEOUT_MS)
                    .map(json -> ServiceHealth.fromJson(json).toJson())
                    .recover(e -> Future.succeededFuture(new ServiceHealth(node, svc, false,
                            ErrorCode.of(e).id() + ": " + e.getMessage(), new JsonObject()).toJson())));
        }
        return Future.join(asks).map(cf -> asks.stream().map(Future::result).toList());
    }

    private Future<JsonObject> ask(String address, JsonObject body, long timeoutMs) {
        return vertx.eventBus().request(address, body, new DeliveryOptions().setSendTimeout(timeoutMs))
                .map(msg -> Fields.object(msg.body()));
    }

    private Optional<ModuleConfig> moduleOf(RoutingContext rc) {
        String name = rc.pathParam("m");
        Optional<ModuleConfig> m = ctx.config().module(name);
        if (m.isEmpty()) {
            error(rc, 404, "not-found", "no module \"" + name + "\"; modules: "
                    + String.join(", ", ctx.config().modules().stream().map(ModuleConfig::name).toList()));
        }
        return m;
    }

    private static JsonObject bodyJson(RoutingContext rc) {
        Buffer body = rc.body() == null ? null : rc.body().buffer();
        String text = body == null ? "" : body.toString(StandardCharsets.UTF_8);
        if (text.isBlank()) {
            return new JsonObject();
        }
        if (!text.strip().startsWith("{")) {
            throw new BadMessageException("body must be a JSON object");
        }
        try {
            return new JsonObject(text);
        } catch (DecodeException e) {
            throw new BadMessageException("body is not valid JSON: " + e.getMessage());
        }
    }

    static int intParam(RoutingContext rc, String name, int dflt, int min, int max) {
        String v = rc.queryParams().get(name);
        if (v == null) {
            return dflt;
        }
        try {
            int i = Integer.parseInt(v);
            if (i < min || i > max) {
                throw new IllegalArgumentException(name + ": " + v + " is out of " + min + ".." + max);
            }
            return i;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": \"" + v + "\" is not a number");
        }
    }

    /** A failed bus request as HTTP: the service's own code when it refused, 503 when nobody (or nobody in time) answered. */
    private static void busError(RoutingContext rc, Throwable e, String who) {
        ErrorCode code = ErrorCode.of(e);
        int status = switch (code) {
            case BAD_MESSAGE -> 400;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case INTERNAL, UNAVAILABLE, TIMEOUT -> 503;
        };
        String message = switch (code) {
            case UNAVAILABLE -> who + " is not reachable (node down or service not running)";
            case TIMEOUT -> who + " did not answer in time";
            default -> String.valueOf(e.getMessage());
        };
        error(rc, status, code.id(), message);
    }

    static boolean sameOrigin(String origin, String host) {
        if (host == null) {
            return false;
        }
        try {
            URI o = URI.create(origin);
            String authority = o.getRawAuthority();
            if (authority == null) {
                return false;
            }
            return authority.equalsIgnoreCase(host) || withDefaultPort(o).equalsIgnoreCase(host);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String withDefaultPort(URI o) {
        int port = o.getPort() >= 0 ? o.getPort() : "https".equals(o.getScheme()) ? 443 : 80;
        return o.getHost() + ":" + port;
    }

    static void json(RoutingContext rc, int status, JsonObject body) {
        rc.response().setStatusCode(status).putHeader("content-type", "application/json")
                .putHeader("cache-control", "no-store").end(body.encode());
    }

    static void error(RoutingContext rc, int status, String code, String message) {
        if (rc.response().ended()) {
            return;
        }
        json(rc, status, new JsonObject().put("error", code).put("message", message));
    }

    private HttpServerOptions serverOptions(ConsoleConfig console) {
        HttpServerOptions options = new HttpServerOptions();
        console.tls().ifPresent(tls -> {
            String password;
            try {
                SecretFiles.checkPrivate(tls.keystore(), "cluster.console.tls.keystore");
                password = SecretFiles.readPassword(tls.passwordFile(), "cluster.console.tls.password_file");
            } catch (SecretFiles.UnsafeFileException e) {
                throw new IllegalStateException(e.getMessage(), e);
            } catch (IOException e) {
                throw new IllegalStateException("console TLS: cannot read " + tls.keystore() + " or "
                        + tls.passwordFile() + ": " + e.getMessage(), e);
            }
            options.setSsl(true).setKeyCertOptions(new PfxOptions().setPath(tls.keystore().toString())
                    .setPassword(password));
        });
        return options;
    }

    /** Vert.x's registry when the agent enabled metrics (so its own metrics are scraped too), else our own. */
    private static PrometheusMeterRegistry registry() {
        MeterRegistry vertxRegistry = BackendRegistries.getDefaultNow();
        if (vertxRegistry instanceof PrometheusMeterRegistry p) {
            return p;
        }
        return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    private static String resource(String path) {
        try (InputStream in = ConsoleVerticle.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
