package io.steadfast.node.packaging;

import io.steadfast.api.ServiceName;
import io.steadfast.cluster.ClusterSettings;
import io.steadfast.config.ConfigLoader;
import io.steadfast.config.ConfigResult;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.NodeConfig;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.exec.CommandResult;
import io.steadfast.exec.CommandRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The container and systemd packaging (compose/, packaging/systemd/) checked without an engine: every compose
 * file passes {@code docker-compose config}; its resolved form matches the Steadfast config it mounts (addresses,
 * one holder per node, one container per service joined to it, capabilities per service and no more); the entry
 * point picks the right command; the systemd units pass {@code systemd-analyze verify}. Needs the Debian packages
 * docker-compose and systemd (scripts/test installs them); a missing tool fails the test.
 */
class PackagingTest {
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);
    private static final Path ROOT = repoRoot();
    private static final CommandRunner RUN = new CommandRunner();

    /** What each service container may be granted on top of {@code cap_drop: [ALL]}. */
    private static final Map<String, Set<String>> ALLOWED_CAPS = Map.of(
            "heartbeat", Set.of(),
            "console", Set.of(),
            "checker", Set.of(),
            "vip", Set.of("NET_ADMIN", "NET_RAW"),
            "lb-filter", Set.of("NET_ADMIN"),
            "replication", Set.of("SYS_ADMIN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "CHOWN", "FSETID"));
    private static final Set<String> PRIVILEGED = Set.of("vip", "lb-filter", "replication");

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"mirror.yml", "farm.yml"})
    void composeFilePassesDockerComposeConfig(String file) {
        CommandResult r = dockerCompose(file, "config", "-q");
        assertThat(r.ok()).as("docker-compose -f compose/%s config -q:%n%s%s", file, r.stdout(), r.stderr()).isTrue();
        assertThat(r.stderr()).as("warnings").isBlank();
    }

    @ParameterizedTest
    @ValueSource(strings = {"mirror", "farm"})
    void topologyMatchesItsSteadfastConfig(String topology) {
        SteadfastConfig config = load(ROOT.resolve("compose").resolve(topology).resolve("steadfast.yml"));
        Map<String, Object> compose = resolved(topology + ".yml");
        Map<String, Map<String, Object>> services = map(compose.get("services"));
        ModuleConfig module = config.modules().getFirst();
        Set<String> expected = new TreeSet<>(Set.of("heartbeat", "vip", "checker", "console"));
        expected.add(module.replication().isPresent() ? "replication" : "lb-filter");

        Set<String> seen = new TreeSet<>();
        for (NodeConfig node : config.cluster().nodes()) {
            Map<String, Object> holder = services.get(node.name());
            assertThat(holder).as("holder service %s", node.name()).isNotNull();
            assertThat(holder.get("command")).isEqualTo(List.of("hold"));
            assertThat(list(holder.get("cap_drop"))).contains("ALL");
            Map<String, Map<String, Object>> nets = map(holder.get("networks"));
            for (var lan : node.lans().entrySet()) {
                assertThat(nets.get(lan.getKey())).as("%s on %s", node.name(), lan.getKey()).isNotNull();
                assertThat(nets.get(lan.getKey()).get("ipv4_address")).as("%s address on %s", node.name(), lan.getKey())
                        .isEqualTo(lan.getValue());
            }
            assertThat(nets.get("lan1").get("ipv4_address")).as("%s addr (bus) on lan1", node.name())
                    .isEqualTo(node.addr());
            seen.add(node.name());
            for (String svc : expected) {
                String name = node.name() + "-" + svc;
                Map<String, Object> c = services.get(name);
                assertThat(c).as("service container %s", name).isNotNull();
                checkServiceContainer(topology, node.name(), svc, c, module);
                seen.add(name);
            }
        }
        assertThat(services.keySet()).as("no container beyond the holders and their services").isEqualTo(seen);
        // heartbeat-svc drives the node-local services: its container waits for their event-bus ports
        NodeConfig first = config.cluster().nodes().getFirst();
        String waitFor = expected.stream().filter(s -> !s.equals("heartbeat") && !s.equals("console"))
                .map(s -> ServiceName.of(s).orElseThrow()).sorted()
                .map(s -> String.valueOf(ClusterSettings.of(config, first.name(), Optional.of(s)).eventBusPort()))
                .collect(Collectors.joining(" "));
        for (NodeConfig node : config.cluster().nodes()) {
            assertThat(map(services.get(node.name() + "-heartbeat").get("environment")).get("STEADFAST_WAIT_FOR"))
                    .as("%s-heartbeat waits for the event-bus ports of the node-local services", node.name())
                    .isEqualTo(waitFor);
        }
        Map<String, Map<String, Object>> networks = map(compose.get("networks"));
        assertThat(networks).isNotEmpty();
        for (Map<String, Object> net : networks.values()) {
            Map<String, Object> ipamSection = map(net.get("ipam"));
            for (Map<String, Object> ipam : listOfMaps(ipamSection.get("config"))) {
                assertThat(inBenchmarkRange(String.valueOf(ipam.get("subnet")))).as("subnet %s", ipam).isTrue();
            }
        }
    }

    private void checkServiceContainer(String topology, String node, String svc, Map<String, Object> c,
                                       ModuleConfig module) {
        String name = node + "-" + svc;
        assertThat(c.get("network_mode")).as("%s joins its holder", name).isEqualTo("service:" + node);
        assertThat(c.get("command")).as("%s command", name).isEqualTo(List.of(svc));
        assertThat(map(c.get("environment")).get("STEADFAST_NODE")).as(name).isEqualTo(node);
        assertThat(c.get("restart")).as("%s restart policy", name).isEqualTo("unless-stopped");
        assertThat(list(c.get("cap_drop"))).as("%s drops every capability", name).containsExactly("ALL");
        assertThat(new TreeSet<>(list(c.get("cap_add")))).as("%s capabilities", name)
                .isSubsetOf(ALLOWED_CAPS.get(svc));
        if (PRIVILEGED.contains(svc)) {
            assertThat(list(c.get("cap_add"))).as("%s needs capabilities", name).isNotEmpty();
            assertThat(c.get("user")).as("%s runs as root (with only its capabilities)", name).isEqualTo("0:0");
        } else {
            assertThat(c.get("user")).as("%s runs as the image's unprivileged user", name).isNull();
        }
        assertThat(list(c.get("devices"))).as("%s devices", name)
                .isEqualTo(svc.equals("replication") ? List.of("/dev/fuse") : List.of());
        assertThat(c.get("privileged")).as(name).isNull();
        assertThat(listOfMaps(c.get("secrets")).stream().map(s -> s.get("source")))
                .as("%s secret", name).containsExactly("steadfast_secret");
        List<Volume> volumes = list(c.get("volumes")).stream().map(Volume::parse).toList();
        assertThat(volumes).as("%s mounts its config read-only", name).anySatisfy(v -> {
            assertThat(v.target()).isEqualTo("/etc/steadfast/steadfast.yml");
            assertThat(v.source()).endsWith("compose/" + topology + "/steadfast.yml");
            assertThat(v.options()).contains("ro");
        });
        assertThat(volumes).as("%s state directory", name).anySatisfy(v -> {
            assertThat(v.target()).isEqualTo("/var/lib/steadfast");
            assertThat(v.source()).isEqualTo(node + "-state");
        });
        if (svc.equals("replication") || svc.equals("checker")) {
            // the application (checker) must see the replicated mounts made by replication-svc
            for (Path dir : module.replication().map(r -> r.dirs()).orElse(List.of())) {
                assertThat(volumes).as("%s mounts the parent of %s with propagation", name, dir).anySatisfy(v -> {
                    assertThat(dir.startsWith(v.target())).isTrue();
                    assertThat(v.source()).endsWith("compose/data/" + node);
                    assertThat(v.options()).contains(svc.equals("replication") ? "rshared" : "rslave");
                });
            }
        }
    }

    /** A short-syntax volume as {@code docker-compose config} prints it: {@code source:target[:opt,opt]}. */
    record Volume(String source, String target, Set<String> options) {
        static Volume parse(String spec) {
            String[] p = spec.split(":");
            return new Volume(p[0], p[1], p.length > 2 ? Set.of(p[2].split(",")) : Set.of());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mirror", "farm"})
    void steadfastConfigOfTheTopologyIsValid(String topology) {
        load(ROOT.resolve("compose").resolve(topology).resolve("steadfast.yml"));
    }

    @Test
    void entryPointChoosesTheCommand() throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path fake = bin.resolve("steadfast");
        Files.writeString(fake, "#!/bin/sh\necho \"steadfast $*\"\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, String> env = Map.of("PATH", bin + ":/usr/bin:/bin", "STEADFAST_NODE", "node2",
                "STEADFAST_CONFIG", "/etc/steadfast/steadfast.yml", "STEADFAST_ROLE_FILE",
                tmp.resolve("role").toString());

        assertThat(entry(env, "vip").stdout().strip())
                .isEqualTo("steadfast svc vip --config /etc/steadfast/steadfast.yml --node node2");
        assertThat(Files.readString(tmp.resolve("role")).strip()).isEqualTo("vip");
        assertThat(entry(env, "lb-filter").stdout().strip())
                .isEqualTo("steadfast svc lb-filter --config /etc/steadfast/steadfast.yml --node node2");
        assertThat(entry(env, "node").stdout().strip())
                .isEqualTo("steadfast node --config /etc/steadfast/steadfast.yml --node node2");
        Map<String, String> some = new java.util.HashMap<>(env);
        some.put("STEADFAST_SERVICES", "heartbeat,vip");
        assertThat(entry(some, "node").stdout().strip()).isEqualTo(
                "steadfast node --config /etc/steadfast/steadfast.yml --node node2 --services heartbeat,vip");
        assertThat(entry(env, "config-test", "/x.yml").stdout().strip()).isEqualTo("steadfast config-test /x.yml");

        Map<String, String> waiting = new java.util.HashMap<>(env);
        waiting.put("STEADFAST_WAIT_FOR", "1");   // port 1 never listens here
        waiting.put("STEADFAST_WAIT_S", "1");
        CommandResult w = entry(waiting, "heartbeat");
        assertThat(w.stderr()).contains("port 1 still not listening after 1 s; starting anyway");
        assertThat(w.stdout().strip()).startsWith("steadfast svc heartbeat");

        Map<String, String> noNode = new java.util.HashMap<>(env);
        noNode.put("STEADFAST_NODE", "");
        CommandResult r = entry(noNode, "heartbeat");
        assertThat(r.exitCode()).as("no node name is a usage error").isEqualTo(64);
        assertThat(r.stderr()).contains("set STEADFAST_NODE");
        assertThat(r.stdout()).as("nothing started").isBlank();
    }

    private CommandResult entry(Map<String, String> env, String... args) {
        List<String> argv = new ArrayList<>(List.of("sh", ROOT.resolve("compose/entrypoint.sh").toString()));
        argv.addAll(List.of(args));
        return RUN.run(argv, TOOL_TIMEOUT, null, env);
    }

    @Test
    void systemdUnitsPassVerify() throws IOException {
        Path units = ROOT.resolve("packaging/systemd");
        Path dir = Files.createDirectories(tmp.resolve("units"));
        // verify checks that ExecStart's program exists: point it at this checkout's launcher
        try (Stream<Path> files = Files.walk(units)) {
            for (Path f : files.toList()) {
                Path to = dir.resolve(units.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.writeString(to, Files.readString(f)
                            .replace("/opt/steadfast/steadfast", ROOT.resolve("steadfast").toString()));
                }
            }
        }
        List<String> instances = Stream.of("heartbeat", "replication", "vip", "checker", "lb-filter", "console")
                .map(s -> "steadfast@" + s + ".service").collect(Collectors.toCollection(ArrayList::new));
        instances.addFirst("steadfast-node.service");
        for (String unit : instances) {
            CommandResult r = run(Map.of("SYSTEMD_UNIT_PATH", dir + ":"), "systemd-analyze", "verify", unit);
            assertThat(r.ok()).as("systemd-analyze verify %s:%n%s%s", unit, r.stdout(), r.stderr()).isTrue();
            assertThat(r.stdout() + r.stderr()).as("systemd-analyze verify %s warnings", unit).isBlank();
        }
        String vip = Files.readString(units.resolve("steadfast@vip.service.d/10-privileges.conf"));
        assertThat(vip).contains("CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW\n");
        // heartbeat threads raise themselves to SCHED_RR (RealtimePriority): the units must not forbid it
        String node = Files.readString(units.resolve("steadfast-node.service"));
        assertThat(node).containsPattern("(?m)^RestrictRealtime=no$").doesNotContainPattern("(?m)^RestrictRealtime=yes")
                .containsPattern("(?m)^CapabilityBoundingSet=.*\\bCAP_SYS_NICE\\b")
                .doesNotContainPattern("(?m)^CPUSchedulingPolicy=");
        String heartbeat = Files.readString(units.resolve("steadfast@heartbeat.service.d/20-realtime.conf"));
        assertThat(heartbeat).contains("RestrictRealtime=no\n", "LimitRTPRIO=10\n", "LimitNICE=-10\n");
        String template = Files.readString(units.resolve("steadfast@.service"));
        assertThat(template).contains("User=steadfast\n", "CapabilityBoundingSet=\n", "Restart=on-failure\n",
                "After=network-online.target", "EnvironmentFile=/etc/default/steadfast\n");
    }

    // ------------------------------------------------------------------ helpers

    private static CommandResult dockerCompose(String file, String... args) {
        List<String> argv = new ArrayList<>(List.of("docker-compose", "-f", ROOT.resolve("compose").resolve(file)
                .toString()));
        argv.addAll(List.of(args));
        // a fixed project name: the resolved output must not depend on the directory name
        return run(Map.of("COMPOSE_PROJECT_NAME", "sfcheck"), argv.toArray(String[]::new));
    }

    private static CommandResult run(Map<String, String> env, String... argv) {
        CommandResult r = RUN.run(List.of(argv), TOOL_TIMEOUT, null, env);
        if (r.exitCode() == -1 && r.stderr().startsWith("cannot run")) {
            fail(argv[0] + " is not installed (Debian: apt-get install "
                    + (argv[0].equals("docker-compose") ? "docker-compose" : "systemd") + "): " + r.stderr());
        }
        return r;
    }

    private static Map<String, Object> resolved(String file) {
        CommandResult r = dockerCompose(file, "config");
        assertThat(r.ok()).as("docker-compose config %s: %s", file, r.stderr()).isTrue();
        return new Yaml().load(r.stdout());
    }

    private static SteadfastConfig load(Path file) {
        ConfigResult result = ConfigLoader.load(file);
        assertThat(result.problems()).as("config-test %s", file).isEmpty();
        return result.config().orElseThrow();
    }

    private static boolean inBenchmarkRange(String cidr) {
        String[] p = cidr.split("[./]");
        return p[0].equals("198") && (p[1].equals("18") || p[1].equals("19")) && Integer.parseInt(p[4]) >= 15;
    }

    @SuppressWarnings("unchecked")
    private static <T> Map<String, T> map(Object o) {
        return o == null ? Map.of() : (Map<String, T>) o;
    }

    private static List<String> list(Object o) {
        return o == null ? List.of() : ((List<?>) o).stream().map(String::valueOf).toList();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> listOfMaps(Object o) {
        return o == null ? List.of() : (List<Map<String, Object>>) o;
    }

    private static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("compose/mirror.yml"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("no compose/mirror.yml above " + Path.of("").toAbsolutePath());
        }
        return p;
    }
}
