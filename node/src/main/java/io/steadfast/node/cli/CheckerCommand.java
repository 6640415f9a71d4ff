package io.steadfast.node.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code steadfast checker disable|enable CHECKER -m M [--node N]}: switches a checker off on one node for
 * maintenance (it neither fails nor keeps the at.module parked) and on again, through the console
 * ({@code POST /api/v1/modules/{m}/nodes/{n}/checkers/{c}/{action}}). Exit 0 done, 1 refused, 3 console
 * unreachable, 64 usage.
 */
@Command(name = "checker", description = {"Disable a checker on a node for maintenance, or enable it again "
        + "(through the console).", "Exit 0 done, 1 refused (reason printed), 3 console unreachable, 64 usage error."})
public final class CheckerCommand implements Callable<Integer> {
    enum Action { enable, disable }

    @Spec
    CommandSpec spec;

    @Mixin
    ConsoleOptions console;

    @Parameters(index = "0", paramLabel = "enable|disable", description = "what to do: ${COMPLETION-CANDIDATES}")
    Action action;

    @Parameters(index = "1", paramLabel = "CHECKER", description = "the checker's name, or '*' for all of the module's")
    String checker;

    @Mixin
    TargetOptions at;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            ConsoleClient client = console.client();
            String target = Cli.targetNode(client, at.module, at.node);
            ConsoleClient.Answer r = client.post("api/v1/modules/" + Cli.segment(at.module) + "/nodes/"
                    + Cli.segment(target) + "/checkers/" + Cli.segment(checker) + "/" + action, new JsonObject());
            if (!r.ok()) {
                err.println("steadfast: " + action + " checker " + checker + " of " + at.module + " on " + target
                        + " refused: " + r.errorText());
                return ModuleCommand.EXIT_REFUSED;
            }
            for (Object o : r.body().getJsonArray("checkers", new JsonArray())) {
                JsonObject c = (JsonObject) o;
                out.println(at.module + " checker " + c.getString("checker") + " on " + target + ": "
                        + c.getString("status", "?").toLowerCase(java.util.Locale.ROOT) + " (" + c.getString("reason", "")
                        + ")");
            }
            return 0;
        } catch (Cli.Stop e) {
            err.println(e.getMessage());
            return e.exit;
        } catch (IOException e) {
            return Cli.unreachable(err, console, e);
        }
    }
}
