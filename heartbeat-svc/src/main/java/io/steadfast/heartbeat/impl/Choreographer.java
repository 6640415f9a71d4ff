package io.steadfast.heartbeat.impl;

import io.steadfast.api.CheckerApi.Script;
import io.steadfast.api.State;
import io.steadfast.config.ModuleConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Turns a {@link RoleChange} into ordered steps (DESIGN §1):
 * <ul>
 * <li>mirror, becoming primary: replication promote (only with {@code replication}) → VIP up and prestart (at
 * once) → start_prim; a failed step rolls back what was done or attempted (stop_prim with force, VIP down, demote);</li>
 * <li>mirror, leaving: stop_prim (graceful, then {@code force} if it failed) → VIP down → demote (→ poststop when
 * stopping). Every step is attempted even after a failure, so that the VIP never stays behind;</li>
 * <li>mirror fence / unfence: VIP down / VIP up only (the application keeps running);</li>
 * <li>farm: prestart → start_both → VIP up; leaving: VIP down first (no new traffic) → stop_both → poststop.</li>
 * </ul>
 * The result completes exceptionally with the reason of the first failure.
 */
public final class Choreographer {
    private static final Logger LOG = LoggerFactory.getLogger(Choreographer.class);

    private final RoleSteps steps;

    public Choreographer(RoleSteps steps) {
        this.steps = steps;
    }

    public CompletionStage<Void> run(ModuleConfig m, RoleChange c) {
        LOG.info("{}: {} {} -> {} ({})", m.name(), c.kind(), c.from(), c.to(), c.action());
        CompletionStage<Void> result = m.isMirror() ? mirror(m, c) : farm(m, c);
        return result.whenComplete((v, e) -> {
            if (e == null) {
                LOG.info("{}: {} to {} done", m.name(), c.kind(), c.to());
            } else {
                LOG.warn("{}: {} to {} failed: {}", m.name(), c.kind(), c.to(), message(e));
            }
        });
    }

    private CompletionStage<Void> mirror(ModuleConfig m, RoleChange c) {
        boolean repl = m.replication().isPresent();
        String mod = m.name();
        return switch (c.kind()) {
            case ACQUIRE -> {
                List<Supplier<CompletionStage<Void>>> undo = new ArrayList<>();
                Sequence seq = new Sequence(mod);
                if (repl) {
                    seq.then("replication promote", () -> steps.promote(mod, c.peer(), c.generation(), c.fullsync()),
                            undo, () -> steps.demote(mod, java.util.Optional.empty(), c.generation(), false));
                }
                // VIP up and prestart are independent (prestart runs after the promote: it may clean the data
                // directory): at once, so the takeover path pays only the longer of the two
                seq.thenBoth(named("VIP up", () -> steps.vipUp(mod)), () -> steps.vipDown(mod),
                        named("prestart", () -> script(c, mod, Script.PRESTART, false)), null, undo);
                seq.then("start_prim", () -> script(c, mod, Script.START_PRIM, false), undo,
                        () -> stopTwice(c, mod, Script.STOP_PRIM, true));
                yield seq.run(undo);
            }
            case RELEASE -> bestEffort(mod, List.of(
                    named("stop_prim", () -> stopTwice(c, mod, Script.STOP_PRIM, c.force())),
                    named("VIP down", () -> steps.vipDown(mod)),
                    named("replication demote", () -> repl
                            ? steps.demote(mod, c.to() == State.SECOND ? c.peer() : java.util.Optional.empty(),
                            c.generation(), c.fullsync(), c.keepCopyAt())
                            : done()),
                    named("poststop", () -> c.to() == State.STOP ? script(c, mod, Script.POSTSTOP, false) : done())));
            case RESTART -> {
                CompletionStage<Void> r = stopTwice(c, mod, Script.STOP_PRIM, false)
                        .thenCompose(v -> script(c, mod, Script.PRESTART, false))
                        .thenCompose(v -> script(c, mod, Script.START_PRIM, false));
                // a failed restart leaves the primary role entirely: the machine goes WAIT
                yield r.handle((v, e) -> e == null ? done() : bestEffort(mod, List.of(
                        named("stop_prim", () -> stopTwice(c, mod, Script.STOP_PRIM, true)),
                        named("VIP down", () -> steps.vipDown(mod)),
                        named("replication demote", () -> repl
                                ? steps.demote(mod, java.util.Optional.empty(), c.generation(), false) : done())))
                        .thenCompose(x -> CompletableFuture.<Void>failedFuture(new StepFailed("restart: "
                                + message(e))))).thenCompose(x -> x);
            }
            case DEMOTE -> repl ? step(mod, "replication demote", () -> steps.demote(mod, c.peer(), c.generation(),
                    c.fullsync(), c.keepCopyAt()))
                    : done();
            case FENCE -> step(mod, "VIP down (fence)", () -> steps.vipDown(mod));
            case UNFENCE -> step(mod, "VIP up (fence lifted)", () -> steps.vipUp(mod));
        };
    }

    private CompletionStage<Void> farm(ModuleConfig m, RoleChange c) {
        String mod = m.name();
        return switch (c.kind()) {
            case ACQUIRE -> {
                List<Supplier<CompletionStage<Void>>> undo = new ArrayList<>();
                Sequence seq = new Sequence(mod);
                seq.then("prestart", () -> script(c, mod, Script.PRESTART, false), undo, null);
                seq.then("start_both", () -> script(c, mod, Script.START_BOTH, false), undo,
                        () -> stopTwice(c, mod, Script.STOP_BOTH, true));
                seq.then("VIP up", () -> steps.vipUp(mod), undo, () -> steps.vipDown(mod));
                yield seq.run(undo);
            }
            case RELEASE -> bestEffort(mod, List.of(
                    named("VIP down", () -> steps.vipDown(mod)),
                    named("stop_both", () -> stopTwice(c, mod, Script.STOP_BOTH, c.force())),
                    named("poststop", () -> c.to() == State.STOP ? script(c, mod, Script.POSTSTOP, false) : done())));
            case RESTART -> stopTwice(c, mod, Script.STOP_BOTH, false)
                    .thenCompose(v -> script(c, mod, Script.START_BOTH, false));
            case DEMOTE, FENCE, UNFENCE -> done(); // mirror-only changes
        };
    }

    /** A stop script: graceful, then again with {@code force} if it failed (or straight with force). */
    private CompletionStage<Void> stopTwice(RoleChange c, String mod, Script s, boolean forceOnly) {
        if (forceOnly) {
            return script(c, mod, s, true);
        }
        return script(c, mod, s, false).handle((v, e) -> {
            if (e == null) {
                return done();
            }
            LOG.warn("{}: {} failed ({}); calling it again with force", mod, s, message(e));
            return script(c, mod, s, true);
        }).thenCompose(x -> x);
    }

    private CompletionStage<Void> script(RoleChange c, String mod, Script s, boolean force) {
        return label(s.name().toLowerCase() + (force ? " (force)" : ""),
                () -> steps.script(mod, s, c.from(), c.to(), c.action(), force));
    }

    private record Named(String name, Supplier<CompletionStage<Void>> step) {
    }

    private static Named named(String name, Supplier<CompletionStage<Void>> step) {
        return new Named(name, step);
    }

    /** Runs every step in order whatever happens; fails with the first failure after all ran. */
    private static CompletionStage<Void> bestEffort(String mod, List<Named> all) {
        CompletionStage<List<String>> acc = CompletableFuture.completedFuture(new ArrayList<>());
        for (Named n : all) {
            acc = acc.thenCompose(errors -> step(mod, n.name(), n.step()).handle((v, e) -> {
                if (e != null) {
                    errors.add(message(e));
                }
                return errors;
            }));
        }
        return acc.thenCompose(errors -> errors.isEmpty() ? done()
                : CompletableFuture.failedFuture(new StepFailed(String.join("; ", errors))));
    }

    /** Steps in order; on a failure, the undo actions of the steps already done run in reverse order. */
    private static final class Sequence {
        private final String mod;
        private CompletionStage<Void> chain = done();

        Sequence(String mod) {
            this.mod = mod;
        }

        void then(String name, Supplier<CompletionStage<Void>> step, List<Supplier<CompletionStage<Void>>> undo,
                  Supplier<CompletionStage<Void>> undoThis) {
            // the undo is registered before the step runs: a step that failed half-way (an app half started, a
            // VIP added but not announced) is undone too; every undo is idempotent
            chain = chain.thenCompose(v -> {
                if (undoThis != null) {
                    undo.add(undoThis);
                }
                return step(mod, name, step);
            });
        }

        /** Two independent steps at once (their undos registered first); fails with the first failure after both ended. */
        void thenBoth(Named a, Supplier<CompletionStage<Void>> undoA, Named b, Supplier<CompletionStage<Void>> undoB,
                      List<Supplier<CompletionStage<Void>>> undo) {
            chain = chain.thenCompose(v -> {
                if (undoA != null) {
                    undo.add(undoA);
                }
                if (undoB != null) {
                    undo.add(undoB);
                }
                CompletableFuture<Void> fa = step(mod, a.name(), a.step()).toCompletableFuture();
                CompletableFuture<Void> fb = step(mod, b.name(), b.step()).toCompletableFuture();
                return CompletableFuture.allOf(fa, fb).handle((x, e) -> e == null ? done()
                        : fa.isCompletedExceptionally() ? fa : fb).thenCompose(y -> y);
            });
        }

        CompletionStage<Void> run(List<Supplier<CompletionStage<Void>>> undo) {
            return chain.handle((v, e) -> {
                if (e == null) {
                    return done();
                }
                String why = message(e);
                CompletionStage<Void> rollback = done();
                for (int i = undo.size() - 1; i >= 0; i--) {
                    Supplier<CompletionStage<Void>> u = undo.get(i);
                    rollback = rollback.thenCompose(x -> call(u).handle((y, ue) -> {
                        if (ue != null) {
                            LOG.warn("rollback step failed: {}", message(ue));
                        }
                        return null;
                    }));
                }
                return rollback.thenCompose(x -> CompletableFuture.<Void>failedFuture(new StepFailed(why)));
            }).thenCompose(x -> x);
        }
    }

    private static CompletionStage<Void> call(Supplier<CompletionStage<Void>> s) {
        try {
            return s.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Runs one step, logs how long it took (the takeover path is measured step by step: DESIGN's target for it is
     * 150 ms) and names it in a failure.
     */
    private static CompletionStage<Void> step(String mod, String name, Supplier<CompletionStage<Void>> step) {
        long t0 = System.nanoTime();
        return label(name, step).whenComplete((v, e) -> LOG.info("{}:   {} {} in {} ms", mod, name,
                e == null ? "done" : "failed", (System.nanoTime() - t0) / 1_000_000));
    }

    /** Runs one step and names it in a failure. */
    private static CompletionStage<Void> label(String name, Supplier<CompletionStage<Void>> step) {
        return call(step).handle((v, e) -> {
            if (e == null) {
                return done();
            }
            Throwable cause = unwrap(e);
            return CompletableFuture.<Void>failedFuture(cause instanceof StepFailed sf && sf.getMessage().startsWith(name)
                    ? sf : new StepFailed(name + ": " + cause.getMessage()));
        }).thenCompose(x -> x);
    }

    private static CompletionStage<Void> done() {
        return CompletableFuture.completedFuture(null);
    }

    static Throwable unwrap(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    public static String message(Throwable e) {
        return String.valueOf(unwrap(e).getMessage());
    }

    /** A step that failed, with the operator-facing reason. */
    public static final class StepFailed extends RuntimeException {
        public StepFailed(String message) {
            super(message, null, false, false);
        }
    }
}
