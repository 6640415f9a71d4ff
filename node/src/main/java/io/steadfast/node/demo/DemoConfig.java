package io.steadfast.node.demo;

import io.steadfast.lab.Lab;
import io.steadfast.lab.LabNode;

import java.nio.file.Path;

/** The configuration the demo writes for its lab: every node in the lab, the console on every node. */
final class DemoConfig {
    static final int CONSOLE_PORT = 9400;

    private DemoConfig() {
    }

    static String yaml(Lab lab, String clusterName, Path secretFile, Path stateDir) {
        StringBuilder y = new StringBuilder();
        y.append("# Written by `steadfast demo` for its lab (").append(lab.prefix()).append("); removed by --down.\n");
        y.append("cluster:\n");
        y.append("  name: ").append(clusterName).append('\n');
        y.append("  secret_file: ").append(secretFile).append('\n');
        y.append("  state_dir: ").append(stateDir).append('\n');
        y.append("  console: { port: ").append(CONSOLE_PORT).append(", bind: 0.0.0.0 }\n");
        y.append("  nodes:\n");
        for (LabNode n : lab.nodes()) {
            y.append("    - name: ").append(n.name()).append('\n');
            y.append("      addr: ").append(n.addr()).append('\n');
            y.append("      lans: {");
            for (int lan = 1; lan <= n.lans(); lan++) {
                y.append(lan > 1 ? ", " : " ").append("lan").append(lan).append(": ").append(n.addr(lan));
            }
            y.append(" }\n");
        }
        y.append("modules: []\n");
        return y.toString();
    }
}
