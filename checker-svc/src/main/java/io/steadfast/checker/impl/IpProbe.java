package io.steadfast.checker.impl;

import io.steadfast.exec.CommandResult;
import io.steadfast.exec.CommandRunner;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Up when the address is on this node exactly when it should be: present where the module serves, absent
 * elsewhere ({@code shouldBeHere} comes from this node's published module state). A VIP missing on the primary,
 * or left behind on a node that no longer serves, is down.
 */
public record IpProbe(CommandRunner runner, String addr, BooleanSupplier shouldBeHere) implements Probe {
    @Override
    public Outcome probe(Duration timeout) {
        boolean expected = shouldBeHere.getAsBoolean();
        CommandResult r = runner.run(List.of("ip", "-j", "-4", "addr", "show"), timeout);
        if (!r.ok()) {
            return Outcome.down("ip " + addr + ": cannot list addresses: " + r.describe());
        }
        boolean present = false;
        String where = "";
        try {
            for (Object o : new JsonArray(r.stdout())) {
                JsonObject link = (JsonObject) o;
                for (Object a : link.getJsonArray("addr_info", new JsonArray())) {
                    if (addr.equals(((JsonObject) a).getString("local"))) {
                        present = true;
                        where = link.getString("ifname", "?");
                    }
                }
            }
        } catch (RuntimeException e) {
            return Outcome.down("ip " + addr + ": cannot read ip -j addr output: " + e.getMessage());
        }
        if (present == expected) {
            return Outcome.up(present ? "ip " + addr + " is on " + where + " (module serves here)"
                    : "ip " + addr + " is absent (module does not serve here)");
        }
        return Outcome.down(present ? "ip " + addr + " is on " + where + " but the module does not serve here"
                : "ip " + addr + " is missing but the module serves here");
    }
}
