package io.steadfast.config;

import java.util.Objects;

/** Traffic to the VIP on {@code proto}/{@code port} is shared between farm nodes by hashing per {@code filter}. */
public record FarmRule(Proto proto, int port, FilterMode filter) {
    public FarmRule {
        Objects.requireNonNull(proto, "proto");
        Objects.requireNonNull(filter, "filter");
    }
}
