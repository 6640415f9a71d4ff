package io.steadfast.node.demo;

import java.nio.file.Path;
import java.util.List;

/**
 * The modules the demo runs: a mirror {@code db} (node1 + node2, VIP 198.18.0.60, the sample app on 8080 keeping
 * a hit counter in the replicated directory) and a
 * farm {@code web} (all three nodes, VIP 198.18.0.50, the sample app on 8081, shared by client address).
 */
final class DemoModules {
    static final String MIRROR_VIP = "198.18.0.60";
    static final String FARM_VIP = "198.18.0.50";

    /**
     * A module's service as the lab's client reaches it through the VIP: what the demo probes before it says it
     * works. {@code http}: an HTTP GET that must answer 2xx; else a TCP connect (e.g. a database).
     */
    record Endpoint(String module, String addr, int port, boolean http) {
        String url() {
            return (http ? "http://" : "tcp://") + addr + ":" + port + (http ? "/" : "");
        }
    }

    /** One per module of {@link #yaml}; change both together. */
    static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("db", MIRROR_VIP, 8080, true),
            new Endpoint("web", FARM_VIP, 8081, true));

    private DemoModules() {
    }

    /** The mirror's replicated directory: each lab node sees its own copy there (LabCluster.privateDir). */
    static Path dataDir(Path home) {
        return home.resolve(".lab").resolve("demo").resolve("data").resolve("db");
    }

    static String yaml(Path home) {
        String app = home.resolve("examples").resolve("app").toString();
        return """
                modules:
                  - name: db
                    type: mirror
                    nodes: [node1, node2]
                    heartbeat: { lans: [lan1, lan2], port: 8888 }
                    vip: { addr: %2$s/16, interface: eth0 }
                    service: { defaultprim: node1 }
                    splitbrain: { witness: [198.18.0.1] }
                    replication: { dirs: [%4$s], port: 5600 }
                    scripts:
                      prestart: [%1$s/stop]
                      start_prim: [env, PORT=8080, DATA_DIR=%4$s, %1$s/start]
                      stop_prim: [%1$s/stop]
                      timeout: 20s
                    checkers:
                      - { name: app, type: tcp, target: "127.0.0.1:8080", interval: 2s, timeout: 1s, on_failure: restart }
                  - name: web
                    type: farm
                    nodes: [node1, node2, node3]
                    heartbeat: { lans: [lan1], port: 8890 }
                    vip: { addr: %3$s/32, interface: eth0 }
                    farm:
                      rules:
                        - { proto: tcp, port: 8081, filter: on_addr }
                    scripts:
                      start_both: [env, PORT=8081, %1$s/start]
                      stop_both: [%1$s/stop]
                      timeout: 20s
                """.formatted(app, MIRROR_VIP, FARM_VIP, dataDir(home));
    }
}
