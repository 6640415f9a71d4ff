package io.steadfast.config;

/** Checker kinds. YAML: tcp | http | ping | interface | ip | custom | module | witness. */
public enum CheckerType { TCP, HTTP, PING, INTERFACE, IP, CUSTOM, MODULE, WITNESS }
