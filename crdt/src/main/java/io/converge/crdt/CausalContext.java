package io.converge.crdt;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.util.Arrays;
import java.util.Iterator;
import java.util.TreeSet;

/**
 * The set of dots a replica has observed, kept compact: a version vector (for each node, every
 * counter up to {@code max} was seen) plus a "dot cloud" of the dots seen beyond a gap.
 *
 * <p>Why the cloud: a delta carries only the dots it concerns (an add's delta has the context
 * {its dot}). If a replica folded such a context straight into its version vector it would
 * claim to have seen the dots in the gap, and an add it has not yet received would later look
 * removed. The cloud holds those dots until the gap fills, then {@link #compact()} folds them in.
 * Deltas normally arrive in order per origin, so the cloud is almost always empty and costs
 * nothing (it is allocated lazily).
 *
 * <p>Mutable and not thread-safe, like every state in this library.
 */
public final class CausalContext {

    private static final int[] NO_NODES = new int[0];
    private static final long[] NO_COUNTERS = new long[0];

    /** Sorted node ids with a contiguous prefix; {@code maxima[i]} is the prefix end of {@code nodes[i]}. */
    private int[] nodes = NO_NODES;
    private long[] maxima = NO_COUNTERS;
    private int size;
    /** Dots seen beyond a gap; null when empty. */
    private TreeSet<Dot> cloud;

    /** Creates an empty context. */
    public CausalContext() {}

    /** The highest counter of {@code node} below which every dot was seen (0 if none). */
    public long contiguousMax(int node) {
        int i = Arrays.binarySearch(nodes, 0, size, node);
        return i >= 0 ? maxima[i] : 0;
    }

    /** Whether the dot was observed. */
    public boolean contains(Dot dot) {
        return contains(dot.node(), dot.counter());
    }

    /** Whether the dot {@code (node, counter)} was observed. */
    public boolean contains(int node, long counter) {
        return counter <= contiguousMax(node) || (cloud != null && cloud.contains(new Dot(node, counter)));
    }

    /**
     * Generates the next dot of {@code node} and records it as seen. Only a replica's own node
     * calls this for its own id, so the result is never in the cloud.
     */
    public Dot next(int node) {
        long c = maxCounter(node) + 1;
        add(node, c);
        return new Dot(node, c);
    }

    /** The highest counter of {@code node} seen anywhere in this context (prefix or cloud). */
    public long maxCounter(int node) {
        long max = contiguousMax(node);
        if (cloud != null) {
            Dot hi = cloud.floor(new Dot(node, Long.MAX_VALUE));
            if (hi != null && hi.node() == node) {
                max = Math.max(max, hi.counter());
            }
        }
        return max;
    }

    /** Records one dot as seen. */
    public void add(Dot dot) {
        add(dot.node(), dot.counter());
    }

    /** Records the dot {@code (node, counter)} as seen. */
    public void add(int node, long counter) {
        long max = contiguousMax(node);
        if (counter <= max) {
            return;
        }
        if (counter == max + 1) {
            setMax(node, counter);
            if (cloud != null) {
                compact();
            }
        } else {
            if (cloud == null) {
                cloud = new TreeSet<>();
            }
            cloud.add(new Dot(node, counter));
        }
    }

    /** Records every dot of {@code node} up to and including {@code counter} as seen. */
    public void addPrefix(int node, long counter) {
        if (counter > contiguousMax(node)) {
            setMax(node, counter);
            if (cloud != null) {
                compact();
            }
        }
    }

    /** Joins another context into this one (set union of the dots). */
    public void merge(CausalContext other) {
        for (int i = 0; i < other.size; i++) {
            addPrefix(other.nodes[i], other.maxima[i]);
        }
        if (other.cloud != null) {
            for (Dot d : other.cloud) {
                add(d);
            }
        }
    }

    /** Folds cloud dots that extend a contiguous prefix into the version vector. */
    public void compact() {
        if (cloud == null) {
            return;
        }
        boolean changed = true;
        while (changed) {
            changed = false;
            Iterator<Dot> it = cloud.iterator();
            while (it.hasNext()) {
                Dot d = it.next();
                long max = contiguousMax(d.node());
                if (d.counter() <= max) {
                    it.remove();
                } else if (d.counter() == max + 1) {
                    setMax(d.node(), d.counter());
                    it.remove();
                    changed = true;
                }
            }
        }
        if (cloud.isEmpty()) {
            cloud = null;
        }
    }

    /** Whether every dot of {@code other} is also in this context. */
    public boolean includes(CausalContext other) {
        for (int i = 0; i < other.size; i++) {
            if (contiguousMax(other.nodes[i]) < other.maxima[i]) {
                // The prefix may still be covered by prefix + cloud; check dot by dot only then.
                for (long c = contiguousMax(other.nodes[i]) + 1; c <= other.maxima[i]; c++) {
                    if (!contains(other.nodes[i], c)) {
                        return false;
                    }
                }
            }
        }
        if (other.cloud != null) {
            for (Dot d : other.cloud) {
                if (!contains(d)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether no dot was observed. */
    public boolean isEmpty() {
        return size == 0 && cloud == null;
    }

    /** Number of nodes in the version-vector part. */
    public int nodeCount() {
        return size;
    }

    /** Node id at position {@code i} of the version-vector part (ascending). */
    public int nodeAt(int i) {
        return nodes[i];
    }

    /** Contiguous maximum at position {@code i} of the version-vector part. */
    public long maxAt(int i) {
        return maxima[i];
    }

    /** Number of dots in the cloud. */
    public int cloudSize() {
        return cloud == null ? 0 : cloud.size();
    }

    /** A deep copy. */
    public CausalContext copy() {
        CausalContext c = new CausalContext();
        c.nodes = Arrays.copyOf(nodes, size);
        c.maxima = Arrays.copyOf(maxima, size);
        c.size = size;
        c.cloud = cloud == null ? null : new TreeSet<>(cloud);
        return c;
    }

    /** Writes this context: varint count, (node, max) pairs, varint cloud size, cloud dots. */
    public void encode(CrdtWriter w) {
        w.writeVarInt(size);
        for (int i = 0; i < size; i++) {
            w.writeVarInt(nodes[i]);
            w.writeVarLong(maxima[i]);
        }
        w.writeVarInt(cloudSize());
        if (cloud != null) {
            for (Dot d : cloud) {
                w.writeVarInt(d.node());
                w.writeVarLong(d.counter());
            }
        }
    }

    /** Reads a context written by {@link #encode}. */
    public static CausalContext decode(CrdtReader r) {
        CausalContext c = new CausalContext();
        int n = r.readCount();
        for (int i = 0; i < n; i++) {
            int node = r.readVarInt();
            long max = r.readVarLong();
            if (max < 0) {
                throw new CrdtCodecException("negative version-vector entry");
            }
            c.addPrefix(node, max);
        }
        int clouds = r.readCount();
        for (int i = 0; i < clouds; i++) {
            int node = r.readVarInt();
            long counter = r.readVarLong();
            if (counter < 1) {
                throw new CrdtCodecException("dot counter must be >= 1");
            }
            c.add(node, counter);
        }
        return c;
    }

    private void setMax(int node, long counter) {
        int i = Arrays.binarySearch(nodes, 0, size, node);
        if (i >= 0) {
            maxima[i] = counter;
            return;
        }
        int at = -i - 1;
        if (size == nodes.length) {
            int cap = Math.max(4, size * 2);
            nodes = Arrays.copyOf(nodes, cap);
            maxima = Arrays.copyOf(maxima, cap);
        }
        System.arraycopy(nodes, at, nodes, at + 1, size - at);
        System.arraycopy(maxima, at, maxima, at + 1, size - at);
        nodes[at] = node;
        maxima[at] = counter;
        size++;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof CausalContext other)) {
            return false;
        }
        CausalContext a = copy();
        CausalContext b = other.copy();
        a.compact();
        b.compact();
        return Arrays.equals(a.nodes, 0, a.size, b.nodes, 0, b.size)
                && Arrays.equals(a.maxima, 0, a.size, b.maxima, 0, b.size)
                && java.util.Objects.equals(a.cloud, b.cloud);
    }

    @Override
    public int hashCode() {
        CausalContext a = copy();
        a.compact();
        return 31 * Arrays.hashCode(Arrays.copyOf(a.nodes, a.size)) + Arrays.hashCode(Arrays.copyOf(a.maxima, a.size))
                + (a.cloud == null ? 0 : a.cloud.hashCode());
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < size; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(nodes[i]).append("<=").append(maxima[i]);
        }
        if (cloud != null) {
            sb.append(" cloud=").append(cloud);
        }
        return sb.append('}').toString();
    }
}
