package io.steadfast.node.cli;

import io.steadfast.config.ConfigLoader;
import io.steadfast.config.ConfigResult;
import io.steadfast.console.PasswordHash;
import io.steadfast.console.Role;
import io.steadfast.console.UsersFile;
import io.steadfast.node.Main;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/** {@code steadfast user add NAME ROLE}: console users (there is no default user and no default password). */
@Command(name = "user", description = "Manage console users (cluster.console.users_file).",
        subcommands = UserCommand.Add.class)
public final class UserCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required: add");
    }

    @Command(name = "add", description = {"Add a console user: NAME ROLE (admin | control | monitor).",
            "The password is read from --password-file, else typed twice on a terminal, else the first line of "
                    + "standard input. Writes name:role:pbkdf2-hash to the users file (mode 0600).",
            "Exit 0 added, 1 refused (user exists: use --replace), 64 usage error."})
    public static final class Add implements Callable<Integer> {
        static final Path DEFAULT_FILE = Path.of("/etc/steadfast/users");

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "ROLE", description = "admin | control | monitor")
        String role;

        @Option(names = "--file", paramLabel = "F", description = "the users file (default: the config's "
                + "cluster.console.users_file, else /etc/steadfast/users)")
        Path file;

        @Option(names = "--config", paramLabel = "F", description = "take the users file from this config")
        Path config;

        @Option(names = "--password-file", paramLabel = "P", description = "read the password from this file")
        Path passwordFile;

        @Option(names = "--replace", description = "replace an existing user (new role and password)")
        boolean replace;

        @Override
        public Integer call() throws IOException {
            Role r = Role.of(role).orElseThrow(() -> new ParameterException(spec.commandLine(),
                    "ROLE: \"" + role + "\" is not one of admin, control, monitor"));
            if (!UsersFile.NAME.matcher(name).matches()) {
                throw new ParameterException(spec.commandLine(), "NAME: \"" + name
                        + "\" must be letters, digits, '.', '_' or '-' (at most 64)");
            }
            Path target = usersFile();
            char[] password = password();
            if (password.length == 0) {
                throw new ParameterException(spec.commandLine(), "the password is empty");
            }
            try {
                UsersFile.add(target, name, r, password, replace, PasswordHash.DEFAULT_ITERATIONS);
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("steadfast: " + e.getMessage());
                return 1;
            } finally {
                Arrays.fill(password, '\0');
            }
            spec.commandLine().getOut().println((replace ? "set" : "added") + " user " + name + " (" + r.id()
                    + ") in " + target);
            return 0;
        }

        private Path usersFile() {
            if (file != null) {
                return file;
            }
            if (config != null) {
                ConfigResult result = ConfigLoader.load(config);
                if (!result.ok()) {
                    throw new ParameterException(spec.commandLine(), "--config: " + config + " is not valid (see: "
                            + "steadfast config-test " + config + ")");
                }
                return result.config().orElseThrow().cluster().console().usersFile().orElseThrow(() ->
                        new ParameterException(spec.commandLine(), "--config: " + config
                                + " sets no cluster.console.users_file; add one, or give --file"));
            }
            return DEFAULT_FILE;
        }

        private char[] password() throws IOException {
            if (passwordFile != null) {
                return Files.readString(passwordFile).lines().findFirst().orElse("").toCharArray();
            }
            Console console = System.console();
            if (console != null) {
                char[] first = console.readPassword("password for %s: ", name);
                char[] again = console.readPassword("again: ");
                if (first == null || again == null || !Arrays.equals(first, again)) {
                    throw new ParameterException(spec.commandLine(), "the passwords differ");
                }
                return first;
            }
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            return line == null ? new char[0] : line.toCharArray();
        }
    }

    /** Keeps {@link Main#EXIT_USAGE} referenced for readers: usage errors exit 64 through Main's handler. */
    static final int EXIT_USAGE = Main.EXIT_USAGE;
}
