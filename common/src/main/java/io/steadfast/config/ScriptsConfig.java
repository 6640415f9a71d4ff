package io.steadfast.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Application scripts as argv lists (executed as given, never through a shell); an empty list = not configured.
 * YAML keys: prestart, start_prim, stop_prim (mirror), start_both, stop_both (farm), poststop, timeout.
 */
public record ScriptsConfig(List<String> prestart, List<String> startPrim, List<String> stopPrim,
                            List<String> startBoth, List<String> stopBoth, List<String> poststop,
                            Duration timeout) {
    public ScriptsConfig {
        prestart = List.copyOf(prestart);
        startPrim = List.copyOf(startPrim);
        stopPrim = List.copyOf(stopPrim);
        startBoth = List.copyOf(startBoth);
        stopBoth = List.copyOf(stopBoth);
        poststop = List.copyOf(poststop);
        Objects.requireNonNull(timeout, "timeout");
    }

    /** No script configured, default timeout. */
    public static ScriptsConfig none() {
        return new ScriptsConfig(List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
                Defaults.SCRIPT_TIMEOUT);
    }
}
