package io.steadfast.vip.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.steadfast.api.HeartbeatApi.DesiredState;
import io.steadfast.api.HeartbeatApi.ModuleDesired;
import io.steadfast.api.HeartbeatApi.Role;
import io.steadfast.api.VipApi.VipStatus;
import io.steadfast.config.ModuleType;
import io.steadfast.exec.CommandResult;
import io.steadfast.exec.CommandRunner;
import io.steadfast.testing.TestModules;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The reconciler's decisions over a fake kernel (a set of addresses); the real commands are exercised by VipIT. */
class VipReconcilerTest {
    /** Pretends to be ip/arping on one interface. */
    static final class FakeKernel extends CommandRunner {
        final Set<String> addrs = new LinkedHashSet<>();
        final List<List<String>> log = java.util.Collections.synchronizedList(new ArrayList<>());
        int added;

        @Override
        public CommandResult run(List<String> argv, Duration timeout, String stdin, Map<String, String> env) {
            log.add(argv);
            if (argv.get(0).equals("ip") && argv.contains("-j")) {
                StringBuilder s = new StringBuilder("[{\"ifname\":\"eth0\",\"addr_info\":[");
                s.append(String.join(",", addrs.stream().map(a -> "{\"family\":\"inet\",\"local\":\""
                        + a.split("/")[0] + "\",\"prefixlen\":" + a.split("/")[1] + "}").toList()));
                return new CommandResult(argv, 0, s.append("]}]").toString(), "", false);
            }
            if (argv.get(0).equals("ip") && argv.get(2).equals("add")) {
                if (addrs.add(argv.get(3))) {
                    added++;
                } else {   // as the kernel: the same address and prefix twice is EEXIST
                    return new CommandResult(argv, 2, "", "Error: ipv4: Address already assigned.\n", false);
                }
            } else if (argv.get(0).equals("ip") && argv.get(2).equals("del")) {
                addrs.remove(argv.get(3));
            }
            return new CommandResult(argv, 0, "", "", false);
        }

        long arpings() {
            return List.copyOf(log).stream().filter(a -> a.get(0).equals("arping")).count();
        }
    }

    private final FakeKernel kernel = new FakeKernel();
    private final VipReconciler r = new VipReconciler("node1",
            List.of(TestModules.mirror("db", "198.18.0.100/16", "eth0", 3)),
            new VipManager("node1", kernel, Duration.ofSeconds(1)));

    private static DesiredState desired(long seq, Role role) {
        return new DesiredState("node1", seq, List.of(new ModuleDesired("db", ModuleType.MIRROR, role,
                Optional.empty(), List.of(), "g1")));
    }

    @Test
    void primaryGetsTheVipOnceAndAnnouncesIt() throws Exception {
        List<VipStatus> changed = r.reconcile(desired(1, Role.PRIMARY));
        assertThat(changed).singleElement().satisfies(s -> assertThat(s.present()).isTrue());
        assertThat(kernel.addrs).containsExactly("198.18.0.100/16");
        awaitArpings(3);
        assertThat(List.copyOf(kernel.log)).anySatisfy(a -> assertThat(a).containsSequence("arping", "-q", "-U", "-c", "1")
                .containsSequence("-I", "eth0", "198.18.0.100"));
        // republished desired state: nothing to do, nothing announced again
        assertThat(r.reconcile(desired(1, Role.PRIMARY))).isEmpty();
        Thread.sleep(300);
        assertThat(kernel.arpings()).isEqualTo(3);
        assertThat(kernel.added).as("the address added once").isEqualTo(1);
    }

    /** The burst is paced on virtual threads: wait (bounded) for it to be complete. */
    private void awaitArpings(long n) throws InterruptedException {
        long end = System.nanoTime() + 3_000_000_000L;
        while (kernel.arpings() < n && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertThat(kernel.arpings()).isEqualTo(n);
    }

    @Test
    void otherRolesOrAbsentModuleRemoveIt() {
        r.reconcile(desired(1, Role.PRIMARY));
        assertThat(r.reconcile(desired(2, Role.SECONDARY))).singleElement()
                .satisfies(s -> assertThat(s.present()).isFalse());
        assertThat(kernel.addrs).isEmpty();
        r.reconcile(desired(3, Role.PRIMARY));
        r.reconcile(new DesiredState("node1", 4, List.of()));
        assertThat(kernel.addrs).isEmpty();
    }

    @Test
    void aFencedPrimaryHasNoVipUntilTheFenceIsLifted() {
        r.reconcile(desired(1, Role.PRIMARY));
        DesiredState fenced = new DesiredState("node1", 2, List.of(new ModuleDesired("db", ModuleType.MIRROR,
                Role.PRIMARY, Optional.empty(), List.of(), "g1", true)));
        assertThat(DesiredState.fromJson(fenced.toJson())).as("fenced survives the bus").isEqualTo(fenced);
        assertThat(r.reconcile(fenced)).singleElement().satisfies(s -> assertThat(s.present()).isFalse());
        assertThat(kernel.addrs).isEmpty();
        assertThat(r.reconcile(desired(3, Role.PRIMARY))).singleElement()
                .satisfies(s -> assertThat(s.present()).isTrue());
        assertThat(kernel.addrs).containsExactly("198.18.0.100/16");
    }

    @Test
    void staleOrForeignDesiredStatesAreIgnored() {
        r.reconcile(desired(5, Role.PRIMARY));
        assertThat(r.reconcile(desired(4, Role.SECONDARY))).isEmpty();
        assertThat(r.reconcile(new DesiredState("node2", 9, List.of()))).isEmpty();
        assertThat(kernel.addrs).containsExactly("198.18.0.100/16");
    }

    @Test
    void aRestartedHeartbeatNumberingFromOneAgainIsFollowedAtItsSecondPublication() {
        r.reconcile(desired(40, Role.PRIMARY));
        assertThat(r.reconcile(desired(1, Role.SECONDARY))).as("could be a late message").isEmpty();
        assertThat(kernel.addrs).containsExactly("198.18.0.100/16");
        assertThat(r.reconcile(desired(1, Role.SECONDARY))).hasSize(1); // republished: heartbeat-svc restarted
        assertThat(kernel.addrs).isEmpty();
        r.reconcile(desired(2, Role.PRIMARY));
        assertThat(kernel.addrs).containsExactly("198.18.0.100/16");
    }

    @Test
    void explicitUpWinsOverARepublishedOldStateUntilANewerOne() throws Exception {
        r.reconcile(desired(7, Role.SECONDARY));
        assertThat(r.up("db").present()).isTrue();
        awaitArpings(3);
        r.reconcile(desired(7, Role.SECONDARY)); // periodic republication of the old state
        assertThat(kernel.addrs).containsExactly("198.18.0.100/16");
        r.reconcile(desired(8, Role.SECONDARY)); // heartbeat-svc changed its mind afterwards
        assertThat(kernel.addrs).isEmpty();
    }

    @Test
    void explicitUpOfAPresentVipStillAnnounces() throws Exception {
        r.up("db");
        awaitArpings(3);
        r.up("db");
        awaitArpings(6);
        assertThat(kernel.added).as("the address added once").isEqualTo(1);
        assertThat(r.down("db").present()).isFalse();
        assertThat(r.down("db").present()).isFalse();
    }

    @Test
    void unknownModuleIsRefusedAndChangesNothing() {
        assertThatThrownBy(() -> r.up("nope")).isInstanceOf(VipReconciler.NoSuchElementException.class);
        assertThat(kernel.log).isEmpty();
    }

    @Test
    void parsesIpJson() {
        String json = "[{\"ifindex\":2,\"ifname\":\"eth0\",\"addr_info\":[{\"family\":\"inet\",\"local\":\"198.18.0.11\","
                + "\"prefixlen\":16},{\"family\":\"inet\",\"local\":\"198.18.0.100\",\"prefixlen\":32}]}]";
        assertThat(IpAddrs.has(json, "eth0", "198.18.0.100", 32)).isTrue();
        assertThat(IpAddrs.has(json, "eth0", "198.18.0.100", 16)).isFalse();
        assertThat(IpAddrs.has(json, "eth1", "198.18.0.100", 32)).isFalse();
        assertThat(IpAddrs.has("", "eth0", "198.18.0.100", 32)).isFalse();
        assertThatThrownBy(() -> IpAddrs.has("{nope", "eth0", "a", 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
