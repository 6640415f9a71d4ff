package io.steadfast.node.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo names every tool it needs with its package, and every such package is in the list it installs. */
class DemoToolsTest {
    @TempDir
    Path tmp;

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("scripts/lib/packages-node"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("no scripts/lib/packages-node above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    static Set<String> packagesNode() throws IOException {
        return Files.readAllLines(repoRoot().resolve("scripts/lib/packages-node")).stream()
                .map(l -> l.replaceAll("#.*", "").strip()).filter(l -> !l.isEmpty()).collect(Collectors.toSet());
    }

    private Path bin(Set<String> programs) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        for (String p : programs) {
            Path f = Files.writeString(bin.resolve(p), "#!/bin/sh\n");
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return bin;
    }

    @Test
    void everyPackageTheDemoNeedsIsInTheListItInstalls() throws IOException {
        assertThat(packagesNode()).containsAll(DemoTools.PROGRAMS.values()).containsAll(DemoTools.LIBRARIES.values());
    }

    @Test
    void nothingIsMissingWhenEveryToolIsThere() throws IOException {
        Path bin = bin(DemoTools.PROGRAMS.keySet());
        Path lib = Files.createDirectories(tmp.resolve("lib"));
        Files.writeString(lib.resolve("libfuse3.so.3"), "");
        assertThat(DemoTools.missing("/nonexistent:" + bin, List.of(lib))).isEmpty();
    }

    @Test
    void aMissingToolIsNamedWithItsPackage() throws IOException {
        Set<String> present = new java.util.HashSet<>(DemoTools.PROGRAMS.keySet());
        present.remove("socat");
        present.remove("nft");
        Path bin = bin(present);
        Files.writeString(bin.resolve("curl"), "not executable");
        Files.setPosixFilePermissions(bin.resolve("curl"), PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(DemoTools.missing(bin.toString(), List.of(tmp.resolve("nolib")))).containsExactly(
                "nft (package nftables)", "socat (package socat)", "curl (package curl)",
                "libfuse3.so.3 (package libfuse3-3)");
    }

    @Test
    void theDemoStopsAtItsFirstStepWhenAToolIsMissing() throws Exception {
        Set<String> present = new java.util.HashSet<>(DemoTools.PROGRAMS.keySet());
        present.remove("socat");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Demo demo = new Demo(tmp.resolve("home"), new PrintWriter(out, true), new PrintWriter(err, true),
                Map.of("PATH", bin(present).toString()));
        assertThat(demo.up()).isEqualTo(1);
        assertThat(out.toString()).isEqualTo("[1/8] checking the tools a node needs\n");
        assertThat(err.toString()).startsWith("steadfast demo: FAILED at [1/8] checking the tools a node needs\n"
                + "  missing: socat (package socat)").contains("scripts/lib/packages-node");
        assertThat(tmp.resolve("home/.lab")).as("nothing created").doesNotExist();
    }
}
