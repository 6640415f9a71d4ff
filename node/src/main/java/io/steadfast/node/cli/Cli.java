package io.steadfast.node.cli;

import io.steadfast.node.Main;

import java.io.IOException;
import java.io.PrintWriter;
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

    /** A command cannot go on: print {@code message} (already prefixed) and exit with {@code exit}. */
    static final class Stop extends Exception {
        final int exit;

        Stop(int exit, String message) {
            super(message, null, false, false);
            this.exit = exit;
        }
    }

    /**
     * The node a node-scoped command is for: {@code node} when given, else the console's own node when the module
     * runs there (a usage error otherwise: the operator must say which node).
     */
    static String targetNode(ConsoleClient client, String module, String node) throws IOException, Stop {
        if (node != null) {
            return node;
        }
        ConsoleClient.Answer m = client.get("api/v1/modules/" + segment(module));
        if (!m.ok()) {
            throw new Stop(ModuleCommand.EXIT_REFUSED, "steadfast: " + m.errorText());
        }
        ModuleView view = new ModuleView(m.body());
        if (!view.nodeNames().contains(view.console())) {
            throw new Stop(Main.EXIT_USAGE, "steadfast: --node is required: module " + module + " does not run on "
                    + view.console() + " (its nodes: " + String.join(", ", view.nodeNames()) + ")");
        }
        return view.console();
    }

    /** Says that the console could not be reached and returns {@link #EXIT_UNREACHABLE}. */
    static int unreachable(PrintWriter err, ConsoleOptions console, IOException e) {
        err.println("steadfast: cannot reach the console at " + console.url + ": " + e.getMessage());
        return EXIT_UNREACHABLE;
    }
}
