package io.converge.crdt;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A Redis set as an add-wins observed-remove set without tombstones (the delta-state "AWSet" of
 * Almeida, Shoker and Baquero): each member maps to the dots of the adds that put it there, and
 * a {@link CausalContext} records every dot this state has observed.
 *
 * <p>Semantics: {@code add} gives the member a fresh dot and drops its older dots; {@code remove}
 * drops the member's dots but they stay in the context, so the member stays removed on merge.
 * An add the remover had not observed carries a dot outside the remover's context and survives:
 * add wins. Merge is the dot-store join: a dot survives if both sides have it, or one side has
 * it and the other side's context has not seen it.
 *
 * <p><b>Deltas.</b> Every mutator applies itself to this state and returns the minimal delta,
 * itself a {@code SetValue} flagged {@link #isDelta() as a delta}. A delta's context holds only
 * dots of the members it lists, and it may list a member with no dots ("this member was
 * touched": a remove). That promise lets {@link #merge} visit only the listed members instead of
 * the whole set, so applying a one-member delta to a large set costs O(1), not O(n). Joining
 * deltas yields a delta (a delta group); joining a full state into anything yields a full state.
 * To start a new state from a delta, merge the delta into {@code new SetValue()}.
 *
 * <p><b>Layout.</b> Members live in parallel dense arrays (present members first, then the
 * dotless members a delta lists), so {@link #memberAt} gives O(1) random access for SRANDMEMBER
 * and SPOP. A member with one dot, the common case, stores it inline as two primitives; several
 * dots (concurrent adds) go to a side array. Look-up is a linear scan up to
 * {@value #LINEAR_SCAN_MAX} members, then an open-addressing table of dense indices (linear
 * probing, backward-shift deletion) keyed by {@link MemberHash}. Member arrays are kept by
 * reference and never mutated: callers hand them over and must not change them afterwards.
 *
 * <p>Every write also carries its stamp (HLC, node); the state keeps the greatest stamp of any
 * write joined into it ({@link #lastWriteHlc()}, {@link #lastWriteNode()}) so the key envelope
 * can resolve a type clash. Not thread-safe.
 */
public final class SetValue implements CrdtValue<SetValue> {

    private static final int LINEAR_SCAN_MAX = 8;
    /** {@code dotCounters[i]} value meaning "the dots are in {@code moreDots[i]}". */
    private static final long MULTI = -1;
    private static final int FLAG_DELTA = 1;
    private static final int DECODE_CAPACITY = 1024;

    private final CausalContext context;
    private boolean delta;
    private long lastHlc;
    private long lastNode;

    private byte[][] members;
    private int[] hashes;
    private long[] dotNodes;
    /** > 0: one dot {@code (dotNodes[i], dotCounters[i])}; 0: no dot; {@link #MULTI}: see moreDots. */
    private long[] dotCounters;
    /** Sorted (node, counter) pairs for members with several dots; allocated on first need. */
    private long[][] moreDots;
    /** Entries in use; entries {@code [present, size)} have no dots (only in deltas). */
    private int size;
    private int present;
    /** Open-addressing table of dense index + 1 (0 = free); null while small. */
    private int[] table;

    /** Creates an empty set state. */
    public SetValue() {
        this(false, 0, new CausalContext());
    }

    private SetValue(boolean delta, int capacity, CausalContext context) {
        this.delta = delta;
        this.context = context;
        int cap = Math.max(capacity, 1);
        members = new byte[cap][];
        hashes = new int[cap];
        dotNodes = new long[cap];
        dotCounters = new long[cap];
    }

    @Override
    public ValueType type() {
        return ValueType.SET;
    }

    // ------------------------------------------------------------------ operations

    /**
     * SADD of one member stamped {@code (hlc, node)} at replica {@code node}: gives the member a
     * new dot of {@code node} (replacing its older dots) and returns the delta. The array is
     * kept; the caller must not mutate it afterwards.
     */
    public SetValue add(byte[] member, long hlc, long node) {
        Objects.requireNonNull(member, "member");
        int hash = MemberHash.hash(member);
        int i = find(member, hash);
        long counter = context.maxCounter(node) + 1;
        context.add(node, counter);
        SetValue d = new SetValue(true, 1, new CausalContext());
        d.context.add(node, counter);
        if (i >= 0) {
            addDotsTo(i, d.context);
            setDots(i, new long[] {node, counter}, 1);
        } else {
            append(member, hash, node, counter);
        }
        d.append(member, hash, node, counter);
        d.lastHlc = hlc;
        d.lastNode = node;
        stamp(hlc, node);
        return d;
    }

    /**
     * SREM of one member stamped {@code (hlc, node)}: drops the member's dots and returns the
     * delta (no members, the dropped dots as context), or null if the member was not present
     * (nothing to replicate).
     */
    public SetValue remove(byte[] member, long hlc, long node) {
        int hash = MemberHash.hash(member);
        int i = find(member, hash);
        if (i < 0 || i >= present) {
            return null;
        }
        SetValue d = new SetValue(true, 1, new CausalContext());
        addDotsTo(i, d.context);
        d.append(member, hash, 0, 0);
        d.lastHlc = hlc;
        d.lastNode = node;
        setDots(i, null, 0);
        stamp(hlc, node);
        return d;
    }

    /**
     * Key-level remove (DEL): drops every dot {@code observed} covers (members left without
     * dots disappear) and joins {@code observed} into this context. Adds {@code observed} has
     * not seen survive. Leaves the last-write stamp alone (the key envelope stamps the DEL).
     */
    public void removeObserved(CausalContext observed) {
        for (int i = size - 1; i >= 0; i--) {
            filterDots(i, observed);
        }
        context.merge(observed);
    }

    /**
     * The replicable form of a key-level remove: a full state with no members whose context is
     * {@code observed}. Merging it into any state has the effect of
     * {@code removeObserved(observed)}.
     */
    public static SetValue removalOf(CausalContext observed) {
        return new SetValue(false, 0, observed.copy());
    }

    /** Whether {@code member} is in the set. */
    public boolean contains(byte[] member) {
        int i = find(member, MemberHash.hash(member));
        return i >= 0 && i < present;
    }

    /** Number of members (SCARD). */
    public int size() {
        return present;
    }

    /**
     * The member at dense position {@code index} in {@code [0, size())}, for O(1) random picks
     * (SRANDMEMBER, SPOP) and allocation-free iteration. Positions change when members are
     * removed. The array must not be mutated.
     */
    public byte[] memberAt(int index) {
        Objects.checkIndex(index, present);
        return members[index];
    }

    /** Calls {@code action} with every member (arrays must not be mutated). */
    public void forEachMember(Consumer<byte[]> action) {
        for (int i = 0; i < present; i++) {
            action.accept(members[i]);
        }
    }

    /** The observed causal context (live; do not mutate). */
    public CausalContext context() {
        return context;
    }

    /** Whether this value is a delta (lists every member its context concerns), not a full state. */
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

    @Override
    public boolean isEmpty() {
        return present == 0;
    }

    // ------------------------------------------------------------------ merge

    /**
     * Joins {@code other} (a state or a delta) into this state. Visits every member of this
     * state only when {@code other} is a full state; a delta is applied in time proportional
     * to its own size.
     */
    @Override
    public void merge(SetValue other) {
        if (other == this) {
            return;
        }
        CausalContext theirs = other.context;
        if (!other.delta) {
            // Members they do not list: keep the dots their context has not seen.
            for (int i = size - 1; i >= 0; i--) {
                if (other.find(members[i], hashes[i]) < 0) {
                    filterDots(i, theirs);
                }
            }
        }
        for (int j = 0; j < other.size; j++) {
            byte[] member = other.members[j];
            int hash = other.hashes[j];
            int i = find(member, hash);
            if (i < 0) {
                long[] keep = new long[2 * other.dotCount(j)];
                int n = 0;
                for (int k = 0; k < other.dotCount(j); k++) {
                    long node = other.dotNode(j, k);
                    long counter = other.dotCounter(j, k);
                    if (!context.contains(node, counter)) {
                        keep[2 * n] = node;
                        keep[2 * n + 1] = counter;
                        n++;
                    }
                }
                if (n > 0 || delta) {
                    append(member, hash, 0, 0);
                    setDots(size - 1, keep, n);
                }
            } else {
                joinDots(i, other, j);
            }
        }
        context.merge(theirs);
        if (delta && !other.delta) {
            delta = false;
            while (size > present) {
                removeAt(size - 1);
            }
        }
        stamp(other.lastHlc, other.lastNode);
    }

    /** Dot-store join of member {@code i} here with member {@code j} of {@code other}. */
    private void joinDots(int i, SetValue other, int j) {
        int mine = dotCount(i);
        int theirs = other.dotCount(j);
        if (mine == 1 && theirs == 1 && dotNodes[i] == other.dotNodes[j]
                && dotCounters[i] == other.dotCounters[j]) {
            return; // the common case: both sides hold the same single dot
        }
        long[] out = new long[2 * (mine + theirs)];
        int n = 0;
        int a = 0;
        int b = 0;
        boolean changed = false;
        while (a < mine || b < theirs) {
            int c;
            if (a == mine) {
                c = 1;
            } else if (b == theirs) {
                c = -1;
            } else {
                c = compareDots(dotNode(i, a), dotCounter(i, a), other.dotNode(j, b), other.dotCounter(j, b));
            }
            if (c == 0) {
                out[2 * n] = dotNode(i, a);
                out[2 * n + 1] = dotCounter(i, a);
                n++;
                a++;
                b++;
            } else if (c < 0) {
                long node = dotNode(i, a);
                long counter = dotCounter(i, a);
                a++;
                if (!other.context.contains(node, counter)) {
                    out[2 * n] = node;
                    out[2 * n + 1] = counter;
                    n++;
                } else {
                    changed = true;
                }
            } else {
                long node = other.dotNode(j, b);
                long counter = other.dotCounter(j, b);
                b++;
                if (!context.contains(node, counter)) {
                    out[2 * n] = node;
                    out[2 * n + 1] = counter;
                    n++;
                    changed = true;
                }
            }
        }
        if (changed) {
            setDots(i, out, n);
        }
    }

    /** Drops the dots of entry {@code i} that {@code seen} covers. */
    private void filterDots(int i, CausalContext seen) {
        int count = dotCount(i);
        if (count == 0) {
            return;
        }
        if (count == 1) {
            if (seen.contains(dotNodes[i], dotCounters[i])) {
                setDots(i, null, 0);
            }
            return;
        }
        long[] out = new long[2 * count];
        int n = 0;
        for (int k = 0; k < count; k++) {
            long node = dotNode(i, k);
            long counter = dotCounter(i, k);
            if (!seen.contains(node, counter)) {
                out[2 * n] = node;
                out[2 * n + 1] = counter;
                n++;
            }
        }
        if (n != count) {
            setDots(i, out, n);
        }
    }

    @Override
    public SetValue copy() {
        SetValue c = new SetValue(delta, size, context.copy());
        c.lastHlc = lastHlc;
        c.lastNode = lastNode;
        System.arraycopy(members, 0, c.members, 0, size);
        System.arraycopy(hashes, 0, c.hashes, 0, size);
        System.arraycopy(dotNodes, 0, c.dotNodes, 0, size);
        System.arraycopy(dotCounters, 0, c.dotCounters, 0, size);
        if (moreDots != null) {
            c.moreDots = new long[c.members.length][];
            for (int i = 0; i < size; i++) {
                c.moreDots[i] = moreDots[i] == null ? null : moreDots[i].clone();
            }
        }
        c.size = size;
        c.present = present;
        if (table != null) {
            c.table = table.clone();
        }
        return c;
    }

    // ------------------------------------------------------------------ codec

    /**
     * Writes this state: flags (bit 0 = delta), last-write stamp, context, then the members in
     * unsigned lexicographic order, each with its dots in (node, counter) order. The order makes
     * the encoding canonical: equal states encode to equal bytes.
     */
    @Override
    public void encode(CrdtWriter w) {
        w.writeByte(delta ? FLAG_DELTA : 0);
        w.writeFixedLong(lastHlc);
        CrdtCodec.writeNode(w, lastNode);
        context.encode(w);
        w.writeVarInt(size);
        byte[][] sorted = Arrays.copyOf(members, size);
        Arrays.sort(sorted, Arrays::compareUnsigned);
        for (byte[] member : sorted) {
            int i = find(member, MemberHash.hash(member));
            w.writeBytes(member);
            int count = dotCount(i);
            w.writeVarInt(count);
            for (int k = 0; k < count; k++) {
                CrdtCodec.writeNode(w, dotNode(i, k));
                w.writeVarLong(dotCounter(i, k));
            }
        }
    }

    /**
     * Reads a state written by {@link #encode}. Rejects with {@link CrdtCodecException} anything
     * malformed: unknown flags, members out of order or repeated, dots out of order, dots the
     * context has not seen, dotless members in a full state.
     */
    public static SetValue decode(CrdtReader r) {
        int flags = r.readByte();
        if ((flags & ~FLAG_DELTA) != 0) {
            throw new CrdtCodecException("unknown set flags " + flags);
        }
        boolean isDelta = (flags & FLAG_DELTA) != 0;
        long hlc = r.readFixedLong();
        long node = CrdtCodec.readNode(r);
        CausalContext ctx = CausalContext.decode(r);
        int n = r.readCount();
        // Capacity grows as members actually arrive: a forged count cannot make us allocate
        // many times the input size up front.
        SetValue v = new SetValue(isDelta, Math.min(n, DECODE_CAPACITY), ctx);
        v.lastHlc = hlc;
        v.lastNode = node;
        byte[] previous = null;
        for (int k = 0; k < n; k++) {
            byte[] member = r.readBytes();
            if (previous != null && Arrays.compareUnsigned(previous, member) >= 0) {
                throw new CrdtCodecException("set members not in strictly ascending order");
            }
            previous = member;
            int dots = r.readCount();
            if (dots > r.remaining() / 2) {
                throw new CrdtCodecException("dot count " + dots + " exceeds remaining input");
            }
            if (dots == 0 && !isDelta) {
                throw new CrdtCodecException("member without dots in a full set state");
            }
            long[] pairs = new long[2 * dots];
            for (int d = 0; d < dots; d++) {
                long dotNode = CrdtCodec.readNode(r);
                long counter = r.readVarLong();
                if (counter < 1) {
                    throw new CrdtCodecException("dot counter must be >= 1");
                }
                if (d > 0 && compareDots(dotNode, counter, pairs[2 * d - 2], pairs[2 * d - 1]) <= 0) {
                    throw new CrdtCodecException("member dots not in strictly ascending order");
                }
                if (!ctx.contains(dotNode, counter)) {
                    throw new CrdtCodecException("member dot outside the causal context");
                }
                pairs[2 * d] = dotNode;
                pairs[2 * d + 1] = counter;
            }
            v.append(member, MemberHash.hash(member), 0, 0);
            v.setDots(v.size - 1, pairs, dots);
        }
        return v;
    }

    // ------------------------------------------------------------------ dots of one entry

    private int dotCount(int i) {
        long c = dotCounters[i];
        return c > 0 ? 1 : c == 0 ? 0 : moreDots[i].length / 2;
    }

    private long dotNode(int i, int k) {
        return dotCounters[i] == MULTI ? moreDots[i][2 * k] : dotNodes[i];
    }

    private long dotCounter(int i, int k) {
        return dotCounters[i] == MULTI ? moreDots[i][2 * k + 1] : dotCounters[i];
    }

    private void addDotsTo(int i, CausalContext target) {
        for (int k = 0, n = dotCount(i); k < n; k++) {
            target.add(dotNode(i, k), dotCounter(i, k));
        }
    }

    /**
     * Replaces the dots of entry {@code i} with the first {@code n} sorted pairs of
     * {@code pairs}, moving the entry between the present and dotless regions (or out of a full
     * state) as its dot count crosses zero.
     */
    private void setDots(int i, long[] pairs, int n) {
        boolean wasPresent = i < present;
        if (n == 0) {
            dotCounters[i] = 0;
            dotNodes[i] = 0;
        } else if (n == 1) {
            dotNodes[i] = pairs[0];
            dotCounters[i] = pairs[1];
        } else {
            if (moreDots == null) {
                moreDots = new long[members.length][];
            }
            moreDots[i] = pairs.length == 2 * n ? pairs : Arrays.copyOf(pairs, 2 * n);
            dotCounters[i] = MULTI;
            dotNodes[i] = 0;
        }
        if (n < 2 && moreDots != null) {
            moreDots[i] = null;
        }
        if (wasPresent && n == 0) {
            if (delta) {
                swap(i, present - 1);
                present--;
            } else {
                removeAt(i);
            }
        } else if (!wasPresent && n > 0) {
            swap(i, present);
            present++;
        }
    }

    private static int compareDots(long nodeA, long counterA, long nodeB, long counterB) {
        int c = Long.compare(nodeA, nodeB);
        return c != 0 ? c : Long.compare(counterA, counterB);
    }

    private void stamp(long hlc, long node) {
        if (Stamp.compare(hlc, node, lastHlc, lastNode) > 0) {
            lastHlc = hlc;
            lastNode = node;
        }
    }

    // ------------------------------------------------------------------ dense storage + table

    /** Dense index of {@code member}, or -1. */
    private int find(byte[] member, int hash) {
        if (table == null) {
            for (int i = 0; i < size; i++) {
                if (hashes[i] == hash && Arrays.equals(members[i], member)) {
                    return i;
                }
            }
            return -1;
        }
        int mask = table.length - 1;
        for (int s = hash & mask; ; s = (s + 1) & mask) {
            int v = table[s];
            if (v == 0) {
                return -1;
            }
            if (hashes[v - 1] == hash && Arrays.equals(members[v - 1], member)) {
                return v - 1;
            }
        }
    }

    /**
     * Appends an entry with one dot (or none when {@code counter == 0}) and places it in the
     * right region.
     */
    private void append(byte[] member, int hash, long node, long counter) {
        if (size == members.length) {
            int cap = Math.max(4, size + (size >> 1));
            members = Arrays.copyOf(members, cap);
            hashes = Arrays.copyOf(hashes, cap);
            dotNodes = Arrays.copyOf(dotNodes, cap);
            dotCounters = Arrays.copyOf(dotCounters, cap);
            if (moreDots != null) {
                moreDots = Arrays.copyOf(moreDots, cap);
            }
        }
        int i = size++;
        members[i] = member;
        hashes[i] = hash;
        dotNodes[i] = node;
        dotCounters[i] = counter;
        if (table != null) {
            if (size * 3 > table.length * 2) {
                rebuildTable(table.length * 2);
            } else {
                tableInsert(i);
            }
        } else if (size > LINEAR_SCAN_MAX) {
            rebuildTable(Integer.highestOneBit(size * 2) * 2);
        }
        if (counter != 0) {
            swap(i, present);
            present++;
        }
    }

    /** Removes entry {@code i} entirely, keeping both regions dense. */
    private void removeAt(int i) {
        if (i < present) {
            swap(i, present - 1);
            i = present - 1;
            present--;
        }
        swap(i, size - 1);
        int last = size - 1;
        if (table != null) {
            tableDelete(slotOf(last));
        }
        members[last] = null;
        dotCounters[last] = 0;
        dotNodes[last] = 0;
        if (moreDots != null) {
            moreDots[last] = null;
        }
        size--;
    }

    /** Exchanges dense entries {@code i} and {@code j}, fixing their table slots. */
    private void swap(int i, int j) {
        if (i == j) {
            return;
        }
        if (table != null) {
            int si = slotOf(i);
            int sj = slotOf(j);
            table[si] = j + 1;
            table[sj] = i + 1;
        }
        byte[] m = members[i];
        members[i] = members[j];
        members[j] = m;
        int h = hashes[i];
        hashes[i] = hashes[j];
        hashes[j] = h;
        long dn = dotNodes[i];
        dotNodes[i] = dotNodes[j];
        dotNodes[j] = dn;
        long dc = dotCounters[i];
        dotCounters[i] = dotCounters[j];
        dotCounters[j] = dc;
        if (moreDots != null) {
            long[] md = moreDots[i];
            moreDots[i] = moreDots[j];
            moreDots[j] = md;
        }
    }

    private int slotOf(int index) {
        int mask = table.length - 1;
        for (int s = hashes[index] & mask; ; s = (s + 1) & mask) {
            if (table[s] == index + 1) {
                return s;
            }
        }
    }

    private void tableInsert(int index) {
        int mask = table.length - 1;
        int s = hashes[index] & mask;
        while (table[s] != 0) {
            s = (s + 1) & mask;
        }
        table[s] = index + 1;
    }

    /** Frees slot {@code s}, shifting later entries of the probe run back (no tombstones). */
    private void tableDelete(int s) {
        int mask = table.length - 1;
        int hole = s;
        for (int j = (s + 1) & mask; table[j] != 0; j = (j + 1) & mask) {
            int home = hashes[table[j] - 1] & mask;
            // The entry at j may move into the hole unless its home lies cyclically in (hole, j].
            boolean homeInRange = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!homeInRange) {
                table[hole] = table[j];
                hole = j;
            }
        }
        table[hole] = 0;
    }

    private void rebuildTable(int capacity) {
        table = new int[capacity];
        for (int i = 0; i < size; i++) {
            tableInsert(i);
        }
    }

    // ------------------------------------------------------------------ equality

    /** Equal when both hold the same members with the same dots, context, stamp and delta flag. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SetValue other) || delta != other.delta || size != other.size
                || present != other.present || lastHlc != other.lastHlc || lastNode != other.lastNode
                || !context.equals(other.context)) {
            return false;
        }
        for (int i = 0; i < size; i++) {
            int j = other.find(members[i], hashes[i]);
            if (j < 0 || dotCount(i) != other.dotCount(j)) {
                return false;
            }
            for (int k = 0; k < dotCount(i); k++) {
                if (dotNode(i, k) != other.dotNode(j, k) || dotCounter(i, k) != other.dotCounter(j, k)) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 0;
        for (int i = 0; i < size; i++) {
            h += Arrays.hashCode(members[i]);
        }
        return 31 * h + present;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(delta ? "SetDelta{" : "Set{");
        for (int i = 0; i < size; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(new String(members[i], StandardCharsets.UTF_8)).append('[');
            for (int k = 0; k < dotCount(i); k++) {
                sb.append(k > 0 ? " " : "").append(dotNode(i, k)).append(':').append(dotCounter(i, k));
            }
            sb.append(']');
        }
        return sb.append(" ctx=").append(context).append('}').toString();
    }
}
