package io.converge.crdt;

/**
 * A source of physical time in milliseconds since the Unix epoch. Injectable so tests and the
 * deterministic simulator can drive the {@link HybridLogicalClock} with skewed or frozen time.
 */
@FunctionalInterface
public interface PhysicalClock {

    /** The wall clock of this JVM ({@link System#currentTimeMillis()}). */
    PhysicalClock SYSTEM = System::currentTimeMillis;

    /** Current physical time in milliseconds since the epoch. */
    long millis();
}
