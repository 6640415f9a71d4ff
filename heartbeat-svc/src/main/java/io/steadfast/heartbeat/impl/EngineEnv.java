package io.steadfast.heartbeat.impl;

/**
 * What a {@link ModuleEngine} needs from its surroundings: clocks, a datagram sender, durable storage, and the
 * asynchronous workers (choreography, witness) whose answers come back on the engine's thread. The production
 * implementation is {@code HeartbeatRuntime}; unit tests use a fake network and a fake clock.
 */
public interface EngineEnv {
    /** Wall clock, ms since the epoch (send times, generations, persisted loop times). */
    long wall();

    /** Monotonic ms (liveness): never jumps with the wall clock. */
    long mono();

    /**
     * Sends a beat to {@code peer} at {@code host:port} on {@code lan}. When the peer's host refuses it (ICMP port
     * unreachable), report {@link ModuleEngine#onRefused} on the engine thread.
     */
    void send(ModuleEngine engine, String peer, String lan, String host, int port, byte[] datagram);

    /** Durable when it returns. */
    void persist(String module, Persisted state);

    /** Run it; answer {@link ModuleEngine#roleDone} / {@link ModuleEngine#roleFailed} on the engine thread. */
    void roleChange(ModuleEngine engine, RoleChange change);

    /** Ask the witness; answer {@link ModuleEngine#witnessResult} on the engine thread. */
    void checkWitness(ModuleEngine engine, long token);

    void transition(Transition t);

    /** The module's public state (ModuleState, desired role, members) changed. */
    void stateChanged(ModuleEngine engine);
}
