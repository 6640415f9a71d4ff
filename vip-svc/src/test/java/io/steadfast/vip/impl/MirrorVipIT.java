package io.steadfast.vip.impl;

import static io.steadfast.testing.LabSupport.T;
import static io.steadfast.testing.LabSupport.curl;
import static io.steadfast.testing.LabSupport.eventually;
import static io.steadfast.testing.LabSupport.mac;
import static io.steadfast.testing.LabSupport.neigh;
import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.config.ModuleConfig;
import io.steadfast.exec.CommandRunner;
import io.steadfast.lab.Lab;
import io.steadfast.lab.LabClient;
import io.steadfast.lab.LabNode;
import io.steadfast.lab.LabSpec;
import io.steadfast.testing.LabSupport;
import io.steadfast.testing.TestModules;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Mirror VIP in a lab: up on node1, moved to node2 with gratuitous ARP. Root; touches lab namespaces only. */
class MirrorVipIT {
    private static final Logger LOG = LoggerFactory.getLogger(MirrorVipIT.class);
    private static final String VIP = "198.18.0.100";

    @TempDir
    Path tmp;

    @BeforeAll
    static void root() throws Exception {
        LabSupport.requireRoot();
    }

    @Test
    void vipMovesWithGratuitousArp() throws Exception {
        String rootBefore = LabSupport.rootSnapshot();
        try (Lab lab = Lab.create(LabSpec.builder().nodes(2).clients(1).build())) {
            LabNode n1 = lab.node(1);
            LabNode n2 = lab.node(2);
            LabClient c = lab.client(1);
            Path app = LabSupport.resource(tmp, "nameserver.py");
            for (LabNode n : lab.nodes()) {
                n.start(tmp.resolve(n.name() + ".log"), Map.of(), "/usr/bin/python3", app.toString(), n.name(), "8080");
            }
            for (LabNode n : lab.nodes()) {
                assertThat(eventually(T, () -> curl(c, "http://" + n.addr() + ":8080/").equals(n.name())))
                        .as("app on %s", n.name()).isTrue();
            }
            ModuleConfig m = TestModules.mirror("db", VIP + "/16", "eth0", 3);
            VipManager v1 = new VipManager("node1", CommandRunner.inNetns(n1.namespace()), T);
            VipManager v2 = new VipManager("node2", CommandRunner.inNetns(n2.namespace()), T);
            assertThat(v1.status(m, "").present()).isFalse();

            VipManager.Change up = v1.up(m, false);
            assertThat(up.changed()).isTrue();
            assertThat(up.status().present()).isTrue();
            assertThat(n1.exec(T, "ip", "-4", "-o", "addr", "show", "dev", "eth0").stdout()).contains(VIP + "/16");
            assertThat(v1.up(m, false).changed()).as("idempotent").isFalse();
            assertThat(curl(c, "http://" + VIP + ":8080/")).isEqualTo("node1");
            assertThat(neigh(c, VIP)).isEqualTo(mac(n1, "eth0"));

            // move: down on node1, up (with announcement) on node2; the client's cache must follow the gratuitous
            // ARP alone, before it sends anything to the VIP again
            VipManager.Change down = v1.down(m);
            assertThat(down.changed()).isTrue();
            assertThat(v1.status(m, "").present()).isFalse();
            assertThat(v1.down(m).changed()).isFalse();
            long t0 = System.nanoTime();
            v2.up(m, true);
            String mac2 = mac(n2, "eth0");
            assertThat(eventually(Duration.ofSeconds(3), () -> neigh(c, VIP).equals(mac2)))
                    .as("client's ARP cache updated by the gratuitous ARP").isTrue();
            assertThat(eventually(Duration.ofSeconds(3), () -> curl(c, "http://" + VIP + ":8080/").equals("node2")))
                    .isTrue();
            LOG.info("VIP moved: client served by node2 {} ms after up() started (incl. the garp burst)",
                    (System.nanoTime() - t0) / 1_000_000);
            assertThat(n1.exec(T, "ip", "-4", "-o", "addr", "show", "dev", "eth0").stdout()).doesNotContain(VIP);
        }
        assertThat(LabSupport.rootSnapshot()).as("root namespace untouched").isEqualTo(rootBefore);
    }
}
