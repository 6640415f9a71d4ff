package io.steadfast.service;

import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.Readiness;
import io.steadfast.api.State;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The health decision of each service, from plain facts the service gathers (no Vert.x, unit-tested): what makes a
 * service DOWN (its work has failed) and what is only a warning (degraded, still working). The services call these
 * from {@link ServiceVerticle#assess(HealthVerdict)}; the console shows the verdicts in {@code /health} and the
 * module warnings ({@link #moduleWarnings}) next to each module, and {@code steadfast check} turns them into
 * WARNING.
 *
 * <p>DOWN: a replication module that did not start or whose mount went away; a farm filter that could not be
 * applied; a script that runs past its timeout (the runner kills it at the timeout: still running long after, the
 * runner is stuck); heartbeat tasks that stopped (no engine tick or no pulse for a long time).
 * Warnings: one heartbeat lan of several lost, a secondary not up to date, a primary ALONE, split brain
 * ({@link #SPLIT_BRAIN_DETAIL}), config differing between nodes ({@link #configDiffers}).
 */
public final class HealthRules {
    private HealthRules() {
    }

    /**
     * Hook for split-brain detection (heartbeat-svc's generations): a non-empty string under this key of a
     * {@link ModuleState#details()} is a split-brain alert, shown as a warning until it is gone.
     */
    public static final String SPLIT_BRAIN_DETAIL = "splitbrain"; // ModuleEngine publishes the alert there

    /** Past its timeout by this much, a script counts as stuck (the runner kills it at the timeout). */
    public static final Duration SCRIPT_STUCK_GRACE = Duration.ofSeconds(30);

    /** Heartbeat tasks are dead when silent for this long (at least; see {@link #heartbeatDeadAfterMs}). */
    public static final Duration HEARTBEAT_DEAD_MIN = Duration.ofSeconds(5);

    // ---- replication-svc

    /**
     * @param notStarted module → why its replication could not start (mount, bind, secret, …)
     * @param unmounted  module → its directories that are no longer mounted although the module runs
     */
    public static HealthVerdict replication(Map<String, String> notStarted, Map<String, List<String>> unmounted) {
        HealthVerdict v = new HealthVerdict();
        new TreeMap<>(notStarted).forEach((m, why) -> v.down("replication of module " + m + " is not mounted: " + why));
        new TreeMap<>(unmounted).forEach((m, dirs) -> {
            if (!dirs.isEmpty()) {
                v.down("replication of module " + m + " is not mounted any more at " + String.join(", ", dirs));
            }
        });
        return v;
    }

    // ---- lb-filter-svc

    /** @param notApplied module → why its kernel filter could not be applied (the last attempt failed) */
    public static HealthVerdict lbFilter(Map<String, String> notApplied) {
        HealthVerdict v = new HealthVerdict();
        new TreeMap<>(notApplied).forEach((m, why) -> v.down("farm filter of module " + m + " not applied: " + why));
        return v;
    }

    // ---- checker-svc

    /** A script that is running now: which, since when (ms, same clock as {@code now}), with which timeout. */
    public record RunningScript(String script, long startedAtMs, Duration timeout) {
    }

    /**
     * @param running        module → the script running for it now
     * @param executorsAlive false once the threads that run scripts and probes were shut down
     */
    public static HealthVerdict checker(Map<String, RunningScript> running, long nowMs, boolean executorsAlive) {
        HealthVerdict v = new HealthVerdict();
        if (!executorsAlive) {
            v.down("script and checker runner stopped");
        }
        new TreeMap<>(running).forEach((m, r) -> {
            long ms = nowMs - r.startedAtMs();
            if (ms > r.timeout().toMillis() + SCRIPT_STUCK_GRACE.toMillis()) {
                v.down("script runner of module " + m + " stuck: " + r.script() + " running for " + ms / 1000
                        + " s (timeout " + r.timeout().toSeconds() + " s)");
            }
        });
        return v;
    }

    // ---- heartbeat-svc

    /**
     * Liveness of one module's heartbeat tasks: ms since the engine last ticked and since the last pulse was sent
     * ({@code -1}: never, counted from the start), and the module's configured heartbeat timeout.
     */
    public record HeartbeatTasks(long tickAgeMs, long pulseAgeMs, Duration timeout) {
    }

    /** max({@link #HEARTBEAT_DEAD_MIN}, 4 × the heartbeat timeout): no false alarm on a loaded machine. */
    public static long heartbeatDeadAfterMs(Duration timeout) {
        return Math.max(HEARTBEAT_DEAD_MIN.toMillis(), 4 * timeout.toMillis());
    }

    /**
     * @param startFailure why the heartbeat runtime did not start (empty: it started)
     * @param tasks        module → liveness of its tasks
     * @param states       this node's module states (their warnings become the service's)
     */
    public static HealthVerdict heartbeat(Optional<String> startFailure, Map<String, HeartbeatTasks> tasks,
                                          Collection<ModuleState> states) {
        HealthVerdict v = new HealthVerdict();
        startFailure.ifPresent(why -> v.down("heartbeat runtime not running: " + why));
        new TreeMap<>(tasks).forEach((m, t) -> {
            long dead = heartbeatDeadAfterMs(t.timeout());
            if (t.tickAgeMs() > dead) {
                v.down("heartbeat tasks of module " + m + " dead: the engine has not run for " + t.tickAgeMs()
                        + " ms");
            }
            if (t.pulseAgeMs() > dead) {
                v.down("heartbeat tasks of module " + m + " dead: no heartbeat sent for " + t.pulseAgeMs() + " ms");
            }
        });
        for (ModuleState s : states) {
            moduleWarnings(s).forEach(v::warn);
        }
        return v;
    }

    // ---- module warnings (heartbeat-svc's health, console, steadfast check)

    /** Degraded states of one module on one node, each naming the module; empty when all is well. */
    public static List<String> moduleWarnings(ModuleState s) {
        List<String> out = new ArrayList<>();
        String m = s.module();
        Object sb = s.details().getValue(SPLIT_BRAIN_DETAIL);
        if (sb instanceof String text && !text.isBlank()) {
            out.add(m + ": split brain: " + text);
        }
        if (s.details().getValue("peers") instanceof JsonObject peers) {
            for (String peer : new TreeSet<>(peers.fieldNames())) {
                if (!(peers.getValue(peer) instanceof JsonObject p) || !p.getBoolean("alive", false)
                        || !(p.getValue("lans") instanceof JsonObject lans)) {
                    continue;
                }
                List<String> lost = new ArrayList<>();
                List<String> alive = new ArrayList<>();
                for (String lan : new TreeSet<>(lans.fieldNames())) {
                    boolean up = lans.getValue(lan) instanceof JsonObject l && l.getBoolean("up", false);
                    (up ? alive : lost).add(lan);
                }
                if (!lost.isEmpty() && !alive.isEmpty()) {
                    out.add(m + ": heartbeat " + (lost.size() == 1 ? "lan " : "lans ") + String.join(", ", lost)
                            + " to " + peer + " lost (still heard on " + String.join(", ", alive) + ")");
                }
            }
        }
        if (s.state() == State.SECOND && (!s.upToDate() || s.readiness() != Readiness.READY)) {
            out.add(m + ": secondary " + s.node() + " not up to date (" + s.state() + "/" + s.readiness()
                    + (s.reason().isBlank() ? "" : ": " + s.reason()) + ")");
        }
        if (s.state() == State.ALONE) {
            out.add(m + ": primary " + s.node() + " ALONE: no up-to-date secondary");
        }
        return out;
    }

    /**
     * Hook for one config per cluster (issue 18 item 4: every node publishes its config hash): a warning naming
     * the nodes whose config differs from the majority's; empty when all agree (or fewer than two are known).
     */
    public static Optional<String> configDiffers(Map<String, String> hashByNode) {
        Map<String, List<String>> byHash = new TreeMap<>();
        new TreeMap<>(hashByNode).forEach((n, h) -> byHash.computeIfAbsent(h, k -> new ArrayList<>()).add(n));
        if (byHash.size() <= 1) {
            return Optional.empty();
        }
        List<String> majority = byHash.values().stream().max(java.util.Comparator.comparingInt(List::size))
                .orElseThrow();
        List<String> differ = new ArrayList<>();
        byHash.values().stream().filter(l -> l != majority).forEach(differ::addAll);
        return Optional.of("config differs between nodes: " + String.join(", ", new TreeSet<>(differ))
                + " differ from " + String.join(", ", majority));
    }
}
