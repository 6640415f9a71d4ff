package io.steadfast.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A host of the lab: one network namespace with one interface per lan ({@code eth0} on lan1, {@code eth1} on
 * lan2), each the end of a veth pair whose other end is a port of the lan's bridge in the switch namespace.
 */
public abstract sealed class LabHost permits LabNode, LabClient {
    protected final Lab lab;
    private final String name;
    private final String namespace;
    private final int index;
    private final List<String> addrs;
    private final List<String> switchPorts;

    LabHost(Lab lab, String name, String namespace, int index, List<String> addrs, List<String> switchPorts) {
        this.lab = lab;
        this.name = name;
        this.namespace = namespace;
        this.index = index;
        this.addrs = List.copyOf(addrs);
        this.switchPorts = List.copyOf(switchPorts);
    }

    /** Logical name: {@code node1}, {@code client1}, ... */
    public String name() {
        return name;
    }

    /** 1-based index among nodes or among clients. */
    public int index() {
        return index;
    }

    public String namespace() {
        return namespace;
    }

    /** Number of lans this host is attached to. */
    public int lans() {
        return addrs.size();
    }

    /** Address on lan1 (no prefix length). */
    public String addr() {
        return addr(1);
    }

    /** Primary address on {@code lan} (1-based, no prefix length). */
    public String addr(int lan) {
        return addrs.get(checkLan(lan) - 1);
    }

    /** Interface name inside the host for {@code lan}: {@code eth0} for lan1, {@code eth1} for lan2. */
    public String iface(int lan) {
        return "eth" + (checkLan(lan) - 1);
    }

    /** Name of the bridge port (switch-side veth) serving this host on {@code lan}. */
    public String switchPort(int lan) {
        return switchPorts.get(checkLan(lan) - 1);
    }

    /** Runs {@code argv} inside the namespace, bounded by {@code timeout}; any exit code is returned. */
    public ExecResult exec(Duration timeout, String... argv) {
        return Net.exec(timeout, nsArgv(List.of(), argv));
    }

    /** Starts a background program in the namespace; stdout and stderr are appended to {@code logFile}. */
    public LabProcess start(Path logFile, Map<String, String> env, String... argv) {
        return start(logFile, env, List.of(), argv);
    }

    /**
     * As {@link #start(Path, Map, String...)} with {@code wrapperArgv} put before the program, e.g.
     * {@code unshare -m --propagation private}. The wrapper must exec the program (not fork) for
     * {@link LabProcess#pid()} to stay the program's PID.
     *
     * <p>Note that {@code ip netns exec} already unshares the mount namespace of every process it runs (to
     * remount {@code /sys}) and marks {@code /} as slave: a mount made by one started program (FUSE) is not
     * visible in the root mount namespace, nor to a later {@link #exec}; check it from inside the same process
     * tree, e.g. with {@code nsenter -t PID -m}.
     */
    public LabProcess start(Path logFile, Map<String, String> env, List<String> wrapperArgv, String... argv) {
        if (argv.length == 0) {
            throw new IllegalArgumentException("empty argv");
        }
        List<String> full = nsArgv(wrapperArgv, argv);
        try {
            Path parent = logFile.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            ProcessBuilder pb = new ProcessBuilder(full)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().putAll(env);
            return lab.register(pb, namespace, full, logFile,
                    List.of(List.of("ip", "netns", "exec", namespace), wrapperArgv));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + full, e);
        }
    }

    /**
     * Downs the switch-side veth of {@code lan}: frames stop in both directions. The host's own interface loses
     * carrier (operstate LOWERLAYERDOWN), so software in the host can notice locally; use
     * {@link #blockLink(int)} to drop traffic while the carrier stays up.
     */
    public void cutLink(int lan) {
        Net.ip(lab.switchNs(), "link", "set", switchPort(lan), "down");
    }

    /**
     * Ups the switch-side veth of {@code lan}. With STP off the bridge port forwards at once; the bridge had
     * flushed the port's learnt MACs, and the host's ARP entries may be FAILED, so the first packets re-resolve.
     */
    public void healLink(int lan) {
        Net.ip(lab.switchNs(), "link", "set", switchPort(lan), "up");
    }

    /**
     * Drops every frame to and from this host on {@code lan} at the switch port (netdev ingress + egress hooks
     * in the switch namespace) while the link stays up: a silent partition that carrier detection cannot see.
     */
    public void blockLink(int lan) {
        String port = switchPort(lan);
        String t = "sf_block_" + port;
        // the delete before add keeps this idempotent (deleting a missing table fails, so declare it first)
        Net.nft(lab.switchNs(), "table netdev " + t + "\n"
                + "delete table netdev " + t + "\n"
                + "table netdev " + t + " {\n"
                + "  chain in { type filter hook ingress device \"" + port + "\" priority 0; policy drop; }\n"
                + "  chain out { type filter hook egress device \"" + port + "\" priority 0; policy drop; }\n"
                + "}\n");
    }

    /** Removes the drop installed by {@link #blockLink(int)} (no-op if none). */
    public void unblockLink(int lan) {
        String t = "sf_block_" + switchPort(lan);
        Net.nft(lab.switchNs(), "table netdev " + t + "\ndelete table netdev " + t + "\n");
    }

    /** {@link #cutLink(int)} on every lan. */
    public void isolate() {
        for (int lan = 1; lan <= lans(); lan++) {
            cutLink(lan);
        }
    }

    /** {@link #healLink(int)} on every lan. */
    public void rejoin() {
        for (int lan = 1; lan <= lans(); lan++) {
            healLink(lan);
        }
    }

    private int checkLan(int lan) {
        if (lan < 1 || lan > addrs.size()) {
            throw new IllegalArgumentException(name + " has no lan" + lan + " (lans: " + addrs.size() + ")");
        }
        return lan;
    }

    private List<String> nsArgv(List<String> wrapper, String... argv) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        full.addAll(wrapper);
        full.addAll(List.of(argv));
        return full;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + ", ns=" + namespace + ", addrs=" + addrs + "]";
    }
}
