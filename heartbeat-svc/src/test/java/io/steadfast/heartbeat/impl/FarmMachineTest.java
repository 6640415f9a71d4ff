package io.steadfast.heartbeat.impl;

import io.steadfast.api.Command;
import io.steadfast.api.HeartbeatApi.Role;
import io.steadfast.api.State;
import io.steadfast.config.FailureAction;
import io.steadfast.heartbeat.impl.SimCluster.Node;
import io.steadfast.service.ServiceException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.steadfast.heartbeat.impl.SimCluster.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The farm state machine and membership over the simulated network. */
class FarmMachineTest {

    static boolean everyoneSees(SimCluster c, List<String> members) {
        return c.nodes.values().stream().filter(n -> n.alive && n.state() == State.UP)
                .allMatch(n -> n.machine().members().equals(members));
    }

    static SimCluster up3() {
        SimCluster c = SimCluster.farm(3).build();
        c.nodes.values().forEach(Node::boot);
        c.runUntil(() -> everyoneSees(c, List.of("node1", "node2", "node3")), 2000, "all members");
        return c;
    }

    @Test
    void allNodesStartUpAndAgreeOnTheMembershipInConfigOrder() {
        SimCluster c = up3();
        for (Node n : c.nodes.values()) {
            assertThat(n.engine.desired().role()).isEqualTo(Role.MEMBER);
            assertThat(n.engine.desired().members()).containsExactly("node1", "node2", "node3");
            assertThat(n.holdsVip).isTrue();
        }
    }

    @Test
    void aCrashedMemberLeavesWithinTheTimeoutAndComesBack() {
        SimCluster c = up3();
        c.node(2).crash();
        long took = c.runUntil(() -> everyoneSees(c, List.of("node1", "node3")), 3000, "node2 gone");
        assertThat(took).isLessThanOrEqualTo(TIMEOUT + SimCluster.PULSE);
        c.node(2).boot();
        c.runUntil(() -> everyoneSees(c, List.of("node1", "node2", "node3")), 2000, "node2 back");
    }

    @Test
    void aPartitionedMemberSeesOnlyItself() {
        SimCluster c = up3();
        c.partition(c.node(3), c.node(1));
        c.partition(c.node(3), c.node(2));
        c.runUntil(() -> c.node(1).machine().members().equals(List.of("node1", "node2"))
                && c.node(3).machine().members().equals(List.of("node3")), 3000, "split views");
        c.heal();
        c.runUntil(() -> everyoneSees(c, List.of("node1", "node2", "node3")), 2000, "healed");
    }

    @Test
    void checkerWaitTakesTheNodeOutAndResumeBringsItBack() {
        SimCluster c = up3();
        c.node(1).engine.action(FailureAction.WAIT, "http", "503", false);
        c.runUntil(() -> c.node(1).state() == State.WAIT && !c.node(1).machine().busy()
                && everyoneSees(c, List.of("node2", "node3")), 2000,
                "node1 out");
        assertThat(c.node(1).holdsVip).isFalse();
        assertThat(c.node(1).engine.desired().role()).isEqualTo(Role.NONE);
        c.node(1).engine.action(FailureAction.WAIT, "http", "200", true);
        c.runUntil(() -> everyoneSees(c, List.of("node1", "node2", "node3")), 2000, "node1 back");
    }

    @Test
    void commands() {
        SimCluster c = up3();
        Node n = c.node(3);
        for (Command cmd : new Command[]{Command.PRIM, Command.SECOND, Command.SWAP, Command.START}) {
            assertThatThrownBy(() -> n.command(cmd)).as(cmd.id()).isInstanceOf(ServiceException.class);
        }
        n.command(Command.RESTART);
        c.runUntil(() -> everyoneSees(c, List.of("node1", "node2", "node3")) && !n.machine().busy(), 1000,
                "restarted");
        n.command(Command.STOP);
        c.runUntil(() -> n.state() == State.STOP && everyoneSees(c, List.of("node1", "node2")), 2000, "stopped");
        assertThatThrownBy(() -> n.command(Command.STOP)).isInstanceOf(ServiceException.class);
        n.crash();
        n.boot();
        c.run(2 * TIMEOUT);
        assertThat(n.state()).isEqualTo(State.STOP); // an operator's stop survives a restart
        n.command(Command.START);
        c.runUntil(() -> everyoneSees(c, List.of("node1", "node2", "node3")), 2000, "started");
        n.command(Command.STOPSTART);
        c.runUntil(() -> n.state() == State.UP && !n.machine().busy()
                && everyoneSees(c, List.of("node1", "node2", "node3")), 2000, "stopstart");
        assertThat(n.changes.stream().map(RoleChange::kind).toList())
                .containsSubsequence(ChangeKind.RELEASE, ChangeKind.ACQUIRE);
    }

    @Test
    void aFailedStartLeavesTheNodeWaitingOutOfTheMembership() {
        SimCluster c = SimCluster.farm(2).build();
        c.node(1).failChanges = true;
        c.nodes.values().forEach(Node::boot);
        c.runUntil(() -> c.node(1).state() == State.WAIT && everyoneSees(c, List.of("node2")), 2000, "node1 out");
        assertThat(c.node(1).machine().reason()).contains("failed");
    }
}
