package io.steadfast.node.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Small helpers shared by the admin commands. */
final class Cli {
    /** Exit code when the console cannot be reached (or answered garbage). */
    static final int EXIT_UNREACHABLE = 3;

    private Cli() {
    }

    /** A path segment, encoded (module and node names come from the command line). */
    static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
