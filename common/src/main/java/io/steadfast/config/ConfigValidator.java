package io.steadfast.config;

import io.steadfast.config.impl.Host;
import io.steadfast.config.impl.Locator;
import io.steadfast.config.impl.Phase1;
import io.steadfast.config.impl.Phase2;
import io.steadfast.config.impl.Phase3Host;
import io.steadfast.config.impl.Problems;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Turns a composed YAML tree into a {@link SteadfastConfig}, in two phases (as keepalived does): phase 1 checks
 * every field on its own and builds the records; phase 2, only when phase 1 found nothing, checks fields
 * against each other. Running phase 2 on a half-parsed file would mostly report echoes of phase-1 errors.
 * Phases 1 and 2 read nothing but the YAML; phase 3, only when they found nothing, asks the host
 * ({@link Host}) what the replicated directories are (not a directory, a pseudo filesystem).
 */
public final class ConfigValidator {

    /** Validates {@code root} (null = empty document) on this host; problems are reported against {@code source}. */
    public ConfigResult validate(Path source, Node root) {
        return validate(source, root, Host.real());
    }

    /**
     * As above, with phase 3 (what the replicated directories are on {@code host}) after phases 1 and 2 found
     * nothing.
     */
    public ConfigResult validate(Path source, Node root, Host host) {
        Problems problems = new Problems(source);
        if (root == null) {
            problems.add((org.yaml.snakeyaml.error.Mark) null, "the file is empty (expected cluster: and modules:)");
            return new ConfigResult(Optional.empty(), problems.sorted());
        }
        if (!(root instanceof MappingNode)) {
            problems.add(root.getStartMark(), "the top level must be a mapping with keys cluster and modules");
            return new ConfigResult(Optional.empty(), problems.sorted());
        }
        SteadfastConfig config = new Phase1(problems).parse(source, root);
        if (problems.isEmpty()) {
            new Phase2(problems, new Locator(root)).check(config);
        }
        if (problems.isEmpty()) {
            new Phase3Host(problems, new Locator(root), host).check(config);
        }
        return problems.isEmpty()
                ? new ConfigResult(Optional.of(config), List.of())
                : new ConfigResult(Optional.empty(), problems.sorted());
    }
}
