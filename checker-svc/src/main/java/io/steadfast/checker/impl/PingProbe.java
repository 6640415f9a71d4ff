package io.steadfast.checker.impl;

import io.steadfast.exec.CommandResult;
import io.steadfast.exec.CommandRunner;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Up when one ICMP echo to {@code addr} is answered ({@code ping -n -c 1 -W <s>}, iputils). */
public record PingProbe(CommandRunner runner, String addr) implements Probe {
    private static final Pattern TIME = Pattern.compile("time=([0-9.]+) ms");

    @Override
    public Outcome probe(Duration timeout) {
        long seconds = Math.max(1, (timeout.toMillis() + 999) / 1000); // -W takes whole seconds on older iputils
        CommandResult r = runner.run(List.of("ping", "-n", "-c", "1", "-W", Long.toString(seconds), addr),
                timeout.plusSeconds(1));
        if (r.ok()) {
            Matcher m = TIME.matcher(r.stdout());
            return Outcome.up("ping " + addr + ": reply" + (m.find() ? " in " + m.group(1) + " ms" : ""));
        }
        if (r.timedOut()) {
            return Outcome.down("ping " + addr + ": no reply within " + timeout.toMillis() + " ms");
        }
        if (r.exitCode() == 1) {
            return Outcome.down("ping " + addr + ": no reply within " + seconds + " s");
        }
        return Outcome.down("ping " + addr + ": " + r.describe());
    }
}
