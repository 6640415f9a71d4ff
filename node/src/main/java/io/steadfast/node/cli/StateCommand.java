package io.steadfast.node.cli;

import io.steadfast.api.State;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code steadfast state}: nodes, their services, and module states, as seen by a console. With {@code -m M}
 * the exit code is the state of M on {@code --node N} (default: the console's node): STOP 0, WAIT 1, ALONE or
 * UP 2, PRIM 3, SECOND 4 — and {@value #EXIT_UNKNOWN} when it is not known.
 */
@Command(name = "state", description = {"Show the states of nodes, services and modules.",
        "With -m M the exit code is M's state on --node N (default: the console's node): STOP 0, WAIT 1, "
                + "ALONE/UP 2, PRIM 3, SECOND 4; 5 when unknown (console unreachable, node down, module not there)."})
public final class StateCommand implements Callable<Integer> {
    /** The console cannot be reached or answered an error (listing without -m). */
    public static final int EXIT_UNREACHABLE = 3;
    /** With -m: the state is not known (5 is no state's code). */
    public static final int EXIT_UNKNOWN = 5;

    @Spec
    CommandSpec spec;

    @Mixin
    ConsoleOptions console;

    @Option(names = {"-m", "--module"}, paramLabel = "M", description = "one module: the exit code is its state")
    String module;

    @Option(names = "--node", paramLabel = "N", description = "the node (default: the console's node)")
    String node;

    @Option(names = "--json", description = "print the console's JSON")
    boolean json;

    @Override
    public Integer call() {
        return module == null ? listing() : moduleState();
    }

    private Integer moduleState() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ConsoleClient.Answer answer;
        try {
            answer = console.client().get("api/v1/modules/" + Cli.segment(module));
        } catch (IOException e) {
            err.println("steadfast: cannot reach the console at " + console.url + ": " + e.getMessage());
            return EXIT_UNKNOWN;
        }
        if (!answer.ok()) {
            err.println("steadfast: " + answer.errorText());
            return EXIT_UNKNOWN;
        }
        ModuleView m = new ModuleView(answer.body());
        String n = node != null ? node : m.console();
        Optional<JsonObject> entry = m.node(n);
        if (entry.isEmpty()) {
            err.println("steadfast: module " + module + " does not run on " + n + " (its nodes: "
                    + String.join(", ", m.nodeNames()) + ")");
            return EXIT_UNKNOWN;
        }
        if (json) {
            out.println(entry.get().encodePrettily());
        } else {
            out.println(module + " on " + ModuleView.describe(entry.get())
                    + (entry.get().getString("reason", "").isEmpty() ? "" : " — " + entry.get().getString("reason")));
        }
        return ModuleView.state(entry.get()).map(s -> State.valueOf(s).exitCode()).orElse(EXIT_UNKNOWN);
    }

    private Integer listing() {
        PrintWriter out = spec.commandLine().getOut();
        ConsoleClient.Answer answer;
        try {
            answer = console.client().get("api/v1/cluster");
        } catch (IOException e) {
            spec.commandLine().getErr().println("steadfast: cannot reach the console at " + console.url + ": " + e);
            return EXIT_UNREACHABLE;
        }
        if (!answer.ok()) {
            spec.commandLine().getErr().println("steadfast: " + answer.errorText());
            return EXIT_UNREACHABLE;
        }
        if (json) {
            out.println(answer.body().encodePrettily());
            return 0;
        }
        out.printf("cluster %s (seen from %s)%n", answer.body().getString("cluster"), answer.body().getString("node"));
        for (Object o : answer.body().getJsonArray("nodes")) {
            JsonObject nodeJson = (JsonObject) o;
            if (node != null && !node.equals(nodeJson.getString("name"))) {
                continue;
            }
            StringBuilder line = new StringBuilder(String.format("  %-10s %-15s %-5s", nodeJson.getString("name"),
                    nodeJson.getString("addr"), nodeJson.getBoolean("up") ? "up" : "DOWN"));
            for (Object s : nodeJson.getJsonArray("services")) {
                JsonObject svc = (JsonObject) s;
                line.append(' ').append(svc.getString("service")).append(svc.getBoolean("up") ? "+" : "-");
            }
            out.println(line);
        }
        var modules = answer.body().getJsonArray("modules");
        if (modules != null && !modules.isEmpty()) {
            out.println("modules:");
            for (Object o : modules) {
                ModuleView m = new ModuleView((JsonObject) o);
                StringBuilder line = new StringBuilder(String.format("  %-10s %-6s", m.name(),
                        m.mirror() ? "mirror" : "farm"));
                for (JsonObject n : m.nodes()) {
                    if (node == null || node.equals(n.getString("node"))) {
                        line.append("  ").append(ModuleView.describe(n));
                    }
                }
                out.println(line);
            }
        }
        return 0;
    }
}
