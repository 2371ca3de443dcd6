package io.converge.bench.sidebyside;

/**
 * The targets a system under test should meet relative to the baseline (redis-server).
 *
 * @param minRpsRatioUnpipelined lowest acceptable throughput ratio at pipeline depth 1
 * @param minRpsRatioPipelined   lowest acceptable throughput ratio at pipeline depths above 1
 * @param maxP99Ratio            highest acceptable ratio of 99th-percentile latencies
 * @param maxUsedMemoryRatio     highest acceptable ratio of {@code used_memory} after the key load
 */
public record PerformanceGoal(double minRpsRatioUnpipelined, double minRpsRatioPipelined,
                              double maxP99Ratio, double maxUsedMemoryRatio) {

    /** Issue 3's targets for a single Converge node. */
    public static final PerformanceGoal SINGLE_NODE = new PerformanceGoal(0.9, 0.7, 1.5, 2.5);

    /** The lowest acceptable throughput ratio at the given pipeline depth. */
    public double minRpsRatio(int pipeline) {
        return pipeline <= 1 ? minRpsRatioUnpipelined : minRpsRatioPipelined;
    }
}
