package io.converge.bench.sidebyside;

/**
 * One test's result as redis-benchmark reports it in CSV (latencies in milliseconds; a column
 * missing from the output is {@link Double#NaN}).
 *
 * @param test the test name as redis-benchmark prints it ("SET", "GET", ...)
 * @param rps  requests per second
 */
public record BenchmarkRow(String test, double rps, double avgMs, double minMs, double p50Ms,
                           double p95Ms, double p99Ms, double maxMs) {}
