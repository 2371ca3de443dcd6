package io.converge.bench.sidebyside;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * What the repair phase measures (issues 8 and 9) and its targets.
 *
 * @param keys           keys every node holds (1,000,000 for the issues' figures)
 * @param valueBytes     length of every value (about 100 bytes: 1,000,000 keys are about 100 MB)
 * @param divergentKeys  keys made to differ on one node for the repair-pass measurement
 * @param rounds         rounds of each measurement; the report gives the median and the maximum
 * @param timeout        how long to wait for a cluster to converge before a round counts as failed
 * @param measurements   which of {@link #MEASUREMENTS} run
 */
public record RepairPlan(int keys, int valueBytes, int divergentKeys, int rounds, Duration timeout,
                         Set<String> measurements) {
    /** The measurements, in the order they run: missed writes, divergent keys, a replaced node. */
    public static final List<String> MEASUREMENTS = List.of("missed", "divergent", "replaced");
    /** Issue 8: divergent keys found and repaired within 5 s of a pass starting. */
    public static final long REPAIR_TARGET_MILLIS = 5_000;
    /** Issue 8: a replica catches up at 50 MB/s or more on loopback. */
    public static final double CATCH_UP_TARGET_MB_PER_SEC = 50;

    /** Validates. */
    public RepairPlan {
        if (keys < 1 || valueBytes < 1 || divergentKeys < 1 || divergentKeys > keys || rounds < 1
                || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("--repair-keys, --repair-value-bytes and rounds must be positive, "
                    + "and --repair-divergent between 1 and --repair-keys");
        }
        measurements = Set.copyOf(measurements);
    }

    /** This plan running only {@code which} of the {@link #MEASUREMENTS}. */
    public RepairPlan only(Set<String> which) {
        return new RepairPlan(keys, valueBytes, divergentKeys, rounds, timeout, which);
    }

    /** Whether measurement {@code name} runs. */
    public boolean runs(String name) {
        return measurements.contains(name);
    }

    /** A plan with a 10-minute convergence timeout. */
    public static RepairPlan of(int keys, int valueBytes, int divergentKeys, int rounds) {
        return new RepairPlan(keys, valueBytes, divergentKeys, rounds, Duration.ofMinutes(10), Set.copyOf(MEASUREMENTS));
    }

    /** The bytes the keys and values of the whole load take (what a replica missing all of it must receive at least). */
    public long payloadBytes() {
        return (long) keys * (KeyLoader.keyName(0, keys).length() + valueBytes);
    }
}
