package io.steadfast.heartbeat.impl;

import java.util.Optional;

/** Where a module's {@link Persisted} state lives. {@link #save} returns only once the state is durable. */
public interface StateStore {
    Optional<Persisted> load(String module);

    void save(String module, Persisted state);
}
