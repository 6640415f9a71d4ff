package io.steadfast.node;

import io.steadfast.node.cli.CheckCommand;
import io.steadfast.node.cli.ConfigTestCommand;
import io.steadfast.node.cli.LogCommand;
import io.steadfast.node.cli.ModuleCommand;
import io.steadfast.node.cli.UserCommand;
import io.steadfast.node.cli.VerifyCommand;
import io.steadfast.node.cli.DemoCommand;
import io.steadfast.node.cli.LabCommand;
import io.steadfast.node.cli.NodeCommand;
import io.steadfast.node.cli.StateCommand;
import io.steadfast.node.cli.SvcCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code steadfast} command line. */
@Command(name = "steadfast", mixinStandardHelpOptions = true, version = "steadfast 0.1.0",
        description = "Software-only high availability for Linux services.",
        subcommands = {NodeCommand.class, SvcCommand.class, ConfigTestCommand.class, StateCommand.class,
                DemoCommand.class, CheckCommand.class, LogCommand.class, VerifyCommand.class, UserCommand.class,
                LabCommand.class, io.steadfast.node.watchdog.WatchdogCommand.class,
                io.steadfast.node.cli.CheckerCommand.class})
public final class Main implements Runnable {
    /** Usage errors (sysexits EX_USAGE), as the interface promises. */
    public static final int EXIT_USAGE = 64;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        return execute(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** Runs the CLI with the given output streams (tests). */
    public static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        // start, stop, restart, stopstart, forcestop, prim, second, swap: one class, one name per command
        for (io.steadfast.api.Command c : io.steadfast.api.Command.values()) {
            cli.addSubcommand(c.id(), new ModuleCommand(c));
        }
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((ex, argv) -> {
            ex.getCommandLine().getErr().println("steadfast: " + ex.getMessage()
                    + " (see: " + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help)");
            return EXIT_USAGE;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "a command is required");
    }
}
