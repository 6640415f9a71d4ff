package io.steadfast.node.console;

import io.steadfast.console.Browser;
import io.steadfast.console.Http;
import io.steadfast.console.PrometheusText;
import io.steadfast.lab.ExecResult;
import io.steadfast.lab.Lab;
import io.steadfast.lab.LabSpec;
import io.steadfast.node.LabMirror;
import io.steadfast.node.LabTesting;
import io.steadfast.node.demo.LabCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The console and the CLI against a RUNNING lab cluster (issue 7): two node namespaces each running a real node
 * agent ({@code steadfast node}, {@link LabCluster}), the mirror module {@code db} with the sample app on a VIP (as
 * in {@code MirrorFailoverIT}), a client namespace. One cluster for the whole class, started once.
 *
 * <ul>
 *   <li>headless Chromium opens node1's console (relayed to 127.0.0.1 of this machine as {@code steadfast demo}
 *   does), sees PRIM and SECOND, swaps after the confirmation and a sign-in, and sees the roles change without a
 *   reload; screenshots in {@code node/target/browser-lab/};</li>
 *   <li>the CLI run as an operator runs it — the launcher {@code ./steadfast} in a child process inside a node's
 *   namespace, talking to that node's console on the default {@code http://127.0.0.1:9400} — with the exit codes
 *   of docs/interface.md: {@code state [-m db]}, {@code check -m db}, module commands, usage errors;</li>
 *   <li>{@code /metrics} of each agent parses as Prometheus text and carries the module state per node.</li>
 * </ul>
 *
 * <p>The tests do not depend on their order: each waits for settled roles (a PRIM and a SECOND, both Ready) and
 * works with whichever node is primary.
 */
class ConsoleLabIT {
    static final String MODULE = "db";
    static final String VIP = "198.18.0.60";
    static final int PORT = 8080;
    static final List<String> NODES = List.of("node1", "node2");
    static final Path ARTIFACTS = Path.of("target", "browser-lab");
    /** One CLI JVM (start + request); a swap answers once the handover is under way. Generous: shared 2 cores. */
    static final Duration CLI = Duration.ofSeconds(120);
    /** The page: load, live, and a real swap (stop_prim, VIP, start_prim on the other node) on a loaded machine. */
    static final Duration PAGE = Duration.ofSeconds(120);
    static final String OPERATOR = "ops";

    static Path home;
    static Path dir;
    static Lab lab;
    static LabCluster cluster;
    static LabMirror db;
    static Process relay;
    /** node1's console as the browser on this machine reaches it (through the relay). */
    static String url;
    static String password;

    @BeforeAll
    static void startCluster() throws Exception {
        LabTesting.requireRoot();
        home = LabTesting.home();
        dir = LabTesting.workDir("console-lab");
        // This class tests the console and the CLI, not failure detection (MirrorFailoverIT does): a heartbeat
        // timeout well above the default 800 ms, since at load 25 on this shared machine an agent stalled 1.7 s and
        // its peer took over between two checks of a test.
        String modules = "modules:\n"
                + LabMirror.sampleModule(home, dir, MODULE, VIP, PORT, 8888, "pulse: 250ms, timeout: 5s, ", "", "");
        lab = Lab.create(LabSpec.builder().nodes(2).clients(1).secondLan(true).build());
        Path users = dir.resolve("users");
        cluster = LabCluster.configure(lab, home, dir.resolve("cluster"), modules, Optional.of(users));
        db = new LabMirror(cluster, MODULE, VIP, PORT);

        // the operator's console user, added with the CLI an administrator uses (there is no default user)
        password = UUID.randomUUID().toString();
        Path passwordFile = dir.resolve("ops.password");
        Files.writeString(passwordFile, password + "\n");
        Run add = steadfast("node1", null, "user", "add", OPERATOR, "control", "--file", users.toString(),
                "--password-file", passwordFile.toString());
        assertThat(add.code()).as("user add: %s", add).isZero();

        cluster.startAll();
        db.awaitRoles("node1"); // defaultprim of a fresh module

        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        relay = cluster.relayConsole("node1", "127.0.0.1", port, dir.resolve("relay.log"));
        url = "http://127.0.0.1:" + port;
        Http http = new Http(url);
        Optional<Integer> health = LabTesting.await(Duration.ofSeconds(30), Duration.ofMillis(200), () -> {
            try {
                return Optional.of(http.get("/health").status());
            } catch (Exception e) {
                return Optional.empty();
            }
        });
        assertThat(health).as("node1's console through the relay on %s (log %s)", url, dir.resolve("relay.log"))
                .contains(200);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        try {
            if (relay != null) {
                LabCluster.stopRelay(relay);
            }
        } finally {
            if (lab != null) {
                try {
                    for (String n : NODES) { // the app runs outside the agents' JVMs
                        lab.node(n).exec(Duration.ofSeconds(10), "env", "STEADFAST_MODULE=" + MODULE,
                                "STEADFAST_NODE=" + n, "APP_DIR=" + dir, home.resolve("examples/app/stop").toString(),
                                "force");
                    }
                } finally {
                    lab.close();
                }
            }
        }
    }

    // ---- the page ---------------------------------------------------------------------------------------------

    @Test
    void thePageShowsTheRolesSwapsAfterConfirmationAndSignInAndShowsTheNewRolesWithoutReloading() throws Exception {
        String prim = db.awaitRoles(null);
        String second = other(prim);
        try (Browser browser = Browser.start(ARTIFACTS)) {
            ChromeDriver driver = browser.driver();
            try {
                driver.get(url + "/");
                browser.signIn(OPERATOR, password, PAGE); // a fresh page shows nothing before signing in
                browser.waitFor(PAGE, prim + " PRIM and " + second + " SECOND on the page",
                        d -> "PRIM".equals(browser.cellState(MODULE, prim))
                                && "SECOND".equals(browser.cellState(MODULE, second)));
                assertThat(driver.findElement(By.id("cell-db-" + prim)).getAttribute("class")).contains("green");
                assertThat(driver.findElement(By.id("cluster")).getText()).contains(lab.prefix(), "seen from node1");
                // the page must not reload: mark it, and check the mark survives
                ((JavascriptExecutor) driver).executeScript("window.sfNoReload = 42;");
                browser.screenshot("1-before-swap");

                WebElement cell = driver.findElement(By.id("cell-db-" + prim));
                cell.findElement(By.tagName("summary")).click();
                cell.findElement(By.cssSelector("button[data-action='swap']")).click();
                browser.waitFor(PAGE, "the confirmation", d -> d.findElement(By.id("confirm")).isDisplayed());
                assertThat(driver.findElement(By.id("confirm-text")).getText())
                        .contains("swap moves the application db to " + second);
                browser.screenshot("2-confirm");
                driver.findElement(By.id("confirm-ok")).click();

                browser.waitFor(PAGE, second + " PRIM and " + prim + " SECOND on the page after the swap",
                        d -> "PRIM".equals(browser.cellState(MODULE, second))
                                && "SECOND".equals(browser.cellState(MODULE, prim)));
                assertThat(((JavascriptExecutor) driver).executeScript("return window.sfNoReload;"))
                        .as("the page was not reloaded").isEqualTo(42L);
                assertThat(driver.findElement(By.id("who")).getText()).contains(OPERATOR);
                browser.waitFor(PAGE, "the new primary Ready (green)",
                        d -> d.findElement(By.id("cell-db-" + second)).getAttribute("class").contains("green"));
                browser.screenshot("3-after-swap");
            } catch (AssertionError | RuntimeException e) {
                browser.screenshot("failure");
                throw new AssertionError(e.getMessage() + " (toast: " + toast(driver) + "; screenshot "
                        + ARTIFACTS.resolve("failure.png").toAbsolutePath() + ")", e);
            }
        }
        // what the page showed is what the cluster did: the API agrees and the client is served by the new primary
        db.awaitRoles(second);
        db.awaitAnswer("db@" + second);
    }

    private static String toast(ChromeDriver driver) {
        try {
            return driver.findElement(By.id("toast")).getText();
        } catch (RuntimeException e) {
            return "?";
        }
    }

    // ---- the CLI ----------------------------------------------------------------------------------------------

    @Test
    void stateExitCodeIsTheStateOfTheModuleOnTheNode() throws Exception {
        String prim = db.awaitRoles(null);
        String second = other(prim);

        Run listing = steadfast(prim, null, "state");
        assertThat(listing.code()).as("%s", listing).isZero();
        assertThat(listing.out()).contains("(seen from " + prim + ")", "node1", "node2", "modules:",
                prim + " PRIM Ready", second + " SECOND Ready");
        assertThat(listing.out()).doesNotContain("DOWN");

        // without --node: the local node (the console on 127.0.0.1 is this node's own)
        assertThat(steadfast(prim, null, "state", "-m", MODULE).code()).as("PRIM on %s", prim).isEqualTo(3);
        Run onSecond = steadfast(second, null, "state", "-m", MODULE);
        assertThat(onSecond.code()).as("SECOND on %s: %s", second, onSecond).isEqualTo(4);
        assertThat(onSecond.out()).contains("db on " + second + " SECOND Ready");
        assertThat(steadfast(prim, null, "state", "-m", MODULE, "--node", second).code()).isEqualTo(4);
        Run json = steadfast(second, null, "state", "-m", MODULE, "--node", prim, "--json");
        assertThat(json.code()).isEqualTo(3);
        assertThat(new JsonObject(json.out()).getString("state")).isEqualTo("PRIM");

        // unknown: exit 5, never a state's code
        Run unknownModule = steadfast(prim, null, "state", "-m", "nope");
        assertThat(unknownModule.code()).isEqualTo(5);
        assertThat(unknownModule.err()).contains("not-found");
        assertThat(steadfast(prim, null, "state", "-m", MODULE, "--node", "node9").code()).isEqualTo(5);
        assertThat(steadfast(prim, null, "state", "-m", MODULE, "--console", "http://127.0.0.1:1").code())
                .isEqualTo(5);
        assertThat(steadfast(prim, null, "state", "--console", "http://127.0.0.1:1").code()).isEqualTo(3);
    }

    @Test
    void checkFollowsTheMonitoringPluginConventionAndStopStartChangeIt() throws Exception {
        String prim = db.awaitRoles(null);
        String second = other(prim);

        Run ok = steadfast(second, null, "check", "-m", MODULE);
        assertThat(ok.code()).as("%s", ok).isZero();
        assertThat(ok.out().strip().lines()).hasSize(1);
        assertThat(ok.out()).startsWith("OK - db:").contains(prim + " PRIM Ready", second + " SECOND Ready");
        assertThat(steadfast(prim, null, "check", "-m", MODULE, "--node", second).out())
                .startsWith("OK - db: " + second + " SECOND Ready");
        Run unknown = steadfast(prim, null, "check", "-m", "nope");
        assertThat(unknown.code()).isEqualTo(3);
        assertThat(unknown.out()).startsWith("UNKNOWN - ");

        // the SECOND stopped by an operator: that node is CRITICAL, the module (still served) degraded
        Run stop = steadfast(prim, token(), "stop", "-m", MODULE, "--node", second);
        assertThat(stop.code()).as("%s", stop).isZero();
        try {
            assertThat(awaitExit(second, 0, "state", "-m", MODULE)).as("STOP on %s", second).isZero();
            Run critical = steadfast(prim, null, "check", "-m", MODULE, "--node", second);
            assertThat(critical.code()).as("%s", critical).isEqualTo(2);
            assertThat(critical.out()).startsWith("CRITICAL - db: " + second + " STOP");
            Run degraded = steadfast(prim, null, "check", "-m", MODULE);
            assertThat(degraded.code()).as("%s", degraded).isEqualTo(1);
            assertThat(degraded.out()).startsWith("WARNING - ");
            Run again = steadfast(prim, token(), "stop", "-m", MODULE, "--node", second);
            assertThat(again.code()).as("refused: %s", again).isEqualTo(1);
            assertThat(again.err()).contains("already stopped");
        } finally {
            Run start = steadfast(prim, token(), "start", "-m", MODULE, "--node", second);
            assertThat(start.code()).as("%s", start).isZero();
        }
        db.awaitRoles(prim);
        assertThat(steadfast(second, null, "check", "-m", MODULE).code()).isZero();
    }

    @Test
    void moduleCommandsNeedCredentialsExit1WhenRefusedAnd0WhenDone() throws Exception {
        String prim = db.awaitRoles(null);
        String second = other(prim);

        Run anonymous = steadfast(prim, ANONYMOUS, "swap", "-m", MODULE);
        assertThat(anonymous.code()).as("%s", anonymous).isEqualTo(1);
        assertThat(anonymous.err()).contains("unauthenticated");
        Run reader = steadfast(prim, null, "swap", "-m", MODULE);
        assertThat(reader.code()).as("%s", reader).isEqualTo(1);
        assertThat(reader.err()).contains("forbidden");
        assertThat(steadfast(prim, ANONYMOUS, "state", "-m", MODULE).code()).as("anonymous reads").isEqualTo(5);
        Run wrongPassword = steadfast(prim, OPERATOR + ":not-" + password, "swap", "-m", MODULE);
        assertThat(wrongPassword.code()).isEqualTo(1);
        Run already = steadfast(prim, token(), "prim", "-m", MODULE, "--node", prim);
        assertThat(already.code()).as("%s", already).isEqualTo(1);
        assertThat(already.err()).contains("conflict", "already primary");
        Run noSuchModule = steadfast(prim, token(), "swap", "-m", "nope");
        assertThat(noSuchModule.code()).isEqualTo(1);
        assertThat(noSuchModule.err()).contains("not-found");
        assertThat(steadfast(prim, token(), "swap", "-m", MODULE, "--console", "http://127.0.0.1:1").code())
                .as("console unreachable").isEqualTo(3);
        assertThat(steadfast(second, null, "state", "-m", MODULE).code()).as("nothing moved").isEqualTo(4);

        // the swap, on the primary's own node (default --node: the console's node)
        Run swap = steadfast(prim, token(), "swap", "-m", MODULE);
        assertThat(swap.code()).as("%s", swap).isZero();
        assertThat(swap.out()).contains("swap db on " + prim);
        db.awaitRoles(second);
        assertThat(steadfast(second, null, "state", "-m", MODULE).code()).isEqualTo(3);
        assertThat(steadfast(prim, null, "state", "-m", MODULE).code()).isEqualTo(4);
        db.awaitAnswer("db@" + second);
    }

    @Test
    void usageErrorsExit64WithOneLine() {
        for (String[] args : new String[][]{{"swap"}, {"check"}, {"state", "-m"}, {"frobnicate"}}) {
            Run r = steadfast("node1", null, args);
            assertThat(r.code()).as("%s: %s", String.join(" ", args), r).isEqualTo(64);
            assertThat(r.err().strip().lines()).as("%s", r).hasSize(1);
        }
        // an unknown option: its line, then the command's usage (issue 18, item 10)
        Run bogus = steadfast("node1", null, "swap", "-m", MODULE, "--bogus");
        assertThat(bogus.code()).as("%s", bogus).isEqualTo(64);
        assertThat(bogus.err().lines().findFirst().orElse("")).contains("Unknown option: '--bogus'");
        assertThat(bogus.err()).contains("Usage: steadfast swap");
    }

    // ---- metrics ----------------------------------------------------------------------------------------------

    @Test
    void metricsOfEachAgentAreValidPrometheusTextWithTheModuleStatePerNode() throws Exception {
        String prim = db.awaitRoles(null);
        String second = other(prim);
        Http.Reply viaRelay = new Http(url).get("/metrics");
        assertThat(viaRelay.status()).isEqualTo(200);
        assertThat(viaRelay.raw().headers().firstValue("content-type").orElse("")).startsWith("text/plain");
        // node1's console has served requests by now (its health through the relay): Vert.x's HTTP server metrics
        // and the JVM's are there (the agent creates its Vert.x with the console's metrics options)
        Map<String, Double> node1 = PrometheusText.parse(viaRelay.body());
        assertThat(node1.keySet()).anyMatch(k -> k.startsWith("vertx_http_server_"))
                .anyMatch(k -> k.startsWith("jvm_memory_used_bytes"));
        for (String agent : NODES) {
            ExecResult r = lab.node(agent).exec(Duration.ofSeconds(30), "curl", "-sf", "--max-time", "25",
                    "http://127.0.0.1:" + LabCluster.CONSOLE_PORT + "/metrics");
            assertThat(r.exitCode()).as("GET /metrics on %s: %s", agent, r.stderr()).isZero();
            Map<String, Double> m = PrometheusText.parse(r.stdout());
            String as = "metrics of " + agent;
            assertThat(m).as(as)
                    .containsEntry(stateKey(prim, "PRIM"), 1.0).containsEntry(stateKey(prim, "SECOND"), 0.0)
                    .containsEntry(stateKey(second, "SECOND"), 1.0).containsEntry(stateKey(second, "PRIM"), 0.0)
                    .containsEntry(stateKey(second, "STOP"), 0.0)
                    .containsEntry("steadfast_module_serving{module=db, node=" + prim + "}", 1.0)
                    .containsEntry("steadfast_module_serving{module=db, node=" + second + "}", 0.0)
                    .containsEntry("steadfast_module_ready{module=db, node=" + second + "}", 1.0)
                    .containsEntry("steadfast_node_up{node=node1}", 1.0)
                    .containsEntry("steadfast_node_up{node=node2}", 1.0);
        }
    }

    private static String stateKey(String node, String state) {
        return "steadfast_module_state{module=db, node=" + node + ", state=" + state + "}";
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + ", out [" + out.strip() + "], err [" + err.strip() + "]";
        }
    }

    /**
     * {@code ./steadfast ARGS} in {@code node}'s namespace, as an operator logged in on that node runs it (its
     * console is the default {@code http://127.0.0.1:9400}); {@code token} null = no credentials.
     */
    /** For {@link #steadfast}: no credentials at all. */
    static final String ANONYMOUS = "";

    /**
     * The CLI in {@code node}'s namespace with {@code STEADFAST_TOKEN=token}; null = the lab's read-only user (reads
     * need a user), {@link #ANONYMOUS} = none.
     */
    static Run steadfast(String node, String token, String... args) {
        List<String> argv = new ArrayList<>(List.of("env", "-u", "STEADFAST_TOKEN", "STEADFAST_NO_BUILD=1"));
        String credentials = token == null ? cluster.readerCredentials() : token;
        if (!credentials.isEmpty()) {
            argv.add("STEADFAST_TOKEN=" + credentials);
        }
        argv.add(home.resolve("steadfast").toString());
        argv.addAll(List.of(args));
        ExecResult r = lab.node(node).exec(CLI, argv.toArray(String[]::new));
        return new Run(r.exitCode(), r.stdout(), r.stderr());
    }

    /** Runs the command until it exits {@code code} (a state reached after a command is asynchronous). */
    static int awaitExit(String node, int code, String... args) throws InterruptedException {
        List<Run> seen = new ArrayList<>();
        Optional<Run> got = LabTesting.await(Duration.ofSeconds(60), Duration.ofMillis(500), () -> {
            Run r = steadfast(node, null, args);
            seen.add(r);
            return r.code() == code ? Optional.of(r) : Optional.empty();
        });
        assertThat(got).as("%s on %s exits %d (last: %s)", String.join(" ", args), node, code,
                seen.isEmpty() ? "-" : seen.getLast()).isPresent();
        return got.get().code();
    }

    static String token() {
        return OPERATOR + ":" + password;
    }

    static String other(String node) {
        return node.equals("node1") ? "node2" : "node1";
    }
}
