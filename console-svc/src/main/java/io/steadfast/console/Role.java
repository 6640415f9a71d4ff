package io.steadfast.console;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What a console user may do. {@code monitor}: read only; {@code control}: also module commands and verify;
 * {@code admin}: everything (the same as control today; reserved for user and checker administration).
 */
public enum Role {
    ADMIN, CONTROL, MONITOR;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean mayCommand() {
        return this != MONITOR;
    }

    public static Optional<Role> of(String id) {
        return Arrays.stream(values()).filter(r -> r.id().equals(id)).findFirst();
    }
}
