package io.steadfast.node.cli;

import picocli.CommandLine.Option;

import java.util.Optional;

/** {@code --console URL}: which console answers admin commands. */
public final class ConsoleOptions {
    @Option(names = "--console", paramLabel = "URL", defaultValue = ConsoleClient.DEFAULT_URL,
            description = "console URL (default: ${DEFAULT-VALUE})")
    String url;

    ConsoleClient client() {
        return new ConsoleClient(url, Optional.ofNullable(System.getenv("STEADFAST_TOKEN")).filter(s -> !s.isBlank()));
    }
}
