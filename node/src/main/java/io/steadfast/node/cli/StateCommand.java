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

/** {@code steadfast state}: nodes, their services, and module states, as seen by a console. */
@Command(name = "state", description = "Show the states of nodes, services and modules.")
public final class StateCommand implements Callable<Integer> {
    /** The console cannot be reached or answered an error (monitoring-plugin UNKNOWN). */
    public static final int EXIT_UNREACHABLE = 3;

    @Spec
    CommandSpec spec;

    @Mixin
    ConsoleOptions console;

    @Option(names = "--json", description = "print the console's JSON")
    boolean json;

    @Override
    public Integer call() {
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
            JsonObject node = (JsonObject) o;
            StringBuilder line = new StringBuilder(String.format("  %-10s %-15s %-5s", node.getString("name"),
                    node.getString("addr"), node.getBoolean("up") ? "up" : "DOWN"));
            for (Object s : node.getJsonArray("services")) {
                JsonObject svc = (JsonObject) s;
                line.append(' ').append(svc.getString("service")).append(svc.getBoolean("up") ? "+" : "-");
            }
            out.println(line);
        }
        return 0;
    }
}
