package io.steadfast.node.watchdog;

import io.steadfast.config.ClusterConfig;
import io.steadfast.config.ConfigLoader;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.exec.CommandResult;
import io.steadfast.exec.CommandRunner;
import io.steadfast.heartbeat.AgentLease;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The watchdog against a stand-in agent (a sleep process) and its lease; `ip` is recorded, never run. */
class WatchdogTest {
    @TempDir
    Path dir;
    SteadfastConfig config;
    final List<List<String>> ipCalls = new CopyOnWriteArrayList<>();
    Process agent;

    /** Runs the scripts for real, records `ip` (a unit test must not touch the machine's network). */
    final CommandRunner runner = new CommandRunner() {
        @Override
        public CommandResult run(List<String> argv, Duration timeout, String stdin, Map<String, String> env) {
            if (argv.getFirst().equals("ip")) {
                ipCalls.add(argv);
                return new CommandResult(argv, 0, "", "", false);
            }
            return super.run(argv, timeout, stdin, env);
        }
    };

    @BeforeEach
    void setUp() throws Exception {
        io.steadfast.testing.TestFiles.writeSecret(dir.resolve("secret"));
        String yaml = """
                cluster:
                  name: wd
                  secret_file: %1$s/secret
                  state_dir: %1$s/state
                  nodes:
                    - { name: node1, addr: 198.18.0.11 }
                    - { name: node2, addr: 198.18.0.12 }
                modules:
                  - name: db
                    type: mirror
                    nodes: [node1, node2]
                    heartbeat: { pulse: 100ms, timeout: 300ms, port: 8888 }
                    vip: { addr: 198.18.0.60/16, interface: eth0 }
                    scripts:
                      stop_prim: [/bin/sh, -c, 'echo "$0 $* $STEADFAST_MODULE" >> %1$s/stopped']
                """.formatted(dir);
        var r = ConfigLoader.parse(dir.resolve("wd.yml"), yaml);
        config = r.config().orElseThrow(() -> new AssertionError(r.problems()));
        agent = new ProcessBuilder("sleep", "30").start();
    }

    @AfterEach
    void tearDown() {
        agent.destroyForcibly();
    }

    private Path stateDir() {
        return config.cluster().stateDir();
    }

    /** Writes the lease as the agent would: its pid, a renewal time, and that a module serves here. */
    private void lease(long pid, long renewedNanos) throws Exception {
        lease(pid, renewedNanos, true);
    }

    private void lease(long pid, long renewedNanos, boolean holding) throws Exception {
        Files.createDirectories(stateDir());
        try (FileChannel ch = FileChannel.open(AgentLease.file(stateDir()), StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, 24);
            m.order(ByteOrder.nativeOrder());
            m.putLong(0, pid);
            m.putLong(8, renewedNanos);
            m.putLong(16, holding ? 1 : 0);
        }
    }

    /** A stalled agent that holds nothing (starting, WAIT, SECOND) is not killed: a slow machine must not cost it. */
    @Test
    void aStalledAgentHoldingNothingIsLeftAlone() throws Exception {
        lease(agent.pid(), System.nanoTime() - Duration.ofSeconds(60).toNanos(), false);
        assertThat(watchdog().watch(Duration.ofSeconds(2))).isEmpty();
        assertThat(agent.isAlive()).isTrue();
        assertThat(ipCalls).isEmpty();
    }

    private Watchdog watchdog() {
        return new Watchdog(config, "node1", agent.pid(), runner, System::nanoTime);
    }

    private void assertReleased() throws Exception {
        assertThat(ipCalls).containsExactly(List.of("ip", "addr", "del", "198.18.0.60/16", "dev", "eth0"));
        assertThat(Files.readString(dir.resolve("stopped")).strip()).isEqualTo("PRIM STOP watchdog force db");
    }

    @Test
    void aKilledAgentIsReleasedAtOnce() throws Exception {
        agent.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        Optional<String> why = watchdog().watch(Duration.ofSeconds(5));
        assertThat(why).hasValueSatisfying(w -> assertThat(w).contains("exited"));
        assertReleased();
    }

    @Test
    void anAgentThatStopsBeatingIsKilledAndReleased() throws Exception {
        lease(agent.pid(), System.nanoTime());
        Optional<String> why = watchdog().watch(Duration.ofSeconds(5));
        assertThat(why).hasValueSatisfying(w -> assertThat(w).contains("no heartbeat"));
        assertThat(agent.waitFor(5, TimeUnit.SECONDS)).as("the stuck agent is killed").isTrue();
        assertReleased();
    }

    @Test
    void aBeatingAgentIsLeftAlone() throws Exception {
        Thread renew = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < 40; i++) {
                    lease(agent.pid(), System.nanoTime());
                    Thread.sleep(25);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        lease(agent.pid(), System.nanoTime());
        assertThat(watchdog().watch(Duration.ofMillis(800))).isEmpty();
        renew.join();
        assertThat(agent.isAlive()).isTrue();
        assertThat(ipCalls).isEmpty();
    }

    @Test
    void aLeaseOfAnotherProcessIsNotJudged() throws Exception {
        lease(agent.pid() + 100_000, System.nanoTime() - Duration.ofSeconds(60).toNanos());
        assertThat(watchdog().watch(Duration.ofMillis(400))).isEmpty();
        assertThat(ipCalls).isEmpty();
    }
}
