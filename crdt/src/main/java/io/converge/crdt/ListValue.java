package io.converge.crdt;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A Redis list as a sequence CRDT with dense, immutable positions (in the family of Logoot):
 * every element carries a <em>position</em> fixed when it is inserted, positions are totally
 * ordered, and the list is its elements in position order. Membership is observed-remove, as
 * in {@link SetValue}: each element's identity is a dot, and a {@link CausalContext} records
 * every dot this state has observed.
 *
 * <p><b>Positions.</b> A position is a sequence of levels, each a triple {@code (digit, node,
 * counter)}, stored flat in a {@code long[]} and compared lexicographically (a prefix sorts
 * first). The last level's {@code (node, counter)} is the element's dot, so positions are
 * unique. A push takes the level-0 digit one past the tail's (RPUSH) or one below the head's
 * (LPUSH); the elements of one command share that digit and are ordered by their consecutive
 * counters, so a command's elements stay together and in Redis's order even when another
 * replica pushed at the same end concurrently (its block sorts by node id before or after).
 * LINSERT takes a position strictly between the pivot and its neighbour: a level-0 digit
 * between theirs when one is free, otherwise the neighbour's levels extended by one. Unlike
 * RGA, no element refers to another, so removed elements leave nothing behind: there are no
 * tombstones to collect, only the causal context (a version vector once gaps fill).
 *
 * <p><b>Conflicts.</b> Concurrent pushes, at either end or by LINSERT, all survive, in one
 * order on every replica. A remove (pop, LREM, LTRIM, DEL) takes only the elements it
 * observed. LSET is a last-writer-wins register on the element (greater (HLC, node) stamp);
 * an LSET on an element removed concurrently elsewhere does not bring it back (remove wins
 * over update: the element's dot is in the remover's context).
 *
 * <p><b>Deltas.</b> Mutators apply themselves and return a delta: a {@code ListValue} flagged
 * as a delta whose context holds only the dots of the elements it lists, present (pushed or
 * set) or removed (listed by position). Merging a delta visits only what it lists.
 *
 * <p><b>Layout.</b> Elements live in a treap ordered by position and augmented with subtree
 * sizes, so index access (LINDEX, LSET, LRANGE's start), insertion and removal are O(log n)
 * expected, and a range (LTRIM, pops with a count) is split off in O(log n) plus its length.
 * A node's priority is a hash of its dot, so the shape depends only on the elements. Arrays
 * handed in (values, positions) are kept by reference and never mutated. Not thread-safe.
 */
public final class ListValue implements CrdtValue<ListValue> {

    private static final int FLAG_DELTA = 1;
    /** Longs per position level: digit, node, counter. */
    private static final int LEVEL = 3;
    /** Deepest position accepted from the wire: far above what inserts produce (see {@link #between}). */
    private static final int MAX_DECODED_LEVELS = 1 << 16;

    private final CausalContext context;
    private boolean delta;
    private long lastHlc;
    private long lastNode;
    private Node root;
    /** In a delta: positions of elements it removes, ascending; null when none (and in full states). */
    private List<long[]> removed;

    /** Creates an empty list state. */
    public ListValue() {
        this(false, new CausalContext());
    }

    private ListValue(boolean delta, CausalContext context) {
        this.delta = delta;
        this.context = context;
    }

    @Override
    public ValueType type() {
        return ValueType.LIST;
    }

    // ------------------------------------------------------------------ reads

    /** Number of elements (LLEN). */
    public int size() {
        return size(root);
    }

    @Override
    public boolean isEmpty() {
        return root == null;
    }

    /** The element at {@code index} in {@code [0, size())} (the array must not be mutated). */
    public byte[] get(int index) {
        return select(index).value;
    }

    /**
     * Calls {@code action} with the elements at indices {@code [from, to)} in order (clamped to
     * the list), stopping early if it returns false.
     */
    public void forEach(int from, int to, ElementVisitor action) {
        int end = Math.min(to, size());
        if (from < 0 || from >= end) {
            return;
        }
        visit(root, 0, from, end, action);
    }

    /**
     * Calls {@code action} with the elements at indices {@code to - 1} down to {@code from} (clamped),
     * stopping early if it returns false.
     */
    public void forEachReverse(int from, int to, ElementVisitor action) {
        int end = Math.min(to, size());
        int start = Math.max(from, 0);
        if (start >= end) {
            return;
        }
        visitReverse(root, 0, start, end, action);
    }

    /** Visits list elements in order: index and value; returns false to stop. */
    @FunctionalInterface
    public interface ElementVisitor {
        /** Called per element; return false to stop the walk. */
        boolean visit(int index, byte[] value);
    }

    /** The observed causal context (live; do not mutate). */
    public CausalContext context() {
        return context;
    }

    /** Whether this value is a delta, not a full state. */
    public boolean isDelta() {
        return delta;
    }

    /** HLC of the greatest-stamped write joined into this state (0 if none). */
    public long lastWriteHlc() {
        return lastHlc;
    }

    /** Node of the greatest-stamped write joined into this state (0 if none). */
    public long lastWriteNode() {
        return lastNode;
    }

    // ------------------------------------------------------------------ mutators

    /**
     * RPUSH ({@code left} false) or LPUSH ({@code left} true) of {@code values[from..to)} at
     * replica {@code node}, stamped {@code (hlc, node)}: the elements end at the tail in argument
     * order, or at the head in reverse argument order (as Redis pushes them one by one). Returns
     * the delta.
     *
     * @throws IllegalStateException if the list's positions at that end are exhausted (after
     *     2^63 pushes at one end; not reachable in practice)
     */
    public ListValue push(boolean left, byte[][] values, int from, int to, long hlc, long node) {
        int n = to - from;
        if (n <= 0) {
            throw new IllegalArgumentException("nothing to push");
        }
        long digit;
        if (root == null) {
            digit = 0;
        } else if (left) {
            long head = first(root).firstDigit();
            if (head == Long.MIN_VALUE) {
                throw new IllegalStateException("list positions exhausted at the head");
            }
            digit = head - 1;
        } else {
            long tail = last(root).firstDigit();
            if (tail == Long.MAX_VALUE) {
                throw new IllegalStateException("list positions exhausted at the tail");
            }
            digit = tail + 1;
        }
        long base = context.maxCounter(node);
        ListValue d = new ListValue(true, new CausalContext());
        for (int i = 0; i < n; i++) {
            // LPUSH a b c gives c b a: the last argument takes the smallest counter.
            long counter = base + (left ? n - i : i + 1);
            long[] path = {digit, node, counter};
            context.add(node, counter);
            d.context.add(node, counter);
            Node e = new Node(path, values[from + i], null);
            root = insert(root, e);
            d.root = insert(d.root, e.copy());
        }
        d.stamp(hlc, node);
        stamp(hlc, node);
        return d;
    }

    /**
     * LINSERT: inserts {@code value} just before ({@code before}) or after the element at
     * {@code pivot}, stamped {@code (hlc, node)}. Returns the delta.
     */
    public ListValue insert(int pivot, boolean before, byte[] value, long hlc, long node) {
        Objects.checkIndex(pivot, size());
        int left = before ? pivot - 1 : pivot;
        long[] a = left >= 0 ? select(left).path() : null;
        long[] b = left + 1 < size() ? select(left + 1).path() : null;
        long counter = context.maxCounter(node) + 1;
        long[] path = between(a, b, node, counter);
        context.add(node, counter);
        ListValue d = new ListValue(true, new CausalContext());
        d.context.add(node, counter);
        Node e = new Node(path, value, null);
        root = insert(root, e);
        d.root = e.copy();
        d.stamp(hlc, node);
        stamp(hlc, node);
        return d;
    }

    /** LSET: replaces the element at {@code index} (an LWW write stamped {@code (hlc, node)}). Returns the delta. */
    public ListValue set(int index, byte[] value, long hlc, long node) {
        Node e = select(index);
        e.value = Objects.requireNonNull(value, "value");
        e.stamp = new long[] {hlc, node};
        ListValue d = new ListValue(true, new CausalContext());
        d.context.add(e.dotNode(), e.dotCounter());
        d.root = e.copy();
        d.stamp(hlc, node);
        stamp(hlc, node);
        return d;
    }

    /**
     * Removes the elements at indices {@code [from, to)} (pops, LTRIM), stamped {@code (hlc, node)},
     * and returns the delta, or null if the range is empty.
     */
    public ListValue removeRange(int from, int to, long hlc, long node) {
        int size = size();
        if (from < 0 || to > size || from > to) {
            throw new IndexOutOfBoundsException("range [" + from + ", " + to + ") of " + size);
        }
        if (from == to) {
            return null;
        }
        Node[] parts = new Node[2];
        split(root, from, parts);
        Node before = parts[0];
        split(parts[1], to - from, parts);
        root = merge(before, parts[1]);
        ListValue d = new ListValue(true, new CausalContext());
        d.removed = new ArrayList<>(to - from);
        collectRemoved(parts[0], d);
        d.stamp(hlc, node);
        stamp(hlc, node);
        return d;
    }

    /**
     * Removes the elements at the given ascending, distinct indices (LREM), stamped
     * {@code (hlc, node)}; returns the delta, or null if there are none.
     */
    public ListValue removeAt(int[] indices, int count, long hlc, long node) {
        if (count == 0) {
            return null;
        }
        ListValue d = new ListValue(true, new CausalContext());
        d.removed = new ArrayList<>(count);
        // From the last index down, so the earlier indices stay valid.
        long[][] paths = new long[count][];
        for (int i = count - 1; i >= 0; i--) {
            Node e = select(indices[i]);
            paths[i] = e.path();
            root = delete(root, paths[i]);
        }
        for (long[] p : paths) {
            d.removed.add(p);
            d.context.add(dotNode(p), dotCounter(p));
        }
        d.stamp(hlc, node);
        stamp(hlc, node);
        return d;
    }

    /**
     * Key-level remove (DEL): drops every element {@code observed} covers and joins
     * {@code observed} into this context. Elements it has not seen survive.
     */
    public void removeObserved(CausalContext observed) {
        List<long[]> gone = new ArrayList<>();
        forEachNode(root, e -> {
            if (observed.contains(e.dotNode(), e.dotCounter())) {
                gone.add(e.path());
            }
        });
        for (long[] p : gone) {
            root = delete(root, p);
        }
        context.merge(observed);
    }

    // ------------------------------------------------------------------ merge

    /**
     * Joins {@code other} (a state or a delta) into this state. Visits every element of this
     * state only when {@code other} is a full state.
     */
    @Override
    public void merge(ListValue other) {
        if (other == this) {
            return;
        }
        CausalContext theirs = other.context;
        if (!other.delta) {
            // Elements they lack and have seen were removed there.
            List<long[]> gone = new ArrayList<>();
            forEachNode(root, e -> {
                if (theirs.contains(e.dotNode(), e.dotCounter()) && find(other.root, e) == null) {
                    gone.add(e.path());
                }
            });
            for (long[] p : gone) {
                root = delete(root, p);
            }
        }
        forEachNode(other.root, e -> {
            Node mine = find(root, e);
            if (mine != null) {
                if (Stamp.compare(e.hlc(), e.node(), mine.hlc(), mine.node()) > 0) {
                    mine.value = e.value;
                    mine.stamp = e.stamp;
                }
            } else if (!context.contains(e.dotNode(), e.dotCounter())) {
                root = insert(root, e.copy());
            }
        });
        if (other.removed != null) {
            for (long[] p : other.removed) {
                boolean had = find(root, p) != null;
                if (had) {
                    root = delete(root, p);
                }
                if (delta && (had || !context.contains(dotNode(p), dotCounter(p)))) {
                    addRemoved(p);
                }
            }
        }
        context.merge(theirs);
        if (delta && !other.delta) {
            delta = false;
            removed = null;
        }
        stamp(other.lastHlc, other.lastNode);
    }

    @Override
    public ListValue copy() {
        ListValue c = new ListValue(delta, context.copy());
        c.lastHlc = lastHlc;
        c.lastNode = lastNode;
        c.root = deepCopy(root);
        c.removed = removed == null ? null : new ArrayList<>(removed);
        return c;
    }

    // ------------------------------------------------------------------ codec

    /**
     * Writes this state: flags (bit 0 = delta), last-write stamp, context, the elements in list
     * order (position levels, value, the stamp of an LSET or 0), then a delta's removed positions in
     * order.
     * Positions fix the order, so the encoding is canonical.
     */
    @Override
    public void encode(CrdtWriter w) {
        w.writeByte(delta ? FLAG_DELTA : 0);
        w.writeFixedLong(lastHlc);
        CrdtCodec.writeNode(w, lastNode);
        context.encode(w);
        w.writeVarInt(size());
        forEachNode(root, e -> {
            writePath(w, e.path());
            w.writeBytes(e.value);
            // The stamp of an LSET, or 0 alone for the value the element was inserted with.
            w.writeVarLong(e.hlc());
            if (e.stamp != null) {
                CrdtCodec.writeNode(w, e.node());
            }
        });
        if (delta) {
            List<long[]> r = removed == null ? List.of() : removed;
            w.writeVarInt(r.size());
            for (long[] p : r) {
                writePath(w, p);
            }
        }
    }

    /** Reads a state written by {@link #encode}; anything malformed is a {@link CrdtCodecException}. */
    public static ListValue decode(CrdtReader r) {
        int flags = r.readByte();
        if ((flags & ~FLAG_DELTA) != 0) {
            throw new CrdtCodecException("unknown list flags " + flags);
        }
        long hlc = r.readFixedLong();
        long node = CrdtCodec.readNode(r);
        CausalContext ctx = CausalContext.decode(r);
        ListValue v = new ListValue((flags & FLAG_DELTA) != 0, ctx);
        v.lastHlc = hlc;
        v.lastNode = node;
        int n = r.readCount();
        long[] previous = null;
        // Elements arrive in order: each is appended at the right end of the treap.
        List<Node> spine = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            long[] path = readPath(r, previous);
            previous = path;
            if (!ctx.contains(dotNode(path), dotCounter(path))) {
                throw new CrdtCodecException("list element dot outside the causal context");
            }
            byte[] value = r.readBytes();
            long eh = r.readVarLong();
            if (eh < 0) {
                throw new CrdtCodecException("bad list element stamp");
            }
            appendRight(spine, new Node(path, value, eh == 0 ? null : new long[] {eh, CrdtCodec.readNode(r)}));
        }
        v.root = spine.isEmpty() ? null : recomputeSizes(spine.get(0));
        if (v.delta) {
            int m = r.readCount();
            previous = null;
            for (int k = 0; k < m; k++) {
                long[] path = readPath(r, previous);
                previous = path;
                if (!ctx.contains(dotNode(path), dotCounter(path))) {
                    throw new CrdtCodecException("removed list element outside the causal context");
                }
                if (find(v.root, path) != null) {
                    throw new CrdtCodecException("list element both present and removed");
                }
                v.addRemoved(path);
            }
        }
        return v;
    }

    private static void writePath(CrdtWriter w, long[] path) {
        w.writeVarInt(path.length / LEVEL);
        for (int i = 0; i < path.length; i += LEVEL) {
            w.writeSignedVarLong(path[i]);
            CrdtCodec.writeNode(w, path[i + 1]);
            w.writeVarLong(path[i + 2]);
        }
    }

    private static long[] readPath(CrdtReader r, long[] previous) {
        int levels = r.readCount();
        if (levels < 1 || levels > MAX_DECODED_LEVELS || levels > r.remaining() / LEVEL) {
            throw new CrdtCodecException("bad list position depth " + levels);
        }
        long[] path = new long[levels * LEVEL];
        for (int i = 0; i < path.length; i += LEVEL) {
            path[i] = r.readSignedVarLong();
            path[i + 1] = CrdtCodec.readNode(r);
            path[i + 2] = r.readVarLong();
            if (path[i + 1] < 0 || path[i + 2] < 1) {
                throw new CrdtCodecException("bad list position level");
            }
        }
        if (previous != null && Arrays.compare(previous, path) >= 0) {
            throw new CrdtCodecException("list positions not in strictly ascending order");
        }
        return path;
    }

    // ------------------------------------------------------------------ positions

    /**
     * A new position strictly between {@code a} and {@code b} (either may be null: no bound),
     * ending in the dot {@code (node, counter)}.
     */
    static long[] between(long[] a, long[] b, long node, long counter) {
        if (a == null && b == null) {
            return new long[] {0, node, counter};
        }
        if (a == null) {
            if (b[0] == Long.MIN_VALUE) {
                throw new IllegalStateException("list positions exhausted at the head");
            }
            return new long[] {b[0] - 1, node, counter};
        }
        if (b == null) {
            if (a[0] == Long.MAX_VALUE) {
                throw new IllegalStateException("list positions exhausted at the tail");
            }
            return new long[] {a[0] + 1, node, counter};
        }
        if (a[0] < b[0] && a[0] + 1 < b[0]) {
            // A free level-0 digit: the shortest position there is (a[0] + 1 cannot overflow here).
            return new long[] {a[0] + 1, node, counter};
        }
        long[] p = Arrays.copyOf(a, a.length + LEVEL);
        if (b.length > a.length && Arrays.equals(a, 0, a.length, b, 0, a.length)) {
            // b extends a: go one digit below b's next level.
            long next = b[a.length];
            if (next == Long.MIN_VALUE) {
                throw new IllegalStateException("list positions exhausted between two elements");
            }
            p[a.length] = next - 1;
        } else {
            // a and b differ within a's levels: anything that extends a sorts before b.
            p[a.length] = 0;
        }
        p[a.length + 1] = node;
        p[a.length + 2] = counter;
        return p;
    }

    private static long dotNode(long[] path) {
        return path[path.length - 2];
    }

    private static long dotCounter(long[] path) {
        return path[path.length - 1];
    }

    private void addRemoved(long[] path) {
        if (removed == null) {
            removed = new ArrayList<>();
        }
        int i = java.util.Collections.binarySearch(removed, path, Arrays::compare);
        if (i < 0) {
            removed.add(-i - 1, path);
        }
        context.add(dotNode(path), dotCounter(path));
    }

    private void collectRemoved(Node t, ListValue d) {
        forEachNode(t, e -> {
            d.removed.add(e.path());
            d.context.add(e.dotNode(), e.dotCounter());
        });
    }

    private void stamp(long hlc, long node) {
        if (Stamp.compare(hlc, node, lastHlc, lastNode) > 0) {
            lastHlc = hlc;
            lastNode = node;
        }
    }

    // ------------------------------------------------------------------ treap

    /** One element: its position, its value, and the stamp of the LSET that wrote the value, if one did. */
    private static final class Node {
        /**
         * The position: a one-level position (every pushed element's) is kept in the three fields,
         * {@code deep} is null; a deeper one (from LINSERT) is in {@code deep}, and the fields hold
         * its last level (the dot).
         */
        final long digit;
        final long dotNode;
        final long dotCounter;
        final long[] deep;
        byte[] value;
        /** The LSET that wrote the value, {hlc, node}; null for the value the element was inserted with. */
        long[] stamp;
        Node left;
        Node right;
        int size = 1;

        Node(long[] path, byte[] value, long[] stamp) {
            int last = path.length - LEVEL;
            this.digit = path[last];
            this.dotNode = path[last + 1];
            this.dotCounter = path[last + 2];
            this.deep = path.length == LEVEL ? null : path;
            this.value = value;
            this.stamp = stamp;
        }

        private Node(Node n) {
            this.digit = n.digit;
            this.dotNode = n.dotNode;
            this.dotCounter = n.dotCounter;
            this.deep = n.deep;
            this.value = n.value;
            this.stamp = n.stamp;
        }

        /** The position as an array (a new one for a one-level position). */
        long[] path() {
            return deep != null ? deep : new long[] {digit, dotNode, dotCounter};
        }

        /** The level-0 digit. */
        long firstDigit() {
            return deep != null ? deep[0] : digit;
        }

        /** HLC of the value's write: 0 for the inserted value, which every LSET (stamped later) replaces. */
        long hlc() {
            return stamp == null ? 0 : stamp[0];
        }

        long node() {
            return stamp == null ? 0 : stamp[1];
        }

        /** The treap priority: a hash of the dot, recomputed rather than stored (a node is 8 bytes smaller). */
        int priority() {
            return priorityOf(dotNode, dotCounter);
        }

        long dotNode() {
            return dotNode;
        }

        long dotCounter() {
            return dotCounter;
        }

        Node copy() {
            return new Node(this);
        }
    }

    /** Compares position {@code p} with {@code n}'s (lexicographically by level; a prefix first). */
    private static int compare(long[] p, Node n) {
        if (n.deep != null) {
            return Arrays.compare(p, n.deep);
        }
        int c = Long.compare(p[0], n.digit);
        if (c == 0) {
            c = Long.compare(p[1], n.dotNode);
        }
        if (c == 0) {
            c = Long.compare(p[2], n.dotCounter);
        }
        return c != 0 ? c : Integer.compare(p.length, LEVEL);
    }

    /** Compares two elements' positions, without building arrays when both are one level deep. */
    private static int compare(Node a, Node b) {
        if (a.deep != null) {
            return compare(a.deep, b);
        }
        if (b.deep != null) {
            return -compare(b.deep, a);
        }
        int c = Long.compare(a.digit, b.digit);
        if (c == 0) {
            c = Long.compare(a.dotNode, b.dotNode);
        }
        return c != 0 ? c : Long.compare(a.dotCounter, b.dotCounter);
    }

    private static int priorityOf(long dotNode, long dotCounter) {
        long h = dotNode * 0x9E3779B97F4A7C15L + dotCounter;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return (int) h;
    }

    private static int size(Node t) {
        return t == null ? 0 : t.size;
    }

    private static Node update(Node t) {
        t.size = 1 + size(t.left) + size(t.right);
        return t;
    }

    /** Splits {@code t} into its first {@code k} elements ({@code out[0]}) and the rest ({@code out[1]}). */
    private static void split(Node t, int k, Node[] out) {
        if (t == null) {
            out[0] = null;
            out[1] = null;
        } else if (size(t.left) >= k) {
            split(t.left, k, out);
            t.left = out[1];
            out[1] = update(t);
        } else {
            split(t.right, k - size(t.left) - 1, out);
            t.right = out[0];
            out[0] = update(t);
        }
    }

    /** Concatenates {@code a} and {@code b} (every element of a before every element of b). */
    private static Node merge(Node a, Node b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        if (a.priority() >= b.priority()) {
            a.right = merge(a.right, b);
            return update(a);
        }
        b.left = merge(a, b.left);
        return update(b);
    }

    /** Inserts {@code e} (a position not in {@code t}) by descent and rotations; returns the new root. */
    private static Node insert(Node t, Node e) {
        if (t == null) {
            return e;
        }
        if (compare(e, t) < 0) {
            t.left = insert(t.left, e);
            if (t.left.priority() > t.priority()) {
                Node l = t.left;
                t.left = l.right;
                l.right = update(t);
                return update(l);
            }
        } else {
            t.right = insert(t.right, e);
            if (t.right.priority() > t.priority()) {
                Node r = t.right;
                t.right = r.left;
                r.left = update(t);
                return update(r);
            }
        }
        return update(t);
    }

    /** Removes the element at {@code path} if present; returns the new root. */
    private static Node delete(Node t, long[] path) {
        if (t == null) {
            return null;
        }
        int c = compare(path, t);
        if (c == 0) {
            return merge(t.left, t.right);
        }
        if (c < 0) {
            t.left = delete(t.left, path);
        } else {
            t.right = delete(t.right, path);
        }
        return update(t);
    }

    private static Node find(Node t, long[] path) {
        while (t != null) {
            int c = compare(path, t);
            if (c == 0) {
                return t;
            }
            t = c < 0 ? t.left : t.right;
        }
        return null;
    }

    /** The element of {@code t} at {@code e}'s position, or null. */
    private static Node find(Node t, Node e) {
        while (t != null) {
            int c = compare(e, t);
            if (c == 0) {
                return t;
            }
            t = c < 0 ? t.left : t.right;
        }
        return null;
    }

    private Node select(int index) {
        Objects.checkIndex(index, size());
        Node t = root;
        while (true) {
            int l = size(t.left);
            if (index < l) {
                t = t.left;
            } else if (index == l) {
                return t;
            } else {
                index -= l + 1;
                t = t.right;
            }
        }
    }

    private static Node first(Node t) {
        while (t.left != null) {
            t = t.left;
        }
        return t;
    }

    private static Node last(Node t) {
        while (t.right != null) {
            t = t.right;
        }
        return t;
    }

    /**
     * Appends {@code e} (greater than all so far) to a treap under construction whose right
     * spine is {@code spine} (root first): the linear-time Cartesian-tree build. Sizes are set
     * afterwards by {@link #recomputeSizes}.
     */
    private static void appendRight(List<Node> spine, Node e) {
        Node lastPopped = null;
        while (!spine.isEmpty() && spine.get(spine.size() - 1).priority() < e.priority()) {
            lastPopped = spine.remove(spine.size() - 1);
        }
        e.left = lastPopped;
        if (!spine.isEmpty()) {
            spine.get(spine.size() - 1).right = e;
        }
        spine.add(e);
    }

    /** Sets every subtree size of {@code t} (after {@link #appendRight} built it without them). */
    private static Node recomputeSizes(Node t) {
        if (t != null) {
            recomputeSizes(t.left);
            recomputeSizes(t.right);
            update(t);
        }
        return t;
    }

    private static Node deepCopy(Node t) {
        if (t == null) {
            return null;
        }
        Node c = t.copy();
        c.left = deepCopy(t.left);
        c.right = deepCopy(t.right);
        c.size = t.size;
        return c;
    }

    private static void forEachNode(Node t, java.util.function.Consumer<Node> action) {
        if (t == null) {
            return;
        }
        forEachNode(t.left, action);
        action.accept(t);
        forEachNode(t.right, action);
    }

    /** In-order visit of indices [from, to) of subtree {@code t} whose first index is {@code offset}. */
    private static boolean visit(Node t, int offset, int from, int to, ElementVisitor action) {
        if (t == null) {
            return true;
        }
        int here = offset + size(t.left);
        if (from < here && !visit(t.left, offset, from, to, action)) {
            return false;
        }
        if (here >= from && here < to && !action.visit(here, t.value)) {
            return false;
        }
        if (here + 1 < to) {
            return visit(t.right, here + 1, from, to, action);
        }
        return true;
    }

    private static boolean visitReverse(Node t, int offset, int from, int to, ElementVisitor action) {
        if (t == null) {
            return true;
        }
        int here = offset + size(t.left);
        if (here + 1 < to && !visitReverse(t.right, here + 1, from, to, action)) {
            return false;
        }
        if (here >= from && here < to && !action.visit(here, t.value)) {
            return false;
        }
        if (from < here) {
            return visitReverse(t.left, offset, from, to, action);
        }
        return true;
    }

    // ------------------------------------------------------------------ equality

    /** Equal when both hold the same elements (positions, values, stamps), context, stamp and flag. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ListValue other) || delta != other.delta || size() != other.size()
                || lastHlc != other.lastHlc || lastNode != other.lastNode || !context.equals(other.context)) {
            return false;
        }
        List<Node> mine = nodes(root);
        List<Node> theirs = nodes(other.root);
        for (int i = 0; i < mine.size(); i++) {
            Node a = mine.get(i);
            Node b = theirs.get(i);
            if (compare(a, b) != 0 || !Arrays.equals(a.value, b.value) || a.hlc() != b.hlc() || a.node() != b.node()) {
                return false;
            }
        }
        List<long[]> ra = removed == null ? List.of() : removed;
        List<long[]> rb = other.removed == null ? List.of() : other.removed;
        if (ra.size() != rb.size()) {
            return false;
        }
        for (int i = 0; i < ra.size(); i++) {
            if (!Arrays.equals(ra.get(i), rb.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static List<Node> nodes(Node t) {
        List<Node> out = new ArrayList<>(size(t));
        forEachNode(t, out::add);
        return out;
    }

    @Override
    public int hashCode() {
        int[] h = {size()};
        forEachNode(root, e -> h[0] = 31 * h[0] + Arrays.hashCode(e.value));
        return h[0];
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(delta ? "ListDelta[" : "List[");
        forEachNode(root, e -> {
            if (sb.charAt(sb.length() - 1) != '[') {
                sb.append(", ");
            }
            sb.append(new String(e.value, StandardCharsets.UTF_8)).append('@').append(Arrays.toString(e.path()));
        });
        if (removed != null) {
            sb.append(" removed=").append(removed.size());
        }
        return sb.append(" ctx=").append(context).append(']').toString();
    }
}
