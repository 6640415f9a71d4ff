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

    /**
     * A fresh directory for a test whose applications run as their own users (postgres, mysql, www-data): under
     * /tmp, mode 0755 — the checkout may sit in a directory they cannot enter (a clone in a 0700 directory, as a
     * fresh-clone CI run makes). {@link #removeTree} it after the test.
     */
    public static Path appWorkDir(String name) throws java.io.IOException {
        Path d = Files.createTempDirectory(Path.of("/tmp"), "sf-it-" + name + "-");
        Files.setPosixFilePermissions(d, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return d;
    }

    /** Removes {@code dir} and everything below it (not following links); nothing when null or gone. */
    public static void removeTree(Path dir) throws java.io.IOException {
        if (dir == null || !Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
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
