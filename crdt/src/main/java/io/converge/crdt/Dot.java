package io.converge.crdt;

/**
 * One event of one replica: the {@code counter}-th event that replica {@code node} generated.
 * Dots identify the adds of observed-remove types; a causal context records which dots a
 * replica has seen.
 */
public record Dot(long node, long counter) implements Comparable<Dot> {

    /** Creates a dot; counters start at 1. */
    public Dot {
        if (counter < 1) {
            throw new IllegalArgumentException("dot counter must be >= 1: " + counter);
        }
    }

    @Override
    public int compareTo(Dot o) {
        int c = Long.compare(node, o.node);
        return c != 0 ? c : Long.compare(counter, o.counter);
    }

    @Override
    public String toString() {
        return node + ":" + counter;
    }
}
