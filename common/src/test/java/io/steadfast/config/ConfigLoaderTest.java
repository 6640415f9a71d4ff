package io.steadfast.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    /** A valid base; snippets below vary it. Lines: 1 cluster … 10 heartbeat. */
    private static final String BASE = """
            cluster:
              name: t
              nodes:
                - { name: n1, addr: 10.0.0.1 }
                - { name: n2, addr: 10.0.0.2 }
            modules:
              - name: db
                type: mirror
                nodes: [n1, n2]
                heartbeat: { port: 8888 }
            """;

    private Path file;

    private List<String> problems(String yaml) throws IOException {
        file = dir.resolve("s.yml");
        Files.writeString(file, yaml);
        ConfigResult r = ConfigLoader.load(file);
        assertThat(r.ok()).isEqualTo(r.problems().isEmpty());
        assertThat(r.config().isPresent()).isEqualTo(r.ok());
        return r.problems().stream().map(ConfigProblem::toString).toList();
    }

    private String at(int line, int col, String message) {
        return file + ":" + line + ":" + col + ": " + message;
    }

    // ---- the reference sample

    @Test
    void loadsReferenceSample() throws URISyntaxException {
        Path sample = Path.of(getClass().getResource("/steadfast.yml").toURI());
        SteadfastConfig c = ConfigLoader.loadOrThrow(sample);

        assertThat(c.source()).isEqualTo(sample);
        ClusterConfig cl = c.cluster();
        assertThat(cl.name()).isEqualTo("demo");
        assertThat(cl.secretFile()).isEqualTo(Path.of("/etc/steadfast/secret"));
        assertThat(cl.stateDir()).isEqualTo(Path.of("/var/lib/steadfast"));
        assertThat(cl.bus().port()).isEqualTo(5701);
        assertThat(cl.bus().eventBusPort()).isEqualTo(5801);
        assertThat(cl.bus().tls()).contains(new TlsConfig(Path.of("/etc/steadfast/node.p12"),
                java.util.Optional.of(Path.of("/etc/steadfast/trust.p12")), Path.of("/etc/steadfast/tls.pass")));
        assertThat(cl.console()).isEqualTo(new ConsoleConfig(9400, "127.0.0.1",
                java.util.Optional.of(new TlsConfig(Path.of("/etc/steadfast/console.p12"), java.util.Optional.empty(),
                        Path.of("/etc/steadfast/tls.pass"))),
                java.util.Optional.of(Path.of("/etc/steadfast/users"))));
        assertThat(cl.nodes()).extracting(NodeConfig::name).containsExactly("node1", "node2", "node3");
        assertThat(c.node("node1").orElseThrow().lans())
                .containsExactly(Map.entry("lan1", "198.18.0.11"), Map.entry("lan2", "198.19.0.11"));
        assertThat(c.node("node3").orElseThrow().addr()).isEqualTo("198.18.0.13");

        ModuleConfig db = c.module("db").orElseThrow();
        assertThat(db.type()).isEqualTo(ModuleType.MIRROR);
        assertThat(db.nodes()).containsExactly("node1", "node2");
        assertThat(db.heartbeat()).isEqualTo(new HeartbeatConfig(Duration.ofMillis(250), Duration.ofSeconds(2),
                List.of("lan1", "lan2"), 8888));
        VipConfig vip = db.vip().orElseThrow();
        assertThat(vip.addr()).isEqualTo(new Cidr("198.18.0.60", 24));
        assertThat(vip.iface()).isEqualTo("eth0");
        assertThat(vip.garp()).isEqualTo(new GarpConfig(5, Duration.ofMillis(200), Duration.ZERO));
        assertThat(db.replication()).contains(new ReplicationConfig(List.of(Path.of("/srv/db")), 5600,
                AsyncMode.SECOND, Duration.ofSeconds(5)));
        assertThat(db.service()).isEqualTo(new ServiceConfig("alone", true, 3, Duration.ofHours(24)));
        assertThat(db.splitbrain().witness()).containsExactly(new WitnessTarget(WitnessTarget.Kind.PING,
                "198.18.0.1", 0));
        assertThat(db.scripts().prestart()).containsExactly("/opt/app/bin/stop");
        assertThat(db.scripts().startPrim()).containsExactly("/opt/app/bin/start");
        assertThat(db.scripts().stopPrim()).containsExactly("/opt/app/bin/stop");
        assertThat(db.scripts().startBoth()).isEmpty();
        assertThat(db.scripts().timeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(db.processes()).containsExactly(new ProcessConfig("app", "java .*app.jar", 1, 0,
                SupervisionAction.RESTART));
        assertThat(db.checkers()).containsExactly(
                new CheckerConfig("app-port", CheckerType.TCP, java.util.Optional.of("127.0.0.1:5432"), List.of(),
                        Duration.ofSeconds(2), Duration.ofSeconds(1), FailureAction.RESTART, java.util.Optional.empty()),
                new CheckerConfig("gw", CheckerType.PING, java.util.Optional.of("198.18.0.1"), List.of(),
                        Duration.ofSeconds(5), Duration.ofSeconds(1), FailureAction.WAIT, java.util.Optional.empty()),
                new CheckerConfig("custom", CheckerType.CUSTOM, java.util.Optional.empty(),
                        List.of("/opt/app/bin/health"), Duration.ofSeconds(10), Duration.ofSeconds(1),
                        FailureAction.STOPSTART, java.util.Optional.empty()));
        assertThat(db.farm()).isEmpty();
        assertThat(db.notifications()).isEqualTo(new NotifyConfig(List.of("/opt/app/bin/notify"),
                java.util.Optional.of("https://ops.example/hook")));
        assertThat(db.peerOf("node1")).contains("node2");
        assertThat(db.peerOf("node2")).contains("node1");
        assertThat(db.peerOf("node3")).isEmpty();

        ModuleConfig web = c.module("web").orElseThrow();
        assertThat(web.type()).isEqualTo(ModuleType.FARM);
        assertThat(web.nodes()).containsExactly("node1", "node2", "node3");
        assertThat(web.heartbeat().lans()).containsExactly("lan1");
        assertThat(web.heartbeat().port()).isEqualTo(8890);
        assertThat(web.vip().orElseThrow().vmac()).isEqualTo("auto");
        assertThat(web.vip().orElseThrow().resolvedVmac()).isEqualTo("02:53:c6:12:00:32");
        assertThat(web.replication()).isEmpty();
        assertThat(web.farm().orElseThrow().rules()).containsExactly(new FarmRule(Proto.TCP, 8080, FilterMode.ON_ADDR));
        assertThat(web.farm().orElseThrow().power())
                .containsExactly(Map.entry("node1", 1), Map.entry("node2", 1), Map.entry("node3", 2));
        assertThat(web.scripts().startBoth()).containsExactly("/opt/web/bin/start");
        assertThat(web.scripts().stopBoth()).containsExactly("/opt/web/bin/stop");
        assertThat(web.peerOf("node1")).isEmpty();
        assertThat(web.notifications().enabled()).isFalse();
        assertThat(web.checkers()).singleElement().satisfies(ch -> {
            assertThat(ch.type()).isEqualTo(CheckerType.HTTP);
            assertThat(ch.target()).contains("http://127.0.0.1:8080/health");
        });

        assertThat(c.modulesOn("node1")).extracting(ModuleConfig::name).containsExactly("db", "web");
        assertThat(c.modulesOn("node3")).extracting(ModuleConfig::name).containsExactly("web");
        assertThat(c.modulesOn("nodeX")).isEmpty();
        assertThat(c.module("nope")).isEmpty();
    }

    @Test
    void appliesDefaults() throws IOException {
        assertThat(problems(BASE)).isEmpty();
        SteadfastConfig c = ConfigLoader.loadOrThrow(file);
        assertThat(c.cluster().secretFile()).isEqualTo(Defaults.SECRET_FILE);
        assertThat(c.cluster().stateDir()).isEqualTo(Defaults.STATE_DIR);
        assertThat(c.cluster().bus()).isEqualTo(new BusConfig(5701, 5801, java.util.Optional.empty()));
        assertThat(c.cluster().console()).isEqualTo(new ConsoleConfig(9400, "127.0.0.1", java.util.Optional.empty(),
                java.util.Optional.empty()));
        assertThat(c.node("n2").orElseThrow().lans()).containsExactly(Map.entry("lan1", "10.0.0.2"));
        ModuleConfig db = c.modules().getFirst();
        assertThat(db.heartbeat()).isEqualTo(new HeartbeatConfig(Defaults.HEARTBEAT_PULSE, Defaults.HEARTBEAT_TIMEOUT,
                List.of("lan1"), 8888));
        assertThat(db.vip()).isEmpty();
        assertThat(db.replication()).isEmpty();
        assertThat(db.service()).isEqualTo(new ServiceConfig("alone", true, 3, Duration.ofHours(24)));
        assertThat(db.splitbrain().hasWitness()).isFalse();
        assertThat(db.scripts()).isEqualTo(ScriptsConfig.none());
        assertThat(db.processes()).isEmpty();
        assertThat(db.checkers()).isEmpty();
    }

    @Test
    void heartbeatLansDefaultToTheLansCommonToTheModuleNodes() throws IOException {
        assertThat(problems("""
                cluster:
                  name: t
                  nodes:
                    - { name: n1, addr: 10.0.0.1, lans: { a: 10.0.0.1, b: 10.1.0.1, c: 10.2.0.1 } }
                    - { name: n2, addr: 10.0.0.2, lans: { c: 10.2.0.2, a: 10.0.0.2 } }
                modules:
                  - name: db
                    type: mirror
                    nodes: [n1, n2]
                    heartbeat: { port: 8888 }
                """)).isEmpty();
        assertThat(ConfigLoader.loadOrThrow(file).modules().getFirst().heartbeat().lans()).containsExactly("a", "c");
    }

    @Test
    void farmPowerDefaultsToOnePerNode() throws IOException {
        Path f = TestConfigs.writeMirrorAndFarm(dir);
        FarmConfig farm = ConfigLoader.loadOrThrow(f).module("web").orElseThrow().farm().orElseThrow();
        assertThat(farm.power()).containsExactly(Map.entry("node1", 1), Map.entry("node2", 1), Map.entry("node3", 1));
        assertThat(farm.powerOf("node3")).isEqualTo(1);
    }

    @Test
    void testConfigsHelperWritesAValidFile() {
        Path f = TestConfigs.writeMirrorAndFarm(dir.resolve("x"),
                List.of("198.18.0.21", "198.18.0.22", "198.18.0.23", "198.18.0.24"),
                TestConfigs.Ports.from(20000), dir.resolve("state"));
        ConfigResult r = ConfigLoader.load(f);
        assertThat(r.problems()).isEmpty();
        SteadfastConfig c = r.config().orElseThrow();
        assertThat(c.cluster().stateDir()).isEqualTo(dir.resolve("state"));
        assertThat(c.cluster().bus().port()).isEqualTo(20000);
        assertThat(c.cluster().bus().eventBusPort()).isEqualTo(20001);
        assertThat(c.module("db").orElseThrow().nodes()).containsExactly("node1", "node2");
        assertThat(c.module("web").orElseThrow().nodes()).containsExactly("node1", "node2", "node3", "node4");
        assertThat(c.module("db").orElseThrow().replication().orElseThrow().port()).isEqualTo(20004);
    }

    // ---- phase 1: one problem per field, exact place

    @Test
    void notifyTakesAnArgvAndAWebhook() throws IOException {
        String ok = BASE + "    notify: { script: [/usr/local/bin/page, --team, db], webhook: \"http://10.0.0.9:8080/h\" }\n";
        assertThat(problems(ok)).isEmpty();
        SteadfastConfig c = ConfigLoader.loadOrThrow(file);
        assertThat(c.module("db").orElseThrow().notifications()).isEqualTo(new NotifyConfig(
                List.of("/usr/local/bin/page", "--team", "db"), java.util.Optional.of("http://10.0.0.9:8080/h")));
        assertThat(problems(BASE + "    notify: { webhook: \"https://ops.example/hook\" }\n")).isEmpty();
    }

    @Test
    void notifyPhase1NamesTheModuleAndWhatIsAllowed() throws IOException {
        assertThat(problems(BASE + "    notify: { script: [page.sh], webhook: \"ftp://ops.example/hook\" }\n"))
                .containsExactly(
                        at(11, 23, "modules[0] (db): notify.script: \"page.sh\" is not an absolute path: the program "
                                + "is run as given, without a shell (e.g. /opt/app/bin/notify)"),
                        at(11, 43, "modules[0] (db): notify.webhook: \"ftp://ops.example/hook\" is not an http:// or "
                                + "https:// URL (e.g. https://ops.example/hook)"));
        assertThat(problems(BASE + "    notify: { script: [] }\n")).containsExactly(
                at(11, 23, "modules[0] (db): notify.script: must not be empty: the argv to run, e.g. "
                        + "[/opt/app/bin/notify] (or leave script out)"));
        assertThat(problems(BASE + "    notify: { mail: ops@example }\n")).containsExactly(
                at(11, 15, "modules[0] (db): notify: unknown key \"mail\" (allowed: script, webhook)"));
    }

    @Test
    void notifyPhase2WantsATarget() throws IOException {
        assertThat(problems(BASE + "    notify: {}\n")).containsExactly(
                at(11, 13, "modules[0] (db): notify: names no target: give script (an argv), webhook (an http(s) URL)"
                        + " or both"));
    }

    @Test
    void unknownKey() throws IOException {
        assertThat(problems(BASE.replace("  name: t\n", "  name: t\n  nodez: []\n"))).containsExactly(
                at(3, 3, "cluster: unknown key \"nodez\" (allowed: name, secret_file, state_dir, bus, console, nodes, insecure)"));
    }

    @Test
    void insecureIsOffUnlessWrittenOutAsTrue() throws IOException {
        file = dir.resolve("s.yml");
        Files.writeString(file, BASE);
        assertThat(ConfigLoader.loadOrThrow(file).cluster().insecure()).isFalse();
        Files.writeString(file, BASE.replace("  name: t\n", "  name: t\n  insecure: true\n"));
        assertThat(ConfigLoader.loadOrThrow(file).cluster().insecure()).isTrue();
        assertThat(problems(BASE.replace("  name: t\n", "  name: t\n  insecure: yes\n"))).containsExactly(
                at(3, 13, "cluster.insecure: \"yes\" is not true or false (insecure: true turns off the event-bus"
                        + " authentication)"));
    }

    @Test
    void unknownKeyInsideAListItem() throws IOException {
        assertThat(problems(BASE.replace("{ port: 8888 }", "{ port: 8888, pulze: 1s }"))).containsExactly(
                at(10, 30, "modules[0] (db): heartbeat: unknown key \"pulze\" (allowed: pulse, timeout, lans, port)"));
    }

    @Test
    void duplicateKey() throws IOException {
        assertThat(problems(BASE.replace("    type: mirror\n", "    type: mirror\n    type: farm\n")))
                .containsExactly(at(9, 5, "modules[0] (db): duplicate key \"type\""));
    }

    @Test
    void wrongType() throws IOException {
        assertThat(problems(BASE.replace("{ port: 8888 }", "{ port: abc }").replace("nodes: [n1, n2]", "nodes: n1")))
                .containsExactly(
                        at(9, 12, "modules[0] (db): nodes: expected a list (e.g. [a, b]), found \"n1\""),
                        at(10, 24, "modules[0] (db): heartbeat.port: \"abc\" is not an integer"));
    }

    @Test
    void mappingExpected() throws IOException {
        assertThat(problems(BASE.replace("{ port: 8888 }", "[8888]"))).containsExactly(
                at(10, 16, "modules[0] (db): heartbeat: expected a mapping (key: value), found a list"));
    }

    @Test
    void portOutOfRange() throws IOException {
        assertThat(problems(BASE.replace("{ port: 8888 }", "{ port: 70000 }"))).containsExactly(
                at(10, 24, "modules[0] (db): heartbeat.port: 70000 is out of range (1..65535)"));
    }

    @Test
    void badEnum() throws IOException {
        assertThat(problems(BASE.replace("type: mirror", "type: farmx"))).containsExactly(
                at(8, 11, "modules[0] (db): type: \"farmx\" is not one of mirror | farm"));
    }

    @Test
    void badDuration() throws IOException {
        assertThat(problems(BASE.replace("{ port: 8888 }", "{ pulse: 2x, port: 8888 }"))).containsExactly(
                at(10, 25, "modules[0] (db): heartbeat.pulse: \"2x\" is not a duration (use e.g. 250ms, 2s, 1m, 24h)"));
    }

    @Test
    void badAddress() throws IOException {
        assertThat(problems(BASE.replace("addr: 10.0.0.2", "addr: 10.0.0.256"))).containsExactly(
                at(5, 25, "cluster.nodes[1] (n2): addr: \"10.0.0.256\" is not an IPv4 address (a.b.c.d)"));
    }

    @Test
    void badCidr() throws IOException {
        assertThat(problems(BASE + "    vip: { addr: 10.0.0.100/33, interface: eth0 }\n")).containsExactly(
                at(11, 18, "modules[0] (db): vip.addr: \"10.0.0.100/33\" is not an IPv4 CIDR (a.b.c.d/len, len 0..32)"));
    }

    @Test
    void badVmacAndInterface() throws IOException {
        assertThat(problems(BASE + "    vip: { addr: 10.0.0.100/24, interface: eth0:vip-too-long, vmac: 01:00:5e:00:00:01 }\n"))
                .containsExactly(
                        at(11, 44, "modules[0] (db): vip.interface: \"eth0:vip-too-long\" is not an interface name "
                                + "(1 to 15 of A-Z a-z 0-9 _ . -)"),
                        at(11, 69, "modules[0] (db): vip.vmac: \"01:00:5e:00:00:01\" is not \"auto\" nor a locally "
                                + "administered unicast MAC (e.g. 02:00:00:00:00:01: second hex digit 2, 6, a or e)"));
    }

    @Test
    void missingRequiredKey() throws IOException {
        assertThat(problems(BASE.replace("{ port: 8888 }", "{ pulse: 1s }").replace("  name: t\n", "")))
                .containsExactly(
                        at(2, 3, "cluster: missing required key \"name\""),
                        at(9, 16, "modules[0] (db): heartbeat: missing required key \"port\""));
    }

    @Test
    void missingSectionIsReportedOnce() throws IOException {
        assertThat(problems("""
                modules:
                  - name: db
                    type: mirror
                    nodes: [n1, n2]
                """)).containsExactly(
                at(1, 1, "missing required key \"cluster\""),
                at(2, 5, "modules[0] (db): missing required key \"heartbeat\""));
    }

    @Test
    void yamlSyntaxError() throws IOException {
        assertThat(problems(BASE.replace("type: mirror", "type: mirror: x"))).containsExactly(
                at(8, 17, "YAML syntax error: mapping values are not allowed here"));
    }

    @Test
    void rootMustBeAMapping() throws IOException {
        assertThat(problems("- a\n- b\n")).containsExactly(
                at(1, 1, "the top level must be a mapping with keys cluster and modules"));
        assertThat(problems("")).containsExactly(at(1, 1, "the file is empty (expected cluster: and modules:)"));
    }

    @Test
    void reportsEveryFieldProblemInOneRun() throws IOException {
        assertThat(problems(BASE.replace("{ port: 8888 }", "{ pulse: 2x, timeout: 3y, port: 0 }")
                .replace("addr: 10.0.0.1", "addr: x"))).hasSize(4);
    }

    @Test
    void consoleOpenDefaultsToTheProbesAndTakesKnownEndpointsOnly() throws IOException {
        assertThat(problems(BASE)).isEmpty();
        assertThat(ConfigLoader.load(file).config().orElseThrow().cluster().console().open())
                .isEqualTo(ConsoleConfig.DEFAULT_OPEN);
        String open = BASE.replace("  name: t\n", "  name: t\n  console: { open: [health, cluster] }\n");
        assertThat(problems(open)).isEmpty();
        ConsoleConfig console = ConfigLoader.load(file).config().orElseThrow().cluster().console();
        assertThat(console.open()).containsExactly(ConsoleConfig.Open.HEALTH, ConsoleConfig.Open.CLUSTER);
        assertThat(console.isOpen(ConsoleConfig.Open.METRICS)).isFalse();
        assertThat(problems(BASE.replace("  name: t\n", "  name: t\n  console: { open: [] }\n"))).isEmpty();
        assertThat(ConfigLoader.load(file).config().orElseThrow().cluster().console().open()).isEmpty();
        assertThat(problems(BASE.replace("  name: t\n", "  name: t\n  console: { open: [health, secrets] }\n")))
                .containsExactly(at(3, 29, "cluster.console.open[1]: \"secrets\" is not one of health | metrics | "
                        + "ready | cluster | modules | events | log"));
    }

    @Test
    void consoleOpenListsEachEndpointOnce() throws IOException {
        assertThat(problems(BASE.replace("  name: t\n", "  name: t\n  console: { open: [health, ready, health] }\n")))
                .containsExactly(at(3, 36, "cluster.console.open[2]: \"health\" is listed twice (also open[0])"));
    }

    // ---- phase 2: fields against each other

    @Test
    void mirrorWithThreeNodes() throws IOException {
        assertThat(problems(BASE.replace("    - { name: n2, addr: 10.0.0.2 }\n",
                "    - { name: n2, addr: 10.0.0.2 }\n    - { name: n3, addr: 10.0.0.3 }\n")
                .replace("[n1, n2]", "[n1, n2, n3]"))).containsExactly(
                at(10, 12, "modules[0] (db): nodes: a mirror has exactly 2 nodes, found 3"));
    }

    @Test
    void unknownNode() throws IOException {
        assertThat(problems(BASE.replace("[n1, n2]", "[n1, n9]"))).containsExactly(
                at(9, 17, "modules[0] (db): nodes[1]: unknown node \"n9\" (cluster nodes: n1, n2)"));
    }

    @Test
    void unknownLan() throws IOException {
        assertThat(problems(BASE.replace("{ port: 8888 }", "{ lans: [lan1, lan2], port: 8888 }"))).containsExactly(
                at(10, 31, "modules[0] (db): heartbeat.lans[1]: unknown lan \"lan2\" on node n1 (its lans: lan1)"));
    }

    @Test
    void duplicateModuleName() throws IOException {
        assertThat(problems(BASE + """
                  - name: db
                    type: mirror
                    nodes: [n1, n2]
                    heartbeat: { port: 8889 }
                """)).containsExactly(
                at(11, 11, "modules[1] (db): name: duplicate module name \"db\" (also modules[0])"));
    }

    @Test
    void duplicatePort() throws IOException {
        assertThat(problems(BASE.replace("  name: t\n", "  name: t\n  console: { port: 5701 }\n") + """
                  - name: app
                    type: mirror
                    nodes: [n2, n1]
                    heartbeat: { port: 8888 }
                    replication: { dirs: [/srv/app], port: 5801 }
                """)).containsExactly(
                at(3, 20, "cluster.console.port: 5701 is already used by cluster.bus.port"),
                at(15, 24, "modules[1] (app): heartbeat.port: 8888 is already used by heartbeat.port of module db "
                        + "on n1, n2"),
                at(16, 44, "modules[1] (app): replication.port: 5801 is already used by cluster.bus.event_bus_port"));
    }

    @Test
    void heartbeatTimeoutMustSpanTwoPulses() throws IOException {
        assertThat(problems(BASE.replace("{ port: 8888 }", "{ pulse: 300ms, timeout: 500ms, port: 8888 }")))
                .containsExactly(at(10, 41,
                        "modules[0] (db): heartbeat.timeout: 500ms must be at least 2 × pulse (300ms), i.e. 600ms"));
    }

    @Test
    void farmRules() throws IOException {
        assertThat(problems(BASE.replace("type: mirror", "type: farm") + """
                    scripts: { start_prim: [/bin/true] }
                    replication: { dirs: [/srv/x], port: 5600 }
                """)).containsExactly(
                at(7, 5, "modules[0] (db): missing required key \"vip\" (a farm needs a VIP)"),
                at(7, 5, "modules[0] (db): missing required key \"farm\" (a farm needs farm.rules)"),
                at(11, 16, "modules[0] (db): scripts.start_prim: a farm uses start_both/stop_both, not start_prim"),
                at(12, 5, "modules[0] (db): replication: a farm has no replication (type mirror only)"));
    }

    @Test
    void farmHandoverTimersAndSpares() throws IOException {
        String farm = BASE.replace("type: mirror", "type: farm") + """
                    vip: { addr: 10.0.9.9/32, interface: eth0 }
                    farm:
                      rules: [ { proto: tcp, port: 80 } ]
                      drain: 90s
                      udp_idle: 45s
                      power: { n1: 0, n2: 3 }
                """;
        assertThat(problems(farm)).isEmpty();
        FarmConfig f = ConfigLoader.loadOrThrow(file).modules().getFirst().farm().orElseThrow();
        assertThat(f.drain()).isEqualTo(java.time.Duration.ofSeconds(90));
        assertThat(f.udpIdle()).isEqualTo(java.time.Duration.ofSeconds(45));
        assertThat(f.tcpIdle()).isEqualTo(Defaults.FARM_TCP_IDLE);
        assertThat(f.powerOf("n1")).as("power 0: a spare").isZero();

        assertThat(problems(farm.replace("      drain: 90s\n", "").replace("      udp_idle: 45s\n", ""))).isEmpty();
        f = ConfigLoader.loadOrThrow(file).modules().getFirst().farm().orElseThrow();
        assertThat(f.drain()).isEqualTo(java.time.Duration.ofMinutes(10));
        assertThat(f.udpIdle()).isEqualTo(java.time.Duration.ofSeconds(30));
        assertThat(problems(farm.replace("drain: 90s", "drain: 0s"))).as("0 = buckets move at once").isEmpty();

        // phase 1: each field alone
        assertThat(problems(farm.replace("drain: 90s", "drain: soon").replace("udp_idle: 45s", "udp_idle: 0s")
                .replace("rules: [", "tcp_idle: 48h\n      rules: [")))
                .containsExactly(
                        at(13, 17, "modules[0] (db): farm.tcp_idle: 48h is more than 24h"),
                        at(15, 14, "modules[0] (db): farm.drain: \"soon\" is not a duration (use e.g. 250ms, 2s, 1m, 24h)"),
                        at(16, 17, "modules[0] (db): farm.udp_idle: \"0s\" must be more than zero"));
        assertThat(problems(farm.replace("n1: 0", "n1: -1"))).singleElement().asString()
                .contains("farm.power.n1");
        // phase 2: the relation between the nodes (only once every field parsed)
        assertThat(problems(farm.replace("n2: 3", "n2: 0"))).containsExactly(
                at(16, 7, "modules[0] (db): farm.power: every node has power 0 (spare): at least one node needs "
                        + "power 1 or more"));
    }

    @Test
    void aFarmHasAtMost64Nodes() throws IOException {
        StringBuilder y = new StringBuilder("cluster:\n  name: t\n  nodes:\n");
        List<String> names = new java.util.ArrayList<>();
        for (int i = 1; i <= 65; i++) {
            y.append("    - { name: n").append(i).append(", addr: 10.0.").append(i / 200).append('.')
                    .append(1 + i % 200).append(" }\n");
            names.add("n" + i);
        }
        y.append("modules:\n  - name: web\n    type: farm\n    nodes: [").append(String.join(", ", names))
                .append("]\n    heartbeat: { port: 8888 }\n    vip: { addr: 10.0.9.9/32, interface: eth0 }\n")
                .append("    farm: { rules: [ { proto: tcp, port: 80 } ] }\n");
        assertThat(problems(y.toString())).containsExactly(
                at(72, 12, "modules[0] (web): nodes: a farm has at most 64 nodes, found 65"));
        assertThat(problems(y.toString().replace(", n65]", "]"))).isEmpty();
    }

    @Test
    void crossChecksOfServiceCheckersAndDirs() throws IOException {
        assertThat(problems(BASE + """
                    service: { defaultprim: n3 }
                    replication: { dirs: [/srv/db, /srv/db/sub], port: 5600 }
                    checkers:
                      - { name: c, type: tcp, target: "127.0.0.1" }
                      - { name: c, type: module, target: db }
                """)).containsExactly(
                at(11, 29, "modules[0] (db): service.defaultprim: \"n3\" is not one of alone | lastprim | n1 | n2"),
                at(12, 36, "modules[0] (db): replication.dirs[1]: \"/srv/db/sub\" and \"/srv/db\" are nested "
                        + "(replicated dirs must not contain one another)"),
                at(14, 39, "modules[0] (db): checkers[0] (c): target: \"127.0.0.1\" is not host:port "
                        + "(e.g. 127.0.0.1:5432)"),
                at(15, 17, "modules[0] (db): checkers[1] (c): name: duplicate checker name \"c\""),
                at(15, 42, "modules[0] (db): checkers[1] (c): target: \"db\" is not another module of this cluster ()"));
    }

    /** BASE with a replication section listing {@code dirs}, one per line from line 14 (column 11). */
    private static String replicating(String... dirs) {
        StringBuilder y = new StringBuilder(BASE).append("    replication:\n      port: 5600\n      dirs:\n");
        for (String d : dirs) {
            y.append("        - ").append(d).append('\n');
        }
        return y.toString();
    }

    private String dirProblem(int index, String message) {
        return at(14 + index, 11, "modules[0] (db): replication.dirs[" + index + "]: " + message);
    }

    @Test
    void replicatedDirsAreNeitherRootNorSystemDirsNorPseudoFilesystems() throws IOException {
        String system = " is a system directory: replicating it would hide it behind the replication's mount and"
                + " overwrite the secondary's; replicate the application's own directory (e.g. /srv/app,"
                + " /var/lib/postgresql)";
        assertThat(problems(replicating("/", "/etc", "/usr/lib", "/var/", "/proc/sys/x", "/sys/fs/y", "/dev/shm/z")))
                .containsExactly(
                        dirProblem(0, "\"/\" cannot be replicated"),
                        dirProblem(1, "\"/etc\"" + system),
                        dirProblem(2, "\"/usr/lib\"" + system),
                        dirProblem(3, "\"/var\"" + system),
                        dirProblem(4, "\"/proc/sys/x\" is on a kernel pseudo filesystem (/proc): it holds no data to"
                                + " replicate"),
                        dirProblem(5, "\"/sys/fs/y\" is on a kernel pseudo filesystem (/sys): it holds no data to"
                                + " replicate"),
                        dirProblem(6, "\"/dev/shm/z\" is on a kernel pseudo filesystem (/dev): it holds no data to"
                                + " replicate"));
        // an application's directory below a system directory is fine
        assertThat(problems(replicating("/var/lib/postgresql", "/etc/myapp", "/srv/db"))).isEmpty();
    }

    @Test
    void replicatedDirsStayClearOfTheStateDirAndTheCredentials() throws IOException {
        String yaml = replicating("/srv/state/db", "/srv", "/srv/keys", "/srv/app", "/srv/tls", "/srv/ok")
                .replace("  name: t\n", "  name: t\n  state_dir: /srv/state\n  secret_file: /srv/keys/secret\n"
                        + "  bus: { tls: { keystore: /srv/tls/node.p12, password_file: /etc/sf/tls.pass } }\n"
                        + "  console: { users_file: /srv/app/users }\n");
        String state = "cluster.state_dir /srv/state (the agent's state and the replication's backing copies)";
        String credential = ": a credential must stay outside replicated directories (the application and the"
                + " replication channel would reach it)";
        assertThat(problems(yaml)).containsExactly(
                at(18, 11, "modules[0] (db): replication.dirs[0]: \"/srv/state/db\" is inside " + state
                        + ": choose a directory outside it"),
                at(19, 11, "modules[0] (db): replication.dirs[1]: \"/srv\" contains " + state
                        + ": choose a directory that does not, or move state_dir"),
                at(20, 11, "modules[0] (db): replication.dirs[2]: \"/srv/keys\" contains cluster.secret_file"
                        + " /srv/keys/secret" + credential),
                at(21, 11, "modules[0] (db): replication.dirs[3]: \"/srv/app\" contains cluster.console.users_file"
                        + " /srv/app/users" + credential),
                at(22, 11, "modules[0] (db): replication.dirs[4]: \"/srv/tls\" contains cluster.bus.tls.keystore"
                        + " /srv/tls/node.p12" + credential));
        assertThat(problems(replicating("/var/lib/steadfast"))).containsExactly(dirProblem(0,
                "\"/var/lib/steadfast\" is cluster.state_dir /var/lib/steadfast (the agent's state and the"
                        + " replication's backing copies): choose a directory outside it"));
        assertThat(problems(replicating("/etc/steadfast"))).containsExactly(dirProblem(0,
                "\"/etc/steadfast\" contains cluster.secret_file /etc/steadfast/secret" + credential));
    }

    @Test
    void replicatedDirsMustNotOverlap() throws IOException {
        assertThat(problems(replicating("/srv/db", "/srv/db/sub", "/srv", "/srv/db"))).containsExactly(
                dirProblem(1, "\"/srv/db/sub\" and \"/srv/db\" are nested (replicated dirs must not contain one"
                        + " another)"),
                dirProblem(2, "\"/srv\" and \"/srv/db\" are nested (replicated dirs must not contain one another)"),
                dirProblem(3, "\"/srv/db\" is already replicated (listed twice)"));
    }

    @Test
    void anExistingReplicatedDirMustBeADirectory() throws IOException {
        Path notDir = Files.writeString(dir.resolve("data"), "x");
        Path realDir = Files.createDirectories(dir.resolve("real"));
        assertThat(problems(replicating(notDir.toString(), realDir.toString(), dir.resolve("later").toString())))
                .containsExactly(dirProblem(0, "\"" + notDir + "\" exists and is not a directory"));
    }

    @Test
    void loadOrThrowListsEveryProblem() throws IOException {
        problems(BASE.replace("type: mirror", "type: farmx").replace("addr: 10.0.0.2", "addr: x"));
        assertThatThrownBy(() -> ConfigLoader.loadOrThrow(file))
                .isInstanceOf(ConfigException.class)
                .hasMessage(at(5, 25, "cluster.nodes[1] (n2): addr: \"x\" is not an IPv4 address (a.b.c.d)") + "\n"
                        + at(8, 11, "modules[0] (db): type: \"farmx\" is not one of mirror | farm"));
    }

    @Test
    void unreadableFile() {
        Path missing = dir.resolve("missing.yml");
        assertThat(ConfigLoader.load(missing).problems()).extracting(ConfigProblem::toString)
                .containsExactly(missing + ":1:1: cannot read the file: no such file");
    }

    // ---- splitbrain.after (wave 2)

    @Test
    void splitbrainAfterDefaultsToKeepCopyAndParsesEveryPolicy() throws IOException {
        assertThat(problems(BASE)).isEmpty();
        assertThat(ConfigLoader.loadOrThrow(file).modules().getFirst().splitbrain().after())
                .isEqualTo(SplitBrainConfig.After.KEEP_COPY);
        for (SplitBrainConfig.After a : SplitBrainConfig.After.values()) {
            assertThat(problems(BASE + "    splitbrain: { after: " + a.id() + " }\n")).isEmpty();
            assertThat(ConfigLoader.loadOrThrow(file).modules().getFirst().splitbrain().after()).isEqualTo(a);
        }
    }

    @Test
    void splitbrainAfterUnknownPolicyIsAnError() throws IOException {
        assertThat(problems(BASE + "    splitbrain: { after: merge }\n")).containsExactly(
                at(11, 26, "modules[0] (db): splitbrain.after: \"merge\" is not one of keep-copy | manual | discard"));
    }
}
