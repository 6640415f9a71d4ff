package io.steadfast.heartbeat.impl;

import io.steadfast.api.CheckerApi.Script;
import io.steadfast.api.State;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The node-local requests a role change is made of. Each completes normally when the service did it, and
 * exceptionally with a message fit for an operator (including "did not answer" when the service is down or
 * timed out). The verticle binds them to event-bus requests with timeouts; tests bind them to fakes.
 */
public interface RoleSteps {
    CompletionStage<Void> promote(String module, Optional<String> peer, String generation, boolean fullsync);

    CompletionStage<Void> demote(String module, Optional<String> peer, String generation, boolean fullsync);

    /**
     * As {@link #demote(String, Optional, String, boolean)}; with {@code keepCopyAt}, the replicated directories as
     * they are are first copied there (a split brain's follower keeps its diverged copy), and the demote fails when
     * the copy cannot be made.
     */
    default CompletionStage<Void> demote(String module, Optional<String> peer, String generation, boolean fullsync,
                                         Optional<String> keepCopyAt) {
        if (keepCopyAt.isPresent()) {
            return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException(
                    "keeping a diverged copy is not supported here"));
        }
        return demote(module, peer, generation, fullsync);
    }

    CompletionStage<Void> vipUp(String module);

    CompletionStage<Void> vipDown(String module);

    /** Completes exceptionally when the script failed or timed out; a script that is not configured succeeds. */
    CompletionStage<Void> script(String module, Script script, State current, State next, String action,
                                 boolean force);
}
