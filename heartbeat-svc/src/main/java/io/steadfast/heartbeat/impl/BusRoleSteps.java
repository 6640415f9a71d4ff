package io.steadfast.heartbeat.impl;

import io.steadfast.bus.LocalFirst;
import io.steadfast.api.CheckerApi;
import io.steadfast.api.CheckerApi.Script;
import io.steadfast.api.CheckerApi.ScriptRequest;
import io.steadfast.api.CheckerApi.ScriptResult;
import io.steadfast.api.ModuleRef;
import io.steadfast.api.ReplicationApi;
import io.steadfast.api.ReplicationApi.RoleRequest;
import io.steadfast.api.State;
import io.steadfast.api.VipApi;
import io.steadfast.api.VipApi.VipStatus;
import io.steadfast.bus.ErrorCode;
import io.steadfast.bus.Fields;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.exec.CommandResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * {@link RoleSteps} as event-bus requests to this node's services, each with a timeout. A service that is not
 * running, times out or refuses fails the step with a message naming it.
 */
public final class BusRoleSteps implements RoleSteps {
    static final Duration VIP_TIMEOUT = Duration.ofSeconds(10);
    static final Duration REPLICATION_TIMEOUT = Duration.ofSeconds(30);
    /** Added to the module's script timeout: checker-svc enforces the script's own limit and then answers. */
    static final Duration SCRIPT_MARGIN = Duration.ofSeconds(5);

    private final Vertx vertx;
    private final SteadfastConfig config;
    private final String node;

    public BusRoleSteps(Vertx vertx, SteadfastConfig config, String node) {
        this.vertx = vertx;
        this.config = config;
        this.node = node;
    }

    @Override
    public CompletionStage<Void> promote(String module, Optional<String> peer, String generation, boolean fullsync) {
        return request("replication-svc", ReplicationApi.promote(node),
                new RoleRequest(module, peer, generation, fullsync).toJson(), REPLICATION_TIMEOUT, j -> null);
    }

    @Override
    public CompletionStage<Void> demote(String module, Optional<String> peer, String generation, boolean fullsync) {
        return request("replication-svc", ReplicationApi.demote(node),
                new RoleRequest(module, peer, generation, fullsync).toJson(), REPLICATION_TIMEOUT, j -> null);
    }

    /** Keeping a diverged copy copies the replicated directories (reflink where the filesystem can): give it time. */
    static final Duration KEEP_COPY_TIMEOUT = Duration.ofHours(2);

    @Override
    public CompletionStage<Void> demote(String module, Optional<String> peer, String generation, boolean fullsync,
                                        Optional<String> keepCopyAt) {
        return request("replication-svc", ReplicationApi.demote(node),
                new RoleRequest(module, peer, generation, fullsync, keepCopyAt).toJson(),
                keepCopyAt.isPresent() ? KEEP_COPY_TIMEOUT : REPLICATION_TIMEOUT, j -> null);
    }

    @Override
    public CompletionStage<Void> vipUp(String module) {
        return request("vip-svc", VipApi.up(node), new ModuleRef(module).toJson(), VIP_TIMEOUT, j -> {
            VipStatus s = VipStatus.fromJson(j);
            return s.present() ? null : "the VIP " + s.addr() + " is not present after up: " + s.reason();
        });
    }

    @Override
    public CompletionStage<Void> vipDown(String module) {
        return request("vip-svc", VipApi.down(node), new ModuleRef(module).toJson(), VIP_TIMEOUT, j -> null);
    }

    @Override
    public CompletionStage<Void> script(String module, Script script, State current, State next, String action,
                                        boolean force) {
        Duration scriptTimeout = config.module(module).map(ModuleConfig::scripts).map(s -> s.timeout())
                .orElse(Duration.ofSeconds(60));
        Duration limit = scriptTimeout.plus(SCRIPT_MARGIN);
        return request("checker-svc", CheckerApi.script(node),
                new ScriptRequest(module, script, current, next, action, force).toJson(), limit, j -> {
                    ScriptResult r = ScriptResult.fromJson(j);
                    if (r.ok()) {
                        return null;
                    }
                    String out = CommandResult.firstLine(r.output().strip());
                    return r.timedOut() ? "timed out after scripts.timeout " + scriptTimeout.toMillis() + " ms, killed"
                            : "exit " + r.exitCode() + (out.isEmpty() ? "" : ": " + out);
                });
    }

    /** {@code check} returns null when the reply means success, else the failure message. */
    private CompletionStage<Void> request(String service, String address, JsonObject body, Duration timeout,
                                          Function<JsonObject, String> check) {
        Future<Void> f = LocalFirst.request(vertx, address, body, new DeliveryOptions().setSendTimeout(timeout.toMillis()))
                .recover(e -> Future.failedFuture(new Choreographer.StepFailed(describe(service, timeout, e))))
                .compose(msg -> {
                    String problem;
                    try {
                        problem = check.apply(Fields.object(msg.body()));
                    } catch (RuntimeException e) {
                        problem = service + " sent a bad reply: " + e.getMessage();
                    }
                    return problem == null ? Future.succeededFuture()
                            : Future.failedFuture(new Choreographer.StepFailed(problem));
                });
        return f.toCompletionStage();
    }

    private String describe(String service, Duration timeout, Throwable e) {
        return switch (ErrorCode.of(e)) {
            case UNAVAILABLE -> service + " is not running on " + node;
            case TIMEOUT -> service + " did not answer within " + timeout.toSeconds() + " s";
            default -> service + " refused: " + e.getMessage();
        };
    }
}
