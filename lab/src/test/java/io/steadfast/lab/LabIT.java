package io.steadfast.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Needs root (network namespaces). Runs under failsafe; CI runs as root. */
class LabIT {
    private static final Duration T = Duration.ofSeconds(10);

    @TempDir
    Path tmp;

    @BeforeAll
    static void requireRoot() throws IOException {
        String uid = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow().split("\\s+")[2]; // effective uid
        if (!"0".equals(uid)) {
            fail("LabIT must run as root (it creates network namespaces, veths and bridges); effective uid is "
                    + uid + ". Run the integration tests as root, e.g. `sudo -E mvn -pl lab verify`.");
        }
    }

    @Test
    void threeNodesTwoLansOneClient() throws Exception {
        Set<String> rootLinksBefore = rootLinks();
        LabSpec spec = LabSpec.builder().nodes(3).clients(1).secondLan(true).extraAddrs(20).build();
        List<String> labNs;
        LabProcess leftRunning;
        try (Lab lab = Lab.create(spec)) {
            labNs = lab.namespaces();
            assertThat(labNs).containsExactly(spec.prefix() + "-sw", spec.prefix() + "-n1", spec.prefix() + "-n2",
                    spec.prefix() + "-n3", spec.prefix() + "-c1");
            assertThat(Lab.listNamespaces()).containsAll(labNs);
            LabNode n1 = lab.node("node1");
            LabNode n2 = lab.node("node2");
            LabNode n3 = lab.node("node3");
            LabClient c = lab.client(1);
            assertThat(lab.nodes()).containsExactly(n1, n2, n3);
            assertThat(n3.addr()).isEqualTo("198.18.0.13");
            assertThat(n3.addr(2)).isEqualTo("198.19.0.13");
            assertThat(c.addr()).isEqualTo("198.18.1.1");
            assertThat(c.extraAddrs()).hasSize(20).startsWith("198.18.11.1").endsWith("198.18.11.20");
            assertThat(lab.witnessAddr()).isEqualTo("198.18.0.1");
            String c1Addrs = c.exec(T, "ip", "-4", "-o", "addr", "show", "dev", "eth0").stdout();
            assertThat(c1Addrs.lines().count()).isEqualTo(21);

            // connectivity on both lans, and the witness
            assertPing(n1, n3.addr(1));
            assertPing(n1, n3.addr(2));
            assertPing(n1, lab.witnessAddr());
            assertPing(n3, lab.witnessAddr(2));
            assertPing(c, lab.witnessAddr());
            // client -> node2 from an extra source address: the reply must come back to that address
            ExecResult r = c.exec(T, "ping", "-n", "-c", "1", "-W", "2", "-I", c.extraAddrs().get(19), n2.addr());
            assertThat(r.exitCode()).as(r.toString()).isZero();
            // the client's lan1 only: no route to lan2
            assertThat(c.exec(T, "ping", "-c", "1", "-W", "1", n2.addr(2)).ok()).isFalse();

            // cut lan1 of node3: lan1 dead both ways, lan2 fine
            n3.cutLink(1);
            assertNoPing(n1, n3.addr(1));
            assertNoPing(n3, n1.addr(1));
            assertPing(n1, n3.addr(2));
            n3.healLink(1);
            assertPingEventually(n1, n3.addr(1));

            // silent partition on lan2 of node3: carrier stays up
            n3.blockLink(2);
            assertNoPing(n1, n3.addr(2));
            assertThat(n3.exec(T, "ip", "-o", "link", "show", "eth1").stdout()).contains("state UP");
            assertPing(n1, n3.addr(1));
            n3.unblockLink(2);
            n3.unblockLink(2); // idempotent
            assertPingEventually(n1, n3.addr(2));

            // isolate / rejoin
            n2.isolate();
            assertNoPing(n1, n2.addr(1));
            assertNoPing(n1, n2.addr(2));
            n2.rejoin();
            assertPingEventually(n1, n2.addr(1));
            assertPingEventually(n1, n2.addr(2));

            // a background program: its real PID, in the node's namespace; freeze, thaw, kill -9
            LabProcess p = n2.start(tmp.resolve("logs/sleep.log"), Map.of("SF_TEST", "1"), "sleep", "600");
            assertThat(Files.readString(Path.of("/proc", Long.toString(p.pid()), "comm")).strip()).isEqualTo("sleep");
            assertThat(Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "ns", "net")).toString())
                    .isEqualTo("net:[" + Files.getAttribute(Path.of("/run/netns", n2.namespace()), "unix:ino") + "]");
            assertThat(p.isAlive()).isTrue();
            p.freeze();
            assertThat(statState(p.pid())).isEqualTo('T');
            p.thaw();
            assertThat(statState(p.pid())).isNotEqualTo('T');
            p.freeze(); // kill -9 must work on a stopped process too
            p.kill9();
            assertThat(p.isAlive()).isFalse();
            assertThat(p.waitFor(Duration.ofSeconds(1))).isTrue();
            assertThat(Files.exists(Path.of("/proc", Long.toString(p.pid())))).isFalse();

            // a wrapper prefix (hook for private mount namespaces): the PID is still the program's
            LabProcess w = n1.start(tmp.resolve("logs/w.log"), Map.of(), List.of("unshare", "-m", "--propagation",
                    "private"), "sleep", "600");
            assertThat(Files.readString(Path.of("/proc", Long.toString(w.pid()), "comm")).strip()).isEqualTo("sleep");

            // output and env reach the log file
            LabProcess e = n1.start(tmp.resolve("logs/env.log"), Map.of("SF_X", "hello"), "sh", "-c", "echo $SF_X; echo err >&2");
            assertThat(e.waitFor(T)).isTrue();
            assertThat(Files.readString(tmp.resolve("logs/env.log"))).contains("hello").contains("err");

            leftRunning = n3.start(tmp.resolve("logs/left.log"), Map.of(), "sleep", "600");
        }
        // close() killed what was left running and removed every namespace
        assertThat(leftRunning.isAlive()).isFalse();
        assertThat(Lab.listNamespaces()).doesNotContainAnyElementsOf(labNs);
        assertThat(rootLinks()).isEqualTo(rootLinksBefore);
    }

    @Test
    void twoLabsAtOnceDoNotCollide() {
        List<String> all;
        try (Lab a = Lab.create(LabSpec.builder().nodes(2).build());
                Lab b = Lab.create(LabSpec.builder().nodes(2).clients(1).build())) {
            assertThat(a.prefix()).isNotEqualTo(b.prefix());
            assertThat(a.namespaces()).doesNotContainAnyElementsOf(b.namespaces());
            all = new java.util.ArrayList<>(a.namespaces());
            all.addAll(b.namespaces());
            // same addresses, separate switches
            assertThat(a.node(1).addr()).isEqualTo(b.node(1).addr());
            assertPing(a.node(1), a.node(2).addr());
            assertPing(b.node(1), b.node(2).addr());
            assertPing(b.client(1), b.node(2).addr());
            a.node(2).cutLink(1);
            assertNoPing(a.node(1), a.node(2).addr());
            assertPing(b.node(1), b.node(2).addr());
            // b has no lan2 and a has no clients
            assertThatThrownBy(() -> b.node(1).addr(2)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> a.client(1)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(Lab.listNamespaces()).doesNotContainAnyElementsOf(all);
    }

    @Test
    void failureInsideTheBlockStillCleansUp() {
        LabSpec spec = LabSpec.builder().nodes(1).build();
        java.util.concurrent.atomic.AtomicReference<List<String>> ns = new java.util.concurrent.atomic.AtomicReference<>();
        assertThatThrownBy(() -> {
            try (Lab lab = Lab.create(spec)) {
                ns.set(lab.namespaces());
                lab.node(1).start(tmp.resolve("x.log"), Map.of(), "sleep", "600");
                throw new IllegalStateException("boom");
            }
        }).hasMessage("boom");
        assertThat(Lab.listNamespaces()).doesNotContainAnyElementsOf(ns.get());
    }

    @Test
    void failedCreateRemovesWhatItMadeButNotForeignNamespaces() {
        String prefix = LabSpec.randomPrefix();
        String squatter = prefix + "-n2";
        Net.run(T, List.of("ip", "netns", "add", squatter));
        try {
            assertThatThrownBy(() -> Lab.create(LabSpec.builder().prefix(prefix).nodes(3).build()))
                    .isInstanceOf(LabException.class).hasMessageContaining(squatter);
            assertThat(Lab.listNamespaces()).contains(squatter)
                    .doesNotContain(prefix + "-sw", prefix + "-n1", prefix + "-n3");
        } finally {
            Net.run(T, List.of("ip", "netns", "del", squatter));
        }
    }

    @Test
    @SuppressWarnings("try") // close() is called explicitly on purpose: it must be idempotent after destroy()
    void destroyFromAnotherProcessRemovesOnlyExactLabNames() {
        LabSpec spec = LabSpec.builder().nodes(2).clients(1).build();
        String other = spec.prefix() + "-x";
        Net.run(T, List.of("ip", "netns", "add", other));
        try (Lab lab = Lab.create(spec)) {
            LabProcess p = lab.node(1).start(tmp.resolve("d.log"), Map.of(), "sleep", "600");
            // simulate `steadfast demo --down`: a process with no Lab object
            List<String> removed = Lab.destroy(spec.prefix());
            assertThat(removed).containsExactlyInAnyOrderElementsOf(lab.namespaces());
            assertThat(p.waitFor(Duration.ofSeconds(5))).isTrue();
            assertThat(Lab.listNamespaces()).contains(other).doesNotContainAnyElementsOf(lab.namespaces());
            assertThat(Lab.destroy(spec.prefix())).isEmpty();
            lab.close();
            lab.close(); // idempotent
        } finally {
            Net.run(T, List.of("ip", "netns", "del", other));
        }
        assertThatThrownBy(() -> Lab.destroy("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Lab.destroy("sf.*")).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private static void assertPing(LabHost from, String to) {
        ExecResult r = from.exec(T, "ping", "-n", "-c", "1", "-W", "2", to);
        assertThat(r.exitCode()).as("%s -> %s: %s", from.name(), to, r).isZero();
    }

    /** After a heal the first probes may still meet a FAILED neighbour entry: bounded retries. */
    private static void assertPingEventually(LabHost from, String to) {
        ExecResult r = null;
        for (int i = 0; i < 10; i++) {
            r = from.exec(T, "ping", "-n", "-c", "1", "-W", "1", to);
            if (r.ok()) {
                return;
            }
        }
        fail("%s -> %s never answered: %s", from.name(), to, r);
    }

    private static void assertNoPing(LabHost from, String to) {
        ExecResult r = from.exec(T, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", to);
        assertThat(r.exitCode()).as("%s -> %s should fail: %s", from.name(), to, r).isNotZero();
    }

    private static char statState(long pid) throws IOException {
        String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return s.charAt(s.lastIndexOf(')') + 2);
    }

    /** ifindex:ifname:mtu:address of every link of the machine's own namespace (read-only `ip -j link`). */
    private static Set<String> rootLinks() {
        String json = Net.run(T, List.of("ip", "-j", "link", "show")).stdout();
        Set<String> s = new TreeSet<>();
        String[] objs = json.split("\\{\"ifindex\":");
        for (int i = 1; i < objs.length; i++) {
            String o = objs[i];
            s.add(o.substring(0, o.indexOf(',')) + ":" + field(o, "ifname") + ":" + field(o, "mtu") + ":"
                    + field(o, "address"));
        }
        assertThat(s).as("parsed root links from %s", json).isNotEmpty();
        return s;
    }

    private static String field(String obj, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"?([^\",}]*)").matcher(obj);
        return m.find() ? m.group(1) : "";
    }
}
