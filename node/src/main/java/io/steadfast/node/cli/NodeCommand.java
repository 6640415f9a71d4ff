package io.steadfast.node.cli;

import io.steadfast.api.ServiceName;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code steadfast node}: the node agent, all services (or the listed ones) in one JVM. */
@Command(name = "node", description = "Run the node agent: all services (or the listed ones) in one JVM.")
public final class NodeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    AgentOptions options;

    @Option(names = "--services", split = ",", paramLabel = "SVC",
            description = "services to run (default: all): heartbeat, replication, vip, checker, lb-filter, console")
    List<String> services;

    @Override
    public Integer call() {
        var config = options.load(spec.commandLine());
        return AgentRunner.run(config, options.node, parse(spec.commandLine(), services), false);
    }

    static List<ServiceName> parse(CommandLine cli, List<String> ids) {
        if (ids == null || ids.isEmpty()) {
            return List.of(ServiceName.values());
        }
        List<ServiceName> out = new ArrayList<>();
        for (String id : ids) {
            ServiceName svc = ServiceName.of(id.strip()).orElseThrow(() -> new CommandLine.ParameterException(cli,
                    "--services: \"" + id + "\" is not one of " + ServiceName.ids()));
            if (!out.contains(svc)) {
                out.add(svc);
            }
        }
        return out;
    }
}
