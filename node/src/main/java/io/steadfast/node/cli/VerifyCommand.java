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
 * {@code steadfast verify -m M}: compares the replicated directories of both nodes by content (the console asks
 * the primary's replication-svc). Exit 0 equal, 1 different (differences listed), 2 when it could not be
 * compared (no primary, refused), 3 when the console cannot be reached.
 */
@Command(name = "verify", description = {"Compare the replicated directories of a mirror's two nodes by content.",
        "Exit 0 equal, 1 different, 2 could not verify, 3 console unreachable."})
public final class VerifyCommand implements Callable<Integer> {
    static final int EXIT_DIFFERENT = 1;
    static final int EXIT_NOT_VERIFIED = 2;

    @Spec
    CommandSpec spec;

    @Mixin
    ConsoleOptions console;

    @Option(names = {"-m", "--module"}, paramLabel = "M", required = true, description = "the mirror module")
    String module;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            ConsoleClient.Answer r = console.client().post("api/v1/modules/" + Cli.segment(module) + "/verify",
                    new JsonObject(), ConsoleClient.VERIFY_TIMEOUT);
            if (!r.ok()) {
                err.println("steadfast: verify " + module + ": " + r.errorText());
                return EXIT_NOT_VERIFIED;
            }
            if (r.body().getBoolean("equal", false)) {
                out.println(module + ": both copies are equal (asked " + r.body().getString("node") + ")");
                return 0;
            }
            out.println(module + ": the copies differ:");
            r.body().getJsonArray("differences").forEach(d -> out.println("  " + d));
            return EXIT_DIFFERENT;
        } catch (IOException e) {
            return Cli.unreachable(err, console, e);
        }
    }
}
