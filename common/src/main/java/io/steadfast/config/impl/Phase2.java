package io.steadfast.config.impl;

import io.steadfast.config.CheckerConfig;
import io.steadfast.config.ClusterConfig;
import io.steadfast.config.Defaults;
import io.steadfast.config.FarmRule;
import io.steadfast.config.HeartbeatConfig;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.ModuleType;
import io.steadfast.config.SplitBrainConfig;
import io.steadfast.config.NodeConfig;
import io.steadfast.config.ProcessConfig;
import io.steadfast.config.ServiceConfig;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.config.WitnessTarget;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Phase 2: rules that relate fields to each other (counts, references between sections, collisions). Runs only
 * on a config that passed Phase 1, so every value has its type and format; each problem points at the later
 * of two colliding values, or at the mapping that lacks what the rule needs.
 */
public final class Phase2 {
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
            + "(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*");

    private final Problems problems;
    private final Locator where;

    public Phase2(Problems problems, Locator where) {
        this.problems = problems;
        this.where = where;
    }

    private void report(Locator.Loc loc, String message) {
        problems.add(loc.node(), loc.ctx(), message);
    }

    public void check(SteadfastConfig config) {
        ClusterConfig cluster = config.cluster();
        nodes(cluster);
        consoleOpen(cluster);
        List<ModuleConfig> modules = config.modules();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < modules.size(); i++) {
            ModuleConfig m = modules.get(i);
            Integer first = seen.putIfAbsent(m.name(), i);
            if (first != null) {
                report(where.at("modules", i, "name"), "duplicate module name \"" + m.name() + "\" (also modules["
                        + first + "])");
            }
            module(i, m, config);
        }
        ports(config);
        replicatedDirs(config);
        vips(modules);
    }

    // ---- cluster

    /** {@code cluster.console.open}: each endpoint once (a repeat is a typo for another one, or a merge leftover). */
    private void consoleOpen(ClusterConfig cluster) {
        List<io.steadfast.config.ConsoleConfig.Open> open = cluster.console().open();
        for (int i = 1; i < open.size(); i++) {
            int first = open.indexOf(open.get(i));
            if (first < i) {
                report(where.at("cluster", "console", "open", i), "\"" + open.get(i).name().toLowerCase(java.util.Locale.ROOT)
                        + "\" is listed twice (also open[" + first + "])");
            }
        }
    }

    private void nodes(ClusterConfig cluster) {
        Map<String, Integer> names = new HashMap<>();
        Map<String, String> addrs = new HashMap<>();
        Map<String, String> lanAddrs = new HashMap<>();
        for (int i = 0; i < cluster.nodes().size(); i++) {
            NodeConfig n = cluster.nodes().get(i);
            Integer first = names.putIfAbsent(n.name(), i);
            if (first != null) {
                report(where.at("cluster", "nodes", i, "name"), "duplicate node name \"" + n.name()
                        + "\" (also cluster.nodes[" + first + "])");
                continue;
            }
            String other = addrs.putIfAbsent(n.addr(), n.name());
            if (other != null) {
                report(where.at("cluster", "nodes", i, "addr"), n.addr() + " is also the address of node " + other);
            }
            for (var lan : n.lans().entrySet()) {
                String owner = lanAddrs.putIfAbsent(lan.getKey() + " " + lan.getValue(), n.name());
                if (owner != null) {
                    report(where.at("cluster", "nodes", i, "lans", lan.getKey()), lan.getValue()
                            + " is also the address of node " + owner + " on " + lan.getKey());
                }
            }
        }
        int bus = cluster.bus().port();
        if (cluster.bus().eventBusPort() > 65535) {
            report(where.at("cluster", "bus", "port"), bus + " leaves no room for the event bus at port + 100"
                    + " (set bus.event_bus_port)");
        }
    }

    // ---- one module

    private void module(int i, ModuleConfig m, SteadfastConfig config) {
        Locator.Loc notify = where.at("modules", i, "notify");
        if (!m.notifications().enabled() && notify.node() != where.at("modules", i).node()) {
            report(notify, "names no target: give script (an argv), webhook (an http(s) URL) or both");
        }
        ClusterConfig cluster = config.cluster();
        List<NodeConfig> known = new ArrayList<>();
        Set<String> listed = new LinkedHashSet<>();
        for (int j = 0; j < m.nodes().size(); j++) {
            String n = m.nodes().get(j);
            if (!listed.add(n)) {
                report(where.at("modules", i, "nodes", j), "\"" + n + "\" is listed twice");
            } else if (cluster.node(n).isEmpty()) {
                report(where.at("modules", i, "nodes", j), "unknown node \"" + n + "\" (cluster nodes: "
                        + cluster.nodes().stream().map(NodeConfig::name).collect(Collectors.joining(", ")) + ")");
            } else {
                known.add(cluster.node(n).orElseThrow());
            }
        }
        if (m.type() == ModuleType.MIRROR && m.nodes().size() != 2) {
            report(where.at("modules", i, "nodes"), "a mirror has exactly 2 nodes, found " + m.nodes().size());
        }
        if (m.type() == ModuleType.FARM && m.nodes().size() < 2) {
            report(where.at("modules", i, "nodes"), "a farm has at least 2 nodes, found " + m.nodes().size());
        }
        if (m.type() == ModuleType.FARM && m.nodes().size() > Defaults.FARM_MAX_NODES) {
            report(where.at("modules", i, "nodes"), "a farm has at most " + Defaults.FARM_MAX_NODES
                    + " nodes, found " + m.nodes().size());
        }
        heartbeat(i, m.heartbeat(), known);
        typeRules(i, m);
        service(i, m);
        processes(i, m.processes());
        checkers(i, m, config);
    }

    private void heartbeat(int i, HeartbeatConfig hb, List<NodeConfig> known) {
        if (hb.lans().isEmpty()) {
            report(where.at("modules", i, "heartbeat", "lans"), "the module's nodes have no lan in common "
                    + "(give them a common lan in cluster.nodes[].lans)");
        }
        Set<String> seen = new LinkedHashSet<>();
        for (int j = 0; j < hb.lans().size(); j++) {
            String lan = hb.lans().get(j);
            if (!seen.add(lan)) {
                report(where.at("modules", i, "heartbeat", "lans", j), "\"" + lan + "\" is listed twice");
                continue;
            }
            for (NodeConfig n : known) {
                if (!n.lans().containsKey(lan)) {
                    report(where.at("modules", i, "heartbeat", "lans", j), "unknown lan \"" + lan + "\" on node "
                            + n.name() + " (its lans: " + String.join(", ", n.lans().keySet()) + ")");
                    break;
                }
            }
        }
        // One late or lost pulse must not be a failure: the timeout spans at least two pulses.
        if (hb.timeout().compareTo(hb.pulse().multipliedBy(2)) < 0) {
            report(where.at("modules", i, "heartbeat", "timeout"), Formats.duration(hb.timeout())
                    + " must be at least 2 × pulse (" + Formats.duration(hb.pulse()) + "), i.e. "
                    + Formats.duration(hb.pulse().multipliedBy(2)));
        }
    }

    private void typeRules(int i, ModuleConfig m) {
        if (m.type() == ModuleType.MIRROR) {
            if (m.farm().isPresent()) {
                report(where.keyAt("modules", i, "farm"), "a mirror has no farm section (type farm only)");
            }
            if (!m.scripts().startBoth().isEmpty()) {
                report(where.keyAt("modules", i, "scripts", "start_both"),
                        "a mirror uses start_prim/stop_prim, not start_both");
            }
            if (!m.scripts().stopBoth().isEmpty()) {
                report(where.keyAt("modules", i, "scripts", "stop_both"),
                        "a mirror uses start_prim/stop_prim, not stop_both");
            }
            return;
        }
        if (m.replication().isPresent()) {
            report(where.keyAt("modules", i, "replication"), "a farm has no replication (type mirror only)");
        }
        if (m.splitbrain().after() != SplitBrainConfig.After.KEEP_COPY) {
            report(where.at("modules", i, "splitbrain", "after"), "a farm has no split-brain copies to keep: "
                    + "splitbrain.after applies to mirror modules only");
        }
        if (!m.scripts().startPrim().isEmpty()) {
            report(where.keyAt("modules", i, "scripts", "start_prim"),
                    "a farm uses start_both/stop_both, not start_prim");
        }
        if (!m.scripts().stopPrim().isEmpty()) {
            report(where.keyAt("modules", i, "scripts", "stop_prim"),
                    "a farm uses start_both/stop_both, not stop_prim");
        }
        if (m.vip().isEmpty()) {
            report(where.at("modules", i), "missing required key \"vip\" (a farm needs a VIP)");
        }
        if (m.farm().isEmpty()) {
            report(where.at("modules", i), "missing required key \"farm\" (a farm needs farm.rules)");
            return;
        }
        List<FarmRule> rules = m.farm().get().rules();
        if (rules.isEmpty()) {
            report(where.at("modules", i, "farm", "rules"), "a farm needs at least one rule "
                    + "(e.g. { proto: tcp, port: 80 }): without one every node answers every client");
        }
        Set<String> seen = new LinkedHashSet<>();
        for (int j = 0; j < rules.size(); j++) {
            FarmRule r = rules.get(j);
            if (!seen.add(r.proto() + "/" + r.port())) {
                report(where.at("modules", i, "farm", "rules", j), Formats.yamlName(r.proto()) + " port " + r.port()
                        + " has two rules");
            }
        }
        for (String n : m.farm().get().power().keySet()) {
            if (!m.nodes().contains(n)) {
                report(where.keyAt("modules", i, "farm", "power", n), "\"" + n + "\" is not a node of the module ("
                        + String.join(", ", m.nodes()) + ")");
            }
        }
        if (m.nodes().size() >= 2 && m.nodes().stream().allMatch(n -> m.farm().get().powerOf(n) == 0)) {
            report(where.keyAt("modules", i, "farm", "power"), "every node has power 0 (spare): at least one node "
                    + "needs power 1 or more");
        }
    }

    private void service(int i, ModuleConfig m) {
        String d = m.service().defaultprim();
        if (!d.equals(ServiceConfig.ALONE) && !d.equals(ServiceConfig.LASTPRIM) && !m.nodes().contains(d)) {
            report(where.at("modules", i, "service", "defaultprim"), "\"" + d + "\" is not one of alone | lastprim | "
                    + String.join(" | ", m.nodes()));
        }
    }

    private void processes(int i, List<ProcessConfig> processes) {
        Set<String> names = new LinkedHashSet<>();
        for (int j = 0; j < processes.size(); j++) {
            ProcessConfig p = processes.get(j);
            if (!names.add(p.name())) {
                report(where.at("modules", i, "processes", j, "name"), "duplicate process name \"" + p.name() + "\"");
            }
            if (p.atmost() != 0 && p.atmost() < p.atleast()) {
                report(where.at("modules", i, "processes", j, "atmost"), p.atmost() + " is less than atleast ("
                        + p.atleast() + ")");
            }
        }
    }

    private void checkers(int i, ModuleConfig m, SteadfastConfig config) {
        Set<String> names = new LinkedHashSet<>();
        for (int j = 0; j < m.checkers().size(); j++) {
            CheckerConfig c = m.checkers().get(j);
            if (!names.add(c.name())) {
                report(where.at("modules", i, "checkers", j, "name"), "duplicate checker name \"" + c.name() + "\"");
            }
            if (c.timeout().compareTo(c.interval()) > 0) {
                report(where.at("modules", i, "checkers", j, "timeout"), Formats.duration(c.timeout())
                        + " is longer than interval (" + Formats.duration(c.interval()) + ")");
            }
            checkerTarget(i, j, c, m, config);
        }
    }

    private void checkerTarget(int i, int j, CheckerConfig c, ModuleConfig m, SteadfastConfig config) {
        Locator.Loc checker = where.at("modules", i, "checkers", j);
        Locator.Loc target = where.at("modules", i, "checkers", j, "target");
        String type = Formats.yamlName(c.type());
        if (!c.command().isEmpty() && c.type() != io.steadfast.config.CheckerType.CUSTOM) {
            report(where.keyAt("modules", i, "checkers", j, "command"), "command is only for type custom");
        }
        String t = c.target().orElse(null);
        switch (c.type()) {
            case TCP -> {
                if (t == null) {
                    report(checker, "missing required key \"target\" (host:port)");
                } else if (!isHostPort(t)) {
                    report(target, "\"" + t + "\" is not host:port (e.g. 127.0.0.1:5432)");
                }
            }
            case HTTP -> {
                if (t == null) {
                    report(checker, "missing required key \"target\" (an http:// or https:// URL)");
                } else if (!isHttpUrl(t)) {
                    report(target, "\"" + t + "\" is not an http:// or https:// URL");
                }
            }
            case PING -> {
                if (t == null) {
                    report(checker, "missing required key \"target\" (an address)");
                } else if (!isHost(t)) {
                    report(target, "\"" + t + "\" is not an IPv4 address or host name");
                }
            }
            case INTERFACE -> {
                if (t == null) {
                    report(checker, "missing required key \"target\" (an interface name)");
                } else if (!Formats.isInterfaceName(t)) {
                    report(target, "\"" + t + "\" is not an interface name (1 to 15 of A-Z a-z 0-9 _ . -)");
                }
            }
            case IP -> {
                if (t == null && m.vip().isEmpty()) {
                    report(checker, "missing required key \"target\" (an ip checker checks the module's VIP "
                            + "unless given an address, and this module has no vip)");
                } else if (t != null && !Formats.isIpv4(t)) {
                    report(target, "\"" + t + "\" is not an IPv4 address (a.b.c.d)");
                }
            }
            case CUSTOM -> {
                if (c.command().isEmpty()) {
                    report(checker, "missing required key \"command\" (the argv to run, e.g. [/opt/app/bin/health])");
                }
                if (t != null) {
                    report(where.keyAt("modules", i, "checkers", j, "target"), "a " + type
                            + " checker has no target (it runs command)");
                }
            }
            case MODULE -> {
                if (t == null) {
                    report(checker, "missing required key \"target\" (a module name)");
                } else if (t.split("[@=]", 2)[0].equals(m.name()) || config.module(t.split("[@=]", 2)[0]).isEmpty()) {
                    // target syntax module[@node][=STATE|…] (io.steadfast.checker.ModuleTarget); the module must exist
                    report(target, "\"" + t + "\" is not another module of this cluster ("
                            + config.modules().stream().map(ModuleConfig::name).filter(n -> !n.equals(m.name()))
                            .collect(Collectors.joining(", ")) + ")");
                }
            }
            case WITNESS -> {
                if (t == null && !m.splitbrain().hasWitness()) {
                    report(checker, "missing required key \"target\" (a witness checker checks splitbrain.witness "
                            + "unless given one, and this module has none)");
                } else if (t != null) {
                    try {
                        WitnessTarget.parse(t);
                    } catch (IllegalArgumentException e) {
                        report(target, e.getMessage());
                    }
                }
            }
        }
    }

    private static boolean isHost(String s) {
        return Formats.isIpv4(s) || (s.length() <= 253 && HOST.matcher(s).matches());
    }

    private static boolean isHostPort(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0) {
            return false;
        }
        String port = s.substring(colon + 1);
        return isHost(s.substring(0, colon)) && port.matches("[1-9]\\d{0,4}") && Integer.parseInt(port) <= 65535;
    }

    private static boolean isHttpUrl(String s) {
        try {
            URI u = new URI(s);
            return ("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    // ---- across modules

    /** A listening port; {@code nodes} null = on every node. */
    private record PortUse(int port, Set<String> nodes, Object[] path, String what) {
        Set<String> common(PortUse other) {
            if (nodes == null) {
                return other.nodes;
            }
            if (other.nodes == null) {
                return nodes;
            }
            Set<String> s = new LinkedHashSet<>(nodes);
            s.retainAll(other.nodes);
            return s;
        }
    }

    /**
     * Two listeners on the same port collide when they can run on the same node. Heartbeats are UDP and the
     * rest TCP, but one number per purpose keeps firewall rules and diagnostics unambiguous, so any overlap
     * on a shared node is an error.
     */
    private void ports(SteadfastConfig config) {
        ClusterConfig c = config.cluster();
        List<PortUse> uses = new ArrayList<>();
        uses.add(new PortUse(c.bus().port(), null, new Object[] {"cluster", "bus", "port"}, "cluster.bus.port"));
        uses.add(new PortUse(c.bus().eventBusPort(), null, new Object[] {"cluster", "bus", "event_bus_port"},
                "cluster.bus.event_bus_port"));
        uses.add(new PortUse(c.console().port(), null, new Object[] {"cluster", "console", "port"},
                "cluster.console.port"));
        for (int i = 0; i < config.modules().size(); i++) {
            ModuleConfig m = config.modules().get(i);
            Set<String> nodes = new LinkedHashSet<>(m.nodes());
            uses.add(new PortUse(m.heartbeat().port(), nodes, new Object[] {"modules", i, "heartbeat", "port"},
                    "heartbeat.port of module " + m.name()));
            if (m.replication().isPresent()) {
                uses.add(new PortUse(m.replication().get().port(), nodes,
                        new Object[] {"modules", i, "replication", "port"}, "replication.port of module " + m.name()));
            }
        }
        for (int a = 1; a < uses.size(); a++) {
            PortUse later = uses.get(a);
            for (int b = 0; b < a; b++) {
                PortUse earlier = uses.get(b);
                if (earlier.port() != later.port()) {
                    continue;
                }
                Set<String> shared = earlier.common(later);
                if (shared != null && shared.isEmpty()) {
                    continue;
                }
                String on = shared == null || (earlier.nodes() == null || later.nodes() == null)
                        ? "" : " on " + String.join(", ", shared);
                report(where.at(later.path()), later.port() + " is already used by " + earlier.what() + on);
                break;
            }
        }
    }

    /**
     * Directories the system needs as they are: replicating one would hide it behind a FUSE mount on the primary and
     * overwrite it with the primary's copy on the secondary. Exact paths only: /var/lib/postgresql is fine.
     */
    static final Set<Path> SYSTEM_DIRS = Set.of("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64",
            "/libx32", "/proc", "/root", "/run", "/sbin", "/sys", "/tmp", "/usr", "/usr/bin", "/usr/lib", "/usr/lib32",
            "/usr/lib64", "/usr/libexec", "/usr/local", "/usr/sbin", "/usr/share", "/var", "/var/cache", "/var/lib",
            "/var/log", "/var/run", "/var/spool", "/var/tmp").stream().map(Path::of).collect(Collectors.toSet());

    /** Kernel pseudo filesystems on every Linux host: nothing below them is data (Phase3Host checks the rest). */
    static final List<Path> PSEUDO_TREES = List.of(Path.of("/proc"), Path.of("/sys"), Path.of("/dev"));

    /**
     * Replicated directories are mount points of their own FUSE filesystem: they cannot repeat or nest, be a system
     * directory, lie on a kernel pseudo filesystem, overlap the state directory (the agent's state and the
     * replication's backing copies live there) or hold a credential file.
     */
    private void replicatedDirs(SteadfastConfig config) {
        record Dir(Path path, int module, int index) {
        }
        List<ModuleConfig> modules = config.modules();
        ClusterConfig cluster = config.cluster();
        Map<String, Path> credentials = credentials(cluster);
        List<Dir> dirs = new ArrayList<>();
        for (int i = 0; i < modules.size(); i++) {
            var rep = modules.get(i).replication();
            if (rep.isEmpty()) {
                continue;
            }
            List<Path> ds = rep.get().dirs();
            for (int j = 0; j < ds.size(); j++) {
                Dir d = new Dir(ds.get(j), i, j);
                Locator.Loc loc = where.at("modules", i, "replication", "dirs", j);
                String alone = alone(d.path(), cluster.stateDir(), credentials);
                if (alone != null) {
                    report(loc, alone);
                    continue;
                }
                for (Dir o : dirs) {
                    String other = o.module() == i ? "" : " of module " + modules.get(o.module()).name();
                    if (o.path().equals(d.path())) {
                        report(loc, "\"" + d.path() + "\" is already replicated" + (other.isEmpty() ? " (listed twice)"
                                : " by module " + modules.get(o.module()).name()));
                        break;
                    }
                    if (d.path().startsWith(o.path()) || o.path().startsWith(d.path())) {
                        report(loc, "\"" + d.path() + "\" and \"" + o.path() + "\"" + other
                                + " are nested (replicated dirs must not contain one another)");
                        break;
                    }
                }
                dirs.add(d);
            }
        }
    }

    /** The credential files the config names, by key, in the order they are written. */
    private static Map<String, Path> credentials(ClusterConfig cluster) {
        Map<String, Path> files = new java.util.LinkedHashMap<>();
        files.put("cluster.secret_file", cluster.secretFile());
        cluster.bus().tls().ifPresent(t -> {
            files.put("cluster.bus.tls.keystore", t.keystore());
            files.put("cluster.bus.tls.password_file", t.passwordFile());
        });
        cluster.console().tls().ifPresent(t -> {
            files.put("cluster.console.tls.keystore", t.keystore());
            files.put("cluster.console.tls.password_file", t.passwordFile());
        });
        cluster.console().usersFile().ifPresent(f -> files.put("cluster.console.users_file", f));
        return files;
    }

    /** What makes {@code dir} unusable whatever the other replicated dirs are, or null. Pure: paths only. */
    static String alone(Path dir, Path stateDir, Map<String, Path> credentials) {
        String q = "\"" + dir + "\"";
        if (dir.getNameCount() == 0) {
            return "\"/\" cannot be replicated";
        }
        for (Path pseudo : PSEUDO_TREES) {
            if (dir.startsWith(pseudo)) {
                return q + " is on a kernel pseudo filesystem (" + pseudo + "): it holds no data to replicate";
            }
        }
        if (SYSTEM_DIRS.contains(dir)) {
            return q + " is a system directory: replicating it would hide it behind the replication's mount and"
                    + " overwrite the secondary's; replicate the application's own directory (e.g. /srv/app,"
                    + " /var/lib/postgresql)";
        }
        String state = "cluster.state_dir " + stateDir + " (the agent's state and the replication's backing copies)";
        if (dir.startsWith(stateDir)) {
            return q + (dir.equals(stateDir) ? " is " : " is inside ") + state + ": choose a directory outside it";
        }
        if (stateDir.startsWith(dir)) {
            return q + " contains " + state + ": choose a directory that does not, or move state_dir";
        }
        for (var c : credentials.entrySet()) {
            if (c.getValue().startsWith(dir)) {
                return q + " contains " + c.getKey() + " " + c.getValue() + ": a credential must stay outside"
                        + " replicated directories (the application and the replication channel would reach it)";
            }
        }
        return null;
    }

    private void vips(List<ModuleConfig> modules) {
        Map<String, String> owners = new HashMap<>();
        for (int i = 0; i < modules.size(); i++) {
            ModuleConfig m = modules.get(i);
            if (m.vip().isEmpty()) {
                continue;
            }
            String addr = m.vip().get().addr().address();
            String owner = owners.putIfAbsent(addr, m.name());
            if (owner != null) {
                report(where.at("modules", i, "vip", "addr"), addr + " is also the VIP of module " + owner);
            }
        }
    }
}
