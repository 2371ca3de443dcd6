package io.converge.bench.sidebyside;

import java.util.OptionalLong;

/**
 * A target's memory at one moment, summed over its processes.
 *
 * @param usedMemory {@code used_memory} from INFO memory; empty when not reported
 * @param resident   resident set size; empty where /proc is unavailable
 */
public record MemorySample(OptionalLong usedMemory, OptionalLong resident) {}
