package io.steadfast.node;

import io.steadfast.lab.Lab;
import io.steadfast.lab.LabSpec;
import io.steadfast.node.demo.LabCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static io.steadfast.node.LabTesting.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three node agents in three lab namespaces form one cluster: a request from node1 reaches the services of
 * node3 over the clustered event bus, and a kill -9 of node3's JVM is noticed by node1.
 */
class ClusterIT {
    static final Duration FORM = Duration.ofSeconds(120);
    static final Duration NOTICE = Duration.ofSeconds(20);
    static final Duration POLL = Duration.ofMillis(300);

    @Test
    void threeAgentsFormAClusterAndNoticeADeadMember() throws Exception {
        LabTesting.requireRoot();
        try (Lab lab = Lab.create(LabSpec.builder().nodes(3).build())) {
            LabCluster cluster = LabCluster.configure(lab, LabTesting.home(), LabTesting.workDir("cluster"), "modules: []\n");
            cluster.startAll();

            Optional<JsonObject> formed = await(FORM, POLL, () -> {
                assertThat(cluster.deadAgent()).as("an agent exited; see its log in " + cluster.dir()).isEmpty();
                return cluster.cluster("node1").filter(c -> LabCluster.nodesFullyUp(c) == 3);
            });
            assertThat(formed).as("node1 sees 3 nodes with all services up").isPresent();

            // node3's services answered health requests sent from node1 over the bus: their replies name node3
            JsonObject node3 = LabCluster.node(formed.get(), "node3").orElseThrow();
            assertThat(node3.getJsonArray("services")).hasSize(6).allSatisfy(s -> {
                JsonObject svc = (JsonObject) s;
                assertThat(svc.getString("node")).isEqualTo("node3");
                assertThat(svc.getBoolean("up")).isTrue();
            });
            assertThat(cluster.console("node1", "/health")).as("node1 /health").hasValueSatisfying(
                    h -> assertThat(h.getBoolean("up")).isTrue());

            cluster.agent("node3").kill9();
            Optional<JsonObject> noticed = await(NOTICE, POLL, () -> cluster.cluster("node1")
                    .filter(c -> !LabCluster.node(c, "node3").orElseThrow().getBoolean("up")));
            assertThat(noticed).as("node1 notices node3's JVM is gone").isPresent();
            assertThat(LabCluster.nodesFullyUp(noticed.get())).isEqualTo(2);

            // node3 comes back split in two JVMs: five services in one agent, the console alone in another
            cluster.start("node3", List.of("heartbeat", "replication", "vip", "checker", "lb-filter"));
            cluster.startService("node3", "console");
            assertThat(await(FORM, POLL, () -> cluster.cluster("node1").filter(c -> LabCluster.nodesFullyUp(c) == 3)))
                    .as("node3 rejoins with all six services").isPresent();
            assertThat(cluster.console("node3", "/health")).as("node3's console alone answers for its node")
                    .hasValueSatisfying(h -> assertThat(h.getBoolean("up")).isTrue());

            // a service JVM that dies is seen as down by the others, and the node's health says so
            cluster.agent("node3/console").kill9();
            cluster.agent("node3").kill9();
            cluster.start("node3", List.of("heartbeat", "vip"));
            Optional<JsonObject> partial = await(FORM, POLL, () -> cluster.cluster("node1")
                    .flatMap(c -> LabCluster.node(c, "node3")).filter(n -> n.getBoolean("up")
                            && n.getJsonArray("services").stream().filter(s -> ((JsonObject) s).getBoolean("up")).count() == 2));
            assertThat(partial).as("node1 sees exactly node3's two running services").isPresent();
            assertThat(LabCluster.fullyUp(partial.get())).isFalse();
        }
    }
}
