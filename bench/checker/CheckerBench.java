package bench.checker;

import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.HeartbeatApi.ActionRequest;
import io.steadfast.api.HeartbeatApi.CommandReply;
import io.steadfast.api.State;
import io.steadfast.checker.CheckerTestSupport;
import io.steadfast.checker.CheckerVerticle;
import io.steadfast.exec.CommandRunner;
import io.steadfast.service.Membership;
import io.steadfast.service.ServiceContext;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * checker-svc numbers (run with bench/checker/run.sh):
 * 1. time from an application's death (SIGKILL) to the restart request on the bus, tcp checker at 1 s interval;
 * 2. CPU of the JVM running checker-svc with 50 checkers at a 1 s interval, over 60 s.
 * The verticle runs in a plain Vert.x; a consumer stands in for heartbeat-svc and restarts the application.
 */
public final class CheckerBench {
    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int cpuSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        Path dir = Files.createTempDirectory("checker-bench");
        List<Process> apps = Collections.synchronizedList(new ArrayList<>());
        int code = 0;
        try {
            latency(dir.resolve("lat"), runs, apps);
            cpu(dir.resolve("cpu-tcp"), cpuSeconds, apps, "tcp");
            cpu(dir.resolve("cpu-http"), cpuSeconds, apps, "http");
            cpu(dir.resolve("cpu-idle"), cpuSeconds, apps, "none");
        } catch (Exception e) {
            e.printStackTrace();
            code = 1;
        } finally {
            for (Process p : apps) {
                p.destroyForcibly();
            }
        }
        System.exit(code); // also on failure: Vert.x threads would keep the JVM alive

    }

    static Process startApp(Path dir, int port, List<Process> apps) throws Exception {
        Files.createDirectories(dir);
        Process p = new ProcessBuilder("python3", "-m", "http.server", Integer.toString(port), "--bind", "127.0.0.1",
                "--directory", dir.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        apps.add(p);
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return p;
            } catch (Exception e) {
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("app did not start on " + port);
    }

    static void latency(Path dir, int runs, List<Process> apps) throws Exception {
        Files.createDirectories(dir);
        int port = CheckerTestSupport.freePort();
        Process[] app = {startApp(dir, port, apps)};
        Vertx vertx = Vertx.vertx();
        BlockingQueue<Long> requests = new LinkedBlockingQueue<>();
        vertx.eventBus().<JsonObject>consumer(HeartbeatApi.action("node1"), msg -> {
            requests.add(System.nanoTime());
            ActionRequest req = ActionRequest.fromJson(msg.body());
            vertx.executeBlocking(() -> app[0] = startApp(dir, port, apps)).onComplete(ar ->
                    msg.reply(new CommandReply("node1", req.module(), "restarted", State.PRIM).toJson()));
        });
        var cfg = CheckerTestSupport.config(dir, """
                - name: db
                  type: mirror
                  nodes: [node1, node2]
                  service: { maxloop: 1000, loop_interval: 1h }
                  checkers:
                    - { name: app, type: tcp, target: "127.0.0.1:%d", interval: 1s, timeout: 500ms, on_failure: restart }
                """.formatted(port));
        CheckerTestSupport.await(vertx.deployVerticle(new CheckerVerticle(new ServiceContext(cfg, "node1",
                Membership.standalone("b")), new CommandRunner(), dir.resolve("logs"))));
        CheckerTestSupport.publishState(vertx, "node1", "db", State.PRIM);
        Thread.sleep(2500);
        List<Long> ms = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            waitUp(vertx);
            // kill at a random phase of the checker's interval
            Thread.sleep(200 + (long) (Math.random() * 1000));
            long t0 = System.nanoTime();
            app[0].destroyForcibly();
            Long at = requests.poll(10, TimeUnit.SECONDS);
            if (at == null) {
                throw new IllegalStateException("no restart request in run " + i);
            }
            ms.add((at - t0) / 1_000_000);
        }
        CheckerTestSupport.await(vertx.close());
        List<Long> sorted = new ArrayList<>(ms);
        Collections.sort(sorted);
        System.out.printf("death -> restart request (tcp checker, interval 1s, %d runs): p50 %d ms, p95 %d ms, max %d ms%n",
                runs, sorted.get(runs / 2), sorted.get((int) Math.ceil(runs * 0.95) - 1), sorted.getLast());
        System.out.println("  all: " + ms);
    }

    /** Until the checker is UP again (the restarted application answers), bounded. */
    static void waitUp(Vertx vertx) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline) {
            var reply = CheckerTestSupport.await(vertx.eventBus().request(
                    io.steadfast.api.CheckerApi.checkers("node1"), new JsonObject()));
            var statuses = io.steadfast.api.CheckerApi.CheckerStatuses.fromJson((JsonObject) reply.body());
            if (statuses.checkers().getFirst().status() == io.steadfast.api.CheckerApi.Status.UP) {
                return;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("checker not up again within 20 s");
    }

    static void cpu(Path dir, int seconds, List<Process> apps, String kind) throws Exception {
        Files.createDirectories(dir);
        int port = CheckerTestSupport.freePort();
        startApp(dir, port, apps);
        StringBuilder yaml = new StringBuilder("""
                - name: db
                  type: mirror
                  nodes: [node1, node2]
                  checkers:
                """);
        int n = "none".equals(kind) ? 0 : 50;
        for (int i = 0; i < n; i++) {
            String target = "tcp".equals(kind) ? "\"127.0.0.1:" + port + "\"" : "\"http://127.0.0.1:" + port + "/\"";
            yaml.append("    - { name: c").append(i).append(", type: ").append(kind).append(", target: ")
                    .append(target).append(", interval: 1s, timeout: 1s }\n");
        }
        if (n == 0) {
            yaml.append("    []\n");
        }
        Vertx vertx = Vertx.vertx();
        var cfg = CheckerTestSupport.config(dir, yaml.toString().replace("checkers:\n    []", "checkers: []"));
        CheckerTestSupport.await(vertx.deployVerticle(new CheckerVerticle(new ServiceContext(cfg, "node1",
                Membership.standalone("b")), new CommandRunner(), dir.resolve("logs"))));
        CheckerTestSupport.publishState(vertx, "node1", "db", State.PRIM);
        Thread.sleep(10_000); // warm up (JIT, first rounds)
        long cpu0 = cpuNanos();
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        long cpu = cpuNanos() - cpu0;
        long wall = System.nanoTime() - t0;
        CheckerTestSupport.await(vertx.close());
        System.out.printf("CPU with %d %s checkers at 1s interval over %d s: %.2f s CPU = %.2f %% of one core%n",
                n, kind, seconds, cpu / 1e9, 100.0 * cpu / wall);
    }

    static long cpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos();
    }
}
