package io.steadfast.config;

import java.util.Objects;

/**
 * Process supervision: processes whose command line matches the regular expression {@code match} must number
 * at least {@code atleast} and at most {@code atmost} ({@code 0} = no maximum); otherwise {@code action}.
 */
public record ProcessConfig(String name, String match, int atleast, int atmost, SupervisionAction action) {
    public ProcessConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(match, "match");
        Objects.requireNonNull(action, "action");
    }
}
