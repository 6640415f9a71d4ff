package io.steadfast.node;

import io.steadfast.config.TestConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Exit codes of the CLI that need no cluster: config-test and usage errors. */
class MainTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void configTestAcceptsAValidConfig() {
        Path config = TestConfigs.writeMirrorAndFarm(dir);
        Run r = run("config-test", config.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains(": ok");
    }

    @Test
    void configTestListsEveryProblemWithItsPlaceAndExits2() throws Exception {
        Path bad = dir.resolve("bad.yml");
        Files.writeString(bad, """
                cluster:
                  name: demo
                  nodez: []
                modules: []
                """);
        Run r = run("config-test", bad.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().lines()).contains(
                bad + ":3:3: cluster: unknown key \"nodez\" (allowed: name, secret_file, state_dir, bus, console, nodes, insecure)");
    }

    @Test
    void usageErrorsExit64WithOneLine() {
        Run unknown = run("frobnicate");
        assertThat(unknown.code()).isEqualTo(64);
        assertThat(unknown.err().strip().lines()).hasSize(1);
        assertThat(run("node", "--config", "x.yml").code()).as("missing --node").isEqualTo(64);
        assertThat(run("node", "--config", "/nonexistent.yml", "--node", "n1").code()).isEqualTo(64);
        assertThat(run("svc", "nosuchservice", "--config", "x.yml", "--node", "n1").err()).contains("is not one of");
    }

    @Test
    void anUnknownServiceInTheListIsAUsageError() {
        Path config = TestConfigs.writeMirrorAndFarm(dir);
        Run r = run("node", "--config", config.toString(), "--node", "node1", "--services", "vip,bogus");
        assertThat(r.code()).isEqualTo(64);
        assertThat(r.err()).contains("--services: \"bogus\" is not one of heartbeat, replication, vip, checker, lb-filter, console");
    }

    @Test
    void anUnknownNodeIsAUsageError() {
        Path config = TestConfigs.writeMirrorAndFarm(dir);
        Run r = run("node", "--config", config.toString(), "--node", "node9");
        assertThat(r.code()).isEqualTo(64);
        assertThat(r.err()).contains("--node: \"node9\" is not one of [node1, node2, node3]");
    }

    @Test
    void helpWorks() {
        assertThat(run("--help").out()).contains("config-test", "node", "svc", "demo", "state");
        assertThat(CommandLine.ExitCode.OK).isZero();
    }
}
