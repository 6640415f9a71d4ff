package io.steadfast.checker.impl;

import io.steadfast.config.ProcessConfig;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Process supervision: counts the processes whose command line (arguments joined with spaces) or kernel name
 * contains a match of the regular expression, and is up when the count is within {@code atleast..atmost}
 * ({@code atmost} 0 = no maximum). The agent's own JVM never counts.
 */
public final class ProcessProbe implements Probe {
    private final ProcessTable table;
    private final ProcessConfig config;
    private final Pattern pattern;
    private final long self = ProcessHandle.current().pid();

    public ProcessProbe(ProcessTable table, ProcessConfig config) {
        this.table = table;
        this.config = config;
        this.pattern = Pattern.compile(config.match());
    }

    public List<Long> matching() {
        return table.list().stream()
                .filter(p -> p.pid() != self)
                .filter(p -> pattern.matcher(p.cmdline()).find() || pattern.matcher(p.name()).find())
                .map(ProcessTable.Proc::pid).toList();
    }

    @Override
    public Outcome probe(Duration timeout) {
        List<Long> pids = matching();
        int n = pids.size();
        String what = "process " + config.name() + ": " + n + " match \"" + config.match() + "\"";
        if (n < config.atleast()) {
            return Outcome.down(what + ", at least " + config.atleast() + " expected");
        }
        if (config.atmost() > 0 && n > config.atmost()) {
            return Outcome.down(what + ", at most " + config.atmost() + " expected");
        }
        return Outcome.up(what + (pids.size() <= 8 ? " " + pids : ""));
    }
}
