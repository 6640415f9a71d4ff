package io.steadfast.node.cli;

import picocli.CommandLine.Option;

/** {@code -m M [--node N]} of the commands that act on one module on one node. */
public final class TargetOptions {
    @Option(names = {"-m", "--module"}, paramLabel = "M", required = true, description = "the module")
    String module;

    @Option(names = "--node", paramLabel = "N", description = "the node (default: the console's node)")
    String node;
}
