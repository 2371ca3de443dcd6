/**
 * Benchmarks: {@link io.converge.bench.SideBySide}, the side-by-side comparison of a Converge node
 * with redis-server ({@code ./converge bench}, helpers in {@code io.converge.bench.sidebyside}),
 * and JMH micro benchmarks of the CRDT library ({@code ./converge jmh}).
 */
package io.converge.bench;
