package io.converge.bench.sidebyside;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;

/**
 * One target's memory comparison: memory when empty and after loading the keys.
 *
 * @param target   target name
 * @param keys     keys loaded
 * @param empty    memory before loading (null if the run failed before measuring)
 * @param loaded   memory after loading (null if loading failed)
 * @param dbSize   DBSIZE after loading, empty when unsupported
 * @param loadTime how long loading took (null if it did not run)
 * @param notes    caveats to print (GC not forced, INFO memory unsupported, ...)
 * @param error    why the comparison is incomplete, or null
 */
public record MemoryResult(String target, int keys, MemorySample empty, MemorySample loaded, OptionalLong dbSize,
                           Duration loadTime, List<String> notes, String error) {
    /** Copies the notes. */
    public MemoryResult {
        notes = List.copyOf(notes);
    }

    /** Bytes per key of a metric: (loaded - empty) / keys, or NaN when either is unknown. */
    public double perKey(java.util.function.Function<MemorySample, OptionalLong> metric) {
        if (empty == null || loaded == null) {
            return Double.NaN;
        }
        OptionalLong before = metric.apply(empty);
        OptionalLong after = metric.apply(loaded);
        if (before.isEmpty() || after.isEmpty()) {
            return Double.NaN;
        }
        return (double) (after.getAsLong() - before.getAsLong()) / keys;
    }
}
