package io.steadfast.node.cli;

import io.steadfast.node.demo.Demo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code steadfast demo [--down]}. */
@Command(name = "demo", description = "Start a demo cluster in network namespaces on this machine (root); --down removes it.")
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--down", description = "remove the demo")
    boolean down;

    @Override
    public Integer call() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            spec.commandLine().getErr().println("steadfast demo: must run as root (it creates network namespaces)");
            return 1;
        }
        Path home = Path.of(System.getProperty("steadfast.home", ".")).toAbsolutePath();
        Demo demo = new Demo(home, spec.commandLine().getOut());
        return down ? demo.down() : demo.up();
    }
}
