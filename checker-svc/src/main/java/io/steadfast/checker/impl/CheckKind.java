package io.steadfast.checker.impl;

import io.steadfast.config.CheckerType;

/**
 * What a checker checks. The {@link #app()} kinds check the application, so they run only where the module
 * serves (PRIM/ALONE for a mirror, UP for a farm); the others check the node's surroundings and run always.
 */
public enum CheckKind {
    TCP(true), HTTP(true), CUSTOM(true), PROCESS(true),
    PING(false), INTERFACE(false), IP(false), MODULE(false), WITNESS(false);

    private final boolean app;

    CheckKind(boolean app) {
        this.app = app;
    }

    public boolean app() {
        return app;
    }

    public static CheckKind of(CheckerType type) {
        return valueOf(type.name());
    }
}
