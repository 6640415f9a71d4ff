package io.steadfast.node.cli;

import io.steadfast.api.ServiceName;
import io.steadfast.config.SteadfastConfig;
import io.steadfast.node.NodeAgent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Runs an agent in the foreground until SIGTERM/SIGINT, then stops it cleanly. */
final class AgentRunner {
    private static final Logger LOG = LoggerFactory.getLogger(AgentRunner.class);
    static final int EXIT_FAILED = 1;
    private static final long STOP_TIMEOUT_S = 20;

    private AgentRunner() {
    }

    static int run(SteadfastConfig config, String node, List<ServiceName> services, boolean alone) {
        NodeAgent agent;
        try {
            agent = NodeAgent.start(config, node, services, alone).await();
        } catch (Exception e) {
            LOG.error("node {} failed to start: {}", node, e.getMessage(), e);
            return EXIT_FAILED;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            LOG.info("stopping node {}", node);
            try {
                agent.stop().await(STOP_TIMEOUT_S, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("clean stop did not finish: {}", e.getMessage());
            }
            stopped.countDown();
        }));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
