package io.converge.server.cluster.sim;

/**
 * How the simulated network treats each message: lost with probability {@code lossRate},
 * delivered twice with probability {@code duplicateRate}, and delayed by a uniformly random
 * {@code [minDelayMillis, maxDelayMillis]} (different delays reorder messages).
 *
 * @param lossRate       probability a message is lost, 0..1
 * @param duplicateRate  probability a delivered message arrives twice, 0..1
 * @param minDelayMillis smallest delivery delay
 * @param maxDelayMillis largest delivery delay
 */
public record NetworkConditions(double lossRate, double duplicateRate, long minDelayMillis, long maxDelayMillis) {

    /** Validates the ranges. */
    public NetworkConditions {
        if (lossRate < 0 || lossRate > 1 || duplicateRate < 0 || duplicateRate > 1 || minDelayMillis < 0
                || maxDelayMillis < minDelayMillis) {
            throw new IllegalArgumentException("invalid network conditions: " + lossRate + ", " + duplicateRate + ", "
                    + minDelayMillis + ".." + maxDelayMillis);
        }
    }

    /** No loss, no duplication, a fixed 1 ms delay (so per-pair FIFO). */
    public static NetworkConditions reliable() {
        return new NetworkConditions(0, 0, 1, 1);
    }

    /** Loss and duplication at the given rates with delays of 1..20 ms (reordering). */
    public static NetworkConditions faulty(double lossRate, double duplicateRate) {
        return new NetworkConditions(lossRate, duplicateRate, 1, 20);
    }
}
