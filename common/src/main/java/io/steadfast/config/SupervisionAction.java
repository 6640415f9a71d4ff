package io.steadfast.config;

/** What process supervision does when a process count leaves its bounds. YAML: restart | stopstart | stop. */
public enum SupervisionAction { RESTART, STOPSTART, STOP }
