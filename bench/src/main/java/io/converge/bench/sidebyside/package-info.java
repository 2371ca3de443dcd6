/**
 * The parts of {@code ./converge bench}: starting servers under test ({@link
 * io.converge.bench.sidebyside.TargetSpec}, {@link io.converge.bench.sidebyside.ServerProcess}),
 * running and parsing redis-benchmark ({@link io.converge.bench.sidebyside.RedisBenchmark},
 * {@link io.converge.bench.sidebyside.BenchmarkCsv}), the memory comparison ({@link
 * io.converge.bench.sidebyside.MemoryRun}) and the markdown report ({@link
 * io.converge.bench.sidebyside.Report}).
 */
package io.converge.bench.sidebyside;
