package io.steadfast.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * HTTP console. YAML keys: port, bind, tls, users_file, open.
 *
 * <p>{@code open}: the read endpoints answered without signing in (default: the probes {@code health},
 * {@code metrics}, {@code ready}); everything else the console shows needs a user of the users file. The page
 * itself (the sign-in form) and the OpenAPI description are always served.
 */
public record ConsoleConfig(int port, String bind, Optional<TlsConfig> tls, Optional<Path> usersFile,
                            List<Open> open) {
    /** Read endpoints that {@code cluster.console.open} may list. */
    public enum Open {
        /** {@code GET /health} */
        HEALTH,
        /** {@code GET /metrics} */
        METRICS,
        /** {@code GET /api/v1/modules/{m}/ready} */
        READY,
        /** {@code GET /api/v1/cluster} */
        CLUSTER,
        /** {@code GET /api/v1/modules/{m}} */
        MODULES,
        /** {@code GET /api/v1/events} */
        EVENTS,
        /** {@code GET /api/v1/modules/{m}/log} */
        LOG
    }

    /** What probes need, and nothing else. */
    public static final List<Open> DEFAULT_OPEN = List.of(Open.HEALTH, Open.METRICS, Open.READY);

    public ConsoleConfig {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(usersFile, "usersFile");
        open = List.copyOf(Objects.requireNonNull(open, "open"));
    }

    /** With the default open set (the probes). */
    public ConsoleConfig(int port, String bind, Optional<TlsConfig> tls, Optional<Path> usersFile) {
        this(port, bind, tls, usersFile, DEFAULT_OPEN);
    }

    public boolean isOpen(Open endpoint) {
        return open.contains(endpoint);
    }
}
