package io.steadfast.config;

/** Transport protocol of a farm rule. YAML: tcp | udp. */
public enum Proto { TCP, UDP }
