package io.converge.crdt;

/**
 * The unique, totally ordered timestamp of one write: an HLC timestamp, ties broken on the id of
 * the node that stamped it. This is the order every last-writer-wins part of the library uses.
 *
 * <p>States store stamps inline as a {@code long} and an {@code int} and compare them with
 * {@link #compare(long, int, long, int)}, so no {@code Stamp} is allocated on hot paths; this
 * record is for APIs and tests. The stamp {@code (0, 0)} means "none": real writes have an HLC
 * greater than zero.
 */
public record Stamp(long hlc, int node) implements Comparable<Stamp> {

    /** The "no write" stamp, lower than every real one. */
    public static final Stamp NONE = new Stamp(0, 0);

    /** Compares stamp {@code (hlc1, node1)} with {@code (hlc2, node2)}: HLC first, then node id. */
    public static int compare(long hlc1, int node1, long hlc2, int node2) {
        int c = Long.compare(hlc1, hlc2);
        return c != 0 ? c : Integer.compare(node1, node2);
    }

    @Override
    public int compareTo(Stamp o) {
        return compare(hlc, node, o.hlc, o.node);
    }

    @Override
    public String toString() {
        return Hlc.toString(hlc) + "@" + node;
    }
}
