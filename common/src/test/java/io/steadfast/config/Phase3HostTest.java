package io.steadfast.config;

import io.steadfast.config.impl.Host;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Phase 3: replicated directories against what a host says about them (a scripted host, then this one). */
class Phase3HostTest {
    private static final Path FILE = Path.of("/cfg/s.yml");
    private static final String YAML = """
            cluster:
              name: t
              nodes:
                - { name: n1, addr: 10.0.0.1 }
                - { name: n2, addr: 10.0.0.2 }
            modules:
              - name: db
                type: mirror
                nodes: [n1, n2]
                heartbeat: { port: 8888 }
                replication:
                  port: 5600
                  dirs:
                    - %s
            """;

    /** A host with {@code kinds} (default MISSING) and {@code mounts} as its mountinfo. */
    private static Host host(Map<Path, Host.Kind> kinds, List<Host.Mount> mounts) {
        return new Host() {
            @Override
            public Kind kind(Path path) {
                return kinds.getOrDefault(path, Kind.MISSING);
            }

            @Override
            public Optional<Mount> mountOf(Path path) {
                return Host.longestPrefix(mounts, path);
            }
        };
    }

    private static final List<Host.Mount> MOUNTS = List.of(new Host.Mount(Path.of("/"), "ext4"),
            new Host.Mount(Path.of("/mnt/k"), "proc"), new Host.Mount(Path.of("/mnt/cg"), "cgroup2"),
            new Host.Mount(Path.of("/mnt/t"), "tmpfs"), new Host.Mount(Path.of("/mnt/f"), "fuse.sshfs"));

    private static List<String> problems(String dir, Host host) {
        return ConfigLoader.parse(FILE, YAML.formatted(dir), host).problems().stream().map(ConfigProblem::toString)
                .toList();
    }

    @Test
    void aPseudoFilesystemIsRefusedByItsTypeEvenWhereTheDirectoryDoesNotExistYet() {
        Host h = host(Map.of(Path.of("/mnt/k"), Host.Kind.DIRECTORY), MOUNTS);
        assertThat(problems("/mnt/k/data", h)).containsExactly(FILE + ":14:11: modules[0] (db): replication.dirs[0]: "
                + "\"/mnt/k/data\" is on a proc filesystem (mounted at /mnt/k), a pseudo filesystem that holds no data"
                + " to replicate");
        assertThat(problems("/mnt/cg", h)).singleElement().asString().contains("is on a cgroup2 filesystem");
    }

    @Test
    void tmpfsFuseAndDiskFilesystemsAreAllowed() {
        Host h = host(Map.of(), MOUNTS);
        assertThat(problems("/mnt/t/data", h)).isEmpty();
        assertThat(problems("/mnt/f/data", h)).isEmpty();
        assertThat(problems("/srv/db", h)).isEmpty();
    }

    @Test
    void somethingThatIsNotADirectoryIsRefused() {
        Host h = host(Map.of(Path.of("/srv/db"), Host.Kind.OTHER), MOUNTS);
        assertThat(problems("/srv/db", h)).containsExactly(FILE + ":14:11: modules[0] (db): replication.dirs[0]: "
                + "\"/srv/db\" exists and is not a directory");
        assertThat(problems("/srv/db", host(Map.of(Path.of("/srv/db"), Host.Kind.DIRECTORY), MOUNTS))).isEmpty();
        // what cannot be examined (e.g. a dead FUSE mount) is not judged
        assertThat(problems("/srv/db", host(Map.of(Path.of("/srv/db"), Host.Kind.UNKNOWN), MOUNTS))).isEmpty();
    }

    @Test
    void phase3RunsOnlyOnAConfigWithoutOtherProblems() {
        Host h = host(Map.of(Path.of("/srv/db"), Host.Kind.OTHER), MOUNTS);
        assertThat(problems("/srv/db\n    service: { defaultprim: n3 }", h)).singleElement().asString()
                .contains("\"n3\" is not one of");
    }

    @Test
    void mountinfoIsParsedWithEscapesAndTheTopmostLongestMountWins() {
        List<Host.Mount> mounts = Host.parseMountinfo(List.of(
                "22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw",
                "23 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
                "30 23 0:40 / /srv/my\\040data rw,relatime shared:9 master:2 - tmpfs tmpfs rw",
                "31 30 0:41 / /srv/my\\040data rw,relatime - sysfs sysfs rw",
                "garbage line"));
        assertThat(mounts).containsExactly(new Host.Mount(Path.of("/proc"), "proc"), new Host.Mount(Path.of("/"), "ext4"),
                new Host.Mount(Path.of("/srv/my data"), "tmpfs"), new Host.Mount(Path.of("/srv/my data"), "sysfs"));
        assertThat(Host.longestPrefix(mounts, Path.of("/srv/my data/x"))).contains(mounts.get(3));
        assertThat(Host.longestPrefix(mounts, Path.of("/srv/mydata"))).contains(mounts.get(1));
        assertThat(Host.longestPrefix(mounts, Path.of("/proc/1/root"))).contains(mounts.get(0));
    }

    @Test
    void thisHostKnowsItsProcAndSysfs() {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs /proc");
        Host real = Host.real();
        assertThat(real.mountOf(Path.of("/proc/no-such-dir/x")).map(Host.Mount::type)).contains("proc");
        assertThat(real.kind(Path.of("/proc/self/status"))).isEqualTo(Host.Kind.OTHER);
        assertThat(real.kind(Path.of("/proc"))).isEqualTo(Host.Kind.DIRECTORY);
        assertThat(real.kind(Path.of("/no/such/dir"))).isEqualTo(Host.Kind.MISSING);
        if (Files.isDirectory(Path.of("/sys/kernel"))) {
            assertThat(real.mountOf(Path.of("/sys/kernel")).map(Host.Mount::type)).isPresent().get().asString()
                    .isIn("sysfs", "securityfs", "debugfs", "tracefs", "configfs");
        }
    }
}
