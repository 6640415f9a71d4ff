package io.steadfast.config;

/**
 * When the secondary acknowledges a replicated write. YAML: {@code second} = on receipt, written right after
 * (default); {@code none} = only after its own write (and fsync when the application fsyncs).
 */
public enum AsyncMode { SECOND, NONE }
