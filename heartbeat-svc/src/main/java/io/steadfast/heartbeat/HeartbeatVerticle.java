package io.steadfast.heartbeat;

import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.HeartbeatApi.ActionRequest;
import io.steadfast.api.HeartbeatApi.CommandReply;
import io.steadfast.api.HeartbeatApi.CommandRequest;
import io.steadfast.api.HeartbeatApi.DesiredState;
import io.steadfast.api.HeartbeatApi.ModuleDesired;
import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.HeartbeatApi.NodeStates;
import io.steadfast.api.ReplicationApi;
import io.steadfast.api.ReplicationApi.ReplicationStatus;
import io.steadfast.api.ServiceName;
import io.steadfast.bus.ErrorCode;
import io.steadfast.exec.CommandRunner;
import io.steadfast.heartbeat.impl.BusRoleSteps;
import io.steadfast.heartbeat.impl.Choreographer;
import io.steadfast.heartbeat.impl.FileStateStore;
import io.steadfast.heartbeat.impl.HeartbeatRuntime;
import io.steadfast.heartbeat.impl.ModuleEngine;
import io.steadfast.heartbeat.impl.Secret;
import io.steadfast.heartbeat.impl.Transition;
import io.steadfast.heartbeat.impl.WitnessChecker;
import io.steadfast.service.HealthRules;
import io.steadfast.service.HealthVerdict;
import io.steadfast.service.ServiceContext;
import io.steadfast.service.ServiceException;
import io.steadfast.service.ServiceVerticle;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The heartbeat-svc of one node: the authority for module roles here. Wires the bus to a {@link HeartbeatRuntime}
 * (heartbeats and state machines on their own thread) and publishes what it decides: {@link ModuleState} on every
 * change, the node's {@link DesiredState} on change and every {@link HeartbeatApi#DESIRED_REPUBLISH_MS}.
 *
 * <p>While a mirror module's role change runs, its desired state stays what it was: the choreography drives the
 * services step by step, and a reconciler must not jump ahead of it (e.g. add the VIP before promote).
 */
public class HeartbeatVerticle extends ServiceVerticle {
    /** The last replication status per module of this node (to see a connected peer being lost). */
    private final java.util.Map<String, ReplicationStatus> lastReplication = new java.util.HashMap<>();

    private static final Logger LOG = LoggerFactory.getLogger(HeartbeatVerticle.class);

    private HeartbeatRuntime runtime;
    private AgentLease lease;
    private final Map<String, ModuleState> states = new ConcurrentHashMap<>();
    private final Map<String, ModuleDesired> desired = new ConcurrentHashMap<>();
    private final AtomicLong desiredSeq = new AtomicLong();
    private volatile DesiredState lastDesired;

    public HeartbeatVerticle(ServiceContext ctx) {
        super(ServiceName.HEARTBEAT, ctx);
    }

    @Override
    protected Future<?> startService() {
        serve(HeartbeatApi.command(ctx.nodeName()), CommandRequest::fromJson, this::command);
        serve(HeartbeatApi.action(ctx.nodeName()), ActionRequest::fromJson, this::action);
        serve(HeartbeatApi.states(ctx.nodeName()), j -> j, ignored -> Future.succeededFuture(
                new NodeStates(ctx.nodeName(), orderedStates()).toJson()));
        serve(HeartbeatApi.desired(ctx.nodeName()), j -> j, ignored -> Future.succeededFuture(desiredNow().toJson()));
        subscribe(ReplicationApi.EVENTS, ReplicationStatus::fromJson, this::replication);
        return blocking(() -> {
            byte[] secret = Secret.read(ctx.config().cluster().secretFile());
            lease = AgentLease.open(ctx.config().cluster().stateDir());
            AgentLease l = lease;
            HeartbeatRuntime[] self = new HeartbeatRuntime[1];
            HeartbeatRuntime rt = new HeartbeatRuntime(ctx.config(), ctx.nodeName(), secret,
                    new FileStateStore(ctx.config().cluster().stateDir()),
                    new Choreographer(new BusRoleSteps(vertx, ctx.config(), ctx.nodeName())),
                    new WitnessChecker(new CommandRunner()), new Listener(),
                    () -> l.renew(self[0] != null && self[0].engines().values().stream()
                            .anyMatch(e -> e.machine().state().serves())),
                    ctx.config().cluster().stateDir(), io.steadfast.heartbeat.impl.Fatal::exit);
            self[0] = rt;
            rt.start();
            return rt;
        }).onSuccess(rt -> {
            runtime = rt;
            vertx.setPeriodic(HeartbeatApi.DESIRED_REPUBLISH_MS, id -> publishDesired(false));
        });
    }

    /** The runtime once started (tests: live details from the engine thread). */
    HeartbeatRuntime runtime() {
        return runtime;
    }

    @Override
    protected Future<?> stopService() {
        if (runtime != null) {
            runtime.close();
        }
        if (lease != null) {
            lease.close();
        }
        return Future.succeededFuture();
    }

    /**
     * DOWN while the runtime is not running or its tasks stopped (no tick, no pulse); warnings for this node's
     * degraded modules (a heartbeat lan lost, a secondary not up to date, ALONE, split brain): {@link HealthRules}.
     */
    @Override
    protected void assess(HealthVerdict verdict) {
        HeartbeatRuntime rt = runtime;
        verdict.include(HealthRules.heartbeat(rt == null ? java.util.Optional.of("starting")
                : java.util.Optional.empty(), rt == null ? Map.of() : rt.tasks(), orderedStates()));
    }

    @Override
    protected JsonObject healthDetails() {
        JsonObject modules = new JsonObject();
        states.forEach((m, s) -> modules.put(m, new JsonObject().put("state", s.state().name())
                .put("heartbeats", s.details())));
        return new JsonObject().put("modules", modules)
                .put("sendErrors", runtime == null ? 0 : runtime.sendErrors());
    }

    private Future<JsonObject> command(CommandRequest req) {
        return onEngine(req.module(), e -> {
            String message = e.command(req.command(), req.options());
            return new CommandReply(ctx.nodeName(), req.module(), message, e.machine().state()).toJson();
        });
    }

    private Future<JsonObject> action(ActionRequest req) {
        return onEngine(req.module(), e -> {
            String message = e.action(req.action(), req.checker(), req.reason(), req.resume());
            return new CommandReply(ctx.nodeName(), req.module(), message, e.machine().state()).toJson();
        });
    }

    private void replication(ReplicationStatus s) {
        if (!s.node().equals(ctx.nodeName()) || runtime == null) {
            return;
        }
        ModuleEngine e = runtime.engines().get(s.module());
        if (e != null) {
            // A SOURCE records when it was promoted without a peer (ALONE), while it connects to or resyncs a peer,
            // and when its connected peer stopped answering (send_timeout). Only the last is news for the machine
            // (go ALONE): an edge from connected to not connected, to the same peer.
            ReplicationStatus last = lastReplication.put(s.module(), s);
            boolean recording = s.role() != ReplicationApi.Role.SOURCE ? s.recording()
                    : s.recording() && !s.connected() && s.peer().isPresent() && last != null && last.connected()
                    && last.peer().equals(s.peer());
            runtime.call(e, x -> {
                x.replication(s.role(), s.upToDate(), recording, s.reason());
                return null;
            });
        }
    }

    private Future<JsonObject> onEngine(String module, Function<ModuleEngine, JsonObject> f) {
        if (runtime == null) {
            return Future.failedFuture(new ServiceException(ErrorCode.UNAVAILABLE, "heartbeat-svc is starting"));
        }
        ModuleEngine e = runtime.engines().get(module);
        if (e == null) {
            return Future.failedFuture(new ServiceException(ErrorCode.NOT_FOUND,
                    "module " + module + " does not run on " + ctx.nodeName()));
        }
        CompletableFuture<JsonObject> r = runtime.call(e, f);
        return Future.fromCompletionStage(r, vertx.getOrCreateContext());
    }

    private List<ModuleState> orderedStates() {
        List<ModuleState> out = new ArrayList<>();
        ctx.modules().forEach(m -> {
            ModuleState s = states.get(m.name());
            if (s != null) {
                out.add(s);
            }
        });
        return out;
    }

    private DesiredState desiredNow() {
        DesiredState d = lastDesired;
        return d != null ? d : new DesiredState(ctx.nodeName(), 0, List.of());
    }

    private synchronized void publishDesired(boolean changed) {
        if (changed || lastDesired == null) {
            List<ModuleDesired> mods = new ArrayList<>();
            ctx.modules().forEach(m -> {
                ModuleDesired d = desired.get(m.name());
                if (d != null) {
                    mods.add(d);
                }
            });
            lastDesired = new DesiredState(ctx.nodeName(), desiredSeq.incrementAndGet(), mods);
        }
        vertx.eventBus().publish(HeartbeatApi.DESIRED, lastDesired.toJson());
    }

    /** Runs on the engine thread: snapshots immutable records, publishes (the event bus is thread-safe). */
    private final class Listener implements HeartbeatRuntime.Listener {
        @Override
        public void transition(Transition t) {
            LOG.info("module {} on {}: {}/{} -> {}/{}: {}", t.module(), ctx.nodeName(), t.from(), t.fromReadiness(),
                    t.to(), t.readiness(), t.reason());
        }

        @Override
        public void stateChanged(ModuleEngine e) {
            ModuleState s = e.moduleState();
            states.put(e.name(), s);
            vertx.eventBus().publish(HeartbeatApi.MODULE_STATE, s.toJson());
            // A farm follows its machine even while busy: vip-svc adds the farm VIP only once lb-filter-svc's table
            // is in the kernel, and that table comes from this desired state (MEMBER as soon as UP/TRANSIENT), so
            // holding it during ACQUIRE deadlocked "VIP up". Safe: the node owns no bucket until it is READY.
            if (!e.machine().busy() || !e.config().isMirror()) {
                ModuleDesired d = e.desired();
                if (!d.equals(desired.put(e.name(), d))) {
                    publishDesired(true);
                }
            } else if (!desired.containsKey(e.name())) {
                desired.put(e.name(), e.desired().role() == HeartbeatApi.Role.NONE ? e.desired()
                        : new ModuleDesired(e.name(), e.config().type(), HeartbeatApi.Role.NONE,
                        java.util.Optional.empty(), List.of(), e.machine().persisted().generation()));
                publishDesired(true);
            }
        }
    }
}
