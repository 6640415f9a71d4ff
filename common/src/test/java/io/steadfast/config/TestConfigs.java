package io.steadfast.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Valid configurations for other modules' tests (shipped in the common test-jar): a 2-node mirror {@code db}
 * on the first two nodes and a farm {@code web} on all of them (at least 3). Nodes are named node1, node2, …
 * in the order of the addresses; each node has one lan, {@code lan1} = its address.
 */
public final class TestConfigs {
    private TestConfigs() {
    }

    /** Ports of the generated file; {@link #from(int)} gives a non-overlapping set for tests run side by side. */
    public record Ports(int bus, int eventBus, int console, int dbHeartbeat, int dbReplication, int webHeartbeat,
                        int webService) {
        public static Ports defaults() {
            return new Ports(Defaults.BUS_PORT, Defaults.BUS_PORT + Defaults.EVENT_BUS_PORT_OFFSET,
                    Defaults.CONSOLE_PORT, 8888, 5600, 8890, 8080);
        }

        /** base, base+1, … base+6 (base must be ≤ 65529). */
        public static Ports from(int base) {
            return new Ports(base, base + 1, base + 2, base + 3, base + 4, base + 5, base + 6);
        }
    }

    /** What the file says; {@link #of} fills the VIPs, interface and replicated directory with lab defaults. */
    public record Spec(List<String> addrs, Ports ports, Path stateDir, Path replicatedDir, String mirrorVip,
                       String farmVip, String iface) {
        public Spec {
            if (addrs.size() < 3) {
                throw new IllegalArgumentException("need at least 3 node addresses (mirror on 2, farm on all)");
            }
            addrs = List.copyOf(addrs);
        }

        public static Spec of(List<String> addrs, Ports ports, Path stateDir) {
            return new Spec(addrs, ports, stateDir.toAbsolutePath(),
                    stateDir.toAbsolutePath().resolveSibling(stateDir.getFileName() + "-db-data"),
                    "198.18.0.60/24", "198.18.0.50/24", "eth0");
        }

        public Spec withReplicatedDir(Path dir) {
            return new Spec(addrs, ports, stateDir, dir, mirrorVip, farmVip, iface);
        }

        public Spec withVips(String mirrorCidr, String farmCidr) {
            return new Spec(addrs, ports, stateDir, replicatedDir, mirrorCidr, farmCidr, iface);
        }

        public Spec withInterface(String name) {
            return new Spec(addrs, ports, stateDir, replicatedDir, mirrorVip, farmVip, name);
        }
    }

    /** Writes {@code dir/steadfast.yml} for {@code addrs} (≥ 3), {@code ports} and {@code stateDir}. */
    public static Path writeMirrorAndFarm(Path dir, List<String> addrs, Ports ports, Path stateDir) {
        return write(dir, Spec.of(addrs, ports, stateDir));
    }

    /** Three lab nodes 198.18.0.11-13, default ports, state in {@code dir/state}. */
    public static Path writeMirrorAndFarm(Path dir) {
        return writeMirrorAndFarm(dir, List.of("198.18.0.11", "198.18.0.12", "198.18.0.13"), Ports.defaults(),
                dir.resolve("state"));
    }

    public static Path write(Path dir, Spec spec) {
        Path file = dir.resolve("steadfast.yml");
        try {
            Files.createDirectories(dir);
            Files.writeString(file, yaml(spec));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    private static String quoted(Path p) {
        return "'" + p.toString().replace("'", "''") + "'";
    }

    public static String yaml(Spec s) {
        StringBuilder nodes = new StringBuilder();
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < s.addrs().size(); i++) {
            nodes.append("    - { name: node").append(i + 1).append(", addr: ").append(s.addrs().get(i)).append(" }\n");
            names.append(i == 0 ? "" : ", ").append("node").append(i + 1);
        }
        Ports p = s.ports();
        return """
                cluster:
                  name: test
                  state_dir: %s
                  bus: { port: %d, event_bus_port: %d }
                  console: { port: %d }
                  nodes:
                %smodules:
                  - name: db
                    type: mirror
                    nodes: [node1, node2]
                    heartbeat: { port: %d }
                    vip: { addr: %s, interface: %s }
                    replication: { dirs: [%s], port: %d }
                  - name: web
                    type: farm
                    nodes: [%s]
                    heartbeat: { port: %d }
                    vip: { addr: %s, interface: %s }
                    farm:
                      rules: [ { proto: tcp, port: %d } ]
                """.formatted(quoted(s.stateDir()), p.bus(), p.eventBus(), p.console(), nodes, p.dbHeartbeat(),
                s.mirrorVip(), s.iface(), quoted(s.replicatedDir()), p.dbReplication(), names, p.webHeartbeat(),
                s.farmVip(), s.iface(), p.webService());
    }
}
