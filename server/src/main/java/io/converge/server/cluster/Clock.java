package io.converge.server.cluster;

/**
 * A source of "now" in milliseconds, injected everywhere time matters so the same replication
 * and repair code runs on the wall clock in production and on a simulated clock in tests.
 */
@FunctionalInterface
public interface Clock {

    /** The current time in milliseconds (monotone non-decreasing for a given clock). */
    long nowMillis();

    /** The production clock: a monotone millisecond clock based on {@link System#nanoTime()}. */
    static Clock system() {
        return SystemClock.INSTANCE;
    }
}
