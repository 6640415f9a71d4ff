package io.steadfast.node.cli;

import io.steadfast.lab.Lab;
import io.steadfast.lab.LabClient;
import io.steadfast.lab.LabHost;
import io.steadfast.lab.LabSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code steadfast lab up|down}: network-namespace test hosts for benchmarks and manual experiments (root).
 * {@code up} leaves the lab running and prints its namespaces; run commands inside with {@code ip netns exec}.
 */
@Command(name = "lab", description = "Create or remove a lab of network namespaces (root).",
        subcommands = {LabCommand.Up.class, LabCommand.Down.class})
public final class LabCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "lab: say up or down");
    }

    @Command(name = "up", description = "Create a lab and leave it running.")
    static final class Up implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--prefix", description = "namespace name prefix (default: random sfXXXXX)")
        String prefix;
        @Option(names = "--nodes", defaultValue = "2")
        int nodes;
        @Option(names = "--clients", defaultValue = "1")
        int clients;
        @Option(names = "--extra-addrs", defaultValue = "0", description = "extra source addresses per client")
        int extraAddrs;
        @Option(names = "--second-lan", description = "a second network (198.19.0.0/16) between the nodes")
        boolean secondLan;

        @Override
        public Integer call() {
            LabSpec.Builder b = LabSpec.builder().nodes(nodes).clients(clients).extraAddrs(extraAddrs).secondLan(secondLan);
            if (prefix != null) {
                b.prefix(prefix);
            }
            LabSpec labSpec;
            try {
                labSpec = b.build();
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            Lab lab = Lab.create(labSpec);
            lab.detach();
            PrintWriter out = spec.commandLine().getOut();
            out.println("prefix " + lab.prefix());
            out.println("switch " + lab.switchNs() + " " + lab.witnessAddr());
            for (LabHost h : lab.nodes()) {
                out.println(line(h));
            }
            for (LabClient c : lab.clients()) {
                out.println(line(c) + (c.extraAddrs().isEmpty() ? "" : " +" + c.extraAddrs().size() + " addresses"));
            }
            return 0;
        }

        private static String line(LabHost h) {
            StringBuilder s = new StringBuilder(h.name() + " " + h.namespace());
            for (int lan = 1; lan <= h.lans(); lan++) {
                s.append(' ').append(h.iface(lan)).append('=').append(h.addr(lan));
            }
            return s.toString();
        }
    }

    @Command(name = "down", description = "Remove a lab (its processes and namespaces).")
    static final class Down implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--prefix", required = true)
        String prefix;

        @Override
        public Integer call() {
            try {
                var removed = Lab.destroy(prefix);
                spec.commandLine().getOut().println(removed.isEmpty() ? "nothing to remove" : "removed " + String.join(" ", removed));
                return 0;
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
    }
}
