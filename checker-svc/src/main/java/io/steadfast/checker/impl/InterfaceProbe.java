package io.steadfast.checker.impl;

import io.steadfast.exec.CommandResult;
import io.steadfast.exec.CommandRunner;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;

/**
 * Up when the interface is administratively up and has carrier (flags UP and LOWER_UP in {@code ip -j link}).
 * Through the runner so that a test can look into a lab namespace with the agent's own code.
 */
public record InterfaceProbe(CommandRunner runner, String iface) implements Probe {
    @Override
    public Outcome probe(Duration timeout) {
        CommandResult r = runner.run(List.of("ip", "-j", "link", "show", "dev", iface), timeout);
        if (!r.ok()) {
            return Outcome.down("interface " + iface + ": " + (r.timedOut() ? "ip timed out"
                    : CommandResult.firstLine(r.stderr().isBlank() ? r.stdout().strip() : r.stderr().strip())));
        }
        try {
            JsonObject link = new JsonArray(r.stdout()).getJsonObject(0);
            JsonArray flags = link.getJsonArray("flags", new JsonArray());
            String oper = link.getString("operstate", "?");
            if (flags.contains("UP") && flags.contains("LOWER_UP")) {
                return Outcome.up("interface " + iface + " is up (operstate " + oper + ")");
            }
            return Outcome.down("interface " + iface + " is down (flags " + flags.encode() + ", operstate " + oper + ")");
        } catch (RuntimeException e) {
            return Outcome.down("interface " + iface + ": cannot read ip -j link output: " + e.getMessage());
        }
    }
}
