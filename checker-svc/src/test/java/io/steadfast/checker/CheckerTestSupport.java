package io.steadfast.checker;

import io.steadfast.api.HeartbeatApi;
import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.Readiness;
import io.steadfast.api.State;
import io.steadfast.config.ConfigLoader;
import io.steadfast.config.ConfigResult;
import io.steadfast.config.ModuleType;
import io.steadfast.config.SteadfastConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Helpers shared by the integration tests and the benchmark. */
public final class CheckerTestSupport {
    private CheckerTestSupport() {
    }

    /** A cluster of node1/node2 with the given modules section (YAML, indented by 2 under "modules:"). */
    public static SteadfastConfig config(Path stateDir, String modulesYaml) {
        String yaml = """
                cluster:
                  name: t
                  state_dir: %s
                  nodes:
                    - { name: node1, addr: 127.0.0.1 }
                    - { name: node2, addr: 127.0.0.2 }
                modules:
                %s
                """.formatted(stateDir, withHeartbeat(modulesYaml).indent(2));
        ConfigResult r = ConfigLoader.parse(stateDir.resolve("steadfast.yml"), yaml);
        if (!r.ok()) {
            throw new IllegalArgumentException("bad test config: " + r.problems() + "\n" + yaml);
        }
        return r.config().orElseThrow();
    }

    /** Each module gets a heartbeat section (required; unused here) with its own port. */
    private static String withHeartbeat(String modulesYaml) {
        StringBuilder out = new StringBuilder();
        int port = 8800;
        for (String line : modulesYaml.split("\n", -1)) {
            out.append(line).append('\n');
            if (line.strip().startsWith("type: ")) {
                out.append(line, 0, line.indexOf('t')).append("heartbeat: { port: ").append(port++).append(" }\n");
            }
        }
        return out.toString();
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    public static void publishState(Vertx vertx, String node, String module, State state) {
        vertx.eventBus().publish(HeartbeatApi.MODULE_STATE, new ModuleState(node, module, ModuleType.MIRROR, state,
                Readiness.READY, "test", "g1", true, System.currentTimeMillis(), new JsonObject()).toJson());
    }

    /** Bounded polling. */
    public static boolean eventually(long timeoutMs, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(20);
        }
        return condition.getAsBoolean();
    }
}
