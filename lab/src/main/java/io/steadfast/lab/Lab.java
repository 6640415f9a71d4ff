package io.steadfast.lab;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small network built from network namespaces on this machine.
 *
 * <pre>
 *   &lt;prefix&gt;-sw : br1 198.18.0.1/16 (lan1)   br2 198.19.0.1/16 (lan2, optional)   = witness/gateway
 *      ports n&lt;i&gt;l1, n&lt;i&gt;l2, c&lt;j&gt;l1 (switch ends of veth pairs)
 *   &lt;prefix&gt;-n&lt;i&gt; : eth0 198.18.0.(10+i)/16, eth1 198.19.0.(10+i)/16
 *   &lt;prefix&gt;-c&lt;j&gt; : eth0 198.18.1.j/16 + 198.18.(10+j).k/16, k = 1..N
 * </pre>
 *
 * No default routes: the lans are flat /16s, and nothing is routed between them. Nothing is changed in the
 * machine's own network namespace: veth pairs are created inside the switch namespace with their peer placed
 * directly into the host namespace. {@link #close()} kills what the lab started and deletes its namespaces;
 * it is also run by a JVM shutdown hook.
 */
public final class Lab implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Lab.class);
    private static final Duration KILL_WAIT = Duration.ofSeconds(5);
    private static final Duration EXEC_WAIT = Duration.ofSeconds(5);

    /** Fixed, locally administered bridge MACs (see {@link #switchScript()}). */
    private static final String[] BRIDGE_MAC = {"06:5f:5f:00:00:01", "06:5f:5f:00:00:02"};

    private final LabSpec spec;
    private final String switchNs;
    private final List<LabNode> nodes = new ArrayList<>();
    private final List<LabClient> clients = new ArrayList<>();
    /** Namespaces this lab created, in creation order; only these are ever deleted by {@link #close()}. */
    private final List<String> created = Collections.synchronizedList(new ArrayList<>());
    private final List<LabProcess> processes = Collections.synchronizedList(new ArrayList<>());
    private final Thread shutdownHook;
    private volatile boolean closed;

    private Lab(LabSpec spec) {
        this.spec = spec;
        this.switchNs = spec.prefix() + "-sw";
        this.shutdownHook = Thread.ofPlatform().name("lab-cleanup-" + spec.prefix()).unstarted(this::closeQuietly);
    }

    /** Builds the lab; on any failure everything already created is removed before the exception propagates. */
    public static Lab create(LabSpec spec) {
        Lab lab = new Lab(spec);
        Runtime.getRuntime().addShutdownHook(lab.shutdownHook);
        try {
            lab.build();
            LOG.info("lab {} up: {} nodes, {} clients, lans {}", spec.prefix(), spec.nodes(), spec.clients(),
                    spec.secondLan() ? 2 : 1);
            return lab;
        } catch (RuntimeException e) {
            try {
                lab.close();
            } catch (RuntimeException ce) {
                e.addSuppressed(ce);
            }
            throw e;
        }
    }

    private void build() {
        int lans = spec.secondLan() ? 2 : 1;
        for (int i = 1; i <= spec.nodes(); i++) {
            List<String> addrs = new ArrayList<>();
            List<String> ports = new ArrayList<>();
            for (int lan = 1; lan <= lans; lan++) {
                addrs.add("198." + (17 + lan) + ".0." + (10 + i));
                ports.add("n" + i + "l" + lan);
            }
            nodes.add(new LabNode(this, "node" + i, spec.prefix() + "-n" + i, i, addrs, ports));
        }
        for (int j = 1; j <= spec.clients(); j++) {
            List<String> extra = new ArrayList<>();
            for (int k = 1; k <= spec.extraAddrs(); k++) {
                extra.add("198.18." + (10 + j) + "." + k);
            }
            clients.add(new LabClient(this, "client" + j, spec.prefix() + "-c" + j, j,
                    List.of("198.18.1." + j), List.of("c" + j + "l1"), extra));
        }

        addNamespace(switchNs);
        for (LabHost h : hosts()) {
            addNamespace(h.namespace());
        }
        // Sysctls before any interface exists: new interfaces copy conf.default at creation time.
        sysctls(switchNs);
        for (LabHost h : hosts()) {
            sysctls(h.namespace());
        }
        Net.ipBatch(switchNs, switchScript());
        for (LabNode n : nodes) {
            List<String> s = new ArrayList<>(List.of("link set lo up"));
            for (int lan = 1; lan <= n.lans(); lan++) {
                s.add("addr add " + n.addr(lan) + "/16 dev " + n.iface(lan));
                s.add("link set " + n.iface(lan) + " up");
            }
            Net.ipBatch(n.namespace(), s);
        }
        for (LabClient c : clients) {
            List<String> s = new ArrayList<>(List.of("link set lo up", "addr add " + c.addr() + "/16 dev eth0"));
            // same /16 as the primary: these become secondaries, usable as sources with ping -I / bind()
            for (String a : c.extraAddrs()) {
                s.add("addr add " + a + "/16 dev eth0");
            }
            s.add("link set eth0 up");
            Net.ipBatch(c.namespace(), s);
        }
        String nf = Net.sysctlGet(switchNs, "net.bridge.bridge-nf-call-iptables");
        if ("1".equals(nf)) {
            // br_netfilter is loaded on this machine: bridged IPv4 frames traverse the ip-family hooks of the
            // switch namespace. The lab leaves it as is (empty ruleset there, so no effect); rules added to the
            // switch namespace in the ip/inet family would also see bridged traffic.
            LOG.debug("{}: bridge-nf-call-iptables=1 (br_netfilter loaded); switch ns has no ip rules", switchNs);
        }
    }

    private void addNamespace(String ns) {
        // Fails if the name exists (another run, a leak): the existing namespace is never adopted or deleted.
        Net.run(Net.DEFAULT_TIMEOUT, List.of("ip", "netns", "add", ns));
        created.add(ns);
    }

    /**
     * IPv4 conf/all and conf/default of a new namespace are copied from the machine's namespace
     * (net.core.devconf_inherit_init_net=0), so the lab would silently inherit host tuning (rp_filter,
     * arp_announce, ...). Pin the values tests rely on instead.
     */
    private void sysctls(String ns) {
        List<String> kv = new ArrayList<>(List.of(
                // no routing between lan1 and lan2, neither on the switch nor on a node
                "net.ipv4.ip_forward=0",
                // strict reverse-path filtering would drop replies to VIPs / extra source addresses in odd ways
                "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
                // removing a primary address must not remove the secondaries (VIPs) of the same subnet with it
                "net.ipv4.conf.all.promote_secondaries=1", "net.ipv4.conf.default.promote_secondaries=1",
                // kernel defaults, so a vip-svc test sees exactly what it sets
                "net.ipv4.conf.all.arp_ignore=0", "net.ipv4.conf.default.arp_ignore=0",
                "net.ipv4.conf.all.arp_announce=0", "net.ipv4.conf.default.arp_announce=0"));
        if (!spec.ipv6()) {
            // IPv4-only lab: no DAD/MLD/router solicitations flooding the bridges, no v6 link-locals to confuse
            // address pickers
            kv.addAll(List.of("net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"));
        }
        Net.sysctl(ns, kv);
    }

    private List<String> switchScript() {
        List<String> s = new ArrayList<>(List.of("link set lo up"));
        int lans = spec.secondLan() ? 2 : 1;
        for (int lan = 1; lan <= lans; lan++) {
            String br = "br" + lan;
            // stp off: ports forward as soon as they are up (no 15 s listening/learning after healLink).
            // mcast_snooping off: without an IGMP querier, snooping can stop multicast after the membership ages
            // out; a dumb switch floods it. Explicit MAC: a bridge otherwise takes the lowest port MAC and changes
            // it as ports come and go, silently invalidating the witness's ARP entries in the hosts.
            s.add("link add " + br + " address " + BRIDGE_MAC[lan - 1]
                    + " type bridge stp_state 0 forward_delay 0 mcast_snooping 0");
            s.add("addr add " + witnessAddr(lan) + "/16 dev " + br);
            s.add("link set " + br + " up");
        }
        for (LabHost h : hosts()) {
            for (int lan = 1; lan <= h.lans(); lan++) {
                // created here, peer placed straight into the host namespace: nothing ever appears in the root ns
                s.add("link add " + h.switchPort(lan) + " type veth peer name " + h.iface(lan)
                        + " netns " + h.namespace());
                s.add("link set " + h.switchPort(lan) + " master br" + lan + " up");
            }
        }
        return s;
    }

    // ---- accessors -----------------------------------------------------------------------------------

    public LabSpec spec() {
        return spec;
    }

    public String prefix() {
        return spec.prefix();
    }

    public String switchNs() {
        return switchNs;
    }

    /** The switch's address on lan1 (198.18.0.1): a pingable gateway/witness. */
    public String witnessAddr() {
        return witnessAddr(1);
    }

    /** The switch's address on {@code lan}: 198.18.0.1 or 198.19.0.1. */
    public String witnessAddr(int lan) {
        if (lan < 1 || lan > (spec.secondLan() ? 2 : 1)) {
            throw new IllegalArgumentException("no lan" + lan);
        }
        return "198." + (17 + lan) + ".0.1";
    }

    /** {@code node("node2")}. */
    public LabNode node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + name + " in lab " + prefix()));
    }

    /** Node {@code i}, 1-based. */
    public LabNode node(int i) {
        return nodes.get(i - 1);
    }

    public List<LabNode> nodes() {
        return List.copyOf(nodes);
    }

    /** Client {@code j}, 1-based. */
    public LabClient client(int j) {
        if (j < 1 || j > clients.size()) {
            throw new IllegalArgumentException("no client " + j + " in lab " + prefix());
        }
        return clients.get(j - 1);
    }

    public List<LabClient> clients() {
        return List.copyOf(clients);
    }

    /** Every namespace of the lab: switch, nodes, clients. */
    public List<String> namespaces() {
        List<String> l = new ArrayList<>(List.of(switchNs));
        hosts().forEach(h -> l.add(h.namespace()));
        return l;
    }

    private List<LabHost> hosts() {
        List<LabHost> l = new ArrayList<>(nodes);
        l.addAll(clients);
        return l;
    }

    LabProcess register(ProcessBuilder pb, String ns, List<String> argv, Path log, List<List<String>> launchers)
            throws IOException {
        LabProcess p;
        synchronized (processes) {
            if (closed) {
                throw new LabException("lab " + prefix() + " is closed");
            }
            p = new LabProcess(pb.start(), ns, argv, log);
            processes.add(p);
        }
        p.awaitExec(launchers, EXEC_WAIT);
        LOG.debug("started pid {} in {}: {}", p.pid(), ns, argv);
        return p;
    }

    // ---- teardown ------------------------------------------------------------------------------------

    /**
     * Kills every process the lab started (SIGKILL by PID, waited for), then any process still inside a lab
     * namespace (forked by those), then deletes the namespaces this lab created. Idempotent; a retry after a
     * partial failure continues with what is left.
     */
    @Override
    public synchronized void close() {
        List<RuntimeException> errors = new ArrayList<>();
        List<LabProcess> procs;
        synchronized (processes) {
            closed = true;
            procs = new ArrayList<>(processes);
        }
        for (LabProcess p : procs) {
            try {
                p.kill9();
                processes.remove(p);
            } catch (RuntimeException e) {
                errors.add(e);
            }
        }
        List<String> toDelete;
        synchronized (created) {
            toDelete = new ArrayList<>(created);
        }
        int deleted = 0;
        // hosts first, switch last (reverse creation order)
        for (String ns : toDelete.reversed()) {
            try {
                deleted += deleteNamespace(ns) ? 1 : 0;
                created.remove(ns);
            } catch (RuntimeException e) {
                errors.add(e);
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down (we may be the hook)
        }
        if (!errors.isEmpty()) {
            LabException ex = new LabException("lab " + prefix() + " cleanup incomplete: " + errors.get(0).getMessage());
            errors.forEach(ex::addSuppressed);
            throw ex;
        } else if (deleted > 0) {
            LOG.info("lab {} removed ({} namespaces)", prefix(), deleted);
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            LOG.error("lab {} cleanup at shutdown failed", prefix(), e);
        }
    }

    /**
     * Kills the processes still inside {@code ns}, then deletes it. {@code ip netns del} only unmounts the
     * name: the namespace (and its veths and bridge) lives on, invisible to {@code ip netns list}, while any
     * process is still inside it. So the namespace is emptied first.
     */
    private static boolean deleteNamespace(String ns) {
        ExecResult pids = Net.exec(Net.DEFAULT_TIMEOUT, List.of("ip", "netns", "pids", ns));
        if (pids.ok()) {
            List<ProcessHandle> left = pids.stdout().lines().map(String::strip).filter(s -> s.matches("\\d+"))
                    .map(Long::parseLong).map(ProcessHandle::of).flatMap(java.util.Optional::stream).toList();
            for (ProcessHandle h : left) {
                LOG.warn("killing pid {} left in {}: {}", h.pid(), ns, h.info().commandLine().orElse("?"));
                // ProcessHandle checks the start time, so a recycled PID is not hit
                h.destroyForcibly();
            }
            for (ProcessHandle h : left) {
                try {
                    h.onExit().get(KILL_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    throw new LabException("pid " + h.pid() + " in " + ns + " did not die", e);
                }
            }
        } else if (!isNamespaceListed(ns)) {
            return false; // already gone (e.g. removed by destroy() from another process)
        }
        Net.run(Net.DEFAULT_TIMEOUT, List.of("ip", "netns", "del", ns));
        return true;
    }

    private static boolean isNamespaceListed(String ns) {
        return listNamespaces().contains(ns);
    }

    /**
     * Leaves the lab running after this JVM exits (for {@code steadfast demo}): forgets the processes and
     * namespaces it would otherwise remove at close or shutdown. {@link #destroy(String)} with {@link #prefix()}
     * removes it all later, from any process.
     */
    public synchronized void detach() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // shutting down already
        }
        processes.clear();
        created.clear();
        closed = true;
    }

    /** Names from {@code ip netns list} (read-only). */
    public static List<String> listNamespaces() {
        ExecResult r = Net.run(Net.DEFAULT_TIMEOUT, List.of("ip", "netns", "list"));
        // lines look like "name" or "name (id: 3)"
        return r.stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).map(l -> l.split("\\s+")[0]).toList();
    }

    /**
     * Removes the namespaces of the lab {@code prefix} left by another process (e.g. {@code steadfast demo
     * --down}): only the exact lab names {@code <prefix>-sw}, {@code <prefix>-n<i>}, {@code <prefix>-c<j>}.
     * Processes still inside them are killed first. Returns the names removed.
     */
    public static List<String> destroy(String prefix) {
        if (prefix == null || !LabSpec.PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("not a lab prefix: " + prefix);
        }
        Pattern mine = Pattern.compile(Pattern.quote(prefix) + "-(sw|n[1-9][0-9]*|c[1-9][0-9]*)");
        List<String> ours = listNamespaces().stream().filter(n -> mine.matcher(n).matches()).toList();
        List<String> ordered = new ArrayList<>(ours.stream().filter(n -> !n.endsWith("-sw")).toList());
        ours.stream().filter(n -> n.endsWith("-sw")).forEach(ordered::add);
        List<RuntimeException> errors = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        for (String ns : ordered) {
            try {
                if (deleteNamespace(ns)) {
                    removed.add(ns);
                }
            } catch (RuntimeException e) {
                errors.add(e);
            }
        }
        if (!errors.isEmpty()) {
            LabException ex = new LabException("destroy " + prefix + " incomplete: " + errors.get(0).getMessage());
            errors.forEach(ex::addSuppressed);
            throw ex;
        }
        if (!removed.isEmpty()) {
            LOG.info("lab {} destroyed: {}", prefix, removed);
        }
        return removed;
    }

    @Override
    public String toString() {
        return "Lab[" + prefix() + ", nodes=" + nodes.size() + ", clients=" + clients.size() + "]";
    }
}
