package io.converge.bench.sidebyside;

import java.time.Duration;

/**
 * What the partition phase measures: how long the cut lasts (with writes on both sides all the
 * while), how many distinct keys diverge per round, how many rounds, and the target.
 *
 * @param partition        how long the isolated node is cut off, writes running throughout
 * @param keys             distinct keys written during the cut per round (see {@link DivergentWorkload})
 * @param valueBytes       string values padded to this length (0: not padded)
 * @param rounds           rounds on the same cluster; the report gives the median and the maximum
 * @param convergeTimeout  how long to wait after the heal before declaring a round not converged
 * @param targetMillis     the goal: every node equal less than this long after the heal
 */
public record PartitionPlan(Duration partition, int keys, int valueBytes, int rounds, Duration convergeTimeout, long targetMillis) {
    /** Issue 4's target: converged within 1 s of the heal. */
    public static final long TARGET_MILLIS = 1_000;

    /** Validates. */
    public PartitionPlan {
        if (partition.isNegative() || partition.isZero() || keys < 10 || valueBytes < 0 || rounds < 1 || convergeTimeout.isNegative()
                || convergeTimeout.isZero() || targetMillis < 1) {
            throw new IllegalArgumentException("partition seconds, rounds and timeouts must be positive, "
                    + "--partition-keys at least 10 and --partition-value-bytes not negative");
        }
    }

    /** A plan with the target and a 60 s convergence timeout. */
    public static PartitionPlan of(Duration partition, int keys, int valueBytes, int rounds) {
        return new PartitionPlan(partition, keys, valueBytes, rounds, Duration.ofSeconds(60), TARGET_MILLIS);
    }
}
