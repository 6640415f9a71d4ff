package io.steadfast.node.bench;

import io.steadfast.lab.LabNode;
import io.steadfast.lab.LabProcess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** keepalived (Debian package, VRRP only) in a lab node: the comparison for the mirror failover benchmark. */
final class Keepalived {
    private Keepalived() {
    }

    /**
     * keepalived forks its VRRP process even with --dont-fork: after a kill -9 of the parent the child may live on
     * inside the lab namespace. Kills every keepalived process in the node's namespace (all started by us).
     */
    static void killAll(LabNode node) {
        var pids = node.exec(java.time.Duration.ofSeconds(5), "ip", "netns", "pids", node.namespace());
        for (String line : pids.stdout().lines().map(String::strip).filter(l -> l.matches("\\d+")).toList()) {
            try {
                String comm = Files.readString(Path.of("/proc", line, "comm")).strip();
                if (comm.equals("keepalived")) {
                    ProcessHandle.of(Long.parseLong(line)).ifPresent(ProcessHandle::destroyForcibly);
                }
            } catch (IOException e) {
                // gone already
            }
        }
    }

    /**
     * @param version   VRRP version (2: keepalived's default; 3 allows sub-second adverts)
     * @param advertInt seconds between adverts, as keepalived writes it ("1", "0.1")
     */
    static LabProcess start(LabNode node, Path dir, String vip, int priority, int version, String advertInt)
            throws IOException {
        Path conf = dir.resolve("keepalived-" + node.name() + ".conf");
        Files.writeString(conf, """
                global_defs {
                  router_id %1$s
                  vrrp_version %2$d
                  vrrp_garp_master_delay 0
                  vrrp_garp_master_repeat 5
                }
                vrrp_instance db {
                  state BACKUP
                  interface eth0
                  virtual_router_id 60
                  priority %3$d
                  advert_int %4$s
                  virtual_ipaddress {
                    %5$s dev eth0
                  }
                }
                """.formatted(node.name(), version, priority, advertInt, vip));
        // fresh pid files each start: keepalived refuses to start over the files of a killed instance
        String run = dir.resolve("keepalived-" + node.name() + "-" + System.nanoTime()).toString();
        return node.start(dir.resolve("keepalived-" + node.name() + ".log"), Map.of(), "keepalived", "--dont-fork",
                "--log-console", "--vrrp", "-f", conf.toString(), "-p", run + ".pid", "-r", run + "-vrrp.pid");
    }
}
