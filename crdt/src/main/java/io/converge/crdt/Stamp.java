package io.converge.crdt;

/**
 * The unique, totally ordered timestamp of one write: an HLC timestamp, ties broken on the id of
 * the replica that stamped it. This is the order every last-writer-wins part of the library uses.
 *
 * <p>A replica id is a non-negative {@code long} naming a replica <em>incarnation</em> (the server
 * puts the cluster node id in its low 16 bits); the one negative node is {@link #MIN_NODE}. States
 * store stamps inline as two {@code long}s and compare them with {@link #compare(long, long,
 * long, long)}, so no {@code Stamp} is allocated on hot paths; this record is for APIs and tests.
 * The stamp {@code (0, 0)} means "none": real writes have an HLC greater than zero.
 */
public record Stamp(long hlc, long node) implements Comparable<Stamp> {

    /** The "no write" stamp, lower than every real one. */
    public static final Stamp NONE = new Stamp(0, 0);

    /**
     * A node below every replica id, for stamps that no replica wrote and that must lose every
     * tie: the watermark of an expiry purge ({@link KeyState#purgeExpired}).
     */
    public static final long MIN_NODE = Long.MIN_VALUE;

    /** Compares stamp {@code (hlc1, node1)} with {@code (hlc2, node2)}: HLC first, then node id. */
    public static int compare(long hlc1, long node1, long hlc2, long node2) {
        int c = Long.compare(hlc1, hlc2);
        return c != 0 ? c : Long.compare(node1, node2);
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
