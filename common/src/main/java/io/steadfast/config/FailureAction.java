package io.steadfast.config;

/** Failover rule applied when a checker goes down. YAML: restart | stopstart | wait | stop | none. */
public enum FailureAction { RESTART, STOPSTART, WAIT, STOP, NONE }
