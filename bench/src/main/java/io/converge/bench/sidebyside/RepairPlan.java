package io.converge.bench.sidebyside;

import java.time.Duration;

/**
 * What the repair phase measures (issues 8 and 9) and its targets.
 *
 * @param keys           keys every node holds (1,000,000 for the issues' figures)
 * @param valueBytes     length of every value (about 100 bytes: 1,000,000 keys are about 100 MB)
 * @param divergentKeys  keys made to differ on one node for the repair-pass measurement
 * @param rounds         rounds of each measurement; the report gives the median and the maximum
 * @param timeout        how long to wait for a cluster to converge before a round counts as failed
 */
public record RepairPlan(int keys, int valueBytes, int divergentKeys, int rounds, Duration timeout) {
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
    }

    /** A plan with a 10-minute convergence timeout. */
    public static RepairPlan of(int keys, int valueBytes, int divergentKeys, int rounds) {
        return new RepairPlan(keys, valueBytes, divergentKeys, rounds, Duration.ofMinutes(10));
    }

    /** The bytes the keys and values of the whole load take (what a replica missing all of it must receive at least). */
    public long payloadBytes() {
        return (long) keys * (KeyLoader.keyName(0, keys).length() + valueBytes);
    }
}
