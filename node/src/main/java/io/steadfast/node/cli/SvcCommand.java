package io.steadfast.node.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code steadfast svc X}: one service alone in its own JVM (restarts and scales on its own). */
@Command(name = "svc", description = "Run one service alone: heartbeat, replication, vip, checker, lb-filter, console.")
public final class SvcCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SERVICE")
    String service;

    @Mixin
    AgentOptions options;

    @Override
    public Integer call() {
        var svc = NodeCommand.parse(spec.commandLine(), List.of(service));
        var config = options.load(spec.commandLine());
        return AgentRunner.run(config, options.node, svc, true);
    }
}
