package io.converge.bench.sidebyside;

import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.stream.DoubleStream;
import java.util.stream.LongStream;

/** Median and extremes of per-round figures, leaving out rounds without one (a negative time, a NaN rate). */
final class RoundFigures {
    private RoundFigures() {}

    /** The median of the non-negative values (the mean of the middle two, rounded down, for an even count). */
    static OptionalLong median(LongStream values) {
        long[] sorted = values.filter(v -> v >= 0).sorted().toArray();
        if (sorted.length == 0) {
            return OptionalLong.empty();
        }
        int mid = sorted.length / 2;
        return OptionalLong.of(sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2);
    }

    /** The largest non-negative value. */
    static OptionalLong max(LongStream values) {
        return values.filter(v -> v >= 0).max();
    }

    /** The median of the values that are not NaN. */
    static OptionalDouble median(DoubleStream values) {
        double[] sorted = values.filter(v -> !Double.isNaN(v)).sorted().toArray();
        if (sorted.length == 0) {
            return OptionalDouble.empty();
        }
        int mid = sorted.length / 2;
        return OptionalDouble.of(sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2);
    }

    /** The smallest value that is not NaN. */
    static OptionalDouble min(DoubleStream values) {
        return values.filter(v -> !Double.isNaN(v)).min();
    }
}
