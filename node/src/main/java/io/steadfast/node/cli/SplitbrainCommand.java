package io.steadfast.node.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code steadfast splitbrain ack -m M}: acknowledges a module's split-brain alert on every node of it (through the
 * console: {@code POST /api/v1/modules/{m}/splitbrain/ack}, role control or admin). Until then
 * {@code steadfast check -m M} exits 2. Exit 0 done, 1 refused, 3 console unreachable, 64 usage.
 */
@Command(name = "splitbrain", description = "Split-brain alerts.", subcommands = SplitbrainCommand.Ack.class)
public final class SplitbrainCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: ack");
    }

    @Command(name = "ack", description = {"Acknowledge the split-brain alert of a module (after looking at the copy"
            + " kept under <state_dir>/diverged/<module>/).", "Exit 0 done, 1 refused, 3 console unreachable, 64 usage."})
    public static final class Ack implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ConsoleOptions console;

        @Option(names = {"-m", "--module"}, paramLabel = "M", required = true, description = "the module")
        String module;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try {
                ConsoleClient.Answer r = console.client().post("api/v1/modules/" + Cli.segment(module)
                        + "/splitbrain/ack", new JsonObject());
                if (!r.ok()) {
                    err.println("steadfast: splitbrain ack " + module + " refused: " + r.errorText());
                    return ModuleCommand.EXIT_REFUSED;
                }
                JsonObject nodes = r.body().getJsonObject("nodes", new JsonObject());
                nodes.forEach(e -> out.println(module + " on " + e.getKey() + ": " + e.getValue()));
                return 0;
            } catch (IOException e) {
                return Cli.unreachable(err, console, e);
            }
        }
    }
}
