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
    public static final Duration HEARTBEAT_PULSE = Duration.ofMillis(200);
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
}
