package io.steadfast.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** HTTP console. YAML keys: port, bind, tls, users_file. */
public record ConsoleConfig(int port, String bind, Optional<TlsConfig> tls, Optional<Path> usersFile) {
    public ConsoleConfig {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(usersFile, "usersFile");
    }
}
