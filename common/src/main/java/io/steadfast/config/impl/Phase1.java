package io.steadfast.config.impl;

import io.steadfast.config.AsyncMode;
import io.steadfast.config.BusConfig;
import io.steadfast.config.CheckerConfig;
import io.steadfast.config.CheckerType;
import io.steadfast.config.Cidr;
import io.steadfast.config.ClusterConfig;
import io.steadfast.config.ConsoleConfig;
import io.steadfast.config.Defaults;
import io.steadfast.config.FailureAction;
import io.steadfast.config.FarmConfig;
import io.steadfast.config.FarmRule;
import io.steadfast.config.FilterMode;
import io.steadfast.config.GarpConfig;
import io.steadfast.config.HeartbeatConfig;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.ModuleType;
import io.steadfast.config.NodeConfig;
import io.steadfast.config.NotifyConfig;
import io.steadfast.config.ProcessConfig;
import io.steadfast.config.Proto;
import io.steadfast.config.ReplicationConfig;
import io.steadfast.config.ScriptsConfig;
import io.steadfast.config.ServiceConfig;
import io.steadfast.config.SplitBrainConfig;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.config.SupervisionAction;
import io.steadfast.config.TlsConfig;
import io.steadfast.config.VipConfig;
import io.steadfast.config.WitnessTarget;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Phase 1: every key and every value on its own (presence, type, range, format), producing the typed records.
 * Wrong values become placeholders (the result is discarded when any problem was reported). Checks that
 * relate two fields belong to {@link Phase2}. Defaults that depend on other sections (heartbeat lans, farm
 * power) are filled in here, from whatever parsed.
 */
public final class Phase1 {
    private static final Duration NO_DURATION = Duration.ZERO;

    private final Problems problems;

    public Phase1(Problems problems) {
        this.problems = problems;
    }

    public SteadfastConfig parse(Path source, Node root) {
        MapReader top = MapReader.of(root, Ctx.ROOT, problems, "cluster", "modules");
        if (!(root instanceof org.yaml.snakeyaml.nodes.MappingNode)) {
            return null; // already reported: nothing else can be said
        }
        top.require("cluster", "modules");
        ClusterConfig cluster = cluster(top.map("cluster", "name", "secret_file", "state_dir", "bus", "console",
                "nodes", "insecure"));
        List<ModuleConfig> modules = new ArrayList<>();
        List<Node> items = top.list("modules");
        for (int i = 0; i < items.size(); i++) {
            Node item = items.get(i);
            modules.add(module(item, top.ctx("modules").item(i, MapReader.nameOf(item)), cluster));
        }
        return new SteadfastConfig(source, cluster, modules);
    }

    // ---- cluster

    private ClusterConfig cluster(MapReader r) {
        r.require("name", "nodes");
        String name = r.text("name").orElse("");
        Path secret = r.absPath("secret_file").orElse(Defaults.SECRET_FILE);
        Path state = r.absPath("state_dir").orElse(Defaults.STATE_DIR);

        MapReader b = r.map("bus", "port", "event_bus_port", "tls");
        int busPort = b.port("port").orElse(Defaults.BUS_PORT);
        // The default may exceed 65535 for a high bus.port: Phase2 reports that against bus.port.
        int ebPort = b.port("event_bus_port").orElse(busPort + Defaults.EVENT_BUS_PORT_OFFSET);
        BusConfig bus = new BusConfig(busPort, ebPort, tls(b, "tls"));

        MapReader c = r.map("console", "port", "bind", "tls", "users_file", "open");
        ConsoleConfig console = new ConsoleConfig(
                c.port("port").orElse(Defaults.CONSOLE_PORT),
                c.ipv4("bind").orElse(Defaults.CONSOLE_BIND),
                tls(c, "tls"),
                c.absPath("users_file"),
                c.has("open") ? c.list("open", it -> it.string().flatMap(s -> MapReader.enumValue(s, it.node(),
                        it.ctx(), problems, ConsoleConfig.Open.class))) : ConsoleConfig.DEFAULT_OPEN);

        List<NodeConfig> nodes = new ArrayList<>();
        List<Node> items = r.list("nodes");
        if (r.isEmptyList("nodes")) {
            problems.add(r.value("nodes"), r.ctx("nodes"), "must list at least one node");
        }
        for (int i = 0; i < items.size(); i++) {
            Node item = items.get(i);
            nodes.add(node(MapReader.of(item, r.ctx("nodes").item(i, MapReader.nameOf(item)), problems,
                    "name", "addr", "lans")));
        }
        return new ClusterConfig(name, secret, state, bus, console, nodes, insecure(r));
    }

    /**
     * {@code insecure}: only the YAML booleans true/false (not on/yes): switching the bus authentication off must be
     * written out, never the result of a typo.
     */
    private boolean insecure(MapReader r) {
        return r.string("insecure").map(s -> switch (s) {
            case "true" -> true;
            case "false" -> false;
            default -> {
                problems.add(r.value("insecure"), r.ctx("insecure"), MapReader.quote(s)
                        + " is not true or false (insecure: true turns off the event-bus authentication)");
                yield false;
            }
        }).orElse(false);
    }

    private Optional<TlsConfig> tls(MapReader parent, String key) {
        if (!parent.has(key)) {
            return Optional.empty();
        }
        MapReader t = parent.map(key, "keystore", "truststore", "password_file");
        t.require("keystore", "password_file");
        return Optional.of(new TlsConfig(
                t.absPath("keystore").orElse(Path.of("/")),
                t.absPath("truststore"),
                t.absPath("password_file").orElse(Path.of("/"))));
    }

    private NodeConfig node(MapReader r) {
        r.require("name", "addr");
        String name = r.name("name").orElse("");
        String addr = r.ipv4("addr").orElse("0.0.0.0");
        Map<String, String> lans = new LinkedHashMap<>();
        if (r.has("lans")) {
            Node v = r.value("lans");
            if (v instanceof org.yaml.snakeyaml.nodes.MappingNode m) {
                Ctx lc = r.ctx("lans");
                for (var t : m.getValue()) {
                    if (!(t.getKeyNode() instanceof ScalarNode k)) {
                        problems.add(t.getKeyNode(), lc, "a lan name must be a plain word, found "
                                + MapReader.describe(t.getKeyNode()));
                        continue;
                    }
                    String lan = k.getValue();
                    if (lans.containsKey(lan)) {
                        problems.add(k, lc, "duplicate key \"" + lan + "\"");
                        continue;
                    }
                    if (!MapReader.checkName(lan, k, lc.key(lan), problems)) {
                        continue;
                    }
                    Optional<String> a = MapReader.scalar(t.getValueNode(), lc.key(lan), problems)
                            .filter(s -> MapReader.checkIpv4(s, t.getValueNode(), lc.key(lan), problems));
                    lans.put(lan, a.orElse("0.0.0.0"));
                }
                if (m.getValue().isEmpty()) {
                    problems.add(v, lc, "must name at least one lan (or leave lans out: {lan1: addr})");
                }
            } else {
                problems.add(v, r.ctx("lans"), "expected a mapping of lan name to address "
                        + "(e.g. { lan1: 198.18.0.11 }), found " + MapReader.describe(v));
            }
        } else {
            lans.put(Defaults.LAN, addr);
        }
        return new NodeConfig(name, addr, lans);
    }

    // ---- modules

    private ModuleConfig module(Node item, Ctx ctx, ClusterConfig cluster) {
        MapReader r = MapReader.of(item, ctx, problems, "name", "type", "nodes", "heartbeat", "vip", "replication",
                "service", "splitbrain", "scripts", "processes", "checkers", "farm", "notify");
        r.require("name", "type", "nodes", "heartbeat");
        String name = r.name("name").orElse("");
        ModuleType type = r.enumValue("type", ModuleType.class).orElse(ModuleType.MIRROR);
        List<String> nodes = r.list("nodes", MapReader.Item::name);
        if (r.isEmptyList("nodes")) {
            problems.add(r.value("nodes"), r.ctx("nodes"), "must list the module's nodes");
        }

        HeartbeatConfig heartbeat = heartbeat(r.map("heartbeat", "pulse", "timeout", "lans", "port"), nodes, cluster);
        Optional<VipConfig> vip = r.has("vip")
                ? Optional.of(vip(r.map("vip", "addr", "interface", "garp", "vmac"))) : Optional.empty();
        Optional<ReplicationConfig> replication = r.has("replication")
                ? Optional.of(replication(r.map("replication", "dirs", "port", "async", "send_timeout")))
                : Optional.empty();
        ServiceConfig service = service(r.map("service", "defaultprim", "failover", "maxloop", "loop_interval"));
        MapReader sb = r.map("splitbrain", "witness", "after");
        SplitBrainConfig.After after = sb.string("after").flatMap(s -> {
            Optional<SplitBrainConfig.After> a = SplitBrainConfig.After.of(s);
            if (a.isEmpty()) {
                problems.add(sb.value("after"), sb.ctx("after"), MapReader.quote(s)
                        + " is not one of keep-copy | manual | discard");
            }
            return a;
        }).orElse(SplitBrainConfig.After.KEEP_COPY);
        SplitBrainConfig splitbrain = new SplitBrainConfig(sb.list("witness", it -> it.text().flatMap(s -> {
            try {
                return Optional.of(WitnessTarget.parse(s));
            } catch (IllegalArgumentException e) {
                it.report(e.getMessage());
                return Optional.empty();
            }
        })), after);
        ScriptsConfig scripts = scripts(r.map("scripts", "prestart", "start_prim", "stop_prim", "start_both",
                "stop_both", "poststop", "timeout"));

        List<ProcessConfig> processes = new ArrayList<>();
        List<Node> ps = r.list("processes");
        for (int i = 0; i < ps.size(); i++) {
            processes.add(process(MapReader.of(ps.get(i), r.ctx("processes").item(i, MapReader.nameOf(ps.get(i))),
                    problems, "name", "match", "atleast", "atmost", "action")));
        }
        List<CheckerConfig> checkers = new ArrayList<>();
        List<Node> cs = r.list("checkers");
        for (int i = 0; i < cs.size(); i++) {
            checkers.add(checker(MapReader.of(cs.get(i), r.ctx("checkers").item(i, MapReader.nameOf(cs.get(i))),
                    problems, "name", "type", "target", "command", "interval", "timeout", "on_failure", "expect")));
        }
        Optional<FarmConfig> farm = r.has("farm")
                ? Optional.of(farm(r.map("farm", "rules", "power", "drain", "tcp_idle", "udp_idle"), nodes))
                : Optional.empty();
        NotifyConfig notify = notify(r.map("notify", "script", "webhook"));
        return new ModuleConfig(name, type, nodes, heartbeat, vip, replication, service, splitbrain, scripts,
                processes, checkers, farm, notify);
    }

    /**
     * {@code notify: { script: [argv…], webhook: URL }}: the script's first word an absolute path (it runs without a
     * shell, and a daemon's PATH is nobody's business), the webhook an http:// or https:// URL with a host.
     */
    private NotifyConfig notify(MapReader r) {
        List<String> script = r.strings("script");
        if (r.isEmptyList("script")) {
            problems.add(r.value("script"), r.ctx("script"), "must not be empty: the argv to run, e.g. "
                    + "[/opt/app/bin/notify] (or leave script out)");
        } else if (!script.isEmpty() && !script.getFirst().startsWith("/")) {
            problems.add(r.value("script"), r.ctx("script"), MapReader.quote(script.getFirst())
                    + " is not an absolute path: the program is run as given, without a shell (e.g. "
                    + "/opt/app/bin/notify)");
        }
        Optional<String> webhook = r.text("webhook").filter(s -> {
            if (Formats.isHttpUrl(s)) {
                return true;
            }
            problems.add(r.value("webhook"), r.ctx("webhook"), MapReader.quote(s)
                    + " is not an http:// or https:// URL (e.g. https://ops.example/hook)");
            return false;
        });
        return new NotifyConfig(script, webhook);
    }

    private HeartbeatConfig heartbeat(MapReader r, List<String> nodes, ClusterConfig cluster) {
        r.require("port");
        Duration pulse = r.duration("pulse", true).orElse(Defaults.HEARTBEAT_PULSE);
        Duration timeout = r.duration("timeout", true).orElse(Defaults.HEARTBEAT_TIMEOUT);
        List<String> lans = r.has("lans") ? r.list("lans", MapReader.Item::name) : commonLans(nodes, cluster);
        if (r.isEmptyList("lans")) {
            problems.add(r.value("lans"), r.ctx("lans"), "must name at least one lan (or leave it out: all lans "
                    + "common to the module's nodes)");
        }
        int port = r.port("port").orElse(0);
        return new HeartbeatConfig(pulse, timeout, lans, port);
    }

    /** Lans every node of the module has, in the first node's order; unknown nodes are Phase2's business. */
    private static List<String> commonLans(List<String> nodes, ClusterConfig cluster) {
        List<NodeConfig> known = nodes.stream().map(cluster::node).flatMap(Optional::stream).toList();
        if (known.isEmpty()) {
            return List.of();
        }
        return known.getFirst().lans().keySet().stream()
                .filter(lan -> known.stream().allMatch(n -> n.lans().containsKey(lan)))
                .toList();
    }

    private VipConfig vip(MapReader r) {
        r.require("addr", "interface");
        Cidr addr = r.string("addr").flatMap(s -> {
            try {
                return Optional.of(Cidr.parse(s));
            } catch (IllegalArgumentException e) {
                problems.add(r.value("addr"), r.ctx("addr"), e.getMessage());
                return Optional.empty();
            }
        }).orElse(new Cidr("0.0.0.0", 32));
        String iface = r.string("interface").filter(s -> {
            if (Formats.isInterfaceName(s)) {
                return true;
            }
            problems.add(r.value("interface"), r.ctx("interface"), MapReader.quote(s)
                    + " is not an interface name (1 to 15 of A-Z a-z 0-9 _ . -)");
            return false;
        }).orElse("");
        MapReader g = r.map("garp", "count", "interval", "refresh");
        GarpConfig garp = new GarpConfig(
                g.integer("count", 1, 100).orElse(Defaults.GARP_COUNT),
                g.duration("interval", true).orElse(Defaults.GARP_INTERVAL),
                g.duration("refresh", false).orElse(Defaults.GARP_REFRESH));
        String vmac = r.string("vmac").filter(s -> {
            if (VipConfig.AUTO.equals(s) || Formats.isLocalUnicastMac(s)) {
                return true;
            }
            problems.add(r.value("vmac"), r.ctx("vmac"), MapReader.quote(s) + " is not \"auto\" nor a locally "
                    + "administered unicast MAC (e.g. 02:00:00:00:00:01: second hex digit 2, 6, a or e)");
            return false;
        }).orElse(Defaults.VMAC);
        return new VipConfig(addr, iface, garp, vmac);
    }

    private ReplicationConfig replication(MapReader r) {
        r.require("dirs", "port");
        List<Path> dirs = r.list("dirs", MapReader.Item::absPath);
        if (r.isEmptyList("dirs")) {
            problems.add(r.value("dirs"), r.ctx("dirs"), "must list at least one directory");
        }
        return new ReplicationConfig(dirs,
                r.port("port").orElse(0),
                r.enumValue("async", AsyncMode.class).orElse(Defaults.REPLICATION_ASYNC),
                r.duration("send_timeout", true).orElse(Defaults.SEND_TIMEOUT));
    }

    private ServiceConfig service(MapReader r) {
        return new ServiceConfig(
                r.name("defaultprim").orElse(Defaults.DEFAULTPRIM),
                r.onOff("failover").orElse(Defaults.FAILOVER),
                r.integer("maxloop", 0, Integer.MAX_VALUE).orElse(Defaults.MAXLOOP),
                r.duration("loop_interval", true).orElse(Defaults.LOOP_INTERVAL));
    }

    private ScriptsConfig scripts(MapReader r) {
        return new ScriptsConfig(r.strings("prestart"), r.strings("start_prim"), r.strings("stop_prim"),
                r.strings("start_both"), r.strings("stop_both"), r.strings("poststop"),
                r.duration("timeout", true).orElse(Defaults.SCRIPT_TIMEOUT));
    }

    private ProcessConfig process(MapReader r) {
        r.require("name", "match");
        String match = r.text("match").filter(s -> {
            try {
                Pattern.compile(s);
                return true;
            } catch (PatternSyntaxException e) {
                problems.add(r.value("match"), r.ctx("match"), MapReader.quote(s)
                        + " is not a valid regular expression (" + e.getDescription() + ")");
                return false;
            }
        }).orElse("");
        return new ProcessConfig(
                r.name("name").orElse(""),
                match,
                r.integer("atleast", 0, Integer.MAX_VALUE).orElse(Defaults.PROCESS_ATLEAST),
                r.integer("atmost", 0, Integer.MAX_VALUE).orElse(Defaults.PROCESS_ATMOST),
                r.enumValue("action", SupervisionAction.class).orElse(Defaults.PROCESS_ACTION));
    }

    private CheckerConfig checker(MapReader r) {
        r.require("name", "type");
        return new CheckerConfig(
                r.name("name").orElse(""),
                r.enumValue("type", CheckerType.class).orElse(CheckerType.CUSTOM),
                r.text("target"),
                r.strings("command"),
                r.duration("interval", true).orElse(Defaults.CHECKER_INTERVAL),
                r.duration("timeout", true).orElse(Defaults.CHECKER_TIMEOUT),
                r.enumValue("on_failure", FailureAction.class).orElse(Defaults.CHECKER_ON_FAILURE),
                r.string("expect"));
    }

    private FarmConfig farm(MapReader r, List<String> nodes) {
        List<FarmRule> rules = new ArrayList<>();
        List<Node> items = r.list("rules");
        for (int i = 0; i < items.size(); i++) {
            MapReader f = MapReader.of(items.get(i), r.ctx("rules").item(i, null), problems, "proto", "port",
                    "filter");
            f.require("proto", "port");
            rules.add(new FarmRule(
                    f.enumValue("proto", Proto.class).orElse(Proto.TCP),
                    f.port("port").orElse(0),
                    f.enumValue("filter", FilterMode.class).orElse(Defaults.FARM_FILTER)));
        }
        Map<String, Integer> power = new LinkedHashMap<>();
        for (String n : nodes) {
            power.put(n, Defaults.FARM_POWER);
        }
        Node pv = r.value("power");
        if (pv instanceof org.yaml.snakeyaml.nodes.MappingNode m) {
            Ctx pc = r.ctx("power");
            List<String> seen = new ArrayList<>();
            for (var t : m.getValue()) {
                if (!(t.getKeyNode() instanceof ScalarNode k)) {
                    problems.add(t.getKeyNode(), pc, "a node name must be a plain word, found "
                            + MapReader.describe(t.getKeyNode()));
                    continue;
                }
                if (seen.contains(k.getValue())) {
                    problems.add(k, pc, "duplicate key \"" + k.getValue() + "\"");
                    continue;
                }
                seen.add(k.getValue());
                MapReader.integer(t.getValueNode(), pc.key(k.getValue()), problems, 0, 1000)
                        .ifPresent(w -> power.put(k.getValue(), w)); // unknown node names: Phase2
            }
        } else if (pv != null && !MapReader.isNull(pv)) {
            problems.add(pv, r.ctx("power"), "expected a mapping of node name to weight (e.g. { node1: 2 }), found "
                    + MapReader.describe(pv));
        }
        Duration drain = r.duration("drain", false).map(d -> bounded(r, "drain", d)).orElse(Defaults.FARM_DRAIN);
        Duration tcpIdle = r.duration("tcp_idle", true).map(d -> bounded(r, "tcp_idle", d))
                .orElse(Defaults.FARM_TCP_IDLE);
        Duration udpIdle = r.duration("udp_idle", true).map(d -> bounded(r, "udp_idle", d))
                .orElse(Defaults.FARM_UDP_IDLE);
        return new FarmConfig(rules, power, drain, tcpIdle, udpIdle);
    }

    /** A farm timer at most {@link Defaults#FARM_TIMER_MAX} (they become nft set timeouts); else reported, default. */
    private Duration bounded(MapReader r, String key, Duration d) {
        if (d.compareTo(Defaults.FARM_TIMER_MAX) > 0) {
            problems.add(r.value(key), r.ctx(key), Formats.duration(d) + " is more than "
                    + Formats.duration(Defaults.FARM_TIMER_MAX));
            return switch (key) {
                case "drain" -> Defaults.FARM_DRAIN;
                case "tcp_idle" -> Defaults.FARM_TCP_IDLE;
                default -> Defaults.FARM_UDP_IDLE;
            };
        }
        return d;
    }
}
