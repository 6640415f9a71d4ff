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

import java.util.List;
import java.util.stream.Collectors;

/** The {@code steadfast} command line. */
@Command(name = "steadfast", mixinStandardHelpOptions = true, version = "steadfast 0.1.0",
        description = "Software-only high availability for Linux services.",
        subcommands = {NodeCommand.class, SvcCommand.class, ConfigTestCommand.class, StateCommand.class,
                DemoCommand.class, CheckCommand.class, LogCommand.class, VerifyCommand.class, UserCommand.class,
                LabCommand.class, io.steadfast.node.watchdog.WatchdogCommand.class,
                io.steadfast.node.cli.CheckerCommand.class, io.steadfast.node.cli.SplitbrainCommand.class})
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
        return commandLine(out, err).execute(args);
    }

    /** The whole command tree, writing to the given streams (tests enumerate its commands). */
    public static CommandLine commandLine(java.io.PrintWriter out, java.io.PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        // start, stop, restart, stopstart, forcestop, prim, second, swap: one class, one name per command
        for (io.steadfast.api.Command c : io.steadfast.api.Command.values()) {
            if (c != io.steadfast.api.Command.SPLITBRAIN_ACK) { // `steadfast splitbrain ack`
                cli.addSubcommand(c.id(), new ModuleCommand(c));
            }
        }
        withHelpEverywhere(cli);
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler(Main::usageError);
        return cli;
    }

    /**
     * {@code -h/--help} (and {@code -V/--version}) on every command, nested ones included, so that a command
     * added later has them without remembering to: without it, {@code config-test --help} is a usage error
     * ("Missing required parameter").
     */
    private static void withHelpEverywhere(CommandLine cli) {
        cli.getCommandSpec().mixinStandardHelpOptions(true);
        cli.getSubcommands().values().stream().distinct().forEach(Main::withHelpEverywhere);
    }

    /**
     * One line saying what is wrong, exit {@link #EXIT_USAGE}. An unknown option is followed by the command's
     * usage (the operator evidently does not know its options) and is reported first: picocli checks required
     * options before it complains about unknown ones, and "missing --module" would hide the typo that caused it.
     * Other mistakes (a missing or bad value) stay one line, as the interface promises, with the pointer to --help.
     */
    private static int usageError(CommandLine.ParameterException ex, String[] argv) {
        CommandLine cmd = ex.getCommandLine();
        List<String> unknown = cmd.getUnmatchedArguments().stream().filter(a -> a.startsWith("-")).toList();
        String message = unknown.isEmpty() ? ex.getMessage()
                : (unknown.size() == 1 ? "Unknown option: " : "Unknown options: ")
                        + unknown.stream().map(a -> "'" + a + "'").collect(Collectors.joining(", "));
        cmd.getErr().println("steadfast: " + message + " (see: " + cmd.getCommandSpec().qualifiedName() + " --help)");
        if (!unknown.isEmpty()) {
            cmd.usage(cmd.getErr());
        }
        return EXIT_USAGE;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "a command is required");
    }
}
