package io.steadfast.node.demo;

import io.steadfast.exec.CommandResult;
import io.steadfast.exec.CommandRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ./steadfast demo} as a new user meets it, before any Java runs: it refuses when not root, and as root it
 * first installs the Debian packages of scripts/lib/packages-node (the list scripts/test installs too). {@code id},
 * {@code dpkg} and {@code apt-get} are stand-ins on PATH: a "fresh machine" where nothing is installed and apt-get
 * fails, so the launcher never gets as far as building or starting a lab.
 */
class LauncherDemoTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private Path stub(String name, String body) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path f = Files.writeString(bin.resolve(name), "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    private CommandResult launcher(Path bin, String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of(DemoToolsTest.repoRoot().resolve("steadfast").toString()));
        argv.addAll(List.of(args));
        // STEADFAST_NO_BUILD: should the launcher go past its checks, it must not start a Maven build here
        return new CommandRunner().run(argv, TIMEOUT, "", Map.of("PATH", bin + ":" + System.getenv("PATH"),
                "STEADFAST_NO_BUILD", "1"));
    }

    @Test
    void refusesInOneLineWhenNotRoot() throws IOException {
        Path bin = stub("id", "echo 1000");
        stub("apt-get", "echo called >> " + tmp.resolve("apt.log") + "; exit 1");
        for (String[] args : List.of(new String[] {"demo"}, new String[] {"demo", "--down"})) {
            CommandResult r = launcher(bin, args);
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.stderr().strip().lines()).hasSize(1).first().asString()
                    .startsWith("steadfast demo: run it as root");
            assertThat(r.stdout()).isEmpty();
        }
        assertThat(tmp.resolve("apt.log")).doesNotExist();
    }

    @Test
    void asRootItInstallsThePackageListFirstAndStopsWhenThatFails() throws IOException {
        Path log = tmp.resolve("apt.log");
        Path bin = stub("id", "echo 0");
        stub("dpkg", "exit 1"); // nothing installed
        stub("apt-get", "echo \"$*\" >> " + log + "; [ \"$1\" = update ] && exit 0; echo 'E: no network' >&2; exit 100");
        CommandResult r = launcher(bin, "demo");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stdout()).contains("[0/8] installing the Debian packages a node needs");
        assertThat(r.stderr()).contains("E: no network")
                .contains("steadfast demo: FAILED installing the packages a node needs");
        List<String> calls = Files.readAllLines(log);
        assertThat(calls.getFirst()).isEqualTo("update -qq");
        assertThat(calls.get(1)).startsWith("install -y");
        assertThat(List.of(calls.get(1).split(" "))).containsAll(DemoToolsTest.packagesNode());
    }

    @Test
    void installsNothingWhenEverythingIsThere() throws IOException {
        Path log = tmp.resolve("apt.log");
        Path bin = stub("dpkg", "exit 0");
        stub("apt-get", "echo \"$*\" >> " + log + "; exit 1");
        Path root = DemoToolsTest.repoRoot();
        CommandResult r = new CommandRunner().run(List.of("bash", "-c", ". " + root.resolve("scripts/lib/common.sh")
                + " && install_packages " + root.resolve("scripts/lib/packages-node")), TIMEOUT, "",
                Map.of("PATH", bin + ":" + System.getenv("PATH")));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(log).doesNotExist();
    }

    @Test
    void helpNeedsNeitherRootNorPackages() throws IOException {
        Path log = tmp.resolve("apt.log");
        Path bin = stub("id", "echo 1000");
        stub("apt-get", "echo \"$*\" >> " + log + "; exit 1");
        // goes on to the CLI (whose --help CliHelpTest covers; the jar may not be built yet in this phase)
        CommandResult r = launcher(bin, "demo", "--help");
        assertThat(r.stderr()).doesNotContain("run it as root");
        assertThat(log).doesNotExist();
    }
}
