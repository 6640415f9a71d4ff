package io.steadfast.node.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;

/** {@code steadfast log -m M [--node N] [-n LINES] [-f]}: the module log of every node (or one), merged by time. */
@Command(name = "log", description = {"Show a module's log (script output, actions) from its nodes.",
        "Exit 0, 1 when the console refused, 3 when it cannot be reached."})
public final class LogCommand implements Callable<Integer> {
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(ZoneId.systemDefault());

    @Spec
    CommandSpec spec;

    @Mixin
    ConsoleOptions console;

    @Option(names = {"-m", "--module"}, paramLabel = "M", required = true, description = "the module")
    String module;

    @Option(names = "--node", paramLabel = "N", description = "one node only")
    String node;

    @Option(names = {"-n", "--lines"}, paramLabel = "LINES", defaultValue = "200", description = "lines (default 200)")
    int lines;

    @Option(names = {"-f", "--follow"}, description = "keep printing new lines")
    boolean follow;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            ConsoleClient client = console.client();
            String query = "?lines=" + lines + (node == null ? "" : "&node=" + Cli.segment(node));
            ConsoleClient.Answer r = client.get("api/v1/modules/" + Cli.segment(module) + "/log" + query);
            if (!r.ok()) {
                err.println("steadfast: " + r.errorText());
                return 1;
            }
            for (Object o : r.body().getJsonArray("lines")) {
                print(out, (JsonObject) o);
            }
            for (Object o : r.body().getJsonArray("errors")) {
                JsonObject e = (JsonObject) o;
                err.println("steadfast: no log from " + e.getString("node") + ": " + e.getString("message"));
            }
            out.flush();
            if (follow) {
                int status = client.events("api/v1/events?types=log&module=" + Cli.segment(module), (type, data) -> {
                    if (node == null || node.equals(data.getString("node"))) {
                        print(out, data);
                        out.flush();
                    }
                    return !out.checkError();
                });
                if (status != 200) {
                    err.println("steadfast: the console refused the event stream (HTTP " + status + ")");
                    return 1;
                }
            }
            return 0;
        } catch (IOException e) {
            return Cli.unreachable(err, console, e);
        }
    }

    private static void print(PrintWriter out, JsonObject line) {
        out.println(TIME.format(Instant.ofEpochMilli(line.getLong("at", 0L))) + " " + line.getString("node") + " "
                + line.getString("line", ""));
    }
}
