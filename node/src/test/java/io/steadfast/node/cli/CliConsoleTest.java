package io.steadfast.node.cli;

import io.steadfast.api.Readiness;
import io.steadfast.api.State;
import io.steadfast.console.StandInCluster;
import io.steadfast.node.Main;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exit codes and output of the admin commands against a real console (ConsoleVerticle in a real Vert.x) whose
 * other services are real bus consumers standing in for heartbeat/checker/replication/vip/lb-filter
 * ({@link StandInCluster}: db = mirror node1 PRIM + node2 SECOND, web = farm on node1..3, node3 down).
 */
class CliConsoleTest {
    static StandInCluster cluster;
    static String console;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        cluster = StandInCluster.start(true, false);
        console = cluster.url();
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Reads need a user (any role): the monitor's, unless a test says otherwise. */
    static final String READER = "mo:mo-pw";

    @BeforeEach
    void resetStates() throws Exception {
        token(READER);
        cluster.verifyEqual = true;
        cluster.publish("node1", "db", State.PRIM, Readiness.READY, "primary");
        cluster.publish("node2", "db", State.SECOND, Readiness.READY, "up to date");
        cluster.publish("node1", "web", State.UP, Readiness.READY, "");
        cluster.publish("node2", "web", State.UP, Readiness.READY, "");
        cluster.await(() -> cluster.console.view().state("db", "node1").orElse(null) == State.PRIM
                && cluster.console.view().state("db", "node2").orElse(null) == State.SECOND
                && cluster.console.view().moduleState("db", "node2").map(s -> s.readiness() == Readiness.READY).orElse(false)
                && cluster.console.view().state("web", "node1").orElse(null) == State.UP, "reset");
    }

    @AfterEach
    void noToken() {
        token(null);
    }

    static void token(String value) {
        ConsoleOptions.env = value == null ? System::getenv : name -> name.equals("STEADFAST_TOKEN") ? value : null;
    }

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        String[] withConsole = new String[args.length + 2];
        System.arraycopy(args, 0, withConsole, 0, args.length);
        withConsole[args.length] = "--console";
        withConsole[args.length + 1] = console;
        return runRaw(withConsole);
    }

    static Run runRaw(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    void publishAndWait(String node, String module, State s, Readiness r) throws InterruptedException {
        cluster.publish(node, module, s, r, "test");
        cluster.await(() -> cluster.console.view().state(module, node).orElse(null) == s
                && cluster.console.view().moduleState(module, node).map(x -> x.readiness() == r).orElse(false), s.name());
    }

    @Test
    void stateExitCodeIsTheStateOfTheModuleOnTheNode() throws Exception {
        assertThat(run("state", "-m", "db", "--node", "node1").code()).isEqualTo(3);
        Run second = run("state", "-m", "db", "--node", "node2");
        assertThat(second.code()).isEqualTo(4);
        assertThat(second.out()).contains("db on node2 SECOND Ready");
        assertThat(run("state", "-m", "db").code()).as("the console's node (node1)").isEqualTo(3);
        assertThat(run("state", "-m", "web").code()).isEqualTo(2);
        publishAndWait("node2", "db", State.WAIT, Readiness.NOT_READY);
        assertThat(run("state", "-m", "db", "--node", "node2").code()).isEqualTo(1);
        publishAndWait("node2", "db", State.STOP, Readiness.NOT_READY);
        assertThat(run("state", "-m", "db", "--node", "node2").code()).isEqualTo(0);
        publishAndWait("node1", "db", State.ALONE, Readiness.READY);
        assertThat(run("state", "-m", "db", "--node", "node1").code()).isEqualTo(2);
        Run json = run("state", "-m", "db", "--node", "node1", "--json");
        assertThat(new JsonObject(json.out()).getString("state")).isEqualTo("ALONE");
    }

    @Test
    void unknownStatesExit5NeverAStateCode() {
        Run down = run("state", "-m", "web", "--node", "node3");
        assertThat(down.code()).isEqualTo(StateCommand.EXIT_UNKNOWN);
        assertThat(run("state", "-m", "db", "--node", "node3").code()).isEqualTo(5);
        Run nope = run("state", "-m", "nope");
        assertThat(nope.code()).isEqualTo(5);
        assertThat(nope.err()).contains("not-found");
        Run unreachable = runRaw("state", "-m", "db", "--console", "http://127.0.0.1:1");
        assertThat(unreachable.code()).isEqualTo(5);
    }

    @Test
    void stateListsNodesServicesAndModules() {
        Run r = run("state");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("cluster test (seen from node1)", "node1", "heartbeat+", "node3", "DOWN",
                "modules:", "db", "node1 PRIM Ready", "node2 SECOND Ready");
        Run json = run("state", "--json");
        assertThat(new JsonObject(json.out()).getJsonArray("nodes")).hasSize(3);
        assertThat(runRaw("state", "--console", "http://127.0.0.1:1").code()).isEqualTo(StateCommand.EXIT_UNREACHABLE);
    }

    @Test
    void readsNeedAUserToo() {
        token(null);
        Run state = run("state", "-m", "db", "--node", "node1");
        assertThat(state.code()).isEqualTo(StateCommand.EXIT_UNKNOWN);
        assertThat(state.err()).contains("unauthenticated", "STEADFAST_TOKEN");
        assertThat(run("state").code()).isEqualTo(StateCommand.EXIT_UNREACHABLE);
        assertThat(run("check", "-m", "db").code()).isEqualTo(3);
        assertThat(run("log", "-m", "db").code()).isEqualTo(1);
    }

    @Test
    void aSessionTokenInSteadfastTokenWorksLikeThePassword() throws Exception {
        io.steadfast.console.Http http = new io.steadfast.console.Http(console);
        String token = http.call("POST", "/api/v1/session", null, "{\"user\":\"cy\",\"password\":\"cy-pw\"}")
                .json().getString("token");
        token(token);
        assertThat(run("state", "-m", "db", "--node", "node2").code()).isEqualTo(4);
        Run restart = run("restart", "-m", "db", "--node", "node2");
        assertThat(restart.code()).as(restart.err()).isZero();
        http.call("DELETE", "/api/v1/session", "Bearer " + token, null);
        Run after = run("restart", "-m", "db", "--node", "node2");
        assertThat(after.code()).isEqualTo(1);
        assertThat(after.err()).contains("sign in again");
    }

    @Test
    void commandsNeedCredentialsAndAreRelayed() throws Exception {
        token(null);
        Run anonymous = run("swap", "-m", "db");
        assertThat(anonymous.code()).isEqualTo(1);
        assertThat(anonymous.err()).contains("unauthenticated");
        token("mo:mo-pw");
        assertThat(run("swap", "-m", "db").err()).contains("forbidden");
        token("cy:cy-pw");
        Run swap = run("swap", "-m", "db");
        assertThat(swap.code()).as(swap.err()).isZero();
        assertThat(swap.out()).contains("node2 is primary");
        cluster.await(() -> cluster.console.view().state("db", "node2").orElse(null) == State.PRIM, "swapped");
        assertThat(run("state", "-m", "db", "--node", "node2").code()).isEqualTo(3);
        assertThat(run("restart", "-m", "db", "--node", "node2").code()).isZero();
        assertThat(cluster.commands.getLast().command()).isEqualTo(io.steadfast.api.Command.RESTART);
        Run full = run("prim", "-m", "db", "--node", "node1", "--fullsync");
        assertThat(full.code()).isZero();
        assertThat(cluster.commands.getLast().options()).containsExactly("fullsync");
    }

    @Test
    void checkersAreSwitchedForMaintenanceThroughTheConsole() {
        token(null);
        assertThat(run("checker", "disable", "db-port", "-m", "db", "--node", "node2").code())
                .as("needs credentials").isEqualTo(1);
        token("cy:cy-pw");
        Run off = run("checker", "disable", "db-port", "-m", "db", "--node", "node2");
        assertThat(off.code()).as(off.err()).isZero();
        assertThat(off.out()).contains("db checker db-port on node2: disabled (disabled by operator)");
        assertThat(cluster.toggles).endsWith("node2:db:db-port:false");
        Run on = run("checker", "enable", "db-port", "-m", "db");   // the console's node: node1
        assertThat(on.code()).as(on.err()).isZero();
        assertThat(cluster.toggles).endsWith("node1:db:db-port:true");
        Run unknown = run("checker", "disable", "nope", "-m", "db", "--node", "node1");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("no checker \"nope\"");
        assertThat(run("checker", "pause", "db-port", "-m", "db").code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(run("checker", "disable", "-m", "db").code()).isEqualTo(Main.EXIT_USAGE);
    }

    @Test
    void refusalsExit1WithTheReason() {
        token("ada:ada-pw");
        Run conflict = run("prim", "-m", "db", "--node", "node1");
        assertThat(conflict.code()).isEqualTo(1);
        assertThat(conflict.err()).contains("conflict", "already the primary");
        Run down = run("start", "-m", "web", "--node", "node3");
        assertThat(down.code()).isEqualTo(1);
        assertThat(down.err()).contains("unavailable");
        assertThat(run("start", "-m", "db", "--node", "node9").err()).contains("not-found");
        assertThat(runRaw("stop", "-m", "db", "--node", "node1", "--console", "http://127.0.0.1:1").code())
                .isEqualTo(3);
    }

    @Test
    void usageErrorsExit64WithOneLine() {
        for (String[] args : new String[][]{{"swap"}, {"check"}, {"log"}, {"verify"}, {"state", "-m"},
                {"user", "add", "x"}}) {
            Run r = runRaw(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(Main.EXIT_USAGE);
            assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
            assertThat(r.err()).startsWith("steadfast: ");
        }
        // an unknown option: the one line, then the command's usage (issue 18, item 10)
        Run bogus = runRaw("swap", "-m", "db", "--bogus");
        assertThat(bogus.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(bogus.err().lines().findFirst().orElse("")).contains("Unknown option: '--bogus'");
        assertThat(bogus.err()).contains("Usage: steadfast swap");
    }

    @Test
    void checkFollowsTheMonitoringPluginConvention() throws Exception {
        Run ok = run("check", "-m", "db");
        assertThat(ok.code()).isZero();
        assertThat(ok.out()).startsWith("OK - db:").contains("node1 PRIM Ready");
        assertThat(ok.out().strip().lines()).hasSize(1);
        assertThat(run("check", "-m", "db", "--node", "node2").code()).isZero();
        publishAndWait("node2", "db", State.SECOND, Readiness.TRANSIENT);
        Run warn = run("check", "-m", "db");
        assertThat(warn.code()).isEqualTo(1);
        assertThat(warn.out()).startsWith("WARNING - ");
        publishAndWait("node1", "db", State.STOP, Readiness.NOT_READY);
        Run crit = run("check", "-m", "db");
        assertThat(crit.code()).isEqualTo(2);
        assertThat(crit.out()).startsWith("CRITICAL - ").contains("no node serves");
        assertThat(run("check", "-m", "web", "--node", "node3").out()).startsWith("CRITICAL - ");
        Run web = run("check", "-m", "web");
        assertThat(web.code()).as("a farm node down degrades").isEqualTo(1);
        Run unknown = run("check", "-m", "nope");
        assertThat(unknown.code()).isEqualTo(3);
        assertThat(unknown.out()).startsWith("UNKNOWN - ");
        assertThat(runRaw("check", "-m", "db", "--console", "http://127.0.0.1:1").code()).isEqualTo(3);
    }

    @Test
    void checkWarnsAboutADegradedModuleThatStillServes() throws Exception {
        // node2 hears node1 on lan1 only: the mirror works, one heartbeat lan is lost
        io.vertx.core.json.JsonObject details = new io.vertx.core.json.JsonObject().put("peers",
                new io.vertx.core.json.JsonObject().put("node1", new io.vertx.core.json.JsonObject().put("alive", true)
                        .put("lans", new io.vertx.core.json.JsonObject()
                                .put("lan1", new io.vertx.core.json.JsonObject().put("up", true))
                                .put("lan2", new io.vertx.core.json.JsonObject().put("up", false)))));
        cluster.vertx.eventBus().publish(io.steadfast.api.HeartbeatApi.MODULE_STATE,
                new io.steadfast.api.HeartbeatApi.ModuleState("node2", "db", io.steadfast.config.ModuleType.MIRROR,
                        State.SECOND, Readiness.READY, "up to date", "gen-1", true, System.currentTimeMillis() + 1,
                        details).toJson());
        cluster.await(() -> cluster.console.view().moduleState("db", "node2")
                .map(x -> x.details().encode().contains("lan2")).orElse(false), "the degraded state");
        Run node = run("check", "-m", "db", "--node", "node2");
        assertThat(node.code()).isEqualTo(1);
        assertThat(node.out()).startsWith("WARNING - ")
                .contains("[warning: db: heartbeat lan lan2 to node1 lost (still heard on lan1)]");
        Run module = run("check", "-m", "db");
        assertThat(module.code()).isEqualTo(1);
        assertThat(module.out()).startsWith("WARNING - ").contains("lan2 to node1 lost");
    }

    @Test
    void aSplitBrainAlertIsCriticalUntilAcknowledged() throws Exception {
        cluster.publishSplitBrain("node2", "db", "SPLIT BRAIN: the copies diverged; this node's copy was kept in"
                + " /var/lib/steadfast/diverged/db/20240616T101010Z");
        cluster.await(() -> cluster.console.view().moduleState("db", "node2")
                .map(st -> st.details().containsKey("splitbrain")).orElse(false), "alert seen");
        Run crit = run("check", "-m", "db");
        assertThat(crit.code()).isEqualTo(2);
        assertThat(crit.out()).startsWith("CRITICAL - ").contains("split brain").contains("diverged/db/");
        assertThat(run("check", "-m", "db", "--node", "node1").code()).isEqualTo(2);
        assertThat(run("splitbrain", "ack", "-m", "db").code()).as("needs credentials").isEqualTo(1);
        token("mo:mo-pw");
        assertThat(run("splitbrain", "ack", "-m", "db").err()).contains("forbidden");
        token("cy:cy-pw");
        Run ack = run("splitbrain", "ack", "-m", "db");
        assertThat(ack.code()).as(ack.err()).isZero();
        assertThat(ack.out()).contains("node2").contains("acknowledged");
        cluster.await(() -> cluster.console.view().moduleState("db", "node2")
                .map(st -> !st.details().containsKey("splitbrain")).orElse(false), "alert cleared");
        assertThat(run("check", "-m", "db").code()).isZero();
        assertThat(runRaw("splitbrain", "ack").code()).isEqualTo(Main.EXIT_USAGE);
    }

    @Test
    void primForceIsRelayedAsAnOption() {
        token("cy:cy-pw");
        run("prim", "-m", "db", "--node", "node2", "--force");
        assertThat(cluster.commands.getLast().command()).isEqualTo(io.steadfast.api.Command.PRIM);
        assertThat(cluster.commands.getLast().options()).contains("force");
    }

    @Test
    void logShowsTheMergedTail() {
        Run all = run("log", "-m", "db");
        assertThat(all.code()).isZero();
        assertThat(all.out().lines()).hasSize(6);
        assertThat(all.out().lines().findFirst().orElseThrow()).endsWith("node1 node1 line 0");
        Run two = run("log", "-m", "db", "--node", "node2", "-n", "2");
        assertThat(two.out().lines()).hasSize(2).allMatch(l -> l.contains(" node2 "));
        assertThat(run("log", "-m", "nope").code()).isEqualTo(1);
    }

    @Test
    void logFollowPrintsNewLinesAsTheyArePublished() throws Exception {
        StringWriter out = new StringWriter();
        PrintWriter writer = new PrintWriter(out, true);
        // runs until the console closes the stream (at the end of this class); a virtual thread does not hold the JVM.
        // The stream needs a user too: --user with a password file (the environment seam is reset after the test).
        Path pw = dir.resolve("mo-pw");
        Files.writeString(pw, "mo-pw\n");
        StringWriter err = new StringWriter();
        Thread.ofVirtual().start(() -> Main.execute(writer, new PrintWriter(err, true),
                "log", "-m", "db", "--node", "node1", "-n", "1", "-f", "--user", "mo", "--password-file", pw.toString(),
                "--console", console));
        // the first command of a cold JVM on a busy machine (picocli, HTTP client, PBKDF2 provider): a generous bound
        cluster.await(() -> out.toString().contains("node1 line 2"), () -> "the tail; stderr: " + err,
                java.time.Duration.ofSeconds(60));
        cluster.await(() -> cluster.console.view() != null && eventClients() > 0, "the event stream");
        cluster.vertx.eventBus().publish(io.steadfast.api.CheckerApi.MODULE_LOG, new io.steadfast.api.CheckerApi
                .LogLine("node2", "db", System.currentTimeMillis(), "not this node").toJson());
        cluster.vertx.eventBus().publish(io.steadfast.api.CheckerApi.MODULE_LOG, new io.steadfast.api.CheckerApi
                .LogLine("node1", "db", System.currentTimeMillis(), "stop_prim: done").toJson());
        cluster.await(() -> out.toString().contains("node1 stop_prim: done"), "the followed line");
        assertThat(out.toString()).doesNotContain("not this node");
    }

    static int eventClients() {
        return cluster.console.eventClients();
    }

    @Test
    void verifyExits0WhenEqualAnd1WhenDifferent() {
        token("cy:cy-pw");
        Run equal = run("verify", "-m", "db");
        assertThat(equal.code()).as(equal.err()).isZero();
        cluster.verifyEqual = false;
        Run diff = run("verify", "-m", "db");
        assertThat(diff.code()).isEqualTo(1);
        assertThat(diff.out()).contains("data/a.txt");
        assertThat(run("verify", "-m", "web").code()).isEqualTo(2);
    }

    @Test
    void userAddWritesAUserTheConsoleAccepts() throws Exception {
        Path pw = dir.resolve("pw");
        Files.writeString(pw, "ops-secret\n");
        Path users = cluster.dir.resolve("users");
        Run add = runRaw("user", "add", "ops", "control", "--file", users.toString(), "--password-file", pw.toString());
        assertThat(add.code()).as(add.err()).isZero();
        assertThat(Files.readString(users)).contains("ops:control:pbkdf2-sha256$600000$");
        Run again = runRaw("user", "add", "ops", "admin", "--file", users.toString(), "--password-file", pw.toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("--replace");
        assertThat(runRaw("user", "add", "x", "root", "--file", users.toString(), "--password-file", pw.toString())
                .code()).isEqualTo(64);
        // the console picks the new user up without a restart; --user with --password-file
        Run restart = run("restart", "-m", "db", "--user", "ops", "--password-file", pw.toString());
        assertThat(restart.code()).as(restart.err()).isZero();
        Run wrong = run("restart", "-m", "db", "--user", "ops", "--password-file", users.toString());
        assertThat(wrong.code()).isEqualTo(1);
    }
}
