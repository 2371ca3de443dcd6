package io.converge.bench.sidebyside;

import java.util.List;

/**
 * What one redis-benchmark invocation produced: its result rows, or why there are none.
 *
 * @param rows  parsed CSV rows (usually one; empty on failure)
 * @param error null on success, else a one-line reason ("Error from server: ERR unknown command ...")
 */
public record BenchmarkOutcome(List<BenchmarkRow> rows, String error) {
    /** Copies the rows. */
    public BenchmarkOutcome {
        rows = List.copyOf(rows);
    }

    /** A successful run. */
    public static BenchmarkOutcome ok(List<BenchmarkRow> rows) {
        return new BenchmarkOutcome(rows, null);
    }

    /** A failed run. */
    public static BenchmarkOutcome failed(String error) {
        return new BenchmarkOutcome(List.of(), error);
    }

    /** Whether it produced results. */
    public boolean isOk() {
        return error == null;
    }
}
