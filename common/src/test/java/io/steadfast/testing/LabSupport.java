package io.steadfast.testing;

import static org.assertj.core.api.Assertions.fail;

import io.steadfast.exec.CommandResult;
import io.steadfast.exec.CommandRunner;
import io.steadfast.lab.LabHost;
import io.vertx.core.json.JsonArray;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Helpers for the lab integration tests of vip-svc and lb-filter-svc (one copy, in common's test-jar). */
public final class LabSupport {
    public static final Duration T = Duration.ofSeconds(10);

    private LabSupport() {
    }

    public static void requireRoot() throws IOException {
        String uid = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow().split("\\s+")[2];
        if (!"0".equals(uid)) {
            fail("this integration test must run as root (network namespaces, addresses, nftables); euid " + uid);
        }
    }

    /** What the machine's own namespace looks like: must be identical before and after a test. */
    public static String rootSnapshot() {
        CommandRunner root = new CommandRunner();
        CommandResult nft = root.run(List.of("nft", "list", "ruleset"), T);
        CommandResult addr = root.run(List.of("ip", "-j", "addr"), T);
        if (!nft.ok() || !addr.ok()) {
            fail("cannot read the root namespace: " + nft.describe() + " / " + addr.describe());
        }
        return nft.stdout() + "\n" + addr.stdout().replaceAll("\"valid_life_time\":\\d+|\"preferred_life_time\":\\d+", "");
    }

    public static Path resource(Path dir, String name) throws IOException {
        Path p = dir.resolve(name);
        try (InputStream in = LabSupport.class.getResourceAsStream("/apps/" + name)) {
            Files.copy(in, p);
        }
        return p;
    }

    public static String mac(LabHost h, String iface) {
        String out = h.exec(T, "ip", "-j", "link", "show", "dev", iface).stdout();
        return new JsonArray(out).getJsonObject(0).getString("address");
    }

    /** The client's neighbour entry for {@code addr}, or "" when none. */
    public static String neigh(LabHost h, String addr) {
        String out = h.exec(T, "ip", "-j", "neigh", "show", addr, "dev", "eth0").stdout();
        JsonArray a = new JsonArray(out.isBlank() ? "[]" : out);
        return a.isEmpty() ? "" : a.getJsonObject(0).getString("lladdr", "");
    }

    public static String curl(LabHost h, String url) {
        return h.exec(T, "curl", "-s", "--max-time", "1", url).stdout().strip();
    }

    /** Bounded polling: true as soon as {@code cond} holds, false after {@code within}. */
    public static boolean eventually(Duration within, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        do {
            if (cond.getAsBoolean()) {
                return true;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < end);
        return cond.getAsBoolean();
    }
}
