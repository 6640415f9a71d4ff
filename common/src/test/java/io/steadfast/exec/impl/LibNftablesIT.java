package io.steadfast.exec.impl;

import io.steadfast.exec.CommandResult;
import io.steadfast.exec.CommandRunner;
import io.steadfast.testing.LabSupport;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * In-process nft gives what the {@code nft} binary gives. Runs in a network namespace of its own: a dedicated
 * platform thread enters it with {@code setns} (which moves only the calling thread), and checks that it did
 * before any nft call, so the machine's own ruleset is never touched.
 */
class LibNftablesIT {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY = 0;
    private static final Duration T = Duration.ofSeconds(10);

    @Test
    void behavesLikeTheBinaryInsideANamespace() throws Exception {
        LabSupport.requireRoot();
        assertThat(LibNftables.get()).as("libnftables.so.1 (Debian package libnftables1, with nftables)").isPresent();
        String ns = "sf-nft-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000;
        CommandRunner host = new CommandRunner();
        assertThat(host.run(List.of("ip", "netns", "add", ns), T).ok()).isTrue();
        try {
            CompletableFuture<Void> done = new CompletableFuture<>();
            Thread t = Thread.ofPlatform().name("nft-in-" + ns).start(() -> {
                try {
                    enter(ns);
                    checks(ns);
                    done.complete(null);
                } catch (Throwable e) {
                    done.completeExceptionally(e);
                }
            });
            done.get(60, TimeUnit.SECONDS);
            t.join();
        } finally {
            host.run(List.of("ip", "netns", "del", ns), T);
        }
    }

    /** Runs on the thread that entered {@code ns}. */
    private static void checks(String ns) {
        LibNftables lib = LibNftables.get().orElseThrow();
        CommandRunner inNs = CommandRunner.inNetns(ns); // the binary, for comparison
        String script = """
                add table netdev sft
                add map netdev sft owned { type mark : verdict; }
                add element netdev sft owned { 1 : accept, 2 : drop }
                """;
        LibNftables.Result added = lib.run(List.of("-f", "-"), script).orElseThrow();
        assertThat(added.status()).as(added.stderr()).isZero();

        LibNftables.Result json = lib.run(List.of("-j", "list", "table", "netdev", "sft"), null).orElseThrow();
        assertThat(json.status()).as(json.stderr()).isZero();
        CommandResult binary = inNs.run(List.of("nft", "-j", "list", "table", "netdev", "sft"), T);
        assertThat(binary.ok()).as(binary.describe()).isTrue();
        assertThat(strip(new JsonObject(json.stdout()))).isEqualTo(strip(new JsonObject(binary.stdout())));

        LibNftables.Result text = lib.run(List.of("list", "table", "netdev", "sft"), null).orElseThrow();
        assertThat(text.stdout()).isEqualTo(inNs.run(List.of("nft", "list", "table", "netdev", "sft"), T).stdout());

        // a failing script is one transaction: its valid first line is not applied either
        LibNftables.Result bad = lib.run(List.of("-f", "-"), """
                add table netdev half
                add chain netdev half c { type nonsense; }
                """).orElseThrow();
        assertThat(bad.status()).isNotZero();
        assertThat(bad.stderr()).contains("Error");
        assertThat(lib.run(List.of("list", "table", "netdev", "half"), null).orElseThrow().stderr())
                .contains("No such file or directory");

        // what it does not understand goes to the binary
        assertThat(lib.run(List.of("-a", "list", "ruleset"), null)).isEmpty();
        assertThat(lib.run(List.of("-f", "/etc/nftables.conf"), null)).isEmpty();
    }

    /** The metainfo object names the program and its version, which differ between the library and the binary. */
    private static JsonObject strip(JsonObject j) {
        j.getJsonArray("nftables").remove(0);
        return j;
    }

    private static void enter(String ns) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle open = linker.downcallHandle(linker.defaultLookup().find("open").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        MethodHandle setns = linker.downcallHandle(linker.defaultLookup().find("setns").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        MethodHandle close = linker.downcallHandle(linker.defaultLookup().find("close").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        Path nsFile = Path.of("/run/netns", ns);
        int fd;
        try (Arena a = Arena.ofConfined()) {
            fd = (int) open.invokeExact(a.allocateFrom(nsFile.toString()), O_RDONLY);
        }
        assertThat(fd).as("open %s", nsFile).isNotNegative();
        try {
            assertThat((int) setns.invokeExact(fd, CLONE_NEWNET)).as("setns").isZero();
        } finally {
            int ignored = (int) close.invokeExact(fd);
        }
        String inode = String.valueOf(Files.getAttribute(nsFile, "unix:ino"));
        String mine = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
        assertThat(mine).as("this thread is in %s, not in the machine's namespace", ns).isEqualTo("net:[" + inode + "]");
    }
}
