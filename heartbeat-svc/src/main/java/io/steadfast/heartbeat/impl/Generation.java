package io.steadfast.heartbeat.impl;

import java.security.SecureRandom;

/**
 * Data generations: {@code <13-digit epoch ms>-<random>}, so that the string order is the order in which nodes
 * started writing alone (across nodes this relies on clocks agreeing within the time between two such starts,
 * which are separated by at least a failure-detection timeout). "" (fresh) sorts before every generation.
 */
public final class Generation {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Generation() {
    }

    public static String next(long now) {
        return String.format("%013d-%08x", now, RANDOM.nextInt());
    }

    public static String newest(String a, String b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
