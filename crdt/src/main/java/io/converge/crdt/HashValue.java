package io.converge.crdt;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A Redis hash: a map from field to a {@link StringValue} (an LWW register that is also a
 * resettable counter, for HINCRBY and HINCRBYFLOAT), with field tombstones and a hash-wide
 * delete watermark.
 *
 * <p><b>Deletes.</b> HDEL joins a tombstone (an absent base at the HDEL's stamp) into the field,
 * so an older HSET that arrives later does not resurrect it, while an HSET stamped after the HDEL
 * wins. A key-level delete sets the <em>floor</em>: every field is treated as if it also held a
 * tombstone at the floor. A field missing from the map therefore means "tombstone at the floor",
 * and a field that is nothing more than that is dropped, so equal states have equal maps.
 *
 * <p><b>Garbage collection.</b> {@link #gc(long)} drops field tombstones and the floor once they
 * are stamped at or before a point every replica has acknowledged: no write stamped that early
 * can still arrive, and later increments on a dropped field still count everywhere (see
 * {@link StringValue}: contributions begun after a delete survive it).
 *
 * <p>Mutators apply to this state and return the delta: a {@code HashValue} holding only the
 * written field. Merge costs O(fields in the other state), plus O(fields here) when the other
 * state raises the floor. Field names and values are kept by reference and must not be
 * mutated. Not thread-safe.
 */
public final class HashValue implements CrdtValue<HashValue> {

    private final HashMap<Bytes, StringValue> fields;
    private long floorHlc;
    private long floorNode;
    private long lastHlc;
    private long lastNode;
    /** Number of fields with a visible value. */
    private int visible;

    /** An empty hash. */
    public HashValue() {
        this(4);
    }

    private HashValue(int expected) {
        fields = new HashMap<>(Math.max(2, (int) (expected / 0.75f) + 1));
    }

    @Override
    public ValueType type() {
        return ValueType.HASH;
    }

    // ------------------------------------------------------------------ reads

    /** The visible value of {@code field} (HGET), or null. The array must not be mutated. */
    public byte[] get(byte[] field) {
        StringValue v = fields.get(Bytes.wrap(field));
        return v == null ? null : v.get();
    }

    /** Whether {@code field} has a visible value (HEXISTS). */
    public boolean containsField(byte[] field) {
        StringValue v = fields.get(Bytes.wrap(field));
        return v != null && !v.isEmpty();
    }

    /**
     * The state of {@code field} (for example to read a counter with {@link
     * StringValue#longValue()} after HINCRBY), or null. Read-only: mutate through this hash.
     */
    public StringValue field(byte[] field) {
        return fields.get(Bytes.wrap(field));
    }

    /** Number of visible fields (HLEN). */
    public int size() {
        return visible;
    }

    @Override
    public boolean isEmpty() {
        return visible == 0;
    }

    /** Calls {@code action} with every visible (field, value) pair, in no particular order. */
    public void forEach(BiConsumer<byte[], byte[]> action) {
        for (Map.Entry<Bytes, StringValue> e : fields.entrySet()) {
            byte[] v = e.getValue().get();
            if (v != null) {
                action.accept(e.getKey().array(), v);
            }
        }
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

    /** HSET of one field at {@code (hlc, node)}; returns the delta. */
    public HashValue hset(byte[] field, byte[] value, long hlc, long node) {
        StringValue fieldDelta = new StringValue(value, hlc, node);
        HashValue d = deltaOf(field, fieldDelta, hlc, node);
        apply(Bytes.wrap(field), fieldDelta, hlc, node);
        return d;
    }

    /**
     * HDEL of one field at {@code (hlc, node)}: leaves a tombstone. Returns the delta, or null if
     * the field was not visible (nothing to delete, nothing to replicate).
     */
    public HashValue hdel(byte[] field, long hlc, long node) {
        Bytes key = Bytes.wrap(field);
        StringValue current = fields.get(key);
        if (current == null || current.isEmpty()) {
            return null;
        }
        StringValue tombstone = StringValue.tombstone(hlc, node);
        HashValue d = deltaOf(field, tombstone, hlc, node);
        apply(key, tombstone, hlc, node);
        return d;
    }

    /**
     * HINCRBY at replica {@code node}; the new value is then {@code field(f).longValue()}.
     * Returns the delta.
     *
     * @throws CounterException as {@link StringValue#incrBy} (answer with {@link
     *     CounterException.Reason#hashMessage()})
     */
    public HashValue hincrBy(byte[] field, long delta, long hlc, long node) {
        Bytes key = Bytes.wrap(field);
        StringValue current = fields.get(key);
        boolean fresh = current == null;
        StringValue state = fresh ? freshField() : current;
        boolean wasVisible = !fresh && !state.isEmpty();
        StringValue fieldDelta = state.incrBy(delta, hlc, node);
        store(key, state, fresh, wasVisible, hlc, node);
        return deltaOf(field, fieldDelta, hlc, node);
    }

    /**
     * HINCRBYFLOAT at replica {@code node} by the float in {@code increment}; the new value is
     * then {@link #get}. Returns the delta.
     *
     * @throws CounterException as {@link StringValue#incrByFloat}
     */
    public HashValue hincrByFloat(byte[] field, byte[] increment, long hlc, long node) {
        Bytes key = Bytes.wrap(field);
        StringValue current = fields.get(key);
        boolean fresh = current == null;
        StringValue state = fresh ? freshField() : current;
        boolean wasVisible = !fresh && !state.isEmpty();
        StringValue fieldDelta = state.incrByFloat(increment, hlc, node);
        store(key, state, fresh, wasVisible, hlc, node);
        return deltaOf(field, fieldDelta, hlc, node);
    }

    /** Key-level delete at watermark {@code (hlc, node)}: raises the floor (O(fields)). */
    public void removeUpTo(long hlc, long node) {
        if (Stamp.compare(hlc, node, floorHlc, floorNode) <= 0) {
            return;
        }
        floorHlc = hlc;
        floorNode = node;
        Iterator<StringValue> it = fields.values().iterator();
        while (it.hasNext()) {
            StringValue v = it.next();
            boolean wasVisible = !v.isEmpty();
            v.removeUpTo(hlc, node);
            boolean nowVisible = !v.isEmpty();
            if (wasVisible && !nowVisible) {
                visible--;
            }
            if (isFloorTombstone(v)) {
                it.remove();
            }
        }
    }

    /**
     * Drops field tombstones, dead counter contributions and the floor stamped at or before
     * {@code stableHlc} (a point every replica has acknowledged). Returns whether nothing is
     * left but the last-write stamp, so the owner may drop this value.
     */
    public boolean gc(long stableHlc) {
        Iterator<StringValue> it = fields.values().iterator();
        while (it.hasNext()) {
            StringValue v = it.next();
            if (v.gc(stableHlc)) {
                it.remove();
            }
        }
        if (floorHlc != 0 && floorHlc <= stableHlc) {
            floorHlc = 0;
            floorNode = 0;
        }
        return fields.isEmpty() && floorHlc == 0;
    }

    // ------------------------------------------------------------------ merge

    @Override
    public void merge(HashValue other) {
        if (other == this) {
            return;
        }
        if (Stamp.compare(other.floorHlc, other.floorNode, floorHlc, floorNode) > 0) {
            removeUpTo(other.floorHlc, other.floorNode);
        }
        for (Map.Entry<Bytes, StringValue> e : other.fields.entrySet()) {
            Bytes key = e.getKey();
            StringValue mine = fields.get(key);
            if (mine == null) {
                StringValue v = e.getValue().copy();
                v.removeUpTo(floorHlc, floorNode);
                if (!isFloorTombstone(v)) {
                    fields.put(key, v);
                    if (!v.isEmpty()) {
                        visible++;
                    }
                }
            } else {
                boolean wasVisible = !mine.isEmpty();
                mine.merge(e.getValue());
                boolean nowVisible = !mine.isEmpty();
                visible += (nowVisible ? 1 : 0) - (wasVisible ? 1 : 0);
                if (isFloorTombstone(mine)) {
                    fields.remove(key);
                }
            }
        }
        stamp(other.lastHlc, other.lastNode);
    }

    @Override
    public HashValue copy() {
        HashValue c = new HashValue(fields.size());
        for (Map.Entry<Bytes, StringValue> e : fields.entrySet()) {
            c.fields.put(e.getKey(), e.getValue().copy());
        }
        c.floorHlc = floorHlc;
        c.floorNode = floorNode;
        c.lastHlc = lastHlc;
        c.lastNode = lastNode;
        c.visible = visible;
        return c;
    }

    // ------------------------------------------------------------------ internals

    private StringValue freshField() {
        return floorHlc == 0 ? new StringValue() : StringValue.tombstone(floorHlc, floorNode);
    }

    /** Joins a one-field delta into this state. */
    private void apply(Bytes key, StringValue fieldDelta, long hlc, long node) {
        StringValue current = fields.get(key);
        if (current == null) {
            StringValue v = freshField();
            v.merge(fieldDelta);
            store(key, v, true, false, hlc, node);
        } else {
            boolean wasVisible = !current.isEmpty();
            current.merge(fieldDelta);
            store(key, current, false, wasVisible, hlc, node);
        }
    }

    /** Records a field after a change: map membership, visible count, last-write stamp. */
    private void store(Bytes key, StringValue state, boolean fresh, boolean wasVisible, long hlc, long node) {
        boolean nowVisible = !state.isEmpty();
        visible += (nowVisible ? 1 : 0) - (wasVisible ? 1 : 0);
        if (isFloorTombstone(state)) {
            if (!fresh) {
                fields.remove(key);
            }
        } else if (fresh) {
            fields.put(key, state);
        }
        stamp(hlc, node);
    }

    private HashValue deltaOf(byte[] field, StringValue fieldDelta, long hlc, long node) {
        HashValue d = new HashValue(1);
        d.fields.put(Bytes.wrap(field), fieldDelta);
        d.visible = fieldDelta.isEmpty() ? 0 : 1;
        d.lastHlc = hlc;
        d.lastNode = node;
        return d;
    }

    /** Whether a field state says no more than the floor does (so it need not be stored). */
    private boolean isFloorTombstone(StringValue v) {
        return v.baseBytes() == null && v.isPlain()
                && Stamp.compare(v.baseHlc(), v.baseNode(), floorHlc, floorNode) <= 0;
    }

    private void stamp(long hlc, long node) {
        if (Stamp.compare(hlc, node, lastHlc, lastNode) > 0) {
            lastHlc = hlc;
            lastNode = node;
        }
    }

    // ------------------------------------------------------------------ codec

    /**
     * Writes: floor stamp, last-write stamp, field count, then the fields in unsigned
     * lexicographic order (name bytes, {@link StringValue} encoding). The order makes the
     * encoding canonical: equal states encode to equal bytes.
     */
    @Override
    public void encode(CrdtWriter w) {
        w.writeFixedLong(floorHlc);
        CrdtCodec.writeNode(w, floorNode);
        w.writeFixedLong(lastHlc);
        CrdtCodec.writeNode(w, lastNode);
        w.writeVarInt(fields.size());
        List<Bytes> names = new ArrayList<>(fields.keySet());
        names.sort(null);
        for (Bytes name : names) {
            w.writeBytes(name.array());
            fields.get(name).encode(w);
        }
    }

    /** Reads a hash written by {@link #encode}; malformed input raises {@link CrdtCodecException}. */
    public static HashValue decode(CrdtReader r) {
        long floorHlc = StringValue.readHlc(r);
        long floorNode = CrdtCodec.readNode(r);
        long lastHlc = StringValue.readHlc(r);
        long lastNode = CrdtCodec.readNode(r);
        int n = r.readCount();
        HashValue h = new HashValue(n);
        h.floorHlc = floorHlc;
        h.floorNode = floorNode;
        h.lastHlc = lastHlc;
        h.lastNode = lastNode;
        Bytes previous = null;
        for (int i = 0; i < n; i++) {
            Bytes name = Bytes.wrap(r.readBytes());
            if (previous != null && previous.compareTo(name) >= 0) {
                throw new CrdtCodecException("hash fields not in strictly ascending order");
            }
            previous = name;
            StringValue v = StringValue.decode(r);
            v.removeUpTo(floorHlc, floorNode);
            if (!h.isFloorTombstone(v)) {
                h.fields.put(name, v);
                if (!v.isEmpty()) {
                    h.visible++;
                }
            }
        }
        return h;
    }

    // ------------------------------------------------------------------ equality

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        return o instanceof HashValue other
                && floorHlc == other.floorHlc && floorNode == other.floorNode
                && lastHlc == other.lastHlc && lastNode == other.lastNode
                && fields.equals(other.fields);
    }

    @Override
    public int hashCode() {
        return fields.hashCode() * 31 + Long.hashCode(floorHlc) + Long.hashCode(lastHlc);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Hash{");
        if (floorHlc != 0) {
            sb.append("floor=").append(Hlc.toString(floorHlc)).append('/').append(floorNode).append(' ');
        }
        List<Bytes> names = new ArrayList<>(fields.keySet());
        names.sort(null);
        for (Bytes name : names) {
            sb.append(new String(name.array(), StandardCharsets.UTF_8)).append('=').append(fields.get(name)).append(' ');
        }
        return sb.append('}').toString();
    }
}
