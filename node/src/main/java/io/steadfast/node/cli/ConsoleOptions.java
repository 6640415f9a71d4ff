package io.steadfast.node.cli;

import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code --console URL}: which console answers admin commands; credentials (every read needs a user too, any role;
 * commands need admin or control): {@code STEADFAST_TOKEN=user:password} or {@code STEADFAST_TOKEN=<session token>}
 * (from {@code POST /api/v1/session}), or {@code --user NAME} with the password from {@code --password-file} or typed
 * (read from the terminal, else the first line of standard input).
 */
public final class ConsoleOptions {
    /** The environment (a seam for tests). */
    static Function<String, String> env = System::getenv;

    @Option(names = "--console", paramLabel = "URL", defaultValue = ConsoleClient.DEFAULT_URL,
            description = "console URL (default: ${DEFAULT-VALUE})")
    String url;

    @Option(names = "--user", paramLabel = "NAME", description = "console user (default: STEADFAST_TOKEN=user:password or a session token)")
    String user;

    @Option(names = "--password-file", paramLabel = "FILE", description = "file holding --user's password")
    Path passwordFile;

    ConsoleClient client() throws IOException {
        return new ConsoleClient(url, credentials());
    }

    private Optional<String> credentials() throws IOException {
        if (user != null) {
            return Optional.of(user + ":" + password());
        }
        return Optional.ofNullable(env.apply("STEADFAST_TOKEN")).filter(s -> !s.isBlank()).map(String::strip);
    }

    private String password() throws IOException {
        if (passwordFile != null) {
            return Files.readString(passwordFile).lines().findFirst().orElse("");
        }
        Console console = System.console();
        if (console != null) {
            char[] pw = console.readPassword("password for %s: ", user);
            return pw == null ? "" : new String(pw);
        }
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        return line == null ? "" : line;
    }
}
