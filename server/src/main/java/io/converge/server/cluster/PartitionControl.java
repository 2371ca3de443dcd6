package io.converge.server.cluster;

import java.util.Collection;
import java.util.SortedSet;

/**
 * Network partitions on demand ({@code CONVERGE PARTITION} / {@code CONVERGE HEAL}), for chaos
 * tests and benchmarks: cut this node off from other nodes as a network failure would.
 */
public interface PartitionControl {

    /**
     * Cuts this node off from {@code nodeIds} (added to any existing cut). Throws
     * {@link IllegalArgumentException}, changing nothing, if an id is this node's or not a member.
     */
    void partition(Collection<Integer> nodeIds);

    /** Lifts the cut for {@code nodeIds} (every node when empty); returns the nodes it was lifted for. */
    SortedSet<Integer> heal(Collection<Integer> nodeIds);

    /** The nodes this node is cut off from, ascending. */
    SortedSet<Integer> partitionedFrom();
}
