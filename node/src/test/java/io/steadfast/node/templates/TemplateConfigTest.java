package io.steadfast.node.templates;

import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.config.ConfigLoader;
import io.steadfast.config.ConfigProblem;
import io.steadfast.config.ConfigResult;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.ModuleType;
import io.steadfast.config.ScriptsConfig;
import io.steadfast.config.SteadfastConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each template's {@code steadfast.yml} snippet is a module block that, pasted under {@code modules:} of the
 * reference configuration's cluster, makes a valid configuration; the scripts it names exist in the template and
 * are executable; the three together are valid too (no clash of names or ports).
 */
class TemplateConfigTest {
    /** Where the snippets say the repository is installed (packaging/systemd/README.md). */
    static final String INSTALLED = "/opt/steadfast/";

    static Path home() {
        return Path.of("..").toAbsolutePath().normalize();
    }

    /** The reference configuration's cluster section (docs/steadfast.sample.yml up to {@code modules:}). */
    static String cluster() throws Exception {
        String sample = Files.readString(home().resolve("docs/steadfast.sample.yml"));
        int at = sample.indexOf("\nmodules:\n");
        assertThat(at).as("docs/steadfast.sample.yml has a modules: section").isPositive();
        return sample.substring(0, at + 1);
    }

    static String snippet(String app) throws Exception {
        return Files.readString(home().resolve("templates").resolve(app).resolve("steadfast.yml"));
    }

    static SteadfastConfig load(String name, String yaml) {
        ConfigResult r = ConfigLoader.parse(Path.of(name), yaml);
        assertThat(r.problems()).extracting(ConfigProblem::toString).as(yaml).isEmpty();
        return r.config().orElseThrow();
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "mariadb", "nginx"})
    void snippetIsAValidModuleOfTheReferenceCluster(String app) throws Exception {
        SteadfastConfig c = load(app + "/steadfast.yml", cluster() + "modules:\n" + snippet(app));
        assertThat(c.modules()).hasSize(1);
        ModuleConfig m = c.modules().get(0);
        ScriptsConfig s = m.scripts();
        List<List<String>> scripts = new ArrayList<>();
        if (app.equals("nginx")) {
            assertThat(m.type()).isEqualTo(ModuleType.FARM);
            assertThat(m.farm()).isPresent();
            scripts.add(s.startBoth());
            scripts.add(s.stopBoth());
            assertThat(s.startBoth()).last().isEqualTo(INSTALLED + "templates/nginx/start");
            assertThat(s.stopBoth()).last().isEqualTo(INSTALLED + "templates/nginx/stop");
        } else {
            assertThat(m.type()).isEqualTo(ModuleType.MIRROR);
            assertThat(m.replication()).isPresent();
            scripts.add(s.prestart());
            scripts.add(s.startPrim());
            scripts.add(s.stopPrim());
            assertThat(s.startPrim()).last().isEqualTo(INSTALLED + "templates/" + app + "/start");
            assertThat(s.stopPrim()).last().isEqualTo(INSTALLED + "templates/" + app + "/stop");
            assertThat(s.prestart()).last().isEqualTo(INSTALLED + "templates/" + app + "/stop");
            // the data directory the scripts get is on the module's replicated directory
            String dataVar = app.equals("postgresql") ? "PGDATA=" : "MYSQL_DATADIR=";
            for (List<String> argv : List.of(s.prestart(), s.startPrim(), s.stopPrim())) {
                String data = argv.stream().filter(a -> a.startsWith(dataVar)).findFirst().orElseThrow()
                        .substring(dataVar.length());
                assertThat(m.replication().orElseThrow().dirs()).anyMatch(d -> Path.of(data).startsWith(d));
            }
        }
        m.checkers().stream().filter(k -> !k.command().isEmpty()).forEach(k -> scripts.add(k.command()));
        assertThat(s.timeout()).isPositive();
        for (List<String> argv : scripts) {
            // argv without a shell: /usr/bin/env NAME=value … <script>
            assertThat(argv.get(0)).isEqualTo("/usr/bin/env");
            assertThat(argv.subList(1, argv.size() - 1)).allMatch(a -> a.matches("[A-Z_]+=\\S+"));
            String script = argv.get(argv.size() - 1);
            assertThat(script).startsWith(INSTALLED + "templates/" + app + "/");
            assertThat(home().resolve(script.substring(INSTALLED.length()))).as(script).isRegularFile().isExecutable();
        }
    }

    @Test
    void theThreeSnippetsTogetherAreValid() throws Exception {
        StringBuilder yaml = new StringBuilder(cluster()).append("modules:\n");
        for (String app : List.of("postgresql", "mariadb", "nginx")) {
            yaml.append(snippet(app));
        }
        SteadfastConfig c = load("templates", yaml.toString());
        assertThat(c.modules()).extracting(ModuleConfig::name).containsExactly("pg", "mariadb", "web");
    }

    @Test
    void everyTemplateHasItsFiles() throws Exception {
        try (Stream<Path> dirs = Files.list(home().resolve("templates"))) {
            List<Path> all = dirs.filter(Files::isDirectory).sorted().toList();
            assertThat(all).extracting(p -> p.getFileName().toString()).contains("mariadb", "nginx", "postgresql");
            for (Path d : all) {
                assertThat(d.resolve("README.md")).isRegularFile();
                assertThat(d.resolve("steadfast.yml")).isRegularFile();
                for (String x : List.of("start", "stop", "check")) {
                    assertThat(d.resolve(x)).isExecutable();
                    assertThat(Files.readString(d.resolve(x))).startsWith("#!/bin/sh\n").contains("\nset -eu\n");
                }
            }
        }
    }
}
