package io.steadfast.node.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code steadfast start|stop|restart|stopstart|forcestop|prim|second|swap -m M [--node N]}: one module command,
 * relayed by the console to the heartbeat-svc of node N (default: the console's node). Exit 0 when done,
 * 1 when the cluster refused it (the reason is printed), 3 when the console cannot be reached, 64 usage.
 * Registered once per command name by {@link Main}.
 */
@Command(description = {"Run a module command on a node (through the console).",
        "Exit 0 done, 1 refused (reason printed), 3 console unreachable, 64 usage error."})
public final class ModuleCommand implements Callable<Integer> {
    static final int EXIT_REFUSED = 1;

    private final io.steadfast.api.Command command;

    @Spec
    CommandSpec spec;

    @Mixin
    ConsoleOptions console;

    @Mixin
    TargetOptions at;

    @Option(names = "--fullsync", description = "prim/second: resynchronise everything, not only what changed")
    boolean fullsync;

    @Option(names = "--force", description = "prim: make this node primary even though its copy may be stale (a newer"
            + " copy elsewhere then diverges from it and is kept under diverged/ when it returns, never overwritten)")
    boolean force;

    public ModuleCommand(io.steadfast.api.Command command) {
        this.command = command;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            ConsoleClient client = console.client();
            String target = Cli.targetNode(client, at.module, at.node);
            List<String> options = new ArrayList<>();
            if (fullsync) {
                options.add("fullsync");
            }
            if (force) {
                options.add("force");
            }
            ConsoleClient.Answer r = client.post("api/v1/modules/" + Cli.segment(at.module) + "/nodes/"
                    + Cli.segment(target) + "/" + command.id(), new JsonObject().put("options", new JsonArray(options)));
            if (!r.ok()) {
                err.println("steadfast: " + command.id() + " " + at.module + " on " + target + " refused: " + r.errorText());
                return EXIT_REFUSED;
            }
            out.println(command.id() + " " + at.module + " on " + target + ": " + r.body().getString("message", "done")
                    + " (" + target + " now " + r.body().getString("state", "?") + ")");
            return 0;
        } catch (Cli.Stop e) {
            err.println(e.getMessage());
            return e.exit;
        } catch (IOException e) {
            return Cli.unreachable(err, console, e);
        }
    }
}
