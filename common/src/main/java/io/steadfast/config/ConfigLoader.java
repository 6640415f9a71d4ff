package io.steadfast.config;

import io.steadfast.config.impl.Host;
import io.steadfast.config.impl.Problems;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads a steadfast.yml. {@link #load} never throws on bad input: every problem (unreadable file, YAML syntax,
 * unknown key, bad value, inconsistent sections) comes back in the result with its line:col, for
 * {@code config-test}; services that cannot run without a valid file use {@link #loadOrThrow}.
 */
public final class ConfigLoader {
    /** A config file is small; anything bigger is a mistake (or an attack on the parser). */
    private static final int MAX_BYTES = 1 << 20;

    private ConfigLoader() {
    }

    public static ConfigResult load(Path file) {
        String text;
        try {
            if (Files.size(file) > MAX_BYTES) {
                return single(file, null, "the file is larger than " + MAX_BYTES + " bytes");
            }
            byte[] bytes = Files.readAllBytes(file);
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return single(file, null, "the file is not UTF-8 text");
        } catch (IOException e) {
            return single(file, null, "cannot read the file: " + describe(e));
        }
        return parse(file, text);
    }

    /** @throws ConfigException listing every problem, one per line */
    public static SteadfastConfig loadOrThrow(Path file) {
        ConfigResult r = load(file);
        return r.config().orElseThrow(() -> new ConfigException(r.problems()));
    }

    /** Validates YAML text; {@code source} names it in problems and becomes {@link SteadfastConfig#source()}. */
    public static ConfigResult parse(Path source, String yamlText) {
        return parse(source, yamlText, Host.real());
    }

    /** As above, with what the host says about paths (phase 3) coming from {@code host}. */
    public static ConfigResult parse(Path source, String yamlText, Host host) {
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setMaxAliasesForCollections(20);
            options.setNestingDepthLimit(20);
            options.setCodePointLimit(MAX_BYTES);
            root = new Yaml(options).compose(new StringReader(yamlText));
        } catch (MarkedYAMLException e) {
            String problem = e.getProblem() == null ? "invalid YAML" : e.getProblem();
            String context = e.getContext() == null ? "" : " (" + e.getContext() + ")";
            return single(source, e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark(),
                    "YAML syntax error: " + problem + context);
        } catch (YAMLException e) {
            return single(source, null, "YAML error: " + e.getMessage());
        }
        try {
            return new ConfigValidator().validate(source, root, host);
        } catch (RuntimeException e) {
            // A validator bug must still surface as a problem, not as a stack trace from config-test.
            return single(source, null, "internal error while validating (please report it): " + e);
        }
    }

    private static ConfigResult single(Path file, org.yaml.snakeyaml.error.Mark mark, String message) {
        Problems p = new Problems(file);
        p.add(mark, message);
        return new ConfigResult(Optional.empty(), p.sorted());
    }

    private static String describe(IOException e) {
        return e instanceof java.nio.file.NoSuchFileException ? "no such file"
                : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : String.valueOf(e.getMessage());
    }
}
