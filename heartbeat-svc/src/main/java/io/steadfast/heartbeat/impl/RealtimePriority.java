package io.steadfast.heartbeat.impl;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Puts the calling thread in the SCHED_RR real-time class, as corosync does for its totem threads.
 *
 * <p>Why: with both cores saturated (the soak benchmark: {@code stress-ng} plus builds, load average ≈ 37), the
 * heartbeat threads at normal priority were starved for more than {@code timeout - pulse}: the agent's watchdog
 * saw its lease go stale and released a healthy primary — a false failover. The heartbeat threads sleep almost
 * all the time, so a real-time class costs nothing, and the kernel's RT throttling
 * ({@code kernel.sched_rt_runtime_us}, 95 % by default) bounds even a runaway one. Only the heartbeat threads get
 * it (sender, receivers, engine); not the JVM's GC threads, so a stop-the-world pause still stops them.
 *
 * <p>Needs CAP_SYS_NICE (root has it; a container may not): without it the thread keeps its class and one warning
 * says so. {@code sched_setscheduler(0, …)} applies to the calling thread on Linux.
 */
public final class RealtimePriority {
    private static final Logger LOG = LoggerFactory.getLogger(RealtimePriority.class);
    /** Low in the RT range (1–99): above every normal task, below the kernel's own RT threads. */
    static final int PRIORITY = 10;
    private static final int SCHED_RR = 2;
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    private static final AtomicBoolean TOLD = new AtomicBoolean();

    private RealtimePriority() {
    }

    /** Raises the calling thread; false (and one warning per process) when the kernel refused. */
    public static boolean raiseCurrentThread() {
        String name = Thread.currentThread().getName();
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle sched = linker.downcallHandle(
                    linker.defaultLookup().find("sched_setscheduler").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment param = arena.allocate(ValueLayout.JAVA_INT);
                param.set(ValueLayout.JAVA_INT, 0, PRIORITY);
                int r = (int) sched.invokeExact(0, SCHED_RR, param);
                if (r == 0) {
                    if (TOLD.compareAndSet(false, true)) {
                        LOG.info("heartbeat threads run in the real-time class SCHED_RR {}", PRIORITY);
                    }
                    return true;
                }
            }
            warn(name, "the kernel refused (no CAP_SYS_NICE?)");
        } catch (Throwable e) {
            warn(name, e.toString());
        }
        return false;
    }

    private static void warn(String thread, String why) {
        if (WARNED.compareAndSet(false, true)) {
            LOG.warn("heartbeat thread {} stays at normal priority: {}; on a saturated machine heartbeats may be late "
                    + "and cause a failover", thread, why);
        }
    }
}
