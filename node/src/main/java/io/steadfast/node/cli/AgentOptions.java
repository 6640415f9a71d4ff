package io.steadfast.node.cli;

import io.steadfast.config.ClusterConfig;
import io.steadfast.config.ConfigLoader;
import io.steadfast.config.ConfigResult;
import io.steadfast.config.SteadfastConfig;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by {@code node} and {@code svc}. */
public final class AgentOptions {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "the cluster configuration")
    Path config;

    @Option(names = "--node", required = true, paramLabel = "NAME", description = "this node's name in the configuration")
    String node;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "overrides cluster.state_dir (several nodes on one machine: the lab, the demo, tests)")
    Path stateDir;

    /** Loads and validates the config; a bad one is a usage error with every problem listed. */
    SteadfastConfig load(CommandLine cli) {
        ConfigResult result = ConfigLoader.load(config);
        if (!result.ok()) {
            StringBuilder sb = new StringBuilder("invalid configuration:");
            result.problems().forEach(p -> sb.append("\n  ").append(p));
            throw new CommandLine.ParameterException(cli, sb.toString());
        }
        SteadfastConfig cfg = result.config().orElseThrow();
        if (cfg.node(node).isEmpty()) {
            throw new CommandLine.ParameterException(cli, "--node: \"" + node + "\" is not one of "
                    + cfg.cluster().nodes().stream().map(n -> n.name()).toList());
        }
        if (stateDir != null) {
            var c = cfg.cluster();
            cfg = new SteadfastConfig(cfg.source(), new ClusterConfig(c.name(), c.secretFile(), stateDir.toAbsolutePath(),
                    c.bus(), c.console(), c.nodes()), cfg.modules());
        }
        return cfg;
    }
}
