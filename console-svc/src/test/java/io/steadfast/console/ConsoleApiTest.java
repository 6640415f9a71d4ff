package io.steadfast.console;

import io.steadfast.api.Command;
import io.steadfast.api.Readiness;
import io.steadfast.api.ServiceName;
import io.steadfast.api.State;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every path of the console API against a real ConsoleVerticle in a real Vert.x, with real bus consumers standing
 * in for the other services ({@link StandInCluster}): answers, JSON errors (400/401/403/404/405/409/429/503), auth
 * (signed-in reads, probes open, sessions, throttling), CSRF, SSE, health, and /metrics parsed as Prometheus text.
 */
class ConsoleApiTest {
    static StandInCluster cluster;
    /** Reads as mo (monitor); POSTs with the credentials each call names. */
    static Http http;
    static Http anonymous;
    static final String ADA = Http.basic("ada", "ada-pw");
    static final String CY = Http.basic("cy", "cy-pw");
    static final String MO = Http.basic("mo", "mo-pw");

    @BeforeAll
    static void start() throws Exception {
        cluster = StandInCluster.start(true, true);
        anonymous = new Http(cluster.url());
        http = anonymous.as(MO);
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void clusterListsNodesServicesAndModuleStates() throws Exception {
        Http.Reply r = http.get("/api/v1/cluster");
        assertThat(r.status()).isEqualTo(200);
        JsonObject body = r.json();
        assertThat(body.getString("cluster")).isEqualTo("test");
        assertThat(body.getString("node")).isEqualTo("node1");
        JsonArray nodes = body.getJsonArray("nodes");
        assertThat(nodes).hasSize(3);
        assertThat(nodes.getJsonObject(0).getBoolean("up")).isTrue();
        assertThat(nodes.getJsonObject(0).getJsonArray("services")).hasSize(ServiceName.values().length);
        assertThat(nodes.getJsonObject(2).getBoolean("up")).isFalse();
        JsonObject db = module(body, "db");
        assertThat(db.getString("type")).isEqualTo("MIRROR");
        assertThat(node(db, "node1").getString("state")).isIn("PRIM", "SECOND");
        assertThat(node(db, "node1").getString("readiness")).isEqualTo("READY");
        JsonObject web = module(body, "web");
        assertThat(node(web, "node3").getString("state")).isNull();
        assertThat(node(web, "node3").getBoolean("nodeUp")).isFalse();
        assertThat(node(web, "node1").getJsonObject("buckets").getInteger("owned")).isEqualTo(128);
    }

    @Test
    void moduleShowsReplicationVipCheckersAndHistory() throws Exception {
        Http.Reply r = http.get("/api/v1/modules/db");
        assertThat(r.status()).isEqualTo(200);
        JsonObject n1 = node(r.json(), "node1");
        assertThat(n1.getJsonObject("replication").getLong("bytesReplicated")).isEqualTo(123456);
        assertThat(n1.getJsonObject("vip").getBoolean("present")).isTrue();
        assertThat(n1.getJsonArray("checkers").getJsonObject(0).getString("checker")).isEqualTo("db-port");
        assertThat(n1.getJsonArray("history")).isNotEmpty();
    }

    @Test
    void unknownModuleIs404Json() throws Exception {
        for (String path : List.of("/api/v1/modules/nope", "/api/v1/modules/nope/ready", "/api/v1/modules/nope/log")) {
            Http.Reply r = http.get(path);
            assertThat(r.status()).as(path).isEqualTo(404);
            assertThat(r.error()).isEqualTo("not-found");
            assertThat(r.json().getString("message")).contains("nope");
        }
        Http.Reply r = http.get("/no/such/path");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.error()).isEqualTo("not-found");
    }

    @Test
    void readyIs200WhereTheModuleServesOnThisNodeElse503() throws Exception {
        assertThat(http.get("/api/v1/modules/web/ready").status()).isEqualTo(200);
        State before = cluster.current("db", "node1").state();
        try {
            cluster.publish("node1", "db", State.PRIM, Readiness.READY, "primary");
            cluster.await(() -> cluster.console.view().state("db", "node1").orElse(null) == State.PRIM, "PRIM");
            Http.Reply ok = http.get("/api/v1/modules/db/ready");
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.json().getBoolean("ready")).isTrue();
            cluster.publish("node1", "db", State.SECOND, Readiness.TRANSIENT, "resync");
            cluster.await(() -> cluster.console.view().state("db", "node1").orElse(null) == State.SECOND, "SECOND");
            Http.Reply no = http.get("/api/v1/modules/db/ready");
            assertThat(no.status()).isEqualTo(503);
            assertThat(no.json().getString("state")).isEqualTo("SECOND");
        } finally {
            cluster.publish("node1", "db", before, Readiness.READY, "restored");
        }
    }

    @Test
    void logMergesNodesByTimeAndRejectsBadParameters() throws Exception {
        Http.Reply all = http.get("/api/v1/modules/db/log");
        assertThat(all.status()).isEqualTo(200);
        JsonArray lines = all.json().getJsonArray("lines");
        assertThat(lines).hasSize(6);
        assertThat(lines.getJsonObject(0).getString("line")).isEqualTo("node1 line 0");
        assertThat(lines.getJsonObject(1).getString("line")).isEqualTo("node2 line 0");
        assertThat(http.get("/api/v1/modules/db/log?node=node2&lines=2").json().getJsonArray("lines")).hasSize(2);
        // node3 runs web but is down: its lines are missing and the error says so
        Http.Reply web = http.get("/api/v1/modules/web/log");
        assertThat(web.json().getJsonArray("errors").getJsonObject(0).getString("node")).isEqualTo("node3");
        assertThat(http.get("/api/v1/modules/db/log?node=node3").status()).isEqualTo(404);
        for (String bad : List.of("lines=abc", "lines=0", "lines=999999")) {
            Http.Reply r = http.get("/api/v1/modules/db/log?" + bad);
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.error()).isEqualTo("bad-request");
        }
    }

    @Test
    void commandsNeedTheCsrfHeaderAndASameOrigin() throws Exception {
        HttpRequest.Builder noHeader = HttpRequest.newBuilder(URI.create(http.base() + "/api/v1/modules/db/nodes/node1/restart"))
                .header("authorization", ADA).POST(HttpRequest.BodyPublishers.ofString("{}"));
        Http.Reply r = http.send(noHeader);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.error()).isEqualTo("csrf");
        HttpRequest.Builder evil = HttpRequest.newBuilder(URI.create(http.base() + "/api/v1/modules/db/nodes/node1/restart"))
                .header("authorization", ADA).header(ConsoleVerticle.CSRF_HEADER, "x")
                .header("Origin", "http://evil.example").POST(HttpRequest.BodyPublishers.ofString("{}"));
        r = http.send(evil);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.error()).isEqualTo("csrf");
        int before = cluster.commands.size();
        HttpRequest.Builder same = HttpRequest.newBuilder(URI.create(http.base() + "/api/v1/modules/db/nodes/node1/restart"))
                .header("authorization", ADA).header(ConsoleVerticle.CSRF_HEADER, "x")
                .header("Origin", http.base()).POST(HttpRequest.BodyPublishers.ofString("{}"));
        assertThat(http.send(same).status()).isEqualTo(200);
        assertThat(cluster.commands).hasSize(before + 1);
    }

    @Test
    void commandsNeedCredentialsOfARoleThatMayCommand() throws Exception {
        int before = cluster.commands.size();
        Http.Reply none = http.post("/api/v1/modules/db/nodes/node1/restart", null, "{}");
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.error()).isEqualTo("unauthenticated");
        Http.Reply wrong = http.post("/api/v1/modules/db/nodes/node1/restart", Http.basic("ada", "nope"), "{}");
        assertThat(wrong.status()).isEqualTo(401);
        Http.Reply unknown = http.post("/api/v1/modules/db/nodes/node1/restart", Http.basic("eve", "x"), "{}");
        assertThat(unknown.status()).isEqualTo(401);
        Http.Reply garbage = http.post("/api/v1/modules/db/nodes/node1/restart", "Basic !!!", "{}");
        assertThat(garbage.status()).isEqualTo(401);
        Http.Reply monitor = http.post("/api/v1/modules/db/nodes/node1/restart", MO, "{}");
        assertThat(monitor.status()).isEqualTo(403);
        assertThat(monitor.error()).isEqualTo("forbidden");
        assertThat(cluster.commands).hasSize(before); // nothing reached heartbeat-svc
        Http.Reply control = http.post("/api/v1/modules/db/nodes/node1/restart", CY, "");
        assertThat(control.status()).isEqualTo(200);
        assertThat(control.json().getString("command")).isEqualTo("restart");
        Http.Reply bearer = http.post("/api/v1/modules/db/nodes/node1/restart", "Bearer ada:ada-pw", "{}");
        assertThat(bearer.status()).isEqualTo(200);
        assertThat(cluster.commands).hasSize(before + 2);
        assertThat(cluster.commands.getLast().command()).isEqualTo(Command.RESTART);
    }

    @Test
    void anonymousReadsAre401JsonWhileTheProbesThePageAndTheOpenApiStayOpen() throws Exception {
        for (String path : List.of("/api/v1/cluster", "/api/v1/modules/db", "/api/v1/modules/db/log",
                "/api/v1/events", "/api/v1/session", "/api/v1/modules/nope")) {
            Http.Reply r = anonymous.get(path);
            assertThat(r.status()).as(path).isEqualTo(401);
            assertThat(r.json().fieldNames()).as(path).containsExactlyInAnyOrder("error", "message");
            assertThat(r.error()).isEqualTo("unauthenticated");
            assertThat(r.json().getString("message")).contains("signed-in user");
            assertThat(r.body()).doesNotContain("test"); // not even the cluster's name
        }
        assertThat(anonymous.get("/api/v1/cluster", "Bearer sft_not-a-session").status()).isEqualTo(401);
        assertThat(anonymous.get("/health").status()).isEqualTo(200);
        assertThat(anonymous.get("/metrics").status()).isEqualTo(200);
        assertThat(anonymous.get("/api/v1/modules/web/ready").status()).isEqualTo(200);
        assertThat(anonymous.get("/").status()).isEqualTo(200);
        assertThat(anonymous.get("/app.js").status()).isEqualTo(200);
        assertThat(anonymous.get("/api/v1/openapi.json").status()).isEqualTo(200);
        assertThat(anonymous.get("/health").raw().headers().firstValue("strict-transport-security"))
                .as("HSTS only with TLS").isEmpty();
    }

    @Test
    void aMonitorReadsEverythingButCommandsNothing() throws Exception {
        for (String path : List.of("/api/v1/cluster", "/api/v1/modules/db", "/api/v1/modules/db/log")) {
            assertThat(anonymous.get(path, MO).status()).as(path).isEqualTo(200);
        }
        assertThat(anonymous.get("/api/v1/session", MO).json().getString("user")).isEqualTo("mo");
        int before = cluster.commands.size();
        Http.Reply r = http.post("/api/v1/modules/db/nodes/node1/stop", MO, "{}");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.error()).isEqualTo("forbidden");
        assertThat(cluster.commands).hasSize(before);
    }

    @Test
    void aSessionTokenReplacesThePasswordUntilSignOut() throws Exception {
        Http.Reply bad = anonymous.call("POST", "/api/v1/session", null, "{\"user\":\"cy\",\"password\":\"nope\"}");
        assertThat(bad.status()).isEqualTo(401);
        assertThat(bad.error()).isEqualTo("unauthenticated");
        Http.Reply unknown = anonymous.call("POST", "/api/v1/session", null, "{\"user\":\"zed\",\"password\":\"nope\"}");
        assertThat(unknown.body()).as("an unknown user gets the same answer").isEqualTo(bad.body());
        assertThat(anonymous.call("POST", "/api/v1/session", null, "{\"user\":\"cy\"}").status()).isEqualTo(400);
        Http.Reply noCsrf = anonymous.send(java.net.http.HttpRequest.newBuilder(URI.create(http.base()
                + "/api/v1/session")).POST(HttpRequest.BodyPublishers.ofString("{\"user\":\"cy\",\"password\":\"cy-pw\"}")));
        assertThat(noCsrf.status()).isEqualTo(403);
        assertThat(noCsrf.error()).isEqualTo("csrf");

        Http.Reply in = anonymous.call("POST", "/api/v1/session", null, "{\"user\":\"cy\",\"password\":\"cy-pw\"}");
        assertThat(in.status()).as(in.body()).isEqualTo(201);
        String token = in.json().getString("token");
        assertThat(token).startsWith("sft_").doesNotContain("cy-pw").hasSizeGreaterThan(40);
        assertThat(in.json().getString("role")).isEqualTo("control");
        assertThat(in.json().getBoolean("commands")).isTrue();
        assertThat(in.json().getLong("expiresAt")).isGreaterThan(System.currentTimeMillis());
        String bearer = "Bearer " + token;
        assertThat(anonymous.get("/api/v1/cluster", bearer).status()).isEqualTo(200);
        assertThat(anonymous.get("/api/v1/session", bearer).json().getString("user")).isEqualTo("cy");
        assertThat(http.post("/api/v1/modules/db/nodes/node1/restart", bearer, "{}").status()).isEqualTo(200);
        // a second sign-in is a second session: signing one out leaves the other
        String other = "Bearer " + anonymous.call("POST", "/api/v1/session", Http.basic("cy", "cy-pw"), "")
                .json().getString("token");

        Http.Reply out = anonymous.call("DELETE", "/api/v1/session", bearer, null);
        assertThat(out.status()).isEqualTo(200);
        assertThat(out.json().getBoolean("signedOut")).isTrue();
        Http.Reply after = anonymous.get("/api/v1/cluster", bearer);
        assertThat(after.status()).isEqualTo(401);
        assertThat(after.json().getString("message")).contains("sign in again");
        assertThat(http.post("/api/v1/modules/db/nodes/node1/restart", bearer, "{}").status()).isEqualTo(401);
        assertThat(anonymous.call("DELETE", "/api/v1/session", bearer, null).json().getBoolean("signedOut")).isFalse();
        assertThat(anonymous.get("/api/v1/cluster", other).status()).isEqualTo(200);
        assertThat(anonymous.call("DELETE", "/api/v1/session", other, null).status()).isEqualTo(200);
    }

    @Test
    void bruteForceFromOneClientIsThrottledWhileAnOperatorElsewhereIsServed() throws Exception {
        Http attacker = anonymous.from("127.0.0.2");
        int refused = 0;
        Http.Reply last = null;
        for (int i = 0; i < 25 && (last == null || last.status() != 429); i++) {
            last = attacker.get("/api/v1/cluster", Http.basic("ada", "guess-" + i));
            if (last.status() == 401) {
                refused++;
            }
        }
        assertThat(last.status()).as("after %d wrong passwords", refused).isEqualTo(429);
        assertThat(refused).isEqualTo(10);
        assertThat(last.error()).isEqualTo("throttled");
        assertThat(last.json().getString("message")).contains("from this address");
        assertThat(last.raw().headers().firstValue("retry-after")).isPresent();
        // the right password from the attacker's address is refused too while locked, and a sign-in as well
        assertThat(attacker.get("/api/v1/cluster", ADA).status()).isEqualTo(429);
        assertThat(attacker.call("POST", "/api/v1/session", null, "{\"user\":\"cy\",\"password\":\"x\"}").status())
                .isEqualTo(429);
        // the operator, from another address, with the same user name: served
        int before = cluster.commands.size();
        assertThat(anonymous.get("/api/v1/cluster", ADA).status()).isEqualTo(200);
        assertThat(http.post("/api/v1/modules/db/nodes/node1/restart", ADA, "{}").status()).isEqualTo(200);
        assertThat(cluster.commands).hasSize(before + 1);
        Http.Reply session = anonymous.call("POST", "/api/v1/session", null, "{\"user\":\"ada\",\"password\":\"ada-pw\"}");
        assertThat(session.status()).isEqualTo(201);
    }

    @Test
    void badCommandsAreRefusedWithTheRightCode() throws Exception {
        int before = cluster.commands.size();
        Http.Reply badCommand = http.post("/api/v1/modules/db/nodes/node1/explode", ADA, "{}");
        assertThat(badCommand.status()).isEqualTo(400);
        assertThat(badCommand.json().getString("message")).contains("swap");
        assertThat(http.post("/api/v1/modules/nope/nodes/node1/start", ADA, "{}").status()).isEqualTo(404);
        Http.Reply notANode = http.post("/api/v1/modules/db/nodes/node3/start", ADA, "{}");
        assertThat(notANode.status()).isEqualTo(404);
        assertThat(notANode.json().getString("message")).contains("node1, node2");
        Http.Reply badJson = http.post("/api/v1/modules/db/nodes/node1/start", ADA, "{not json");
        assertThat(badJson.status()).isEqualTo(400);
        Http.Reply badOptions = http.post("/api/v1/modules/db/nodes/node1/start", ADA, "{\"options\": 3}");
        assertThat(badOptions.status()).isEqualTo(400);
        Http.Reply array = http.post("/api/v1/modules/db/nodes/node1/start", ADA, "[1]");
        assertThat(array.status()).isEqualTo(400);
        assertThat(cluster.commands).hasSize(before);
        // node3 runs web but its heartbeat-svc is not there: 503
        Http.Reply down = http.post("/api/v1/modules/web/nodes/node3/start", ADA, "{}");
        assertThat(down.status()).isEqualTo(503);
        assertThat(down.error()).isEqualTo("unavailable");
        // heartbeat-svc refuses: 409 with its reason
        String prim = cluster.current("db", "node1").state() == State.PRIM ? "node1" : "node2";
        Http.Reply conflict = http.post("/api/v1/modules/db/nodes/" + prim + "/prim", ADA, "{}");
        assertThat(conflict.status()).isEqualTo(409);
        assertThat(conflict.error()).isEqualTo("conflict");
        assertThat(conflict.json().getString("message")).contains("already the primary");
        // wrong method
        Http.Reply get = http.get("/api/v1/modules/db/nodes/node1/start");
        assertThat(get.status()).isIn(404, 405);
        assertThat(get.json().getString("error")).isNotBlank();
    }

    @Test
    void checkersAreSwitchedOffAndOnForMaintenanceOnOneNode() throws Exception {
        String path = "/api/v1/modules/db/nodes/node2/checkers/db-port/";
        assertThat(http.post(path + "disable", null, "{}").status()).isEqualTo(401);
        assertThat(http.post(path + "disable", MO, "{}").status()).isEqualTo(403);
        Http.Reply off = http.post(path + "disable", CY, "{}");
        assertThat(off.status()).as(off.body()).isEqualTo(200);
        assertThat(off.json().getString("action")).isEqualTo("disable");
        assertThat(off.json().getJsonArray("checkers").getJsonObject(0).getString("status")).isEqualTo("DISABLED");
        assertThat(cluster.toggles).endsWith("node2:db:db-port:false");
        assertThat(http.post(path + "enable", CY, "").status()).isEqualTo(200);
        assertThat(cluster.toggles).endsWith("node2:db:db-port:true");

        int before = cluster.toggles.size();
        Http.Reply verb = http.post(path + "pause", CY, "{}");
        assertThat(verb.status()).isEqualTo(400);
        assertThat(verb.json().getString("message")).contains("enable, disable");
        Http.Reply unknown = http.post("/api/v1/modules/db/nodes/node2/checkers/nope/disable", CY, "{}");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().getString("message")).contains("no checker \"nope\"");
        assertThat(http.post("/api/v1/modules/db/nodes/node3/checkers/db-port/disable", CY, "{}").status())
                .isEqualTo(404);
        assertThat(http.post("/api/v1/modules/nope/nodes/node2/checkers/db-port/disable", CY, "{}").status())
                .isEqualTo(404);
        assertThat(cluster.toggles).as("refused requests change nothing").hasSize(before);
    }

    @Test
    void swapIsRelayedAndTheNewStatesAreStreamedOverSse() throws Exception {
        BlockingQueue<String> events = new ArrayBlockingQueue<>(1000);
        HttpRequest sse = HttpRequest.newBuilder(URI.create(http.base() + "/api/v1/events?module=db&types=state"))
                .header("authorization", MO).GET().build();
        HttpResponse<InputStream> stream = http.client().send(sse, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    events.offer(line);
                }
            } catch (Exception ignored) {
                // closed at the end of the test
            }
        });
        try {
            String prim = cluster.current("db", "node1").state() == State.PRIM ? "node1" : "node2";
            String second = prim.equals("node1") ? "node2" : "node1";
            Http.Reply r = http.post("/api/v1/modules/db/nodes/" + prim + "/swap", ADA, "{}");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().getString("message")).contains(second + " is primary");
            // both new states arrive as SSE "state" events
            Map<String, String> seen = new HashMap<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            String event = null;
            while (seen.size() < 2 && System.nanoTime() < deadline) {
                String line = events.poll(200, TimeUnit.MILLISECONDS);
                if (line == null) {
                    continue;
                }
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ") && "state".equals(event)) {
                    JsonObject d = new JsonObject(line.substring(6));
                    assertThat(d.getString("module")).isEqualTo("db");
                    seen.put(d.getString("node"), d.getString("state"));
                }
            }
            assertThat(seen).containsEntry(second, "PRIM").containsEntry(prim, "SECOND");
            assertThat(http.get("/api/v1/modules/db").json().getJsonArray("serving")).containsExactly(second);
        } finally {
            stream.body().close();
            reader.interrupt();
        }
    }

    @Test
    void eventsRejectUnknownFilters() throws Exception {
        Http.Reply r = http.get("/api/v1/events?types=state,bogus");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).isEqualTo("bad-request");
        assertThat(http.get("/api/v1/events?module=nope").status()).isEqualTo(404);
    }

    @Test
    void verifyAsksThePrimaryAndSaysWhetherBothCopiesAreEqual() throws Exception {
        Http.Reply equal = http.post("/api/v1/modules/db/verify", CY, "{}");
        assertThat(equal.status()).isEqualTo(200);
        assertThat(equal.json().getBoolean("equal")).isTrue();
        cluster.verifyEqual = false;
        try {
            Http.Reply diff = http.post("/api/v1/modules/db/verify", CY, "{}");
            assertThat(diff.json().getBoolean("equal")).isFalse();
            assertThat(diff.json().getJsonArray("differences")).hasSize(1);
        } finally {
            cluster.verifyEqual = true;
        }
        assertThat(http.post("/api/v1/modules/web/verify", CY, "{}").status()).isEqualTo(409);
        assertThat(http.post("/api/v1/modules/db/verify", MO, "{}").status()).isEqualTo(403);
    }

    @Test
    void healthReportsThisNodesServices() throws Exception {
        Http.Reply ok = http.get("/health");
        assertThat(ok.status()).isEqualTo(200);
        JsonArray checks = ok.json().getJsonArray("checks");
        assertThat(checks).hasSize(ServiceName.values().length);
        assertThat(ok.json().getString("status")).isEqualTo("UP");
        assertThat(ok.json().getBoolean("up")).isTrue();
        assertThat(ok.json().getString("node")).isEqualTo("node1");
        assertThat(ok.json().getJsonArray("services")).hasSize(ServiceName.values().length)
                .allSatisfy(o -> assertThat(((JsonObject) o).getBoolean("up")).isTrue());
        cluster.sick.add(ServiceName.VIP);
        try {
            Http.Reply sick = http.get("/health");
            assertThat(sick.status()).isEqualTo(503);
            assertThat(sick.body()).contains("stand-in sick");
            assertThat(sick.json().getBoolean("up")).isFalse();
            assertThat(sick.json().getJsonArray("reasons").getList()).containsExactly("vip: stand-in sick");
        } finally {
            cluster.sick.clear();
        }
    }

    @Test
    void healthWithWarningsIsStill200AndListsThem() throws Exception {
        cluster.warned.put(ServiceName.HEARTBEAT, List.of("db: heartbeat lan lan2 to node2 lost (still heard on lan1)"));
        try {
            Http.Reply r = http.get("/health");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().getBoolean("up")).isTrue();
            assertThat(r.json().getJsonArray("reasons")).isEmpty();
            assertThat(r.json().getJsonArray("warnings").getList())
                    .containsExactly("heartbeat: db: heartbeat lan lan2 to node2 lost (still heard on lan1)");
        } finally {
            cluster.warned.clear();
        }
    }

    @Test
    void moduleWarningsShowNextToTheModule() throws Exception {
        io.steadfast.api.HeartbeatApi.ModuleState before = cluster.current("db", "node2");
        cluster.publish("node2", "db", State.SECOND, Readiness.TRANSIENT, "resynchronising");
        try {
            cluster.await(() -> {
                try {
                    JsonObject n2 = node(http.get("/api/v1/modules/db").json(), "node2");
                    return !n2.getJsonArray("warnings").isEmpty();
                } catch (Exception e) {
                    return false;
                }
            }, "a warning for the resynchronising secondary");
            JsonObject n2 = node(http.get("/api/v1/modules/db").json(), "node2");
            assertThat(n2.getJsonArray("warnings").getList())
                    .containsExactly("db: secondary node2 not up to date (SECOND/TRANSIENT: resynchronising)");
            assertThat(node(http.get("/api/v1/modules/db").json(), "node1").getJsonArray("warnings")).isEmpty();
        } finally {
            cluster.publish("node2", "db", before.state(), before.readiness(), before.reason());
        }
    }

    @Test
    void metricsAreValidPrometheusTextWithModuleAndVertxMetrics() throws Exception {
        cluster.publishResync("node2", "db", 500, 2000);
        cluster.await(() -> cluster.console.view().resync("db", "node2").isPresent(), "resync seen");
        Http.Reply r = http.get("/metrics");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.raw().headers().firstValue("content-type").orElse("")).startsWith("text/plain");
        Map<String, Double> m = PrometheusText.parse(r.body());
        String prim = cluster.current("db", "node1").state() == State.PRIM ? "node1" : "node2";
        assertThat(m).containsEntry("steadfast_module_state{module=db, node=" + prim + ", state=PRIM}", 1.0);
        assertThat(m).containsEntry("steadfast_module_state{module=db, node=" + prim + ", state=SECOND}", 0.0);
        assertThat(m.get("steadfast_module_state{module=web, node=node3, state=UP}")).isNaN();
        assertThat(m).containsEntry("steadfast_module_serving{module=web, node=node1}", 1.0);
        assertThat(m).containsEntry("steadfast_replication_bytes_total{module=db, node=node1}", 123456.0);
        assertThat(m).containsEntry("steadfast_replication_pending_acks{module=db, node=node1}", 2.0);
        assertThat(m).containsEntry("steadfast_resync_bytes_done{module=db, node=node2}", 500.0);
        assertThat(m).containsEntry("steadfast_resync_total_bytes{module=db, node=node2}", 2000.0);
        assertThat(m).containsEntry("steadfast_farm_buckets{module=web, node=node2}", 128.0);
        assertThat(m).containsEntry("steadfast_checker_up{checker=db-port, module=db, node=node1}", 1.0);
        assertThat(m).containsEntry("steadfast_node_up{node=node3}", 0.0);
        assertThat(m).containsEntry("steadfast_heartbeat_rtt_seconds{lan=lan1, module=db, node=node1, peer=node2}", 0.003);
        assertThat(m).containsKey("steadfast_failovers_total{module=db, node=node2}");
        assertThat(m.keySet()).anyMatch(k -> k.startsWith("vertx_http_server_"));
        assertThat(m.keySet()).anyMatch(k -> k.startsWith("vertx_eventbus_"));
    }

    @Test
    void openapiDescribesEveryPath() throws Exception {
        Http.Reply r = http.get("/api/v1/openapi.json");
        assertThat(r.status()).isEqualTo(200);
        JsonObject paths = r.json().getJsonObject("paths");
        assertThat(paths.fieldNames()).contains("/api/v1/cluster", "/api/v1/modules/{m}", "/api/v1/modules/{m}/ready",
                "/api/v1/modules/{m}/log", "/api/v1/modules/{m}/nodes/{n}/{command}", "/api/v1/modules/{m}/verify",
                "/api/v1/modules/{m}/nodes/{n}/checkers/{c}/{action}",
                "/api/v1/events", "/api/v1/session", "/health", "/metrics");
        assertThat(r.json().getString("openapi")).startsWith("3.");
    }

    @Test
    void thePageAndItsAssetsAreServed() throws Exception {
        Http.Reply page = http.get("/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.raw().headers().firstValue("content-type").orElse("")).startsWith("text/html");
        assertThat(page.body()).contains("app.js").doesNotContain("://cdn");
        assertThat(page.raw().headers().firstValue("x-frame-options")).contains("DENY");
        assertThat(page.raw().headers().firstValue("content-security-policy").orElse("")).contains("default-src 'self'");
        assertThat(http.get("/app.js").status()).isEqualTo(200);
        assertThat(http.get("/app.css").status()).isEqualTo(200);
    }

    @Test
    void aNodeThatLeavesTheClusterBecomesStale() throws Exception {
        cluster.members.remove("c-node2");
        try {
            cluster.await(() -> !cluster.console.view().isUp("node2"), "node2 down");
            JsonObject n2 = node(http.get("/api/v1/modules/db").json(), "node2");
            assertThat(n2.getBoolean("stale")).isTrue();
            assertThat(n2.getBoolean("serves")).isFalse();
            assertThat(http.get("/api/v1/cluster").json().getJsonArray("nodes").getJsonObject(1).getBoolean("up"))
                    .isFalse();
        } finally {
            cluster.members.add("c-node2");
            cluster.await(() -> cluster.console.view().isUp("node2"), "node2 back");
        }
    }

    static JsonObject module(JsonObject cluster, String name) {
        return cluster.getJsonArray("modules").stream().map(o -> (JsonObject) o)
                .filter(m -> m.getString("name").equals(name)).findFirst().orElseThrow();
    }

    static JsonObject node(JsonObject module, String name) {
        return module.getJsonArray("nodes").stream().map(o -> (JsonObject) o)
                .filter(n -> n.getString("node").equals(name)).findFirst().orElseThrow();
    }
}
