package io.steadfast.checker.impl;

/** The result of one probe: up or down, and why (shown to operators: say what was checked and what was seen). */
public record Outcome(boolean up, String reason) {
    public static Outcome up(String reason) {
        return new Outcome(true, reason);
    }

    public static Outcome down(String reason) {
        return new Outcome(false, reason);
    }
}
