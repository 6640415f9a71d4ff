package io.steadfast.node.watchdog;

import io.steadfast.config.ModuleConfig;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.config.VipConfig;
import io.steadfast.exec.CommandResult;
import io.steadfast.exec.CommandRunner;
import io.steadfast.heartbeat.AgentLease;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Outlives the node agent so that an agent that dies (kill -9, crash) or stops beating (SIGSTOP, starvation)
 * never leaves a primary behind while the peer takes over (issue 3, item 8). It watches the agent's pid and its
 * {@link AgentLease}; when the agent is gone, or its last beat is older than the smallest {@code timeout - pulse}
 * of this node's modules (the peer declares it lost at {@code timeout}), it kills the agent if it still exists
 * (a stuck agent must not wake up as a primary without its VIP), then releases every module of this node: its VIP
 * is removed from the interface and its stop script runs with {@code force} — both idempotent, so doing it on a
 * node that was not primary is harmless. Then it exits; the service manager restarts the agent, which resumes in
 * WAIT and follows the new primary.
 */
public final class Watchdog {
    private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);
    static final Duration POLL = Duration.ofMillis(20);
    static final Duration IP_TIMEOUT = Duration.ofSeconds(5);

    private final SteadfastConfig config;
    private final String node;
    private final long pid;
    private final Path stateDir;
    private final CommandRunner runner;
    private final LongSupplier nanoTime;

    public Watchdog(SteadfastConfig config, String node, long pid, CommandRunner runner, LongSupplier nanoTime) {
        this.config = config;
        this.node = node;
        this.pid = pid;
        this.stateDir = config.cluster().stateDir();
        this.runner = runner;
        this.nanoTime = nanoTime;
    }

    /** Beats older than this mean the peer is about to take over: release now. */
    long staleNanos() {
        return config.modulesOn(node).stream()
                .mapToLong(m -> m.heartbeat().timeout().minus(m.heartbeat().pulse()).toNanos())
                .min().orElse(Long.MAX_VALUE);
    }

    /**
     * Watches until the agent is gone or stale (or {@code limit} passes: tests), then releases.
     *
     * @return why it released, or empty when the limit passed first
     */
    public Optional<String> watch(Duration limit) throws InterruptedException {
        long stale = staleNanos();
        long end = nanoTime.getAsLong() + limit.toNanos();
        Optional<ProcessHandle> agent = ProcessHandle.of(pid);
        LOG.info("watchdog of {}: watching agent pid {} (release after {} ms without a beat)", node, pid,
                stale / 1_000_000);
        while (nanoTime.getAsLong() < end) {
            if (agent.isEmpty() || !agent.get().isAlive()) {
                return Optional.of(release("the agent (pid " + pid + ") exited", agent));
            }
            Optional<AgentLease.Reading> lease = AgentLease.read(stateDir);
            // a stalled agent is only a danger while a module serves here: then the peer is about to take over
            // and this node must not wake up as a second primary. One that holds nothing (starting, WAIT,
            // SECOND) is left alone: a long GC or a busy machine must not cost it its life.
            if (lease.isPresent() && lease.get().pid() == pid && lease.get().holding()) {
                long age = nanoTime.getAsLong() - lease.get().renewedNanos();
                if (age > stale) {
                    return Optional.of(release("the agent (pid " + pid + ") sent no heartbeat for " + age / 1_000_000
                            + " ms", agent));
                }
            }
            Thread.sleep(POLL.toMillis());
        }
        return Optional.empty();
    }

    /** Kills a stuck agent, then releases every module of this node. Returns the reason. */
    String release(String why, Optional<ProcessHandle> agent) {
        LOG.warn("watchdog of {}: {}: releasing this node's modules", node, why);
        agent.filter(ProcessHandle::isAlive).ifPresent(p -> {
            LOG.warn("watchdog of {}: killing the stuck agent (pid {})", node, p.pid());
            p.destroyForcibly();
        });
        for (ModuleConfig m : config.modulesOn(node)) {
            m.vip().ifPresent(vip -> vipDown(m, vip));
            List<String> stop = m.isMirror() ? m.scripts().stopPrim() : m.scripts().stopBoth();
            if (!stop.isEmpty()) {
                List<String> argv = new ArrayList<>(stop);
                argv.addAll(List.of(m.isMirror() ? "PRIM" : "UP", "STOP", "watchdog", "force"));
                CommandResult r = runner.run(argv, m.scripts().timeout(), null, Map.of("STEADFAST_MODULE", m.name(),
                        "STEADFAST_NODE", node, "STEADFAST_SCRIPT", m.isMirror() ? "stop_prim" : "stop_both"));
                LOG.info("watchdog of {}: {}: {}", node, m.name(), r.ok() ? "stop script done" : r.describe());
            }
        }
        return why;
    }

    private void vipDown(ModuleConfig m, VipConfig vip) {
        String addr = vip.addr().address() + "/" + vip.addr().prefix();
        CommandResult r = runner.run(List.of("ip", "addr", "del", addr, "dev", vip.iface()), IP_TIMEOUT);
        LOG.info("watchdog of {}: {}: VIP {} {}", node, m.name(), addr,
                r.ok() ? "removed" : "not removed (" + r.describe() + ")");
    }
}
