package io.steadfast.config;

/** Kind of module. YAML: {@code mirror} (active/passive, 2 nodes) | {@code farm} (active/active, 2+ nodes). */
public enum ModuleType { MIRROR, FARM }
