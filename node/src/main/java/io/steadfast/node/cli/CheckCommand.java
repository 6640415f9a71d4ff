package io.steadfast.node.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code steadfast check -m M [--node N]}: for monitoring systems (Nagios/Icinga plugin convention): one line
 * {@code OK|WARNING|CRITICAL|UNKNOWN - …}, exit 0/1/2/3.
 *
 * <p>Whole module (no --node): CRITICAL when nobody serves, or two nodes serve a mirror (split brain); WARNING
 * when it serves but degraded (a node down or not Ready, a mirror ALONE, a checker down, a warning of the console
 * such as a heartbeat lan lost or a secondary not up to date); else OK. One node: CRITICAL when STOP, NotReady or
 * unknown; WARNING when Transient or WAIT, a checker is down or the console has a warning; else OK.
 */
@Command(name = "check", description = {"Monitoring-plugin check of a module: one line, exit 0 OK, 1 WARNING, "
        + "2 CRITICAL, 3 UNKNOWN."})
public final class CheckCommand implements Callable<Integer> {
    static final int OK = 0;
    static final int WARNING = 1;
    static final int CRITICAL = 2;
    static final int UNKNOWN = 3;
    private static final String[] LABEL = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

    @Spec
    CommandSpec spec;

    @Mixin
    ConsoleOptions console;

    @Option(names = {"-m", "--module"}, paramLabel = "M", required = true, description = "the module")
    String module;

    @Option(names = "--node", paramLabel = "N", description = "check one node only")
    String node;

    @Override
    public Integer call() {
        ConsoleClient.Answer answer;
        try {
            answer = console.client().get("api/v1/modules/" + Cli.segment(module));
        } catch (IOException e) {
            return report(UNKNOWN, "console " + console.url + " unreachable: " + e.getMessage());
        }
        if (!answer.ok()) {
            return report(UNKNOWN, answer.errorText());
        }
        ModuleView m = new ModuleView(answer.body());
        // a split brain stays CRITICAL until an operator acknowledges it (`steadfast splitbrain ack -m M`)
        List<String> alerts = m.nodes().stream().filter(n -> !splitBrain(n).isEmpty())
                .map(n -> n.getString("node") + ": " + splitBrain(n)).toList();
        if (!alerts.isEmpty()) {
            return report(CRITICAL, module + ": unacknowledged split brain (" + String.join("; ", alerts)
                    + ") — `steadfast splitbrain ack -m " + module + "` once handled");
        }
        if (node != null) {
            Optional<JsonObject> n = m.node(node);
            if (n.isEmpty()) {
                return report(UNKNOWN, "module " + module + " does not run on " + node);
            }
            return report(nodeStatus(n.get()), module + ": " + ModuleView.describe(n.get()) + reason(n.get())
                    + checkersDown(n.get()) + warnings(n.get()));
        }
        List<String> serving = new ArrayList<>();
        int status = OK;
        StringBuilder text = new StringBuilder(module + ":");
        for (JsonObject n : m.nodes()) {
            Optional<String> state = ModuleView.state(n);
            if (state.isPresent() && n.getBoolean("serves", false)) {
                serving.add(n.getString("node"));
            }
            int s = nodeStatus(n);
            if (state.isPresent() && state.get().equals("ALONE")) {
                s = Math.max(s, WARNING);
            }
            status = Math.max(status, Math.min(s, WARNING)); // one node's trouble degrades, it does not kill
            text.append(' ').append(ModuleView.describe(n)).append(checkersDown(n)).append(warnings(n)).append(',');
        }
        text.setLength(text.length() - 1);
        if (serving.isEmpty()) {
            status = CRITICAL;
            text.append(" — no node serves");
        } else if (m.mirror() && serving.size() > 1) {
            status = CRITICAL;
            text.append(" — several primaries: ").append(serving);
        }
        return report(status, text.toString());
    }

    private static int nodeStatus(JsonObject n) {
        Optional<String> state = ModuleView.state(n);
        if (state.isEmpty() || state.get().equals("STOP") || "NOT_READY".equals(n.getString("readiness"))) {
            return CRITICAL;
        }
        if (state.get().equals("WAIT") || "TRANSIENT".equals(n.getString("readiness")) || !checkersDown(n).isEmpty()
                || !warnings(n).isEmpty()) {
            return WARNING;
        }
        return OK;
    }

    private static String splitBrain(JsonObject n) {
        return n.getValue("details") instanceof JsonObject d ? d.getString("splitbrain", "") : "";
    }

    private static String reason(JsonObject n) {
        String r = n.getString("reason", "");
        return r.isEmpty() ? "" : " (" + r + ")";
    }

    private static String checkersDown(JsonObject n) {
        List<String> down = n.getJsonArray("checkers", new io.vertx.core.json.JsonArray()).stream()
                .map(o -> (JsonObject) o).filter(c -> "DOWN".equals(c.getString("status")))
                .map(c -> c.getString("checker")).toList();
        return down.isEmpty() ? "" : " [checker down: " + String.join(", ", down) + "]";
    }

    /** The console's warnings for the module on that node (degraded but working), e.g. a heartbeat lan lost. */
    private static String warnings(JsonObject n) {
        List<String> w = n.getJsonArray("warnings", new io.vertx.core.json.JsonArray()).stream()
                .map(String::valueOf).toList();
        return w.isEmpty() ? "" : " [warning: " + String.join("; ", w) + "]";
    }

    private int report(int status, String text) {
        spec.commandLine().getOut().println(LABEL[status] + " - " + text.replace('\n', ' '));
        return status;
    }
}
