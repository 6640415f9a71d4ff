package io.steadfast.replication;

import io.steadfast.api.ModuleRef;
import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.HeartbeatApi.DesiredState;
import io.steadfast.api.HeartbeatApi.ModuleDesired;
import io.steadfast.api.ReplicationApi;
import io.steadfast.api.ReplicationApi.ReplicationStatus;
import io.steadfast.api.ReplicationApi.RoleRequest;
import io.steadfast.api.ServiceName;
import io.steadfast.bus.ErrorCode;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.NodeConfig;
import io.steadfast.config.ReplicationConfig;
import io.steadfast.replication.impl.ChannelAuth;
import io.steadfast.replication.impl.DivergedCopy;
import io.steadfast.replication.impl.ModuleReplicator;
import io.steadfast.replication.impl.ModuleRuntime;
import io.steadfast.service.HealthRules;
import io.steadfast.service.HealthVerdict;
import io.steadfast.service.ServiceContext;
import io.steadfast.service.ServiceException;
import io.steadfast.service.ServiceVerticle;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The replication-svc of one node: mounts each mirror module's directories (read-only until promoted) and serves
 * {@link ReplicationApi} promote/demote/status/verify, publishing status changes and resync progress. The work is
 * in {@link ModuleRuntime}/{@link ModuleReplicator}; all of it is blocking and runs off the event loop.
 */
public class ReplicationVerticle extends ServiceVerticle {
    private static final Logger log = LoggerFactory.getLogger(ReplicationVerticle.class);
    private final Map<String, ModuleRuntime> modules = new java.util.concurrent.ConcurrentHashMap<>();
    /** module → why its replication could not start (written at start on a worker, read by health). */
    private final Map<String, String> failures = new java.util.concurrent.ConcurrentHashMap<>();
    /** module → its directories found not mounted by the last status poll. */
    private final Map<String, List<String>> unmounted = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, ReplicationStatus> lastPublished = new java.util.concurrent.ConcurrentHashMap<>();
    static final long STATUS_POLL_MS = 1000;

    public ReplicationVerticle(ServiceContext ctx) {
        super(ServiceName.REPLICATION, ctx);
    }

    @Override
    protected Future<?> startService() {
        String node = ctx.nodeName();
        serve(ReplicationApi.promote(node), RoleRequest::fromJson, r -> blocking(() -> promote(r).toJson()));
        serve(ReplicationApi.demote(node), RoleRequest::fromJson,
                r -> blocking(() -> {
                    ModuleReplicator rep = runtime(r.module()).replicator();
                    if (r.keepCopyAt().isPresent()) {
                        // a split brain's follower: its diverged copy is kept before anything can overwrite it
                        rep.keepCopy(DivergedCopy.checkedTarget(ctx.config().cluster().stateDir(), r.module(),
                                r.keepCopyAt().get()), ctx.config().module(r.module()).orElseThrow()
                                .replication().orElseThrow().dirs());
                    }
                    return rep.demote(r.peer().orElse(""), r.fullsync()).toJson();
                }));
        serve(ReplicationApi.status(node), ModuleRef::fromJson,
                r -> blocking(() -> runtime(r.module()).replicator().status().toJson()));
        serve(ReplicationApi.verify(node), ModuleRef::fromJson,
                r -> blocking(() -> runtime(r.module()).replicator().verify().toJson()));
        followDesiredState(d -> {
            follow(d);
            return Future.succeededFuture();
        });
        vertx.setPeriodic(STATUS_POLL_MS, id -> blocking(this::publishChangedStatus));
        return blocking(this::mountAll);
    }

    /**
     * Some facts change inside the replication session without a mode change (a target becomes up to date when the
     * source's resync ends): publish every status that differs from the last one published, checked each second.
     */
    private Void publishChangedStatus() {
        for (var e : modules.entrySet()) {
            List<String> gone = e.getValue().unmounted();
            List<String> before = gone.isEmpty() ? unmounted.remove(e.getKey()) : unmounted.put(e.getKey(), gone);
            if (!gone.isEmpty() && !gone.equals(before)) {
                log.error("replication of module {}: not mounted any more at {}", e.getKey(), gone);
            }
            ReplicationStatus st = e.getValue().replicator().status();
            if (!st.equals(lastPublished.put(e.getKey(), st))) {
                vertx.eventBus().publish(ReplicationApi.EVENTS, st.toJson());
            }
        }
        return null;
    }

    /**
     * Reconciler for a primary's peer. heartbeat-svc promotes with the choreography (promote → VIP → start_prim);
     * afterwards a primary's peer comes and goes without a role change (ALONE ⇄ PRIM), and the desired state says
     * which: a SOURCE whose peer differs from the desired one is promoted again with it (attach: resync then
     * replicate; detach: record changes).
     */
    private void follow(DesiredState desired) {
        if (!desired.node().equals(ctx.nodeName())) {
            return;
        }
        for (ModuleDesired m : desired.modules()) {
            ModuleRuntime rt = modules.get(m.module());
            if (rt == null || m.role() != HeartbeatApi.Role.PRIMARY) {
                continue;
            }
            vertx.executeBlocking(() -> {
                ReplicationStatus st = rt.replicator().status();
                if (st.role() == ReplicationApi.Role.SOURCE && !st.peer().orElse("").equals(m.peer().orElse(""))) {
                    log.info("{}: peer {} -> {} (desired state)", m.module(), st.peer().orElse("none"),
                            m.peer().orElse("none"));
                    promote(new RoleRequest(m.module(), m.peer(), m.generation(), false));
                }
                return null;
            }, true).onFailure(e -> log.warn("{}: following the desired peer failed: {}", m.module(), e.getMessage()));
        }
    }

    private Void mountAll() {
        NodeConfig me = ctx.node();
        for (ModuleConfig m : ctx.modules()) {
            if (!m.isMirror() || m.replication().isEmpty()) {
                continue;
            }
            ReplicationConfig rc = m.replication().get();
            try {
                ModuleReplicator.Settings s = new ModuleReplicator.Settings(ctx.nodeName(), m.name(), List.of(),
                        ctx.config().cluster().stateDir().resolve("replication").resolve(m.name()), rc.async(),
                        rc.sendTimeout(), ChannelAuth.fromFile(ctx.config().cluster().secretFile(), ctx.nodeName(),
                                m.peerOf(ctx.nodeName()).orElseThrow(() -> new IllegalArgumentException(
                                        "mirror module " + m.name() + " names no peer of " + ctx.nodeName()))),
                        new InetSocketAddress(me.addr(), rc.port()));
                ModuleRuntime rt = new ModuleRuntime(rc.dirs(), s,
                        st -> vertx.eventBus().publish(ReplicationApi.EVENTS, st.toJson()),
                        p -> vertx.eventBus().publish(ReplicationApi.RESYNC, p.toJson()));
                modules.put(m.name(), rt);
            } catch (Exception e) {
                // one module failing to mount must not take the others down; its requests get the reason
                log.error("replication of module {} cannot start: {}", m.name(), e.getMessage(), e);
                failures.put(m.name(), String.valueOf(e.getMessage()));
            }
        }
        return null;
    }

    private ModuleRuntime runtime(String module) {
        ModuleRuntime rt = modules.get(module);
        if (rt == null) {
            String why = failures.get(module);
            throw new ServiceException(why != null ? ErrorCode.UNAVAILABLE : ErrorCode.NOT_FOUND,
                    why != null ? "replication of " + module + " failed to start: " + why
                            : "no replicated mirror module " + module + " on " + ctx.nodeName());
        }
        return rt;
    }

    private ReplicationStatus promote(RoleRequest r) throws Exception {
        ModuleRuntime rt = runtime(r.module());
        Optional<InetSocketAddress> peer = Optional.empty();
        if (r.peer().isPresent()) {
            String name = r.peer().get();
            NodeConfig pn = ctx.config().node(name).orElseThrow(
                    () -> new ServiceException(ErrorCode.BAD_MESSAGE, "unknown peer node " + name));
            int port = ctx.config().module(r.module()).flatMap(ModuleConfig::replication).orElseThrow().port();
            peer = Optional.of(new InetSocketAddress(pn.addr(), port));
        }
        return rt.replicator().promote(peer, r.peer().orElse(""), r.generation(), r.fullsync());
    }

    /** DOWN while a module's replication did not start or its mount went away (see {@link HealthRules#replication}). */
    @Override
    protected void assess(HealthVerdict verdict) {
        verdict.include(HealthRules.replication(failures, unmounted));
    }

    @Override
    protected JsonObject healthDetails() {
        JsonObject modes = new JsonObject();
        modules.forEach((k, v) -> modes.put(k, v.replicator().mode().name()));
        return new JsonObject().put("modules", modes).put("failed", new JsonArray(List.copyOf(failures.keySet())));
    }

    @Override
    protected Future<?> stopService() {
        return blocking(() -> {
            modules.values().forEach(ModuleRuntime::close);
            modules.clear();
            return null;
        });
    }

    /** Where the real files of a configured directory are reachable while the FUSE mount covers it. */
    public static Path backingOf(Path dir) {
        return io.steadfast.replication.impl.DirMount.backingOf(dir);
    }
}
