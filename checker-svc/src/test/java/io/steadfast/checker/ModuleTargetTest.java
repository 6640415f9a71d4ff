package io.steadfast.checker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.steadfast.api.State;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ModuleTargetTest {
    @Test
    void forms() {
        assertThat(ModuleTarget.parse("db")).isEqualTo(new ModuleTarget("db", Optional.empty(), ModuleTarget.SERVES));
        assertThat(ModuleTarget.parse("db@node2").nodeOr("node1")).isEqualTo("node2");
        assertThat(ModuleTarget.parse("db").nodeOr("node1")).isEqualTo("node1");
        assertThat(ModuleTarget.parse("db=prim|SECOND").states()).isEqualTo(Set.of(State.PRIM, State.SECOND));
        assertThat(ModuleTarget.parse("db@node2=STOP"))
                .isEqualTo(new ModuleTarget("db", Optional.of("node2"), Set.of(State.STOP)));
    }

    @Test
    void garbage() {
        for (String bad : new String[] {"", "@node2", "db@", "db=", "db=PRIMARY", "db@n=PRIM|"}) {
            assertThatThrownBy(() -> ModuleTarget.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("module[@node][=STATE");
        }
    }
}
