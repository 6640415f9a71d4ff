package io.steadfast.node.demo;

import io.steadfast.config.ConfigLoader;
import io.steadfast.config.ConfigProblem;
import io.steadfast.config.ConfigResult;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.SteadfastConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo's modules: the mirror {@code db} runs the project's PostgreSQL template on the replicated directory with
 * node-local socket and log, the probes and the printed command reach it through the VIP with the demo role.
 */
class DemoModulesTest {
    static final Path HOME = DemoToolsTest.repoRoot();

    /** The reference configuration's cluster (three nodes, lan1 + lan2) with the demo's modules. */
    static SteadfastConfig config() throws Exception {
        String sample = Files.readString(HOME.resolve("docs/steadfast.sample.yml"));
        String cluster = sample.substring(0, sample.indexOf("\nmodules:\n") + 1);
        String yaml = cluster + DemoModules.yaml(HOME);
        ConfigResult r = ConfigLoader.parse(Path.of("demo.yml"), yaml);
        assertThat(r.problems()).extracting(ConfigProblem::toString).as(yaml).isEmpty();
        return r.config().orElseThrow();
    }

    static ModuleConfig module(SteadfastConfig c, String name) {
        return c.modules().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void theMirrorRunsThePostgresqlTemplateOnTheReplicatedDirectory() throws Exception {
        ModuleConfig db = module(config(), "db");
        assertThat(db.isMirror()).isTrue();
        assertThat(db.replication().orElseThrow().dirs()).containsExactly(DemoModules.DATA);
        assertThat(DemoModules.PGDATA.startsWith(DemoModules.DATA)).isTrue();
        Path template = HOME.resolve("templates/postgresql");
        assertThat(db.scripts().startPrim()).last().isEqualTo(template.resolve("start").toString());
        assertThat(db.scripts().stopPrim()).last().isEqualTo(template.resolve("stop").toString());
        assertThat(db.scripts().prestart()).last().isEqualTo(template.resolve("stop").toString());
        for (List<String> argv : List.of(db.scripts().prestart(), db.scripts().startPrim(), db.scripts().stopPrim())) {
            assertThat(argv.getFirst()).isEqualTo("env");
            assertThat(argv).contains("PGDATA=" + DemoModules.PGDATA, "PGPORT=5432");
            // socket and log in the node-local directory (each lab node has its own copy): never shared between
            // the nodes, nor with a PostgreSQL of this machine (/var/run/postgresql)
            assertThat(argv).contains("PG_SOCKET_DIR=" + DemoModules.LOCAL.resolve("run"),
                    "PG_LOG=" + DemoModules.LOCAL.resolve("postgresql.log"));
            assertThat(Files.isExecutable(Path.of(argv.getLast()))).as(argv.getLast()).isTrue();
        }
        assertThat(db.scripts().timeout()).as("above the template's PG_START_TIMEOUT (50 s)")
                .isGreaterThan(java.time.Duration.ofSeconds(50));
        assertThat(db.checkers()).extracting(c -> c.name()).containsExactly("pg-port", "pg-query");
        assertThat(db.checkers().get(1).command()).last().isEqualTo(template.resolve("check").toString());
        assertThat(db.vip().orElseThrow().addr().address()).isEqualTo(DemoModules.MIRROR_VIP);
    }

    @Test
    void theFarmKeepsTheSampleApp() throws Exception {
        ModuleConfig web = module(config(), "web");
        assertThat(web.isMirror()).isFalse();
        assertThat(web.scripts().startBoth()).last().isEqualTo(HOME.resolve("examples/app/start").toString());
    }

    @Test
    void everyModuleHasOneEndpointAndTheDatabaseIsProbedWithALoginAndAQuery() throws Exception {
        assertThat(DemoModules.ENDPOINTS).extracting(DemoModules.Endpoint::module)
                .containsExactlyElementsOf(config().modules().stream().map(ModuleConfig::name).toList());
        DemoModules.Endpoint db = DemoModules.ENDPOINTS.getFirst();
        assertThat(db.kind()).isEqualTo(DemoModules.Kind.POSTGRESQL);
        assertThat(db.url()).isEqualTo("postgresql://demo@198.18.0.60:5432/demo");
        assertThat(db.probe("s3cret")).containsExactly("psql", "-X", "-At",
                "postgresql://demo:s3cret@198.18.0.60:5432/demo?connect_timeout=3",
                "-c", "select count(*) || ' visits' from visits");
        DemoModules.Endpoint web = DemoModules.ENDPOINTS.get(1);
        assertThat(web.probe("ignored")).containsExactly("curl", "-sS", "-f", "--max-time", "3",
                "http://198.18.0.50:8081/");
    }

    @Test
    void theCommandPrintedQueriesThroughTheVipFromTheClient() {
        String cmd = DemoModules.queryCommand("sfdemo-c1", DemoModules.ENDPOINTS.getFirst(), "s3cret");
        assertThat(cmd).isEqualTo("ip netns exec sfdemo-c1 psql \"postgresql://demo:s3cret@198.18.0.60:5432/demo\""
                + " -c 'insert into visits default values; select served_by, count(*) as visits, max(at) as last"
                + " from visits group by 1 order by 1'");
        assertThat(cmd.lines()).hasSize(1);
    }

    @Test
    void downStopsPostgresqlWithForceInTheAgentsMountNamespace() {
        List<String> argv = DemoModules.pgForceStop(HOME, 4242, "node2");
        assertThat(argv.subList(0, 9)).containsExactly("nsenter", "-t", "4242", "-m", "--", "env",
                "STEADFAST_NODE=node2", "STEADFAST_MODULE=db", "PGDATA=" + DemoModules.PGDATA);
        assertThat(argv.subList(argv.size() - 5, argv.size())).containsExactly(
                HOME.resolve("templates/postgresql/stop").toString(), "PRIM", "STOP", "demo", "force");
    }
}
