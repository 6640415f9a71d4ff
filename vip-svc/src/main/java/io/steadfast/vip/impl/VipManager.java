package io.steadfast.vip.impl;

import io.steadfast.api.LbFilterApi;
import io.steadfast.api.VipApi.VipStatus;
import io.steadfast.config.GarpConfig;
import io.steadfast.config.ModuleConfig;
import io.steadfast.config.VipConfig;
import io.steadfast.exec.CommandResult;
import io.steadfast.exec.CommandRunner;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Puts a module's VIP on this node's interface or takes it off, through {@code ip}, {@code sysctl}, {@code nft}
 * and {@code arping} (blocking: call it from a worker). Every operation is idempotent and checks the kernel first.
 *
 * <p><b>Mirror</b>: {@code ip addr add VIP/len dev IF}, then a gratuitous ARP burst so that clients and switches
 * move to this node at once.
 *
 * <p><b>Farm</b> (DESIGN §4): the same VIP on every member, answered with a virtual MAC that never appears as a
 * source MAC, so the switch floods frames for it to every member and each member's bucket filter keeps its share.
 * In order: {@code arp_announce=2} (all + IF: the node never names the VIP in its own ARP requests); the tables
 * {@code netdev sfvip_<module>} — ingress {@code ether daddr VMAC meta pkttype set host} (frames to the VMAC are
 * for us) — and {@code arp sfvip_<module>} — output {@code arp saddr ip VIP arp saddr ether set VMAC} (every ARP
 * speaking for the VIP names the VMAC); only then {@code ip addr add VIP/32 dev IF}, so no ARP reply ever carries
 * the real MAC for the VIP.
 * Going down removes the address first, then the table. {@code arp_announce} is left at 2 (harmless, and another
 * farm module may rely on it).
 *
 * <p>vip-svc owns only the {@code netdev} and {@code arp} tables {@code sfvip_<module>}; lb-filter-svc owns
 * {@code netdev sf_<module>}. Neither touches the other's.
 */
public final class VipManager {
    private static final Logger LOG = LoggerFactory.getLogger(VipManager.class);

    private final String node;
    private final CommandRunner runner;
    private final Duration timeout;
    /** How long a farm VIP waits for lb-filter-svc's table before giving up (retried at the next reconcile). */
    static final Duration FILTER_WAIT = Duration.ofSeconds(3);
    private final Map<String, List<Thread>> bursts = new java.util.concurrent.ConcurrentHashMap<>();

    public VipManager(String node, CommandRunner runner, Duration timeout) {
        this.node = node;
        this.runner = runner;
        this.timeout = timeout;
    }

    /** What {@link #up} did. */
    public record Change(VipStatus status, boolean changed) {
    }

    /**
     * Makes the VIP present. A mirror VIP that was just added is announced; {@code announce} forces the burst
     * even when it was already there (an explicit takeover must re-teach the clients).
     *
     * @throws IllegalStateException when a command fails (nothing else is attempted)
     */
    public synchronized Change up(ModuleConfig m, boolean announce) {
        VipConfig vip = vipOf(m);
        boolean changed;
        if (m.isFarm()) {
            changed = farmUp(m.name(), vip);
        } else {
            // One `ip` run on the takeover path: add first, and only when that fails look whether the address is
            // already there (the kernel refuses the same address and prefix twice; iproute2's wording varies).
            // Checking first and reading back after cost two more runs, tens of ms each on a busy machine.
            CommandResult r = ip("addr", "add", vip.addr().toString(), "dev", vip.iface());
            if (!r.ok() && !hasAddress(vip.iface(), vip.addr().address(), vip.addr().prefix())) {
                throw new IllegalStateException(r.describe());
            }
            changed = r.ok();
            if (changed || announce) {
                announce(m);
            }
            return new Change(new VipStatus(node, m.name(), vip.addr().toString(), vip.iface(), true,
                    changed ? "added" : "present"), changed);
        }
        return new Change(status(m, changed ? "added" : "present"), changed);
    }

    /** Makes the VIP absent. */
    public synchronized Change down(ModuleConfig m) {
        VipConfig vip = vipOf(m);
        cancelAnnouncements(m.name());
        boolean changed = false;
        int prefix = m.isFarm() ? 32 : vip.addr().prefix();
        if (hasAddress(vip.iface(), vip.addr().address(), prefix)) {
            check(ip("addr", "del", vip.addr().address() + "/" + prefix, "dev", vip.iface()));
            changed = true;
        }
        if (m.isFarm() && (readTable("netdev", m.name()).isPresent() || readTable("arp", m.name()).isPresent())) {
            String t = table(m.name());
            check(nft("table netdev " + t + "\ndelete table netdev " + t + "\ntable arp " + t + "\ndelete table arp "
                    + t + "\n"));
            changed = true;
        }
        return new Change(status(m, changed ? "removed" : "absent"), changed);
    }

    /** The VIP as the kernel has it: present = the address, and for a farm also the virtual-MAC table. */
    public synchronized VipStatus status(ModuleConfig m, String reason) {
        VipConfig vip = vipOf(m);
        boolean present;
        String why = reason;
        if (m.isFarm()) {
            boolean addr = hasAddress(vip.iface(), vip.addr().address(), 32);
            boolean table = tableMatches(m.name(), vip);
            present = addr && table;
            if (addr != table) {
                why = addr ? "address present, virtual-MAC table missing or different"
                        : "virtual-MAC table present, address missing";
            }
        } else {
            present = hasAddress(vip.iface(), vip.addr().address(), vip.addr().prefix());
        }
        return new VipStatus(node, m.name(), vip.addr().toString(), vip.iface(), present, why);
    }

    /**
     * Gratuitous ARP burst for a mirror VIP: {@code count} runs of {@code arping -q -U -c 1 -I IF VIP} (iputils),
     * one every {@code interval}, the first at once. iputils arping only takes whole seconds for {@code -i} and
     * lingers a second after its last packet, so the burst is paced here, one process per packet, on virtual
     * threads: the call returns at once and a takeover is not slowed down by its own announcement.
     */
    public void announce(ModuleConfig m) {
        VipConfig vip = vipOf(m);
        GarpConfig g = vip.garp();
        cancelAnnouncements(m.name());
        List<Thread> burst = new java.util.ArrayList<>();
        List<String> argv = List.of("arping", "-q", "-U", "-c", "1", "-I", vip.iface(), vip.addr().address());
        for (int i = 0; i < g.count(); i++) {
            long delay = g.interval().toMillis() * i;
            burst.add(Thread.ofVirtual().name("garp-" + m.name() + "-" + i).start(() -> {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                CommandResult r = runner.run(argv, timeout);
                if (!r.ok() && !Thread.currentThread().isInterrupted()) { // interrupted = cancelled, not failed
                    // the VIP is up; a lost announcement only slows clients down, it does not make the VIP wrong
                    LOG.warn("{}: gratuitous ARP failed: {}", m.name(), r.describe());
                }
            }));
        }
        bursts.put(m.name(), burst);
    }

    /** Stops every announcement in flight (the service is stopping). */
    public void cancelAnnouncements() {
        List.copyOf(bursts.keySet()).forEach(this::cancelAnnouncements);
    }

    /** Stops the packets of a burst not sent yet (the VIP is going away). */
    private void cancelAnnouncements(String module) {
        List<Thread> burst = bursts.remove(module);
        if (burst != null) {
            burst.forEach(Thread::interrupt);
        }
    }

    private boolean farmUp(String module, VipConfig vip) {
        boolean changed = false;
        String ifKey = vip.iface().replace('.', '/'); // sysctl names a VLAN interface eth0.100 as eth0/100
        List<String> keys = List.of("net.ipv4.conf.all.arp_announce", "net.ipv4.conf." + ifKey + ".arp_announce");
        // Written only when not already 2: a container's /proc/sys is read-only, and there the operator sets
        // the sysctl on the container instead (compose `sysctls:`).
        CommandResult current = runner.run(Stream.concat(Stream.of("sysctl", "-n"), keys.stream()).toList(),
                timeout);
        if (!current.ok() || !current.stdout().lines().map(String::strip).allMatch("2"::equals)) {
            check(runner.run(Stream.concat(Stream.of("sysctl", "-q", "-w"),
                    keys.stream().map(k -> k + "=2")).toList(), timeout));
        }
        if (!tableMatches(module, vip)) {
            check(nft(farmTable(module, vip)));
            changed = true;
        }
        if (!hasAddress(vip.iface(), vip.addr().address(), 32)) {
            awaitFilter(module);
            check(ip("addr", "add", vip.addr().address() + "/32", "dev", vip.iface()));
            changed = true;
        }
        return changed;
    }

    /**
     * A farm VIP is only added once lb-filter-svc's bucket table of the module is in the kernel: every member
     * receives every frame sent to the virtual MAC, so a VIP without its filter would take every bucket and answer
     * the other members' connections with resets. Both services react to the same desired state, so the table
     * normally appears within milliseconds; it is waited for (bounded), read-only.
     */
    private void awaitFilter(String module) {
        List<String> argv = List.of("nft", "list", "table", "netdev", LbFilterApi.tableName(module));
        long end = System.nanoTime() + FILTER_WAIT.toNanos();
        while (!runner.run(argv, timeout).ok()) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("the farm filter of " + module + " (netdev "
                        + LbFilterApi.tableName(module) + ") is not in the kernel: the VIP is added only after it");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the farm filter of " + module, e);
            }
        }
    }

    /** {@code sfvip_<module>} (with {@code -} made nft-safe plus a short hash, as lb-filter does). */
    public static String table(String module) {
        if (module.indexOf('-') < 0) {
            return "sfvip_" + module;
        }
        return "sfvip_" + module.replace('-', '_') + "_" + sha256(module).substring(0, 6);
    }

    /** Chain names carry a fingerprint of (iface, VIP, VMAC): a table with these chains needs no change. */
    static String fingerprint(VipConfig vip) {
        return sha256("1|" + vip.iface() + "|" + vip.addr().address() + "|" + vip.resolvedVmac()).substring(0, 12);
    }

    /**
     * One transaction (declare, delete, define) for both tables: the kernel goes from the old tables to the new
     * ones at once. The ARP rewrite sits in the {@code arp} family's output hook rather than on the netdev egress
     * hook of DESIGN §4: it sees only the ARP packets the kernel sends, so the data path carries no egress hook
     * at all (a netdev egress hook is run for every packet the node sends, to rewrite a few ARP replies).
     */
    static String farmTable(String module, VipConfig vip) {
        String t = table(module);
        String fp = fingerprint(vip);
        String vmac = vip.resolvedVmac();
        return "table netdev " + t + "\n"
                + "delete table netdev " + t + "\n"
                + "table arp " + t + "\n"
                + "delete table arp " + t + "\n"
                + "table netdev " + t + " {\n"
                + "  chain vin_" + fp + " { type filter hook ingress device \"" + vip.iface()
                + "\" priority -500; policy accept;\n"
                + "    ether daddr " + vmac + " meta pkttype set host\n"
                + "  }\n"
                + "}\n"
                + "table arp " + t + " {\n"
                + "  chain vout_" + fp + " { type filter hook output priority 0; policy accept;\n"
                + "    arp saddr ip " + vip.addr().address() + " arp saddr ether set " + vmac + "\n"
                + "  }\n"
                + "}\n";
    }

    private boolean tableMatches(String module, VipConfig vip) {
        String fp = fingerprint(vip);
        return chainHasOneRule(readTable("netdev", module), "vin_" + fp)
                && chainHasOneRule(readTable("arp", module), "vout_" + fp);
    }

    private static boolean chainHasOneRule(java.util.Optional<JsonObject> table, String chain) {
        return table.map(json -> {
            int chains = 0;
            int rules = 0;
            for (Object o : json.getJsonArray("nftables", new JsonArray())) {
                if (o instanceof JsonObject item && item.getJsonObject("chain") != null) {
                    chains++;
                } else if (o instanceof JsonObject item && item.getJsonObject("rule") != null
                        && chain.equals(item.getJsonObject("rule").getString("chain"))) {
                    rules++;
                }
            }
            return chains == 1 && rules == 1;
        }).orElse(false);
    }

    private java.util.Optional<JsonObject> readTable(String family, String module) {
        CommandResult r = runner.run(List.of("nft", "-j", "list", "table", family, table(module)), timeout);
        if (!r.ok()) {
            if (!r.timedOut() && r.stderr().contains("No such file or directory")) {
                return java.util.Optional.empty();
            }
            throw new IllegalStateException(r.describe());
        }
        return java.util.Optional.of(new JsonObject(r.stdout()));
    }

    /** Whether {@code addr/prefix} is on {@code iface}, from {@code ip -j addr show dev IF}. */
    boolean hasAddress(String iface, String addr, int prefix) {
        CommandResult r = runner.run(List.of("ip", "-j", "-4", "addr", "show", "dev", iface), timeout);
        check(r);
        return IpAddrs.has(r.stdout(), iface, addr, prefix);
    }

    private CommandResult ip(String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of("ip"));
        argv.addAll(List.of(args));
        return runner.run(argv, timeout);
    }

    private CommandResult nft(String script) {
        return runner.run(List.of("nft", "-f", "-"), timeout, script, Map.of());
    }

    private static CommandResult check(CommandResult r) {
        if (!r.ok()) {
            throw new IllegalStateException(r.describe());
        }
        return r;
    }

    private static VipConfig vipOf(ModuleConfig m) {
        return m.vip().orElseThrow(() -> new IllegalArgumentException("module " + m.name() + " has no VIP"));
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
        }
    }
}
