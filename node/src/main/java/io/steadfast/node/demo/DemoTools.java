package io.steadfast.node.demo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The programs and libraries the demo's lab and agents run, each with the Debian package that has it. Every package
 * here is in {@code scripts/lib/packages-node}, which {@code ./steadfast demo} installs first (DemoToolsTest holds
 * the two together); this check turns a tool that is still missing into one clear line before anything starts,
 * instead of a forwarder or a mount failing later in a log nobody reads.
 */
final class DemoTools {
    /** Program → package. */
    static final Map<String, String> PROGRAMS = programs();
    /** Shared library → package (loaded in-process, so PATH does not find it). */
    static final Map<String, String> LIBRARIES = Map.of("libfuse3.so.3", "libfuse3-3");
    /** Where Debian (and others) keep shared libraries, for {@link #missing}. */
    static final List<Path> LIBRARY_DIRS = List.of(Path.of("/lib/x86_64-linux-gnu"), Path.of("/usr/lib/x86_64-linux-gnu"),
            Path.of("/lib/aarch64-linux-gnu"), Path.of("/usr/lib/aarch64-linux-gnu"), Path.of("/usr/lib64"),
            Path.of("/usr/lib"));

    private DemoTools() {
    }

    private static Map<String, String> programs() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("ip", "iproute2");             // namespaces, veths, VIPs
        m.put("nft", "nftables");            // the farm filter, the VIP's ARP rules
        m.put("arping", "iputils-arping");   // gratuitous ARP on failover
        m.put("ping", "iputils-ping");       // the witness and ping checkers
        m.put("fusermount3", "fuse3");       // the replicated filesystem
        m.put("socat", "socat");             // the console forwarder and the sample app
        m.put("curl", "curl");               // the readiness and VIP probes inside the lab
        m.put("sysctl", "procps");           // the lab's and the VIP's kernel settings
        m.put("mount", "mount");             // each lab node's own copy of the replicated directory
        m.put("setsid", "util-linux");       // agents and relay in their own sessions
        m.put("setpriv", "util-linux");      // the PostgreSQL template runs the server as user postgres
        m.put("nsenter", "util-linux");      // demo --down stops PostgreSQL in the agent's mount namespace
        m.put("psql", "postgresql");         // the db probe from the client (postgresql-client, a dependency)
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * What is missing, one entry per tool: {@code socat (package socat)}; empty when everything is there.
     *
     * @param path      the PATH to search
     * @param libraryDirs where to look for the libraries
     */
    static List<String> missing(String path, List<Path> libraryDirs) {
        List<String> missing = new ArrayList<>();
        List<Path> dirs = path == null ? List.of()
                : java.util.Arrays.stream(path.split(":")).filter(s -> !s.isEmpty()).map(Path::of).toList();
        PROGRAMS.forEach((program, pkg) -> {
            if (dirs.stream().noneMatch(d -> Files.isExecutable(d.resolve(program)))) {
                missing.add(program + " (package " + pkg + ")");
            }
        });
        LIBRARIES.forEach((lib, pkg) -> {
            if (libraryDirs.stream().noneMatch(d -> Files.exists(d.resolve(lib)))) {
                missing.add(lib + " (package " + pkg + ")");
            }
        });
        return missing;
    }
}
