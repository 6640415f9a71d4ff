package io.steadfast.node.cli;

import io.steadfast.config.ConfigLoader;
import io.steadfast.config.ConfigProblem;
import io.steadfast.config.ConfigResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code steadfast config-test F}: both validation phases; exit 0 when valid, 2 with one line per problem. */
@Command(name = "config-test", description = "Validate a configuration file.")
public final class ConfigTestCommand implements Callable<Integer> {
    public static final int EXIT_INVALID = 2;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "the configuration file")
    Path file;

    @Override
    public Integer call() {
        ConfigResult result = ConfigLoader.load(file);
        if (result.ok()) {
            spec.commandLine().getOut().println(file + ": ok");
            return 0;
        }
        for (ConfigProblem problem : result.problems()) {
            spec.commandLine().getErr().println(problem);
        }
        return EXIT_INVALID;
    }
}
