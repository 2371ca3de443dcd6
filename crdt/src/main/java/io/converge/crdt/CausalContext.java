package io.converge.crdt;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.util.Arrays;

/**
 * The set of dots a replica has observed, kept compact: a version vector (for each node, every
 * counter up to {@code max} was seen) plus a "dot cloud" of the dots seen beyond a gap.
 *
 * <p>Why the cloud: a delta carries only the dots it concerns (an add's delta has the context
 * {its dot}). If a replica folded such a context straight into its version vector it would
 * claim to have seen the dots in the gap, and an add it has not yet received would later look
 * removed. The cloud holds those dots until the gap fills, then they fold into the vector.
 *
 * <p><b>Layout.</b> Both parts are primitive arrays, so the contexts that every delta carries
 * (usually one or two dots, beyond a gap as seen from an empty context) cost one small array and
 * no per-dot objects. The cloud is a sorted list of <em>runs</em>: maximal intervals of
 * consecutive counters of one node, three longs each ({@code node, first, last}) in one array.
 * Runs keep a large cloud small too: dots that arrive after a missing one extend a single run.
 * Look-ups binary-search the runs; inserting a run shifts the ones after it, which is cheap
 * because a cloud rarely has more than a few runs (one per gap). Merging a context with many
 * runs is a linear merge of the two sorted lists.
 *
 * <p><b>Normal form</b>, restored by every mutator, so the representation of a set of dots is
 * unique ({@link #equals} compares arrays) and {@link #includes} needs no dot-by-dot walk:
 * <ul>
 *   <li>the vector lists, by ascending node, the nodes whose dot 1 was seen, each with the
 *       largest {@code max} such that dots {@code 1..max} were all seen;
 *   <li>runs are sorted by (node, first), disjoint and not adjacent (a gap of at least one
 *       counter separates two runs of a node), and every run starts above its node's
 *       {@code max + 1} (otherwise it would have been folded into the vector).
 * </ul>
 *
 * <p>Mutable and not thread-safe, like every state in this library.
 */
public final class CausalContext {

    private static final long[] NO_LONGS = new long[0];
    /** Longs per cloud run: node, first counter, last counter. */
    private static final int RUN = 3;
    /** Runs allocated at first need: a write's delta context usually holds one or two dots. */
    private static final int INITIAL_RUNS = 2;
    /** Up to this many incoming runs are inserted one by one; more are merged linearly. */
    private static final int INSERT_MAX = 8;

    /** Sorted node ids with a contiguous prefix; {@code maxima[i]} is the prefix end of {@code nodes[i]}. */
    private long[] nodes = NO_LONGS;
    private long[] maxima = NO_LONGS;
    private int size;
    /** Cloud runs, {@link #RUN} longs each (see the class comment); {@code runCount} in use. */
    private long[] runs = NO_LONGS;
    private int runCount;

    /** Creates an empty context. */
    public CausalContext() {}

    /** The highest counter of {@code node} below which every dot was seen (0 if none). */
    public long contiguousMax(long node) {
        int i = Arrays.binarySearch(nodes, 0, size, node);
        return i >= 0 ? maxima[i] : 0;
    }

    /** Whether the dot was observed. */
    public boolean contains(Dot dot) {
        return contains(dot.node(), dot.counter());
    }

    /** Whether the dot {@code (node, counter)} was observed. */
    public boolean contains(long node, long counter) {
        if (counter <= contiguousMax(node)) {
            return true;
        }
        if (runCount == 0) {
            return false;
        }
        int r = floorRun(node, counter);
        return r >= 0 && runNode(r) == node && runLast(r) >= counter;
    }

    /**
     * Generates the next dot of {@code node} and records it as seen. Only a replica's own node
     * calls this for its own id, so the result is never in the cloud.
     */
    public Dot next(long node) {
        long c = maxCounter(node) + 1;
        add(node, c);
        return new Dot(node, c);
    }

    /** The highest counter of {@code node} seen anywhere in this context (prefix or cloud). */
    public long maxCounter(long node) {
        long max = contiguousMax(node);
        if (runCount != 0) {
            int r = floorRun(node, Long.MAX_VALUE);
            if (r >= 0 && runNode(r) == node) {
                max = Math.max(max, runLast(r));
            }
        }
        return max;
    }

    /** Records one dot as seen. */
    public void add(Dot dot) {
        add(dot.node(), dot.counter());
    }

    /** Records the dot {@code (node, counter)} as seen. */
    public void add(long node, long counter) {
        addRun(node, counter, counter);
    }

    /** Records every dot of {@code node} up to and including {@code counter} as seen. */
    public void addPrefix(long node, long counter) {
        if (counter > contiguousMax(node)) {
            extendPrefix(node, counter);
        }
    }

    /** Joins another context into this one (set union of the dots). */
    public void merge(CausalContext other) {
        if (other == this) {
            return;
        }
        for (int i = 0; i < other.size; i++) {
            addPrefix(other.nodes[i], other.maxima[i]);
        }
        int n = other.runCount;
        if (n <= INSERT_MAX) {
            long[] o = other.runs;
            for (int i = 0; i < n; i++) {
                int at = RUN * i;
                addRun(o[at], o[at + 1], o[at + 2]);
            }
        } else {
            mergeRuns(other.runs, n);
        }
    }

    /**
     * Folds cloud dots that extend a contiguous prefix into the version vector. Every mutator
     * already keeps the context in this normal form, so there is nothing left to do; kept so
     * callers may state the intent.
     */
    public void compact() {}

    /** Whether every dot of {@code other} is also in this context. */
    public boolean includes(CausalContext other) {
        // Normal form: a vector entry here stops right before an unseen dot, so a longer
        // prefix there is never covered (the cloud never holds the dot right after a prefix).
        for (int i = 0; i < other.size; i++) {
            if (contiguousMax(other.nodes[i]) < other.maxima[i]) {
                return false;
            }
        }
        long[] o = other.runs;
        for (int i = 0; i < other.runCount; i++) {
            long node = o[RUN * i];
            long last = o[RUN * i + 2];
            long max = contiguousMax(node);
            if (last <= max) {
                continue;
            }
            long first = Math.max(o[RUN * i + 1], max + 1);
            int r = runCount == 0 ? -1 : floorRun(node, first);
            if (r < 0 || runNode(r) != node || runLast(r) < last) {
                return false;
            }
        }
        return true;
    }

    /** Whether no dot was observed. */
    public boolean isEmpty() {
        return size == 0 && runCount == 0;
    }

    /** Number of nodes in the version-vector part. */
    public int nodeCount() {
        return size;
    }

    /** Node id at position {@code i} of the version-vector part (ascending). */
    public long nodeAt(int i) {
        return nodes[i];
    }

    /** Contiguous maximum at position {@code i} of the version-vector part. */
    public long maxAt(int i) {
        return maxima[i];
    }

    /** Number of dots in the cloud. */
    public int cloudSize() {
        long n = 0;
        for (int r = 0; r < runCount; r++) {
            n += runLast(r) - runFirst(r) + 1;
        }
        // Runs only ever hold dots that were added one by one, so this cannot overflow in practice.
        return Math.toIntExact(n);
    }

    /** A deep copy. */
    public CausalContext copy() {
        CausalContext c = new CausalContext();
        if (size > 0) {
            c.nodes = Arrays.copyOf(nodes, size);
            c.maxima = Arrays.copyOf(maxima, size);
            c.size = size;
        }
        if (runCount > 0) {
            c.runs = Arrays.copyOf(runs, RUN * runCount);
            c.runCount = runCount;
        }
        return c;
    }

    /**
     * Writes this context: varint count, (node, max) pairs by ascending node, varint cloud size,
     * then the cloud dots in ascending (node, counter) order.
     */
    public void encode(CrdtWriter w) {
        w.writeVarInt(size);
        for (int i = 0; i < size; i++) {
            CrdtCodec.writeNode(w, nodes[i]);
            w.writeVarLong(maxima[i]);
        }
        w.writeVarInt(cloudSize());
        for (int r = 0; r < runCount; r++) {
            long node = runNode(r);
            for (long c = runFirst(r), last = runLast(r); c <= last; c++) {
                CrdtCodec.writeNode(w, node);
                w.writeVarLong(c);
            }
        }
    }

    /**
     * Reads a context written by {@link #encode}. Vector nodes must be strictly ascending and
     * cloud dots strictly ascending in (node, counter) order, as the encoder writes them;
     * anything else is malformed (this also keeps decoding hostile input O(n log n)).
     */
    public static CausalContext decode(CrdtReader r) {
        CausalContext c = new CausalContext();
        int n = r.readCount();
        long previousNode = 0;
        for (int i = 0; i < n; i++) {
            long node = CrdtCodec.readNode(r);
            long max = r.readVarLong();
            if (max < 0) {
                throw new CrdtCodecException("negative version-vector entry");
            }
            if (i > 0 && node <= previousNode) {
                throw new CrdtCodecException("version-vector nodes not in strictly ascending order");
            }
            previousNode = node;
            c.addPrefix(node, max);
        }
        int clouds = r.readCount();
        long previousDotNode = 0;
        long previousCounter = 0;
        for (int i = 0; i < clouds; i++) {
            long node = CrdtCodec.readNode(r);
            long counter = r.readVarLong();
            if (counter < 1) {
                throw new CrdtCodecException("dot counter must be >= 1");
            }
            if (i > 0 && (node < previousDotNode || node == previousDotNode && counter <= previousCounter)) {
                throw new CrdtCodecException("cloud dots not in strictly ascending order");
            }
            previousDotNode = node;
            previousCounter = counter;
            c.add(node, counter);
        }
        return c;
    }

    // ------------------------------------------------------------------ internals

    private long runNode(int r) {
        return runs[RUN * r];
    }

    private long runFirst(int r) {
        return runs[RUN * r + 1];
    }

    private long runLast(int r) {
        return runs[RUN * r + 2];
    }

    /** Index of the last run ordered at or before {@code (node, counter)} by (node, first); -1 if none. */
    private int floorRun(long node, long counter) {
        int lo = 0;
        int hi = runCount - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long n = runNode(mid);
            if (n < node || n == node && runFirst(mid) <= counter) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /**
     * Records the dots {@code first..last} of {@code node}: extends the prefix if they touch it,
     * else inserts a run, coalescing it with the runs it overlaps or touches.
     */
    private void addRun(long node, long first, long last) {
        long max = contiguousMax(node);
        if (last <= max) {
            return;
        }
        if (first - 1 <= max) {
            extendPrefix(node, last);
            return;
        }
        // p: the first run not entirely before first - 1 (same node and last < first - 1).
        int lo = 0;
        int hi = runCount;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            long n = runNode(mid);
            if (n < node || n == node && runLast(mid) < first - 1) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        int p = lo;
        // q: one past the runs of node that overlap or touch [first, last].
        int q = p;
        long joinedFirst = first;
        long joinedLast = last;
        while (q < runCount && runNode(q) == node && runFirst(q) - 1 <= last) {
            joinedFirst = Math.min(joinedFirst, runFirst(q));
            joinedLast = Math.max(joinedLast, runLast(q));
            q++;
        }
        if (q == p) {
            insertRunAt(p);
        } else if (q > p + 1) {
            System.arraycopy(runs, RUN * q, runs, RUN * (p + 1), RUN * (runCount - q));
            runCount -= q - p - 1;
        }
        int at = RUN * p;
        runs[at] = node;
        runs[at + 1] = joinedFirst;
        runs[at + 2] = joinedLast;
    }

    /** Opens a free run slot at index {@code p}, growing the array if needed. */
    private void insertRunAt(int p) {
        if (RUN * runCount == runs.length) {
            runs = Arrays.copyOf(runs, RUN * Math.max(INITIAL_RUNS, runCount * 2));
        }
        System.arraycopy(runs, RUN * p, runs, RUN * (p + 1), RUN * (runCount - p));
        runCount++;
    }

    /**
     * Sets the prefix of {@code node} to {@code max} (greater than the current one) and folds in
     * the runs of {@code node} it now reaches (only the first can touch it: runs are not adjacent).
     */
    private void extendPrefix(long node, long max) {
        if (runCount != 0) {
            int r = floorRun(node, Long.MIN_VALUE) + 1; // the first run of node, if any
            int end = r;
            while (end < runCount && runNode(end) == node && runFirst(end) - 1 <= max) {
                max = Math.max(max, runLast(end));
                end++;
            }
            if (end > r) {
                System.arraycopy(runs, RUN * end, runs, RUN * r, RUN * (runCount - end));
                runCount -= end - r;
            }
        }
        setMax(node, max);
    }

    /** Joins {@code count} sorted, normal-form runs into this cloud in one linear pass. */
    private void mergeRuns(long[] other, int count) {
        long[] out = new long[RUN * (runCount + count)];
        int n = 0;
        int a = 0;
        int b = 0;
        while (a < runCount || b < count) {
            long[] src;
            int at;
            if (b == count || a < runCount && compareRun(runs, RUN * a, other, RUN * b) <= 0) {
                src = runs;
                at = RUN * a++;
            } else {
                src = other;
                at = RUN * b++;
            }
            long node = src[at];
            long first = src[at + 1];
            long last = src[at + 2];
            int prev = RUN * (n - 1);
            if (n > 0 && out[prev] == node && first - 1 <= out[prev + 2]) {
                out[prev + 2] = Math.max(out[prev + 2], last);
            } else {
                out[RUN * n] = node;
                out[RUN * n + 1] = first;
                out[RUN * n + 2] = last;
                n++;
            }
        }
        runs = out;
        runCount = n;
        // Runs from the other side may fall under or touch this vector: drop or fold them.
        int kept = 0;
        for (int r = 0; r < n; r++) {
            int at = RUN * r;
            long node = out[at];
            long max = contiguousMax(node);
            if (out[at + 2] <= max) {
                continue;
            }
            if (out[at + 1] - 1 <= max) {
                setMax(node, out[at + 2]);
                continue;
            }
            System.arraycopy(out, at, out, RUN * kept, RUN);
            kept++;
        }
        runCount = kept;
    }

    private static int compareRun(long[] x, int i, long[] y, int j) {
        int c = Long.compare(x[i], y[j]);
        return c != 0 ? c : Long.compare(x[i + 1], y[j + 1]);
    }

    private void setMax(long node, long counter) {
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
        if (this == o) {
            return true;
        }
        if (!(o instanceof CausalContext other)) {
            return false;
        }
        // Normal form: equal sets of dots have equal arrays.
        return Arrays.equals(nodes, 0, size, other.nodes, 0, other.size)
                && Arrays.equals(maxima, 0, size, other.maxima, 0, other.size)
                && Arrays.equals(runs, 0, RUN * runCount, other.runs, 0, RUN * other.runCount);
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (int i = 0; i < size; i++) {
            h = 31 * h + Long.hashCode(nodes[i]);
            h = 31 * h + Long.hashCode(maxima[i]);
        }
        for (int i = 0; i < RUN * runCount; i++) {
            h = 31 * h + Long.hashCode(runs[i]);
        }
        return h;
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
        if (runCount > 0) {
            sb.append(" cloud=[");
            for (int r = 0; r < runCount; r++) {
                if (r > 0) {
                    sb.append(", ");
                }
                sb.append(runNode(r)).append(':').append(runFirst(r));
                if (runLast(r) != runFirst(r)) {
                    sb.append("..").append(runLast(r));
                }
            }
            sb.append(']');
        }
        return sb.append('}').toString();
    }
}
