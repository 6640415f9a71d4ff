package io.steadfast.lbfilter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.api.HeartbeatApi.DesiredState;
import io.steadfast.api.HeartbeatApi.ModuleDesired;
import io.steadfast.api.HeartbeatApi.Role;
import io.steadfast.api.LbFilterApi.FilterStatus;
import io.steadfast.config.FarmRule;
import io.steadfast.config.FilterMode;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.ModuleType;
import io.steadfast.config.Proto;
import io.steadfast.exec.CommandResult;
import io.steadfast.exec.CommandRunner;
import io.steadfast.testing.TestModules;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The reconciler's decisions over a fake nft that keeps one table; the real nft is exercised by the ITs. */
class FilterReconcilerTest {
    private static final List<String> ALL = List.of("node1", "node2", "node3");
    private static final Pattern ELEM = Pattern.compile("(\\d+) : (accept|drop|goto own|goto fresh|goto drain)");

    /** Understands the scripts FilterScript writes, and answers {@code nft -j list table} from what it kept. */
    static final class FakeNft extends CommandRunner {
        final FilterSpec spec;
        Map<Integer, String> table; // null = no table; bucket → verdict text
        /** Answers of {@code nft -j list set …}: set name → elements as nft prints them. */
        final Map<String, JsonArray> flowSets = new java.util.HashMap<>();
        final List<String> scripts = new ArrayList<>();
        int reads;
        /** When set, every command fails like a machine without nft. */
        volatile boolean broken;

        FakeNft(FilterSpec spec) {
            this.spec = spec;
        }

        @Override
        public CommandResult run(List<String> argv, Duration timeout, String stdin, Map<String, String> env) {
            if (broken) {
                return new CommandResult(argv, -1, "", "Cannot run program \"nft\": error=2, No such file", false);
            }
            if (argv.get(0).equals("ip")) { // the VIP is never on this fake interface
                return new CommandResult(argv, 0, "[]", "", false);
            }
            if (argv.contains("-j") && argv.contains("set")) {
                JsonArray elem = flowSets.getOrDefault(argv.getLast(), new JsonArray());
                return new CommandResult(argv, 0, new JsonObject().put("nftables", new JsonArray().add(new JsonObject()
                        .put("set", new JsonObject().put("name", argv.getLast()).put("elem", elem)))).encode(), "", false);
            }
            if (argv.contains("-j")) {
                reads++;
                if (table == null) {
                    return new CommandResult(argv, 1, "", "Error: No such file or directory", false);
                }
                JsonArray items = new JsonArray().add(new JsonObject().put("chain",
                        new JsonObject().put("name", FilterScript.chainName(spec))));
                spec.rules().forEach(r -> items.add(new JsonObject().put("rule",
                        new JsonObject().put("chain", FilterScript.chainName(spec)))));
                if (spec.handover()) {
                    FilterScript.handoverChains().forEach((name, rules) -> rules.forEach(x -> items.add(
                            new JsonObject().put("rule", new JsonObject().put("chain", name)))));
                }
                JsonArray elems = new JsonArray();
                table.forEach((b, v) -> elems.add(new JsonArray().add(b).add(v.startsWith("goto ")
                        ? new JsonObject().put("goto", new JsonObject().put("target", v.substring(5)))
                        : new JsonObject().putNull(v))));
                items.add(new JsonObject().put("map", new JsonObject().put("name", "owned").put("elem", elems)));
                return new CommandResult(argv, 0, new JsonObject().put("nftables", items).encode(), "", false);
            }
            scripts.add(stdin);
            if (stdin.contains("delete table") && !stdin.contains("{")) {
                table = null;
            } else {
                if (stdin.contains("delete table")) {
                    table = new TreeMap<>();
                }
                for (String line : stdin.lines().toList()) {
                    if (line.startsWith("delete element")) {
                        continue;
                    }
                    Matcher m = ELEM.matcher(line);
                    while (m.find()) {
                        table.put(Integer.parseInt(m.group(1)), m.group(2));
                    }
                }
            }
            return new CommandResult(argv, 0, "", "", false);
        }
    }

    private final ModuleConfig web = TestModules.farm("web", "198.18.0.50/32", "eth0", ALL,
            List.of(new FarmRule(Proto.TCP, 8080, FilterMode.ON_ADDR)), Map.of());
    private final FilterSpec spec = FilterSpec.of(web);
    private final FakeNft nft = new FakeNft(spec);
    private final AtomicLong clock = new AtomicLong(1_000_000);
    private final FilterReconciler r = new FilterReconciler("node1", List.of(web),
            new LbFilter("node1", nft, Duration.ofSeconds(1), clock::get), 10_000, clock::get);

    private static DesiredState desired(long seq, Role role, List<String> members) {
        return new DesiredState("node1", seq, List.of(new ModuleDesired("web", ModuleType.FARM, role,
                Optional.empty(), members, "")));
    }

    private List<Integer> owned() {
        return withVerdict("goto own", "goto fresh", "accept");
    }

    private List<Integer> withVerdict(String... verdicts) {
        List<String> v = List.of(verdicts);
        return nft.table.entrySet().stream().filter(e -> v.contains(e.getValue())).map(Map.Entry::getKey).toList();
    }

    @Test
    void memberGetsItsBucketsAndAChangePublishesOnce() {
        List<FilterStatus> first = r.reconcile(desired(1, Role.MEMBER, ALL));
        assertThat(first).singleElement().satisfies(s -> assertThat(s.owned()).isEqualTo(spec.table(ALL).ownedBy("node1")));
        assertThat(nft.table).hasSize(256);
        assertThat(owned()).isEqualTo(spec.table(ALL).ownedBy("node1"));
        // republished unchanged: no nft call, nothing published
        int calls = nft.scripts.size();
        assertThat(r.reconcile(desired(1, Role.MEMBER, ALL))).isEmpty();
        assertThat(nft.scripts).hasSize(calls);
        // node3 leaves: one incremental transaction
        List<FilterStatus> two = r.reconcile(desired(2, Role.MEMBER, List.of("node1", "node2")));
        assertThat(two).hasSize(1);
        assertThat(nft.scripts.getLast()).startsWith("delete element netdev sf_web owned {")
                .doesNotContain("delete table");
        assertThat(owned()).isEqualTo(spec.table(List.of("node1", "node2")).ownedBy("node1"));
    }

    @Test
    void aFilterThatCannotBeAppliedIsAFailureUntilItIs() {
        nft.broken = true;
        assertThat(r.reconcile(desired(1, Role.MEMBER, ALL))).isEmpty();
        assertThat(r.failures()).containsOnlyKeys("web");
        io.steadfast.service.HealthVerdict v = io.steadfast.service.HealthRules.lbFilter(r.failures());
        assertThat(v.up()).isFalse();
        assertThat(v.reason()).startsWith("farm filter of module web not applied: ").contains("nft");
        nft.broken = false;
        assertThat(r.reconcile(desired(2, Role.MEMBER, ALL))).hasSize(1);
        assertThat(r.failures()).isEmpty();
    }

    @Test
    void staleAndForeignStatesChangeNothing() {
        r.reconcile(desired(5, Role.MEMBER, ALL));
        int calls = nft.scripts.size();
        assertThat(r.reconcile(desired(4, Role.MEMBER, List.of("node1")))).isEmpty();
        assertThat(r.reconcile(new DesiredState("node2", 9, List.of()))).isEmpty();
        assertThat(nft.scripts).hasSize(calls);
        assertThat(owned()).isEqualTo(spec.table(ALL).ownedBy("node1"));
    }

    @Test
    void aRestartedHeartbeatIsFollowedAtItsSecondPublication() {
        r.reconcile(desired(30, Role.MEMBER, ALL));
        assertThat(r.reconcile(desired(1, Role.MEMBER, List.of("node1")))).isEmpty();
        assertThat(owned()).isEqualTo(spec.table(ALL).ownedBy("node1"));
        assertThat(r.reconcile(desired(1, Role.MEMBER, List.of("node1")))).hasSize(1);
        assertThat(owned()).hasSize(256);
    }

    @Test
    void otherRolesOrAMissingModuleRemoveTheTable() {
        r.reconcile(desired(1, Role.MEMBER, ALL));
        assertThat(r.reconcile(desired(2, Role.NONE, List.of()))).singleElement()
                .satisfies(s -> assertThat(s.owned()).isEmpty());
        assertThat(nft.table).isNull();
        r.reconcile(desired(3, Role.MEMBER, ALL));
        r.reconcile(new DesiredState("node1", 4, List.of()));
        assertThat(nft.table).isNull();
    }

    @Test
    void theKernelIsCheckedPeriodicallyAndRepaired() {
        r.reconcile(desired(1, Role.MEMBER, ALL));
        int b = spec.table(ALL).ownedBy("node1").get(0);
        nft.table.put(b, "drop"); // someone changed the kernel behind our back
        int reads = nft.reads;
        r.reconcile(desired(1, Role.MEMBER, ALL));
        assertThat(nft.reads).as("no read before the period").isEqualTo(reads);
        clock.addAndGet(10_000);
        r.reconcile(desired(1, Role.MEMBER, ALL));
        assertThat(nft.reads).isGreaterThan(reads);
        // a forming farm: every node starts its buckets fresh (farm.drain later they are plainly owned)
        assertThat(nft.table.get(b)).isEqualTo("goto fresh");
        assertThat(nft.scripts.getLast()).isEqualTo("delete element netdev sf_web owned { " + b + " }\n"
                + "add element netdev sf_web owned { " + b + " : goto fresh }\n");
    }

    @Test
    void aRestartedServiceAdoptsARightTableWithoutTouchingIt() {
        r.reconcile(desired(1, Role.MEMBER, ALL));
        int calls = nft.scripts.size();
        FilterReconciler restarted = new FilterReconciler("node1", List.of(web),
                new LbFilter("node1", nft, Duration.ofSeconds(1), clock::get), 10_000, clock::get);
        restarted.reconcile(desired(1, Role.MEMBER, ALL));
        assertThat(nft.scripts).hasSize(calls);
        assertThat(restarted.status()).singleElement()
                .satisfies(s -> assertThat(s.owned()).isEqualTo(spec.table(ALL).ownedBy("node1")));
    }

    @Test
    void theHandoverDrainsWhatMovesAwayAndTicksEndItWhenTheFlowsAreGone() {
        r.reconcile(desired(1, Role.MEMBER, List.of("node1", "node2")));
        clock.addAndGet(spec.drain().toMillis());
        assertThat(r.tick()).as("fresh buckets become owned: same owned set, nothing published").isEmpty();
        assertThat(withVerdict("goto fresh")).isEmpty();
        List<Integer> mine = spec.table(List.of("node1", "node2")).ownedBy("node1");
        assertThat(withVerdict("goto own")).isEqualTo(mine);
        int calls = nft.scripts.size();
        assertThat(r.tick()).isEmpty();
        assertThat(nft.scripts).as("nothing pending: no nft call").hasSize(calls);

        // node3 joins: node1's buckets that go to node3 drain
        List<FilterStatus> joined = r.reconcile(desired(2, Role.MEMBER, ALL));
        List<Integer> moved = mine.stream().filter(b -> spec.table(ALL).owner(b).equals("node3")).toList();
        assertThat(moved).isNotEmpty();
        assertThat(joined).singleElement().satisfies(st -> assertThat(st.owned()).doesNotContainAnyElementsOf(moved));
        assertThat(withVerdict("goto drain")).isEqualTo(moved);
        // a flow of the first moved bucket is still open (and one of a bucket node1 keeps)
        int keep = moved.getFirst();
        String src = null;
        for (int i = 1; src == null && i < 65536; i++) {
            String a = "198.18." + (i >>> 8) + "." + (i & 0xff);
            if (FlowBuckets.bucket(spec, new FlowBuckets.Flow(Proto.TCP, a, 40000, 8080)) == keep) {
                src = a;
            }
        }
        nft.flowSets.put("tflows", new JsonArray().add(new JsonObject().put("elem", new JsonObject()
                .put("val", new JsonObject().put("concat", new JsonArray().add(src).add(40000).add(8080))))));
        clock.addAndGet(1000);
        r.tick();
        assertThat(withVerdict("goto drain")).as("only the bucket with a flow drains on").containsExactly(keep);
        nft.flowSets.clear(); // its connection closed (and left tclosing)
        clock.addAndGet(1000);
        r.tick();
        assertThat(withVerdict("goto drain")).isEmpty();
        assertThat(owned()).isEqualTo(spec.table(ALL).ownedBy("node1"));
    }
}
