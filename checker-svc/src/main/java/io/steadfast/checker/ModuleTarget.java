package io.steadfast.checker;

import io.steadfast.api.State;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The target of a {@code module} checker: {@code module[@node][=STATE[|STATE…]]}.
 * <ul>
 * <li>{@code db} — module db serves on this node (PRIM, ALONE or UP);</li>
 * <li>{@code db@node2} — module db serves on node2;</li>
 * <li>{@code db=PRIM|SECOND} — module db is PRIM or SECOND on this node;</li>
 * <li>{@code db@node2=STOP} — module db is stopped on node2.</li>
 * </ul>
 * States are the operator vocabulary (STOP WAIT ALONE PRIM SECOND UP), case-insensitive. The checker is down
 * while no state of that module on that node has been published yet.
 */
public record ModuleTarget(String module, Optional<String> node, Set<State> states) {
    public static final Set<State> SERVES = EnumSet.of(State.PRIM, State.ALONE, State.UP);

    /** @throws IllegalArgumentException with a message fit for an operator */
    public static ModuleTarget parse(String text) {
        String usage = " (module[@node][=STATE[|STATE…]], e.g. db@node2=PRIM|ALONE)";
        String rest = text.strip();
        Set<State> states = SERVES;
        int eq = rest.indexOf('=');
        if (eq >= 0) {
            states = EnumSet.noneOf(State.class);
            for (String s : rest.substring(eq + 1).split("\\|", -1)) {
                try {
                    states.add(State.valueOf(s.strip().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("\"" + text + "\": \"" + s + "\" is not a state"
                            + " (STOP, WAIT, ALONE, PRIM, SECOND, UP)" + usage);
                }
            }
            rest = rest.substring(0, eq);
        }
        Optional<String> node = Optional.empty();
        int at = rest.indexOf('@');
        if (at >= 0) {
            node = Optional.of(rest.substring(at + 1));
            rest = rest.substring(0, at);
        }
        if (rest.isEmpty() || node.map(String::isEmpty).orElse(false)) {
            throw new IllegalArgumentException("\"" + text + "\" is not a module target" + usage);
        }
        return new ModuleTarget(rest, node, Set.copyOf(states));
    }

    public String nodeOr(String thisNode) {
        return node.orElse(thisNode);
    }
}
