package io.converge.crdt;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiPredicate;
import java.util.function.Predicate;

/**
 * A Redis stream as an add-wins map of immutable entries with observed removal: every XADD puts
 * an entry (an ID and its field/value pairs) under a fresh dot, and a {@link CausalContext}
 * records every dot this state has observed, as in {@link SetValue}.
 *
 * <p><b>Removal.</b> XDEL and XTRIM drop the dots of the entries they saw (the dots stay in the
 * context, so the entries stay removed on merge), and a key-level delete drops every dot its
 * context covers ({@link #removeObserved}). An entry the remover had not seen (a concurrent XADD)
 * carries a dot outside its context and survives: add wins. Nothing is left behind: XTRIM costs
 * no tombstones.
 *
 * <p><b>Last ID.</b> Redis keeps a stream's last generated ID across XDEL and XTRIM and forgets
 * it with the key. Here it is an LWW register {@code (stamp, id)} written by every XADD, cleared
 * by a key-level delete watermark stamped after it ({@link #removeUpTo}, as a hash field is);
 * {@link #lastId()} is the greater of the register and the greatest entry ID. While a key's XADDs
 * run on its primary (the server routes them there) stamps and IDs grow together, so the register
 * holds the greatest ID ever added; only after concurrent XADDs on replicas cut off from each
 * other can it hold the later-stamped, smaller one. The greatest ID removed by XDEL and XTRIM is a
 * second such register (XINFO's {@code max-deleted-entry-id}).
 *
 * <p><b>Equal IDs.</b> Two replicas cut off from each other may each add an entry with the same
 * explicit ID. Both are kept (under their own dots); the visible one is the entry written at the
 * greater stamp (HLC, then replica), the same on every replica. XDEL or XTRIM of that ID removes
 * both. Auto IDs never collide (see {@link StreamId#autoId}).
 *
 * <p><b>Deltas.</b> Mutators apply themselves and return a delta: a {@code StreamValue} flagged
 * as a delta, listing the IDs it concerns (with the added entry, or with no entry for a removal)
 * and a context of exactly their dots, so merging it visits only those IDs.
 *
 * <p><b>Layout.</b> Entries are in a tree by ID; each holds its field/value pairs in one array
 * (kept by reference: callers must not mutate them). Not thread-safe.
 */
public final class StreamValue implements CrdtValue<StreamValue> {

    private static final int FLAG_DELTA = 1;

    /** One add: its dot, stamp and pairs. Chained (in dot order) only for equal IDs. */
    private static final class Entry {
        final long dotNode;
        final long dotCounter;
        final long hlc;
        final byte[][] pairs;
        Entry next;

        Entry(long dotNode, long dotCounter, long hlc, byte[][] pairs) {
            this.dotNode = dotNode;
            this.dotCounter = dotCounter;
            this.hlc = hlc;
            this.pairs = pairs;
        }

        int compareDot(long node, long counter) {
            int c = Long.compare(dotNode, node);
            return c != 0 ? c : Long.compare(dotCounter, counter);
        }

        Entry copyOne() {
            return new Entry(dotNode, dotCounter, hlc, pairs);
        }
    }

    /** Visits entries: ID and field/value pairs (field, value, field, value ...); false stops. */
    @FunctionalInterface
    public interface EntryVisitor {
        /** Called per visible entry; return false to stop the walk. The array must not be mutated. */
        boolean visit(StreamId id, byte[][] pairs);
    }

    /**
     * An LWW register of an ID and a count, cleared (stamp 0) by a delete watermark. Writes are
     * ordered by stamp, then ID, then count (writes of one command share a stamp).
     */
    private static final class IdRegister {
        long hlc;
        long node;
        StreamId id = StreamId.MIN;
        long count;

        void set(long h, long n, StreamId v, long c) {
            int cmp = Stamp.compare(h, n, hlc, node);
            if (cmp == 0) {
                cmp = v.compareTo(id);
            }
            if (cmp == 0) {
                cmp = Long.compare(c, count);
            }
            if (cmp > 0) {
                hlc = h;
                node = n;
                id = v;
                count = c;
            }
        }

        void clearUpTo(long h, long n) {
            if (hlc != 0 && Stamp.compare(hlc, node, h, n) <= 0) {
                hlc = 0;
                node = 0;
                id = StreamId.MIN;
                count = 0;
            }
        }

        void copyFrom(IdRegister o) {
            hlc = o.hlc;
            node = o.node;
            id = o.id;
            count = o.count;
        }

        boolean same(IdRegister o) {
            return hlc == o.hlc && node == o.node && id.equals(o.id) && count == o.count;
        }

        void encode(CrdtWriter w) {
            w.writeFixedLong(hlc);
            if (hlc != 0) {
                CrdtCodec.writeNode(w, node);
                w.writeVarLong(id.ms());
                w.writeVarLong(id.seq());
                w.writeVarLong(count);
            }
        }

        void decode(CrdtReader r) {
            hlc = StringValue.readHlc(r);
            if (hlc != 0) {
                node = CrdtCodec.readNode(r);
                id = new StreamId(r.readVarLong(), r.readVarLong());
                count = r.readVarLong();
            }
        }
    }

    private final CausalContext context;
    private final TreeMap<StreamId, Entry> entries = new TreeMap<>();
    /** In a delta: IDs listed without entries (removals). */
    private final TreeSet<StreamId> touched = new TreeSet<>();
    private boolean delta;
    private long lastHlc;
    private long lastNode;
    private final IdRegister last = new IdRegister();
    private final IdRegister maxDeleted = new IdRegister();
    /** The greatest key-level delete watermark joined in: registers stamped at or before it are cleared. */
    private long floorHlc;
    private long floorNode;

    /** An empty stream. */
    public StreamValue() {
        this(false, new CausalContext());
    }

    private StreamValue(boolean delta, CausalContext context) {
        this.delta = delta;
        this.context = context;
    }

    @Override
    public ValueType type() {
        return ValueType.STREAM;
    }

    // ------------------------------------------------------------------ reads

    /** Number of entries (XLEN). */
    public int size() {
        return entries.size();
    }

    /**
     * Whether the stream holds nothing, not even a last ID: a stream whose entries were all
     * removed by XDEL or XTRIM still exists (as in Redis); one removed by a delete does not.
     */
    @Override
    public boolean isEmpty() {
        return entries.isEmpty() && last.hlc == 0;
    }

    /** The greatest ID this stream holds or last added ({@code 0-0} for none): XADD's lower bound. */
    public StreamId lastId() {
        if (entries.isEmpty()) {
            return last.id;
        }
        StreamId top = entries.lastKey();
        return top.compareTo(last.id) > 0 ? top : last.id;
    }

    /** The greatest ID XDEL or XTRIM removed ({@code 0-0} if none since the key was created). */
    public StreamId maxDeletedId() {
        return maxDeleted.id;
    }

    /**
     * XINFO's {@code entries-added}: the number of XADDs since the key was created, as counted by
     * the last XADD (an LWW register with the last ID: after concurrent XADDs on replicas cut off
     * from each other it is the count of the later-stamped one, an undercount).
     */
    public long entriesAdded() {
        return last.count;
    }

    /** The first entry's ID, or null. */
    public StreamId firstId() {
        return entries.isEmpty() ? null : entries.firstKey();
    }

    /** The field/value pairs of entry {@code id}, or null. The array must not be mutated. */
    public byte[][] get(StreamId id) {
        Entry e = winner(entries.get(id));
        return e == null ? null : e.pairs;
    }

    /**
     * Visits the entries with IDs in {@code [from, to]} in ascending order, or descending if
     * {@code reverse}, until the visitor returns false.
     */
    public void range(StreamId from, StreamId to, boolean reverse, EntryVisitor visitor) {
        if (from.compareTo(to) > 0) {
            return;
        }
        NavigableMap<StreamId, Entry> sub = entries.subMap(from, true, to, true);
        if (reverse) {
            sub = sub.descendingMap();
        }
        for (Map.Entry<StreamId, Entry> e : sub.entrySet()) {
            if (!visitor.visit(e.getKey(), winner(e.getValue()).pairs)) {
                return;
            }
        }
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

    /** Node of the greatest-stamped write joined into this state. */
    public long lastWriteNode() {
        return lastNode;
    }

    // ------------------------------------------------------------------ mutators

    /**
     * XADD of {@code id} (the caller has checked it is greater than {@link #lastId()}) with the
     * field/value {@code pairs}, stamped {@code (hlc, node)} at replica {@code node}. The array
     * is kept and must not be mutated. Returns the delta.
     */
    public StreamValue add(StreamId id, byte[][] pairs, long hlc, long node) {
        Objects.requireNonNull(id, "id");
        if (pairs.length == 0 || pairs.length % 2 != 0) {
            throw new IllegalArgumentException("pairs must be a non-empty even-length array");
        }
        long counter = context.maxCounter(node) + 1;
        context.add(node, counter);
        insert(id, new Entry(node, counter, hlc, pairs));
        long added = last.count + 1;
        last.set(hlc, node, id, added);
        stamp(hlc, node);
        StreamValue d = new StreamValue(true, new CausalContext());
        d.context.add(node, counter);
        d.insert(id, new Entry(node, counter, hlc, pairs));
        d.last.set(hlc, node, id, added);
        d.stamp(hlc, node);
        return d;
    }

    /**
     * Records {@code id} as the last ID, {@code deleted} as the greatest deleted ID and {@code
     * added} as the number of entries ever added, stamped {@code (hlc, node)}, without adding an
     * entry (RESTORE and COPY keep what XINFO shows of a stream). Returns the delta.
     */
    public StreamValue setInfo(StreamId id, StreamId deleted, long added, long hlc, long node) {
        StreamValue d = new StreamValue(true, new CausalContext());
        for (StreamValue v : new StreamValue[] {this, d}) {
            v.last.set(hlc, node, id, added);
            v.maxDeleted.set(hlc, node, deleted, 0);
            v.stamp(hlc, node);
        }
        return d;
    }

    /**
     * XDEL or XTRIM of {@code ids} stamped {@code (hlc, node)}: removes every entry of those IDs
     * this state holds; {@code xdel} also records the greatest as a deleted ID (Redis's XTRIM
     * does not). Returns the delta, or null if none of them had an entry.
     */
    public StreamValue remove(Collection<StreamId> ids, long hlc, long node, boolean xdel) {
        StreamValue d = null;
        StreamId greatest = null;
        for (StreamId id : ids) {
            Entry head = entries.remove(id);
            if (head == null) {
                continue;
            }
            if (d == null) {
                d = new StreamValue(true, new CausalContext());
            }
            for (Entry e = head; e != null; e = e.next) {
                d.context.add(e.dotNode, e.dotCounter);
            }
            d.touched.add(id);
            if (greatest == null || id.compareTo(greatest) > 0) {
                greatest = id;
            }
        }
        if (d == null) {
            return null;
        }
        if (xdel) {
            StreamId keep = greatest.compareTo(maxDeleted.id) > 0 ? greatest : maxDeleted.id;
            maxDeleted.set(hlc, node, keep, 0);
            d.maxDeleted.set(hlc, node, keep, 0);
        }
        d.stamp(hlc, node);
        stamp(hlc, node);
        return d;
    }

    /**
     * Key-level remove (DEL): drops every entry {@code observed} covers and joins {@code
     * observed} into this context. Adds it has not seen survive.
     */
    public void removeObserved(CausalContext observed) {
        retain((id, e) -> !observed.contains(e.dotNode, e.dotCounter));
        context.merge(observed);
    }

    /**
     * Key-level delete watermark {@code (hlc, node)}: clears the ID registers stamped before it,
     * and keeps it, so a register stamped before it that arrives later is cleared too.
     */
    public void removeUpTo(long hlc, long node) {
        if (Stamp.compare(hlc, node, floorHlc, floorNode) > 0) {
            floorHlc = hlc;
            floorNode = node;
        }
        last.clearUpTo(floorHlc, floorNode);
        maxDeleted.clearUpTo(floorHlc, floorNode);
    }

    /** Whether a delete watermark is kept (what {@link #gc} may drop). */
    public boolean hasWatermark() {
        return floorHlc != 0;
    }

    /**
     * Tombstone GC: forgets the delete watermark once it is stamped at or before {@code
     * stableHlc} (no register stamped that early can still arrive).
     */
    public void gc(long stableHlc) {
        if (floorHlc != 0 && floorHlc <= stableHlc) {
            floorHlc = 0;
            floorNode = 0;
        }
    }

    /**
     * The delta of a key-level remove at {@code (hlc, node)} that observed {@code observed}: a
     * state holding nothing but that context and watermark (merged anywhere, it drops the entries
     * the context covers and the registers stamped before the watermark). The key envelope carries
     * both for a real DEL; this is the same remove on the value alone.
     */
    public static StreamValue removalOf(CausalContext observed, long hlc, long node) {
        StreamValue d = new StreamValue(false, observed.copy());
        d.removeUpTo(hlc, node);
        return d;
    }

    // ------------------------------------------------------------------ merge

    @Override
    public void merge(StreamValue other) {
        if (other == this) {
            return;
        }
        if (!other.delta) {
            // Dots the other state observed and no longer holds were removed there.
            retain((id, e) -> !other.context.contains(e.dotNode, e.dotCounter)
                    || find(other.entries.get(id), e.dotNode, e.dotCounter) != null);
        } else {
            // A delta lists every ID it removed from: drop those of its dots it no longer holds.
            for (StreamId id : other.touched) {
                Entry head = entries.get(id);
                if (head != null) {
                    put(id, filter(head, e -> !other.context.contains(e.dotNode, e.dotCounter)));
                }
            }
            for (Map.Entry<StreamId, Entry> me : other.entries.entrySet()) {
                Entry head = entries.get(me.getKey());
                if (head != null) {
                    Entry theirs = me.getValue();
                    put(me.getKey(), filter(head, e -> !other.context.contains(e.dotNode, e.dotCounter)
                            || find(theirs, e.dotNode, e.dotCounter) != null));
                }
            }
            if (delta) {
                touched.addAll(other.touched);
            }
        }
        for (Map.Entry<StreamId, Entry> me : other.entries.entrySet()) {
            for (Entry e = me.getValue(); e != null; e = e.next) {
                if (!context.contains(e.dotNode, e.dotCounter)) {
                    insert(me.getKey(), e.copyOne());
                }
            }
        }
        context.merge(other.context);
        last.set(other.last.hlc, other.last.node, other.last.id, other.last.count);
        maxDeleted.set(other.maxDeleted.hlc, other.maxDeleted.node, other.maxDeleted.id, other.maxDeleted.count);
        removeUpTo(other.floorHlc, other.floorNode);
        stamp(other.lastHlc, other.lastNode);
        if (delta && !other.delta) {
            delta = false;
            touched.clear();
        }
        if (delta) {
            // A delta group lists an ID either with entries or as touched.
            touched.removeAll(entries.keySet());
            for (StreamId id : other.touched) {
                if (!entries.containsKey(id)) {
                    touched.add(id);
                }
            }
        }
    }

    @Override
    public StreamValue copy() {
        StreamValue c = new StreamValue(delta, context.copy());
        for (Map.Entry<StreamId, Entry> me : entries.entrySet()) {
            c.entries.put(me.getKey(), filterCopy(me.getValue(), e -> true));
        }
        c.touched.addAll(touched);
        c.lastHlc = lastHlc;
        c.lastNode = lastNode;
        c.last.copyFrom(last);
        c.maxDeleted.copyFrom(maxDeleted);
        c.floorHlc = floorHlc;
        c.floorNode = floorNode;
        return c;
    }

    // ------------------------------------------------------------------ internals

    /** Keeps, over the whole state, only the entries {@code keep} accepts. */
    private void retain(BiPredicate<StreamId, Entry> keep) {
        Iterator<Map.Entry<StreamId, Entry>> it = entries.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<StreamId, Entry> me = it.next();
            StreamId id = me.getKey();
            Entry head = filter(me.getValue(), e -> keep.test(id, e));
            if (head == null) {
                it.remove();
            } else {
                me.setValue(head);
            }
        }
    }

    private void put(StreamId id, Entry head) {
        if (head == null) {
            entries.remove(id);
        } else {
            entries.put(id, head);
        }
    }

    /** The visible entry of a chain: the one with the greatest stamp (null for an empty chain). */
    private static Entry winner(Entry head) {
        Entry best = null;
        for (Entry e = head; e != null; e = e.next) {
            if (best == null || Stamp.compare(e.hlc, e.dotNode, best.hlc, best.dotNode) > 0) {
                best = e;
            }
        }
        return best;
    }

    /** The entries of a chain that {@code keep} accepts: the chain itself if it keeps all, else copies. */
    private static Entry filter(Entry head, Predicate<Entry> keep) {
        for (Entry e = head; e != null; e = e.next) {
            if (!keep.test(e)) {
                return filterCopy(head, keep);
            }
        }
        return head;
    }

    private static Entry filterCopy(Entry head, Predicate<Entry> keep) {
        Entry h = null;
        Entry t = null;
        for (Entry e = head; e != null; e = e.next) {
            if (keep.test(e)) {
                Entry c = e.copyOne();
                if (h == null) {
                    h = c;
                } else {
                    t.next = c;
                }
                t = c;
            }
        }
        return h;
    }

    private static Entry find(Entry head, long node, long counter) {
        for (Entry e = head; e != null; e = e.next) {
            if (e.compareDot(node, counter) == 0) {
                return e;
            }
        }
        return null;
    }

    /** Inserts one entry (a dot not held yet) into its ID's chain, keeping the chain in dot order. */
    private void insert(StreamId id, Entry x) {
        Entry head = entries.get(id);
        if (head == null || head.compareDot(x.dotNode, x.dotCounter) > 0) {
            x.next = head;
            entries.put(id, x);
        } else {
            Entry p = head;
            while (p.next != null && p.next.compareDot(x.dotNode, x.dotCounter) < 0) {
                p = p.next;
            }
            x.next = p.next;
            p.next = x;
        }
    }

    private void stamp(long hlc, long node) {
        if (Stamp.compare(hlc, node, lastHlc, lastNode) > 0) {
            lastHlc = hlc;
            lastNode = node;
        }
    }

    // ------------------------------------------------------------------ codec

    /**
     * Writes: flags (delta), last-write stamp, delete watermark stamp, the last-ID and max-deleted-ID registers (stamp,
     * then node and ID if the stamp is not 0), the context, the number of IDs, then per ID in
     * ascending order its two numbers and its chain in dot order (dot node, counter, HLC, pair
     * count, pairs); a delta's removals are IDs with an empty chain. Canonical: the tree, the
     * chains and the touched IDs are ordered.
     */
    @Override
    public void encode(CrdtWriter w) {
        w.writeVarInt(delta ? FLAG_DELTA : 0);
        w.writeFixedLong(lastHlc);
        CrdtCodec.writeNode(w, lastNode);
        w.writeFixedLong(floorHlc);
        CrdtCodec.writeNode(w, floorNode);
        last.encode(w);
        maxDeleted.encode(w);
        context.encode(w);
        TreeSet<StreamId> ids = new TreeSet<>(entries.keySet());
        ids.addAll(touched);
        w.writeVarInt(ids.size());
        for (StreamId id : ids) {
            w.writeVarLong(id.ms());
            w.writeVarLong(id.seq());
            int n = 0;
            for (Entry e = entries.get(id); e != null; e = e.next) {
                n++;
            }
            w.writeVarInt(n);
            for (Entry e = entries.get(id); e != null; e = e.next) {
                CrdtCodec.writeNode(w, e.dotNode);
                w.writeVarLong(e.dotCounter);
                w.writeFixedLong(e.hlc);
                w.writeVarInt(e.pairs.length);
                for (byte[] b : e.pairs) {
                    w.writeBytes(b);
                }
            }
        }
    }

    /** Reads a stream written by {@link #encode}; malformed input raises {@link CrdtCodecException}. */
    public static StreamValue decode(CrdtReader r) {
        long flags = r.readVarLong();
        if ((flags & ~FLAG_DELTA) != 0) {
            throw new CrdtCodecException("unknown stream flags " + flags);
        }
        long lastHlc = StringValue.readHlc(r);
        long lastNode = CrdtCodec.readNode(r);
        long floorHlc = StringValue.readHlc(r);
        long floorNode = CrdtCodec.readNode(r);
        IdRegister last = new IdRegister();
        last.decode(r);
        IdRegister maxDeleted = new IdRegister();
        maxDeleted.decode(r);
        boolean delta = flags != 0;
        StreamValue s = new StreamValue(delta, CausalContext.decode(r));
        s.lastHlc = lastHlc;
        s.lastNode = lastNode;
        s.last.copyFrom(last);
        s.maxDeleted.copyFrom(maxDeleted);
        s.removeUpTo(floorHlc, floorNode);
        int ids = r.readCount();
        StreamId previous = null;
        for (int i = 0; i < ids; i++) {
            StreamId id = new StreamId(r.readVarLong(), r.readVarLong());
            if (previous != null && previous.compareTo(id) >= 0) {
                throw new CrdtCodecException("stream IDs not in strictly ascending order");
            }
            previous = id;
            int n = r.readCount();
            if (n == 0) {
                if (!delta) {
                    throw new CrdtCodecException("stream ID without entries");
                }
                s.touched.add(id);
                continue;
            }
            long prevNode = 0;
            long prevCounter = 0;
            for (int j = 0; j < n; j++) {
                long node = CrdtCodec.readNode(r);
                long counter = r.readVarLong();
                long hlc = StringValue.readHlc(r);
                if (counter < 1 || node < 0) {
                    throw new CrdtCodecException("bad stream entry dot");
                }
                if (j > 0 && (node < prevNode || node == prevNode && counter <= prevCounter)) {
                    throw new CrdtCodecException("stream entry dots not in strictly ascending order");
                }
                prevNode = node;
                prevCounter = counter;
                if (!s.context.contains(node, counter)) {
                    throw new CrdtCodecException("stream entry dot outside the context");
                }
                int pairs = r.readCount();
                if (pairs == 0 || pairs % 2 != 0) {
                    throw new CrdtCodecException("bad stream field/value count");
                }
                byte[][] fv = new byte[pairs][];
                for (int k = 0; k < pairs; k++) {
                    fv[k] = r.readBytes();
                }
                s.insert(id, new Entry(node, counter, hlc, fv));
            }
        }
        return s;
    }

    // ------------------------------------------------------------------ equality

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof StreamValue other) || delta != other.delta || lastHlc != other.lastHlc
                || lastNode != other.lastNode || floorHlc != other.floorHlc || floorNode != other.floorNode
                || !last.same(other.last) || !maxDeleted.same(other.maxDeleted)
                || !touched.equals(other.touched) || !context.equals(other.context)
                || entries.size() != other.entries.size()) {
            return false;
        }
        Iterator<Map.Entry<StreamId, Entry>> a = entries.entrySet().iterator();
        Iterator<Map.Entry<StreamId, Entry>> b = other.entries.entrySet().iterator();
        while (a.hasNext()) {
            Map.Entry<StreamId, Entry> x = a.next();
            Map.Entry<StreamId, Entry> y = b.next();
            if (!x.getKey().equals(y.getKey())) {
                return false;
            }
            Entry p = x.getValue();
            Entry q = y.getValue();
            while (p != null && q != null) {
                if (p.compareDot(q.dotNode, q.dotCounter) != 0 || p.hlc != q.hlc || !Arrays.deepEquals(p.pairs, q.pairs)) {
                    return false;
                }
                p = p.next;
                q = q.next;
            }
            if (p != null || q != null) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return entries.keySet().hashCode() * 31 + context.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(delta ? "StreamDelta{" : "Stream{");
        if (last.hlc != 0) {
            sb.append("last=").append(last.id).append(' ');
        }
        for (Map.Entry<StreamId, Entry> me : entries.entrySet()) {
            sb.append(me.getKey()).append('[');
            for (Entry e = me.getValue(); e != null; e = e.next) {
                sb.append(e.dotNode).append(':').append(e.dotCounter);
                for (byte[] b : e.pairs) {
                    sb.append(' ').append(new String(b, StandardCharsets.UTF_8));
                }
                sb.append(e.next == null ? "" : "; ");
            }
            sb.append("] ");
        }
        if (!touched.isEmpty()) {
            sb.append("removed=").append(touched).append(' ');
        }
        return sb.append("ctx=").append(context).append('}').toString();
    }
}
