package io.steadfast.api;

/** How settled a state is: SECOND is TRANSIENT while resynchronising, READY once up to date. */
public enum Readiness {
    NOT_READY, TRANSIENT, READY
}
