package io.steadfast.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** TLS material (PKCS#12). YAML keys: keystore, truststore (optional), password_file. */
public record TlsConfig(Path keystore, Optional<Path> truststore, Path passwordFile) {
    public TlsConfig {
        Objects.requireNonNull(keystore, "keystore");
        Objects.requireNonNull(truststore, "truststore");
        Objects.requireNonNull(passwordFile, "passwordFile");
    }
}
