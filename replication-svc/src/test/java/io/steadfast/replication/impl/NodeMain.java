package io.steadfast.replication.impl;

import io.steadfast.config.AsyncMode;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A replication node in its own JVM for integration tests, driven by lines on stdin:
 * {@code promote [host:port] GEN [full]}, {@code demote}, {@code status}, {@code verify}, {@code quit}.
 * Answers one JSON line per command on stdout, prefixed "@@ ". Args: node module dir stateDir listenHost:port
 * secretFile async sendTimeoutMs
 * [peerNode].
 */
public final class NodeMain {
    public static void main(String[] args) throws Exception {
        String node = args[0];
        String module = args[1];
        Path dir = Path.of(args[2]);
        Path state = Path.of(args[3]);
        InetSocketAddress listen = addr(args[4]);
        // the two nodes of the tests are node1 and node2; a 9th argument names another peer
        String peerNode = args.length > 8 ? args[8] : node.equals("node1") ? "node2" : "node1";
        ChannelAuth auth = ChannelAuth.fromFile(Path.of(args[5]), node, peerNode);
        AsyncMode async = AsyncMode.valueOf(args[6]);
        Duration timeout = Duration.ofMillis(Long.parseLong(args[7]));
        var settings = new ModuleReplicator.Settings(node, module, List.of(), state, async, timeout, auth, listen);
        try (ModuleRuntime rt = new ModuleRuntime(List.of(dir), settings,
                st -> say(new JsonObject().put("event", "status").put("status", st.toJson())),
                p -> say(new JsonObject().put("event", "progress").put("progress", p.toJson())))) {
            ModuleReplicator r = rt.replicator();
            say(new JsonObject().put("ready", true).put("backing", rt.mounts().getFirst().backing().toString()));
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
            String line;
            while ((line = in.readLine()) != null) {
                String[] w = line.trim().split("\\s+");
                try {
                    switch (w[0]) {
                        case "promote" -> {
                            if (w.length >= 3) {
                                say(reply(r.promote(Optional.of(addr(w[1])), "peer", w[2],
                                        w.length > 3 && w[3].equals("full")).toJson()));
                            } else {
                                say(reply(r.promote(Optional.empty(), "", w[1], false).toJson()));
                            }
                        }
                        case "demote" -> say(reply(r.demote("peer").toJson()));
                        case "status" -> say(reply(r.status().toJson()
                                .put("mode", r.mode().name())
                                .put("target", r.server() == null ? null : r.server().applier().state().toJson())
                                .put("refused", r.server() == null ? 0 : r.server().refused())));
                        case "verify" -> say(reply(r.verify().toJson()));
                        case "quit" -> {
                            say(reply(new JsonObject()));
                            return;
                        }
                        default -> say(new JsonObject().put("error", "unknown command " + w[0]));
                    }
                } catch (Exception e) {
                    say(new JsonObject().put("reply", true).put("error", e.toString()));
                }
            }
        }
    }

    private static JsonObject reply(JsonObject body) {
        return new JsonObject().put("reply", true).put("body", body);
    }

    static InetSocketAddress addr(String s) {
        int i = s.lastIndexOf(':');
        return new InetSocketAddress(s.substring(0, i), Integer.parseInt(s.substring(i + 1)));
    }

    private static synchronized void say(JsonObject j) {
        System.out.println("@@ " + j.encode());
        System.out.flush();
    }
}
