package io.steadfast.console.impl;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.steadfast.api.CheckerApi;
import io.steadfast.api.CheckerApi.CheckerStatus;
import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.Readiness;
import io.steadfast.api.ReplicationApi.ReplicationStatus;
import io.steadfast.api.ReplicationApi.ResyncProgress;
import io.steadfast.api.State;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.NodeConfig;
import io.steadfast.config.SteadfastConfig;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * Module metrics read from the {@link AggregateView} at scrape time (Prometheus names in brackets):
 * state one-hot per module×node×state [steadfast_module_state], serving [steadfast_module_serving], ready
 * [steadfast_module_ready], failovers SECOND→ALONE [steadfast_failovers_total], replication bytes and pending
 * acks [steadfast_replication_bytes_total, steadfast_replication_pending_acks, steadfast_replication_connected],
 * resync [steadfast_resync_bytes_done, steadfast_resync_total_bytes, steadfast_resync_eta_seconds], farm buckets
 * owned [steadfast_farm_buckets], heartbeat round trip per peer and lan [steadfast_heartbeat_rtt_seconds], checkers (1 up, 0 down, NaN otherwise) [steadfast_checker_up], node agents
 * [steadfast_node_up]. Unknown values are NaN, never a made-up 0.
 */
public final class ConsoleMetrics {
    private final MeterRegistry registry;
    private final AggregateView view;
    private final List<Meter> meters = new ArrayList<>();
    private final Set<String> checkers = new HashSet<>();

    public ConsoleMetrics(MeterRegistry registry, SteadfastConfig config, AggregateView view) {
        this.registry = registry;
        this.view = view;
        for (NodeConfig n : config.cluster().nodes()) {
            meters.add(Gauge.builder("steadfast.node.up", view, v -> v.isUp(n.name()) ? 1 : 0)
                    .description("1 when the node's agent is in the cluster").tag("node", n.name()).register(registry));
        }
        for (ModuleConfig m : config.modules()) {
            for (String node : m.nodes()) {
                String mod = m.name();
                for (State s : m.isMirror()
                        ? List.of(State.STOP, State.WAIT, State.ALONE, State.PRIM, State.SECOND)
                        : List.of(State.STOP, State.WAIT, State.UP)) {
                    gauge("steadfast.module.state", "1 for the module's current state on the node", mod, node,
                            v -> v.state(mod, node).map(cur -> cur == s ? 1.0 : 0.0).orElse(Double.NaN), "state",
                            s.name());
                }
                gauge("steadfast.module.serving", "1 where the application serves (PRIM/ALONE/UP)", mod, node,
                        v -> v.state(mod, node).map(cur -> cur.serves() ? 1.0 : 0.0).orElse(0.0));
                gauge("steadfast.module.ready", "1 when the state is Ready", mod, node,
                        v -> v.state(mod, node).isEmpty() ? Double.NaN
                                : v.moduleState(mod, node).map(ModuleState::readiness)
                                .map(r -> r == Readiness.READY ? 1.0 : 0.0).orElse(Double.NaN));
                if (m.isMirror()) {
                    gauge("steadfast.splitbrain.alert", "1 while a split-brain alert is not acknowledged "
                                    + "(`steadfast splitbrain ack`)", mod, node,
                            v -> v.moduleState(mod, node).map(st -> st.details().getString("splitbrain", "").isEmpty()
                                    ? 0.0 : 1.0).orElse(0.0));
                    meters.add(FunctionCounter.builder("steadfast.failovers", view, v -> v.failovers(mod, node))
                            .description("failovers seen by this console: SECOND became ALONE")
                            .tags("module", mod, "node", node).register(registry));
                    meters.add(FunctionCounter.builder("steadfast.replication.bytes", view,
                                    v -> v.replication(mod, node).map(ReplicationStatus::bytesReplicated)
                                            .map(Long::doubleValue).orElse(0.0))
                            .description("bytes replicated to the peer").baseUnit("bytes")
                            .tags("module", mod, "node", node).register(registry));
                    gauge("steadfast.replication.pending.acks", "writes sent to the peer, not yet acknowledged",
                            mod, node, v -> replication(v, mod, node, r -> r.pendingAcks()));
                    gauge("steadfast.replication.connected", "1 when the replication channel to the peer is up",
                            mod, node, v -> replication(v, mod, node, r -> r.connected() ? 1 : 0));
                    gauge("steadfast.resync.bytes.done", "resync: bytes copied", mod, node,
                            v -> resync(v, mod, node, ResyncProgress::bytesDone));
                    gauge("steadfast.resync.total.bytes", "resync: bytes to copy", mod, node,
                            v -> resync(v, mod, node, ResyncProgress::bytesTotal));
                    gauge("steadfast.resync.eta.seconds", "resync: estimated seconds left (-1 unknown)", mod, node,
                            v -> resync(v, mod, node, ResyncProgress::etaSeconds));
                } else {
                    gauge("steadfast.farm.buckets", "buckets (of 256) this node owns", mod, node,
                            v -> v.filter(mod, node).map(f -> (double) f.owned().size()).orElse(Double.NaN));
                }
            }
        }
    }

    /** Checkers are known only once they report: registers the gauge of a checker on its first status. */
    public void checkerSeen(CheckerStatus c) {
        String id = c.module() + '\0' + c.node() + '\0' + c.checker();
        if (checkers.size() < 10_000 && checkers.add(id)) {
            meters.add(Gauge.builder("steadfast.checker.up", view, v -> checkerValue(v, c))
                    .description("1 up, 0 down, NaN init/disabled")
                    .tags("module", c.module(), "node", c.node(), "checker", c.checker()).register(registry));
        }
    }

    /**
     * Heartbeat links are known from the module states' details: registers
     * steadfast_heartbeat_rtt_seconds{module,node,peer,lan} for each link reported (bounded).
     */
    public void heartbeatSeen(ModuleState s) {
        for (String[] link : AggregateView.heartbeatLinks(s)) {
            String id = "hb\0" + s.module() + '\0' + s.node() + '\0' + link[0] + '\0' + link[1];
            if (checkers.size() < 10_000 && checkers.add(id)) {
                String mod = s.module();
                String node = s.node();
                meters.add(Gauge.builder("steadfast.heartbeat.rtt", view,
                                v -> v.heartbeatRtt(mod, node, link[0], link[1]).map(ms -> ms / 1000.0)
                                        .orElse(Double.NaN))
                        .description("heartbeat round trip to the peer on a lan, as last reported").baseUnit("seconds")
                        .tags("module", mod, "node", node, "peer", link[0], "lan", link[1]).register(registry));
            }
        }
    }

    /** Removes what this console registered (the registry may outlive it). */
    public void close() {
        meters.forEach(registry::remove);
        meters.clear();
    }

    private static double checkerValue(AggregateView v, CheckerStatus seen) {
        return v.checkers(seen.module(), seen.node()).stream().filter(c -> c.checker().equals(seen.checker()))
                .findFirst().map(c -> c.status() == CheckerApi.Status.UP ? 1.0
                        : c.status() == CheckerApi.Status.DOWN ? 0.0 : Double.NaN).orElse(Double.NaN);
    }

    private static double replication(AggregateView v, String mod, String node, ToDoubleFunction<ReplicationStatus> f) {
        Optional<ReplicationStatus> r = v.replication(mod, node);
        return r.map(f::applyAsDouble).orElse(Double.NaN);
    }

    private static double resync(AggregateView v, String mod, String node, ToDoubleFunction<ResyncProgress> f) {
        Optional<ResyncProgress> p = v.resync(mod, node);
        return p.map(f::applyAsDouble).orElse(Double.NaN);
    }

    private void gauge(String name, String description, String module, String node,
                       ToDoubleFunction<AggregateView> value, String... extraTags) {
        Gauge.Builder<AggregateView> b = Gauge.builder(name, view, value).description(description)
                .tags("module", module, "node", node);
        if (extraTags.length > 0) {
            b.tags(extraTags);
        }
        meters.add(b.register(registry));
    }
}
