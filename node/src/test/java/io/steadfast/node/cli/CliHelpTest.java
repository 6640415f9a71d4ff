package io.steadfast.node.cli;

import io.steadfast.node.Main;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every command answers {@code --help} with its options, and an unknown option is a usage error that shows the
 * usage. The commands are enumerated from the command tree itself, so a command added later is covered.
 */
class CliHelpTest {
    record Run(int code, String out, String err) {
    }

    static Run run(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    /** Every command's path below {@code steadfast} (e.g. [user, add]), nested ones included; [] is the top. */
    static List<List<String>> commandPaths() {
        List<List<String>> paths = new ArrayList<>();
        collect(Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())),
                List.of(), paths);
        return paths;
    }

    private static void collect(CommandLine cmd, List<String> path, List<List<String>> into) {
        into.add(path);
        cmd.getSubcommands().forEach((name, sub) -> {
            // aliases map to the same command: once is enough
            if (sub.getCommandName().equals(name)) {
                List<String> p = new ArrayList<>(path);
                p.add(name);
                collect(sub, p, into);
            }
        });
    }

    private static CommandLine commandAt(List<String> path) {
        CommandLine cmd = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        for (String name : path) {
            cmd = cmd.getSubcommands().get(name);
        }
        return cmd;
    }

    @Test
    void theTreeHoldsTheKnownCommands() {
        // guards the enumeration itself: an empty or shallow walk would make the dynamic tests vacuous
        assertThat(commandPaths()).contains(List.of("config-test"), List.of("demo"), List.of("swap"),
                List.of("user", "add"), List.of("lab", "up")).hasSizeGreaterThan(20);
    }

    @TestFactory
    Stream<DynamicTest> everyCommandAnswersHelpWithItsOptions() {
        return commandPaths().stream().map(path -> DynamicTest.dynamicTest("steadfast " + String.join(" ", path)
                + " --help", () -> {
                    List<String> args = new ArrayList<>(path);
                    args.add("--help");
                    Run r = run(args);
                    assertThat(r.code()).as(r.err()).isZero();
                    assertThat(r.err()).isEmpty();
                    assertThat(r.out()).contains("Usage: steadfast" + (path.isEmpty() ? "" : " " + String.join(" ", path)));
                    for (OptionSpec o : commandAt(path).getCommandSpec().options()) {
                        if (!o.hidden()) {
                            assertThat(r.out()).as("option %s listed", o.longestName()).contains(o.longestName());
                        }
                    }
                    commandAt(path).getCommandSpec().positionalParameters().forEach(p ->
                            assertThat(r.out()).contains(p.paramLabel()));
                }));
    }

    @TestFactory
    Stream<DynamicTest> anUnknownOptionShowsTheUsageAndExits64() {
        return commandPaths().stream().map(path -> DynamicTest.dynamicTest("steadfast " + String.join(" ", path)
                + " --no-such-option", () -> {
                    List<String> args = new ArrayList<>(path);
                    args.add("--no-such-option");
                    Run r = run(args);
                    assertThat(r.code()).isEqualTo(Main.EXIT_USAGE).isEqualTo(64);
                    List<String> lines = r.err().lines().toList();
                    assertThat(lines.getFirst()).startsWith("steadfast: ").contains("--no-such-option");
                    assertThat(r.err()).contains("Usage: steadfast" + (path.isEmpty() ? "" : " " + String.join(" ", path)))
                            .contains("--help");
                    assertThat(r.out()).isEmpty();
                }));
    }

    @Test
    void otherUsageErrorsStayOneLine() {
        Run r = run(Arrays.asList("config-test"));
        assertThat(r.code()).isEqualTo(64);
        assertThat(r.err().strip().lines()).hasSize(1).first().asString().contains("Missing required parameter");
    }
}
