package io.steadfast.node.cli;

import io.steadfast.node.demo.Demo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code steadfast demo [--down]}. */
@Command(name = "demo", description = {"Start a demo cluster in network namespaces on this machine (root); --down "
        + "removes it.", "Returns once every module is Ready and every VIP answers from the lab's client (exit 0); "
        + "else says what failed and where the logs are, removes the lab and exits 1. ./steadfast demo first installs "
        + "the Debian packages a node needs (scripts/lib/packages-node)."})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--down", description = "remove the demo")
    boolean down;

    @Override
    public Integer call() throws Exception {
        if (!isRoot()) {
            spec.commandLine().getErr().println("steadfast demo: run it as root (it installs packages and creates "
                    + "network namespaces, virtual IPs and FUSE mounts): sudo ./steadfast demo");
            return 1;
        }
        Path home = Path.of(System.getProperty("steadfast.home", ".")).toAbsolutePath();
        Demo demo = new Demo(home, spec.commandLine().getOut(), spec.commandLine().getErr(), System.getenv());
        return down ? demo.down() : demo.up();
    }

    /** The effective user is root: /proc/self belongs to it (user.name is only the login's name). */
    static boolean isRoot() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
