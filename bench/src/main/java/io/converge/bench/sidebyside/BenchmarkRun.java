package io.converge.bench.sidebyside;

/**
 * The parameters of one redis-benchmark invocation.
 *
 * @param test     redis-benchmark test name as given to {@code -t} ("set", "get", ...)
 * @param clients  parallel connections ({@code -c})
 * @param pipeline requests per pipeline ({@code -P})
 * @param requests total requests ({@code -n})
 * @param keyspace random keys/members drawn from this many ({@code -r})
 */
public record BenchmarkRun(String test, int clients, int pipeline, int requests, int keyspace) {}
