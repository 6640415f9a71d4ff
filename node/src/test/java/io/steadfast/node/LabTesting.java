package io.steadfast.node;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Helpers for the lab integration tests of the node module. */
public final class LabTesting {
    private LabTesting() {
    }

    /** The repository root (failsafe runs in node/); the launcher and the built jar are there. */
    public static Path home() {
        Path home = Path.of("..").toAbsolutePath().normalize();
        assertThat(home.resolve("steadfast")).as("launcher").isExecutable();
        assertThat(home.resolve("node/target/steadfast.jar")).as("jar built by the package phase").exists();
        return home;
    }

    /** Lab tests need root; in CI they run as root and must not be skipped. */
    public static void requireRoot() {
        assertThat(System.getProperty("user.name")).as("lab integration tests need root (network namespaces)")
                .isEqualTo("root");
    }

    /** A fresh directory under target/ for one test's configs and logs (kept for post-mortems). */
    public static Path workDir(String name) throws java.io.IOException {
        return Files.createDirectories(Path.of("target", "it", name + "-" + System.nanoTime()).toAbsolutePath());
    }

    /** Polls {@code probe} until it yields a value or {@code timeout} passes; bounded. */
    public static <T> Optional<T> await(Duration timeout, Duration every, Supplier<Optional<T>> probe)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<T> v = probe.get();
            if (v.isPresent() || System.nanoTime() > deadline) {
                return v;
            }
            Thread.sleep(every.toMillis());
        }
    }
}
