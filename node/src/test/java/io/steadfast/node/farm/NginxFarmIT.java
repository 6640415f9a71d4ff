package io.steadfast.node.farm;

import io.steadfast.node.LabDatabase;
import io.steadfast.node.LabTesting;
import io.steadfast.node.farm.FarmRig.Round;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.steadfast.node.farm.FarmRig.NODES;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15, item 3: nginx of {@code templates/nginx} on the 3-node farm {@code web} behind its VIP, with real agents
 * and the farm filter; every node serves {@code web@<node>} from its own web root. One node loses power (its link
 * cut, then its agent and nginx master and workers killed -9): every client address is then answered, by the two
 * survivors only, and the survivors' clients keep their node.
 */
class NginxFarmIT {
    static final int ADDRS = FarmIT.ADDRS; // FarmIT.awaitAllThree expects them all
    static final Path TEMPLATE = Path.of("..", "templates", "nginx").toAbsolutePath().normalize();
    static final Duration MOVE = Duration.ofSeconds(60);

    /** Under /tmp (see {@link LabTesting#appWorkDir}), removed after the test. */
    Path dir;

    @org.junit.jupiter.api.AfterEach
    void removeWorkDir() throws Exception {
        LabTesting.removeTree(dir);
    }

    @Test
    void powerLossOfANodeLeavesEveryClientServedByTheOthers() throws Exception {
        LabTesting.requireRoot();
        Path home = LabTesting.home();
        dir = LabTesting.appWorkDir("nginx-farm"); // the servers' users must reach it
        Path site = dir.resolve("nginx"); // node-local (each node its own copy): web root, pid file, logs
        try (FarmRig rig = FarmRig.open(home, dir, ADDRS, modules(site), List.of(site), (r, n) ->
                LabDatabase.killServer(r.cluster.privateCopy(n, site).resolve("run/nginx.pid"), "/nginx"))) {
            for (String n : NODES) {
                Path root = Files.createDirectories(rig.cluster.privateCopy(n, site).resolve("root"));
                Files.writeString(root.resolve("index.html"), FarmRig.MODULE + "@" + n + "\n");
            }
            rig.cluster.startAll();
            Map<String, String> base = FarmIT.awaitAllThree(rig);

            rig.powerLoss("node3");
            Round after = rig.awaitRound(MOVE, r -> r.clean() && !r.share().containsKey("node3"));
            assertThat(after.clean()).as("after node3's power loss: %s", after.describe()).isTrue();
            assertThat(after.owners()).as("every client address answered").hasSize(ADDRS);
            assertThat(after.share()).as("answered by the survivors only").containsOnlyKeys("node1", "node2");
            FarmIT.assertKeptTheirNode(base, after.owners(), "node3");
        }
    }

    /** The farm {@code web} on port {@link FarmRig#PORT}, nginx from the template with its paths in {@code site}. */
    static String modules(Path site) {
        String env = "/usr/bin/env, NGINX_PORT=" + FarmRig.PORT + ", NGINX_ROOT=" + site.resolve("root")
                + ", NGINX_RUNDIR=" + site.resolve("run") + ", NGINX_LOGDIR=" + site.resolve("log");
        return """
                modules:
                  - name: %1$s
                    type: farm
                    nodes: [node1, node2, node3]
                    heartbeat: { pulse: 250ms, timeout: 2s, lans: [lan1], port: 8890 }
                    vip: { addr: %2$s/32, interface: eth0 }
                    farm:
                      rules:
                        - { proto: tcp, port: %3$d, filter: on_addr }
                    scripts:
                      start_both: [%4$s, %5$s/start]
                      stop_both: [%4$s, %5$s/stop]
                      timeout: 30s
                """.formatted(FarmRig.MODULE, FarmRig.VIP, FarmRig.PORT, env, TEMPLATE);
    }
}
