package io.steadfast.config;

import java.nio.file.Path;
import java.time.Duration;

/** Values used when a key is absent. Documented here once; the loader and docs refer to these names. */
public final class Defaults {
    private Defaults() {
    }

    public static final Path SECRET_FILE = Path.of("/etc/steadfast/secret");
    public static final Path STATE_DIR = Path.of("/var/lib/steadfast");

    public static final int BUS_PORT = 5701;
    /** event_bus_port = bus.port + this, unless set. */
    public static final int EVENT_BUS_PORT_OFFSET = 100;

    public static final int CONSOLE_PORT = 9400;
    /** Loopback by default: the console has mutating endpoints; exposing it is a deliberate choice. */
    public static final String CONSOLE_BIND = "127.0.0.1";

    /** Name of the single heartbeat lan a node gets when it lists no lans: {@code {lan1: addr}}. */
    public static final String LAN = "lan1";
    /**
     * Heartbeat defaults (heartbeat-svc). A peer is declared lost only when no beat came on any lan for
     * {@code timeout}, so a false failover needs the sender (or the network) silent for {@code timeout - pulse}
     * = 700 ms. Measured on this 2-core machine with both cores oversubscribed ({@code stress-ng --cpu 4}, load
     * average 13, 30 s): a 25 ms periodic JVM thread was late by at most 370 ms (p99.9 361 ms), so the tolerance is
     * about twice the worst stall; a stall of the receiving node itself is detected and never judged (heartbeat-svc
     * waits one timeout for the queued beats). A 100 ms pulse keeps 7 beats per window (isolated losses do not
     * matter) for ~20 small datagrams/s per module and lan. Detection of a dead machine takes 700–800 ms; a killed
     * agent is seen faster (its port answers ICMP unreachable), so the failover target (p50 ≤ 1 s) holds.
     */
    public static final Duration HEARTBEAT_PULSE = Duration.ofMillis(100);
    public static final Duration HEARTBEAT_TIMEOUT = Duration.ofMillis(800);

    public static final int GARP_COUNT = 5;
    public static final Duration GARP_INTERVAL = Duration.ofMillis(200);
    /** Zero = never refresh. */
    public static final Duration GARP_REFRESH = Duration.ZERO;
    public static final String VMAC = VipConfig.AUTO;

    public static final AsyncMode REPLICATION_ASYNC = AsyncMode.SECOND;
    public static final Duration SEND_TIMEOUT = Duration.ofSeconds(5);

    public static final String DEFAULTPRIM = ServiceConfig.ALONE;
    public static final boolean FAILOVER = true;
    public static final int MAXLOOP = 3;
    public static final Duration LOOP_INTERVAL = Duration.ofHours(24);

    public static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(60);

    public static final int PROCESS_ATLEAST = 1;
    /** Zero = no maximum. */
    public static final int PROCESS_ATMOST = 0;
    public static final SupervisionAction PROCESS_ACTION = SupervisionAction.RESTART;

    public static final Duration CHECKER_INTERVAL = Duration.ofSeconds(2);
    public static final Duration CHECKER_TIMEOUT = Duration.ofSeconds(1);
    public static final FailureAction CHECKER_ON_FAILURE = FailureAction.NONE;

    public static final FilterMode FARM_FILTER = FilterMode.ON_ADDR;
    public static final int FARM_POWER = 1;
    /** A bucket's old owner keeps its established connections this long at most (0 = no handover). */
    public static final Duration FARM_DRAIN = Duration.ofMinutes(10);
    public static final Duration FARM_TCP_IDLE = Duration.ofHours(2);
    public static final Duration FARM_UDP_IDLE = Duration.ofSeconds(30);
    /** Upper bound of the farm's timers (nft set timeouts; a day is plenty). */
    public static final Duration FARM_TIMER_MAX = Duration.ofDays(1);
    /** Most nodes a farm can have (a limit, not a default): the bucket orders index nodes in 64-bit masks. */
    public static final int FARM_MAX_NODES = 64;
}
