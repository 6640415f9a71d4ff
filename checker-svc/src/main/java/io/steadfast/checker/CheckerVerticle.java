package io.steadfast.checker;

import io.steadfast.bus.LocalFirst;
import io.steadfast.api.CheckerApi;
import io.steadfast.api.CheckerApi.CheckerStatus;
import io.steadfast.api.CheckerApi.CheckerStatuses;
import io.steadfast.api.CheckerApi.CheckerToggle;
import io.steadfast.api.CheckerApi.LogLines;
import io.steadfast.api.CheckerApi.LogRequest;
import io.steadfast.api.CheckerApi.ScriptRequest;
import io.steadfast.api.CheckerApi.Status;
import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.HeartbeatApi.ActionRequest;
import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.HeartbeatApi.NodeStates;
import io.steadfast.api.ReplicationApi;
import io.steadfast.api.ReplicationApi.ResyncProgress;
import io.steadfast.api.ServiceName;
import io.steadfast.api.State;
import io.steadfast.bus.BadMessageException;
import io.steadfast.bus.ErrorCode;
import io.steadfast.checker.impl.Activation;
import io.steadfast.checker.impl.Checker;
import io.steadfast.checker.impl.CheckerFactory;
import io.steadfast.checker.impl.CheckerTracker.Transition;
import io.steadfast.checker.impl.FailoverRules;
import io.steadfast.checker.impl.HttpProbe;
import io.steadfast.checker.impl.ModuleLog;
import io.steadfast.checker.impl.Notifier;
import io.steadfast.checker.impl.NotifyQueue;
import io.steadfast.checker.impl.OutputTailer;
import io.steadfast.checker.impl.Outcome;
import io.steadfast.checker.impl.ProbeRunner;
import io.steadfast.checker.impl.ProcessTable;
import io.steadfast.checker.impl.ScriptRunner;
import io.steadfast.config.FailureAction;
import io.steadfast.config.ModuleConfig;
import io.steadfast.exec.CommandRunner;
import io.steadfast.service.HealthRules;
import io.steadfast.service.HealthVerdict;
import io.steadfast.service.ServiceContext;
import io.steadfast.service.ServiceException;
import io.steadfast.service.ServiceVerticle;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.Callable;

/**
 * The checker-svc of one node: application scripts, the module logs, checkers (with process supervision) and
 * the failover rules, which it turns into {@link ActionRequest}s to this node's heartbeat-svc.
 *
 * <p>Contract with heartbeat-svc: it answers an {@link ActionRequest} when it accepts (or has carried out) the
 * action, or refuses it with a failure. On acceptance of a restart/stopstart the checker that fired is re-armed:
 * failing checks before it is first seen UP again are ignored for {@link #restartGrace} (the restart is still in
 * progress); after that a failure fires again, so an application still dead after a restart is restarted again,
 * until maxloop stops the module. Likewise while the module is still starting here (TRANSIENT: its start script
 * has not run or not returned) and for {@link #restartGrace} after it became READY. Which checkers run where:
 * {@link Activation}. The module state comes from
 * {@link HeartbeatApi#MODULE_STATE} (and {@link HeartbeatApi#states} at start).
 */
public class CheckerVerticle extends ServiceVerticle {
    private static final Logger LOG = LoggerFactory.getLogger(CheckerVerticle.class);
    static final long LOG_MAX_BYTES = ModuleLog.DEFAULT_MAX_BYTES;
    static final int MAX_LOG_LINES = 10_000;

    private final CommandRunner runner;
    private final Path logDir;
    private final Map<String, ModuleConfig> modules = new LinkedHashMap<>();
    private final Map<String, ModuleLog> logs = new HashMap<>();
    private final Map<String, OutputTailer> tailers = new HashMap<>();
    private final Map<String, List<Checker>> checkers = new LinkedHashMap<>();
    /** module → node → last published state (any node: module checkers may look at other nodes). */
    private final Map<String, Map<String, ModuleState>> states = new java.util.concurrent.ConcurrentHashMap<>();
    private final ProbeRunner probes = new ProbeRunner();
    private final AtomicLong actionsSent = new AtomicLong();
    private ExecutorService virtual;
    private HttpProbe.SharedClient http;
    private ScriptRunner scripts;
    private FailoverRules rules;
    private Context context;
    private Notifier notifier;
    private final Notifier.Sender notifySender;

    public CheckerVerticle(ServiceContext ctx) {
        this(ctx, new CommandRunner(), ctx.config().cluster().stateDir().resolve("logs"));
    }

    /** {@code runner} runs ping/ip/custom commands (tests: inside a lab namespace); {@code logDir} the module logs. */
    public CheckerVerticle(ServiceContext ctx, CommandRunner runner, Path logDir) {
        this(ctx, runner, logDir, new Notifier.RealSender());
    }

    /** {@code notifySender}: delivers the module notifications ({@code notify:}). */
    public CheckerVerticle(ServiceContext ctx, CommandRunner runner, Path logDir, Notifier.Sender notifySender) {
        super(ServiceName.CHECKER, ctx);
        this.runner = runner;
        this.logDir = logDir;
        this.notifySender = notifySender;
    }

    @Override
    protected Future<?> startService() {
        context = vertx.getOrCreateContext();
        virtual = Executors.newVirtualThreadPerTaskExecutor();
        http = new HttpProbe.SharedClient();
        ProcessTable processes = new ProcessTable();
        scripts = new ScriptRunner(ctx.nodeName(), processes);
        rules = new FailoverRules(System::currentTimeMillis);
        CheckerFactory factory = new CheckerFactory(new CheckerFactory.Deps(ctx.nodeName(), runner, http, processes,
                this::stateOf, System::currentTimeMillis));
        for (ModuleConfig m : ctx.modules()) {
            modules.put(m.name(), m);
            logs.put(m.name(), new ModuleLog(logDir, ctx.nodeName(), m.name(), LOG_MAX_BYTES,
                    System::currentTimeMillis, line -> vertx.eventBus().publish(CheckerApi.MODULE_LOG, line.toJson())));
            tailers.put(m.name(), new OutputTailer(logDir.resolve(m.name() + ".out"), LOG_MAX_BYTES));
            checkers.put(m.name(), factory.build(m));
        }
        Map<String, io.steadfast.config.NotifyConfig> notify = new LinkedHashMap<>();
        modules.values().forEach(m -> notify.put(m.name(), m.notifications()));
        notifier = new Notifier(ctx.nodeName(), notify, new NotifyQueue(Notifier.QUEUE_CAPACITY, Notifier.MAX_ATTEMPTS,
                Notifier.BASE_BACKOFF_MS, Notifier.MAX_BACKOFF_MS, System::currentTimeMillis), notifySender,
                System::currentTimeMillis, (m, line) -> {
                    ModuleLog log = logs.get(m);
                    if (log != null) {
                        log.append(line);
                    }
                }).start();
        String node = ctx.nodeName();
        serve(CheckerApi.script(node), ScriptRequest::fromJson, this::script);
        serve(CheckerApi.checkers(node), json -> json, ignored -> Future.succeededFuture(statuses(null).toJson()));
        serve(CheckerApi.toggle(node), CheckerToggle::fromJson, this::toggle);
        serve(CheckerApi.log(node), LogRequest::fromJson, this::log);
        subscribe(HeartbeatApi.MODULE_STATE, ModuleState::fromJson, this::onModuleState);
        subscribe(ReplicationApi.RESYNC, ResyncProgress::fromJson, p -> notifier.onResync(p));

        modules.keySet().forEach(this::reevaluate);
        for (List<Checker> list : checkers.values()) {
            for (Checker c : list) {
                long interval = Math.max(1, c.tracker().interval().toMillis());
                // spread the first rounds so that many checkers with one interval do not all fire together
                long first = 1 + ThreadLocalRandom.current().nextLong(Math.min(interval, 1000));
                vertx.setPeriodic(first, interval, id -> tick(c));
            }
        }
        vertx.setPeriodic(1000, id -> modules.keySet().forEach(m -> onVirtual(() -> {
            scripts.pollApp(m, tailers.get(m), logs.get(m));
            return null;
        })));
        LocalFirst.request(vertx, HeartbeatApi.states(node), new JsonObject(), new DeliveryOptions().setSendTimeout(3000))
                .onSuccess(reply -> {
                    try {
                        NodeStates.fromJson((JsonObject) reply.body()).modules().forEach(this::onModuleState);
                    } catch (RuntimeException e) {
                        LOG.warn("heartbeat-svc answered states with a bad message: {}", e.getMessage());
                    }
                })
                .onFailure(e -> LOG.info("no module states from heartbeat-svc yet ({}); waiting for publications",
                        e.getMessage()));
        return Future.succeededFuture();
    }

    @Override
    protected Future<?> stopService() {
        if (notifier != null) {
            notifier.close();
        }
        if (virtual != null) {
            virtual.shutdownNow();
        }
        if (http != null) {
            http.close();
        }
        return Future.succeededFuture();
    }

    /** DOWN when a script runs long past its timeout or the runner's threads are gone ({@link HealthRules#checker}). */
    @Override
    protected void assess(HealthVerdict verdict) {
        if (scripts != null) {
            verdict.include(HealthRules.checker(scripts.running(), System.currentTimeMillis(),
                    virtual != null && !virtual.isShutdown()));
        }
    }

    @Override
    protected JsonObject healthDetails() {
        JsonObject launched = new JsonObject();
        long down = 0;
        long overruns = 0;
        int total = 0;
        for (List<Checker> list : checkers.values()) {
            for (Checker c : list) {
                total++;
                down += c.tracker().status() == Status.DOWN ? 1 : 0;
                overruns += c.overruns();
            }
        }
        for (String m : modules.keySet()) {
            launched.put(m, scripts == null ? List.of() : scripts.launched(m));
        }
        JsonObject notifications = notifier == null ? new JsonObject() : new JsonObject()
                .put("queued", notifier.queue().size()).put("delivered", notifier.queue().deliveredCount())
                .put("dropped", notifier.queue().dropped()).put("gaveUp", notifier.queue().gaveUp());
        return new JsonObject().put("checkers", total).put("down", down).put("overruns", overruns)
                .put("actionsSent", actionsSent.get()).put("launched", launched).put("notifications", notifications);
    }

    // ---- scripts and log

    private Future<JsonObject> script(ScriptRequest req) {
        ModuleConfig m = module(req.module());
        return onVirtual(() -> scripts.run(m.scripts(), req, logs.get(m.name()), tailers.get(m.name())).toJson());
    }

    private Future<JsonObject> log(LogRequest req) {
        ModuleConfig m = module(req.module());
        if (req.lines() < 1 || req.lines() > MAX_LOG_LINES) {
            throw new BadMessageException("lines: " + req.lines() + " is not within 1.." + MAX_LOG_LINES);
        }
        return onVirtual(() -> new LogLines(ctx.nodeName(), m.name(), logs.get(m.name()).tail(req.lines())).toJson());
    }

    // ---- checkers

    private Future<JsonObject> toggle(CheckerToggle t) {
        ModuleConfig m = module(t.module());
        List<Checker> targets = checkers.get(m.name()).stream()
                .filter(c -> "*".equals(t.checker()) || c.tracker().name().equals(t.checker())).toList();
        if (targets.isEmpty()) {
            throw new ServiceException(ErrorCode.NOT_FOUND, "module " + m.name() + " has no checker \"" + t.checker()
                    + "\" on " + ctx.nodeName());
        }
        for (Checker c : targets) {
            if (t.enabled()) {
                c.tracker().enable().ifPresent(this::emit);
                tick(c);
            } else {
                c.newEpoch();
                c.tracker().disable("disabled by operator").ifPresent(this::emit);
                if (rules.parked(m.name(), c.tracker().name())) { // an ignored checker must not keep the module parked
                    send(c, rules.unpark(m.name(), c.tracker().name(), "checker " + c.tracker().name()
                            + " disabled by operator"));
                }
            }
        }
        return Future.succeededFuture(statuses(m.name()).toJson());
    }

    private CheckerStatuses statuses(String module) {
        List<CheckerStatus> out = new ArrayList<>();
        checkers.forEach((m, list) -> {
            if (module == null || module.equals(m)) {
                list.forEach(c -> out.add(c.tracker().snapshot()));
            }
        });
        return new CheckerStatuses(ctx.nodeName(), out);
    }

    private void tick(Checker c) {
        if (!c.tracker().runnable() || !c.begin()) {
            return;
        }
        long epoch = c.epoch();
        String name = c.tracker().module() + "/" + c.tracker().name();
        CompletableFuture<Outcome> result;
        try {
            result = probes.run(name, c.probe(), c.tracker().timeout());
        } catch (RuntimeException e) {
            c.end();
            LOG.error("cannot start probe {}", name, e);
            return;
        }
        result.whenComplete((o, e) -> context.runOnContext(v -> {
            c.end();
            if (epoch != c.epoch()) {
                return; // re-armed or switched off while this probe ran
            }
            Outcome outcome = o != null ? o : Outcome.down(name + ": " + e);
            if (!outcome.up() && c.tracker().status() == Status.INIT) {
                if (Activation.starting(c.tracker().kind(), stateOf(c.tracker().module(), ctx.nodeName())
                        .map(ModuleState::readiness))) {
                    c.tracker().pending("waiting for the application: the module is starting here: "
                            + outcome.reason());
                    return;
                }
                if (System.currentTimeMillis() < c.graceUntil()) {
                    c.tracker().pending("waiting for the application after the action: " + outcome.reason());
                    return;
                }
            }
            c.tracker().result(outcome).ifPresent(this::emit);
        }));
    }

    private void emit(Transition t) {
        CheckerStatus status = new CheckerStatus(ctx.nodeName(), t.module(), t.checker(), t.to(), t.reason(), t.at());
        vertx.eventBus().publish(CheckerApi.CHECKER_EVENTS, status.toJson());
        logs.get(t.module()).append("checker " + t.checker() + ": " + t.from() + " -> " + t.to() + ": " + t.reason());
        if (t.to() == Status.DOWN) {
            notifier.onCheckerDown(t.module(), t.checker(), t.reason());
        }
        Checker c = find(t.module(), t.checker());
        ModuleConfig m = modules.get(t.module());
        rules.onTransition(t.module(), t.checker(), c.tracker().onFailure(),
                        new FailoverRules.Loop(m.service().maxloop(), m.service().loopInterval()), t.to(), t.reason())
                .ifPresent(req -> send(c, req));
    }

    private void send(Checker c, ActionRequest req) {
        ModuleConfig m = modules.get(req.module());
        ModuleLog log = logs.get(req.module());
        String what = req.action().name().toLowerCase(java.util.Locale.ROOT) + (req.resume() ? " (resume)" : "");
        log.append("failover rule: asking heartbeat-svc for " + what + ": " + req.reason());
        actionsSent.incrementAndGet();
        // a restart runs stop and start scripts: allow for both, plus the bus
        long timeout = 2 * m.scripts().timeout().toMillis() + 30_000;
        LocalFirst.request(vertx, HeartbeatApi.action(ctx.nodeName()), req.toJson(),
                        new DeliveryOptions().setSendTimeout(timeout))
                .onSuccess(reply -> {
                    rules.accepted(req);
                    log.append("heartbeat-svc carried out " + what);
                    if (req.action() == FailureAction.RESTART || req.action() == FailureAction.STOPSTART) {
                        rearm(c, "re-armed after " + what + ": checking again");
                        // heartbeat-svc may answer before the scripts ran: until the app is seen up, or the grace
                        // ends, a failing check is the restart still in progress, not a new failure
                        c.graceUntil(System.currentTimeMillis() + restartGrace(m));
                    }
                    if (req.resume()) {
                        reevaluate(req.module());
                    }
                })
                .onFailure(e -> {
                    rules.refused(req);
                    log.append("heartbeat-svc did not carry out " + what + ": " + ErrorCode.of(e).id() + ": "
                            + e.getMessage());
                    // the checker's status did not change, so its rule would not fire again by itself: forget the
                    // last result, and the next check asks again (a refused WAIT parks at the next failing check, a
                    // refused resume resumes at the next good one; a switched-off checker stays off)
                    rearm(c, "re-armed after a refused " + what + ": checking again");
                });
    }

    /** min(scripts.timeout, 30 s): long enough for a restart, short enough to retry a restart that failed. */
    static long restartGrace(ModuleConfig m) {
        return Math.min(m.scripts().timeout().toMillis(), 30_000);
    }

    private void rearm(Checker c, String why) {
        c.newEpoch();
        c.tracker().rearm(why).ifPresent(this::emit);
    }

    // ---- module states

    private void onModuleState(ModuleState s) {
        notifier.onState(s);
        ModuleState before = states.computeIfAbsent(s.module(), m -> new java.util.concurrent.ConcurrentHashMap<>())
                .put(s.node(), s);
        if (s.node().equals(ctx.nodeName()) && modules.containsKey(s.module())) {
            if (Activation.started(Optional.ofNullable(before).map(ModuleState::readiness), s.readiness(),
                    s.state())) {
                // start_prim/start_both has just returned: give a slow application the grace to listen
                long until = System.currentTimeMillis() + restartGrace(modules.get(s.module()));
                checkers.get(s.module()).stream().filter(c -> c.tracker().kind().app())
                        .forEach(c -> c.graceUntil(Math.max(c.graceUntil(), until)));
            }
            reevaluate(s.module());
        }
    }

    private void reevaluate(String module) {
        Optional<State> here = stateOf(module, ctx.nodeName()).map(ModuleState::state);
        for (Checker c : checkers.get(module)) {
            Optional<String> inactive = Activation.inactiveReason(c.tracker().kind(), here,
                    rules.parked(module, c.tracker().name()));
            if (inactive.isPresent()) {
                if (c.tracker().runnable()) {
                    c.newEpoch();
                }
                c.tracker().deactivate(inactive.get()).ifPresent(this::emit);
            } else {
                Optional<Transition> t = c.tracker().activate("module is " + here.map(State::name).orElse("?")
                        + " here");
                t.ifPresent(this::emit);
                if (t.isPresent()) {
                    tick(c);
                }
            }
        }
    }

    private Optional<ModuleState> stateOf(String module, String node) {
        return Optional.ofNullable(states.get(module)).map(m -> m.get(node));
    }

    // ---- helpers

    private ModuleConfig module(String name) {
        ModuleConfig m = modules.get(name);
        if (m == null) {
            throw new ServiceException(ErrorCode.NOT_FOUND, "module \"" + name + "\" does not run on "
                    + ctx.nodeName() + " (modules here: " + modules.keySet() + ")");
        }
        return m;
    }

    private Checker find(String module, String name) {
        return checkers.get(module).stream().filter(c -> c.tracker().name().equals(name)).findFirst().orElseThrow();
    }

    private <R> Future<R> onVirtual(Callable<R> work) {
        CompletableFuture<R> cf = new CompletableFuture<>();
        virtual.execute(() -> {
            try {
                cf.complete(work.call());
            } catch (Throwable e) {
                cf.completeExceptionally(e);
            }
        });
        return Future.fromCompletionStage(cf, context);
    }
}
