package io.steadfast.config;

/**
 * How the farm filter hashes a client. YAML: {@code on_addr} = client IP (affinity, for stateful apps);
 * {@code on_port} = client IP + source port (stateless apps, finer spread).
 */
public enum FilterMode { ON_ADDR, ON_PORT }
