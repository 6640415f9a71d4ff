package io.steadfast.console;

import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

/**
 * Vert.x's own metrics (event bus, HTTP, pools) exist only when the Vert.x instance was created with metrics
 * options; the agent passes these at cluster start so that the console's {@code /metrics} shows them next to the
 * module metrics. Without them {@code /metrics} still serves the module metrics.
 */
public final class ConsoleMetricsOptions {
    private ConsoleMetricsOptions() {
    }

    public static VertxOptions withMetrics(VertxOptions options) {
        return options.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
                .setJvmMetricsEnabled(true)
                .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    }
}
