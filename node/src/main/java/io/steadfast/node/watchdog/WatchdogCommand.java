package io.steadfast.node.watchdog;

import io.steadfast.config.ClusterConfig;
import io.steadfast.config.ConfigLoader;
import io.steadfast.config.ConfigResult;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.exec.CommandRunner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code steadfast watchdog --config F --node N --pid PID [--state-dir D]}: started beside the node agent (same
 * config, node and state dir), it releases this node's modules when the agent dies or stops beating; see
 * {@link Watchdog}. Exit 0 after a release.
 */
@Command(name = "watchdog", description = "Release this node's VIPs and stop its applications when the agent dies.")
public final class WatchdogCommand implements Callable<Integer> {
    /** A watchdog lives as long as its agent; this only bounds a forgotten one. */
    static final Duration MAX_LIFE = Duration.ofDays(3650);

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "the cluster configuration")
    Path config;

    @Option(names = "--node", required = true, paramLabel = "NAME", description = "this node's name")
    String node;

    @Option(names = "--pid", required = true, paramLabel = "PID", description = "the node agent's process id")
    long pid;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "the agent's --state-dir, if it has one")
    Path stateDir;

    @Override
    public Integer call() throws InterruptedException {
        ConfigResult result = ConfigLoader.load(config);
        if (!result.ok()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "invalid configuration: " + result.problems());
        }
        SteadfastConfig cfg = result.config().orElseThrow();
        if (cfg.node(node).isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--node: \"" + node + "\" is not in the config");
        }
        if (stateDir != null) {
            ClusterConfig c = cfg.cluster();
            cfg = new SteadfastConfig(cfg.source(), new ClusterConfig(c.name(), c.secretFile(),
                    stateDir.toAbsolutePath(), c.bus(), c.console(), c.nodes()), cfg.modules());
        }
        new Watchdog(cfg, node, pid, new CommandRunner(), System::nanoTime).watch(MAX_LIFE);
        return 0;
    }
}
