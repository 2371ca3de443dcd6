package io.converge.crdt;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A Redis string: a last-writer-wins register that is also a resettable PN-counter, so SET,
 * APPEND, INCR and INCRBYFLOAT all converge. Also the state of one hash field.
 *
 * <p><b>Model.</b> The <em>base</em> is an LWW register: bytes (or "absent") and the stamp of the
 * write that set them. SET writes a new base. DEL and HDEL write an absent base (a tombstone) at
 * their stamp. The <em>counter</em> holds one contribution per replica: the exact sum of that
 * replica's integer increments and of its float increments, tagged with the base they were made
 * on. The visible value is the base bytes when no contribution is alive, and otherwise the base
 * read as a number plus every live contribution, printed the way Redis prints it.
 *
 * <p><b>Which contributions are alive.</b> A contribution counts when
 * <ul>
 *   <li>its tag is the current base: increments count exactly on the base they saw; a SET (or
 *       DEL) that did not see an increment starts a new base and wins over it; or
 *   <li>the current base is absent (a delete) and the contribution <em>began</em> after it (its
 *       first increment is stamped later than the delete): increments made after a delete count
 *       from zero even where the delete's own stamp is not known, which is what makes dropping
 *       tombstones safe (a replica that garbage-collected a delete tags new increments with no
 *       base, and a replica that still has the tombstone keeps them all the same).
 * </ul>
 * A replica continues its contribution while it is alive and otherwise starts a new one (a new
 * "incarnation": {@code since} = the stamp of its first increment). Versions of one replica's
 * contribution are ordered by {@code (since, last)}, so merge keeps the newest per replica.
 *
 * <p><b>Merge</b> is the lexicographic join: the greater base wins (ties: present bytes beat an
 * absent base, so a write and a delete with one stamp keep the write); contributions join per
 * replica by version; then contributions that are dead and can never come back (tag older than
 * the base and begun at or before it) are dropped. Merge is commutative, associative and
 * idempotent, and applying a mutator's delta equals applying the mutator.
 *
 * <p><b>Exactness.</b> Integer contributions are longs; the sum is exact (it may exceed 64 bits
 * after concurrent increments, in which case the value reads as that big integer and further
 * INCRs report "not an integer or out of range", as Redis would). Float contributions are exact
 * decimals; INCRBYFLOAT records exactly the contribution that takes the current value to Redis's
 * rounded result, so one replica alone behaves like Redis, and concurrent contributions add
 * exactly, in any order, to the same bytes everywhere. Like the visible result, each replica's
 * running float sum stays within the long double range (an increment that would take it out
 * is refused), which bounds what the decoder must accept from any replica.
 *
 * <p><b>Memory.</b> A plain string is the bytes and two longs (stamp); the counter structure is
 * allocated on the first counter operation. (The key envelope, {@link KeyState}, goes further
 * and stores a plain string without this object at all.) Not thread-safe.
 */
public final class StringValue implements CrdtValue<StringValue> {

    private static final int FLAG_BYTES = 1;
    private static final int FLAG_COUNTER = 2;
    private static final int FLAG_BITS = 4;
    private static final byte[] EMPTY = new byte[0];
    /**
     * Bounds on a decoded float contribution, so hostile input cannot ask for huge numbers, and
     * never below what honest writes produce (every replica must decode what any replica
     * accepted). {@link #incrByFloat} keeps each replica's running float sum within the long
     * double range, and a contribution's scale is at most that of the values it was computed
     * from: results have at most 17 decimals, bases at most {@link RedisNumbers#MAX_FLOAT_SCALE},
     * other contributions the same by induction (merges never change a contribution). The byte
     * bound is the two's-complement size of the largest unscaled value those two limits allow.
     */
    static final int MAX_DECIMAL_SCALE = RedisNumbers.MAX_FLOAT_SCALE;
    static final int MAX_DECIMAL_BYTES =
            RedisNumbers.LONG_DOUBLE_OVERFLOW.setScale(MAX_DECIMAL_SCALE).unscaledValue().toByteArray().length;

    /** Base bytes; null when the base is absent (never written, or deleted at the base stamp). */
    private byte[] bytes;
    private long hlc;
    private long node;
    /** Per-replica contributions; null until a counter operation or merge brings one. */
    private Counter counter;
    /** Bits written after the base (SETBIT, BITFIELD); null when none. */
    private BitOverlay bits;

    /** An empty value: no base, no contributions. */
    public StringValue() {}

    /** A plain register holding {@code value}, written at stamp {@code (hlc, node)}. */
    public StringValue(byte[] value, long hlc, long node) {
        this.bytes = Objects.requireNonNull(value, "value");
        this.hlc = hlc;
        this.node = node;
    }

    /** A tombstone: an absent base at {@code (hlc, node)} (the state of a deleted string or field). */
    public static StringValue tombstone(long hlc, long node) {
        StringValue v = new StringValue();
        v.hlc = hlc;
        v.node = node;
        return v;
    }

    @Override
    public ValueType type() {
        return ValueType.STRING;
    }

    // ------------------------------------------------------------------ reads

    /**
     * The visible value (GET), or null if absent. For a counter the bytes are rendered once and
     * cached until the next change. The array must not be mutated.
     */
    public byte[] get() {
        byte[] base = counter == null ? bytes : counter.rendered(this);
        if (bits == null) {
            return base;
        }
        // Bits written after the base: a new array each time (GET's bytes, Redis's layout).
        int length = (int) length();
        byte[] out = new byte[length];
        if (base != null) {
            System.arraycopy(base, 0, out, 0, base.length);
        }
        bits.applyTo(out);
        return out;
    }

    /**
     * The length of the visible value (STRLEN; 0 when absent): the base's, or more when a bit
     * written after it lies beyond it (SETBIT grows the string, as in Redis).
     */
    public long length() {
        byte[] base = counter == null ? bytes : counter.rendered(this);
        long length = base == null ? 0 : base.length;
        if (bits != null) {
            length = Math.max(length, (bits.maxOffset() >>> 3) + 1);
        }
        return length;
    }

    /**
     * Bit {@code offset} of the visible value (GETBIT: the most significant bit of byte 0 is
     * offset 0), 0 beyond its end; {@code 0 <= offset <= 2^32 - 1}. O(1).
     */
    public int bit(long offset) {
        if (bits != null) {
            int slot = bits.find(offset);
            if (slot >= 0) {
                return bits.value(slot);
            }
        }
        byte[] base = counter == null ? bytes : counter.rendered(this);
        if (base == null || (offset >>> 3) >= base.length) {
            return 0;
        }
        return (base[(int) (offset >>> 3)] >> (7 - (int) (offset & 7))) & 1;
    }

    /** Rough heap bytes of the bit writes held beside the base (0 when none). */
    public long bitWriteBytes() {
        return bits == null ? 0 : bits.estimatedBytes();
    }

    /** Whether bits written by SETBIT or BITFIELD are held beside the base (until folded by {@link #gc}). */
    public boolean hasBitWrites() {
        return bits != null;
    }

    /**
     * The visible value as a canonical 64-bit integer (0 when absent), as INCR reads it.
     *
     * @throws CounterException {@link CounterException#NOT_AN_INTEGER} if it is not one
     */
    public long longValue() {
        if (bits != null) {
            return RedisNumbers.parseLong(get());
        }
        if (counter == null || !counter.anyAlive(this)) {
            return bytes == null ? 0 : RedisNumbers.parseLong(bytes);
        }
        return counter.renderedLong(this);
    }

    /** Whether nothing is visible (no base bytes and no live contribution). */
    @Override
    public boolean isEmpty() {
        return bytes == null && bits == null && (counter == null || !counter.anyAlive(this));
    }

    /** Whether this is a plain register (no contributions at all): what a key can store inline. */
    public boolean isPlain() {
        return counter == null && bits == null;
    }

    /** The base bytes (not the counter value); null if the base is absent. Do not mutate. */
    public byte[] baseBytes() {
        return bytes;
    }

    /** HLC of the base write (0 if none). */
    public long baseHlc() {
        return hlc;
    }

    /** Node of the base write. */
    public long baseNode() {
        return node;
    }

    /** HLC of the greatest-stamped write in this state (base or increment), for type clashes. */
    public long lastWriteHlc() {
        long best = hlc;
        long bestNode = node;
        if (counter != null) {
            for (int i = 0; i < counter.size; i++) {
                Entry e = counter.entries[i];
                if (Stamp.compare(e.last, e.node, best, bestNode) > 0) {
                    best = e.last;
                    bestNode = e.node;
                }
            }
        }
        if (bits != null && Stamp.compare(bits.lastHlc(), bits.lastNode(), best, bestNode) > 0) {
            best = bits.lastHlc();
        }
        return best;
    }

    /** Node of the greatest-stamped write in this state. */
    public long lastWriteNode() {
        long best = hlc;
        long bestNode = node;
        if (counter != null) {
            for (int i = 0; i < counter.size; i++) {
                Entry e = counter.entries[i];
                if (Stamp.compare(e.last, e.node, best, bestNode) > 0) {
                    best = e.last;
                    bestNode = e.node;
                }
            }
        }
        if (bits != null && Stamp.compare(bits.lastHlc(), bits.lastNode(), best, bestNode) > 0) {
            bestNode = bits.lastNode();
        }
        return bestNode;
    }

    // ------------------------------------------------------------------ mutators

    /**
     * SET (or any write computed by the server, like APPEND or SETRANGE) at {@code (hlc, node)}:
     * a new base that wins over every increment it did not see. Returns the delta. The array is
     * kept; the caller must not mutate it afterwards.
     */
    public StringValue set(byte[] value, long hlc, long node) {
        StringValue delta = new StringValue(value, hlc, node);
        merge(delta);
        return delta;
    }

    /**
     * INCRBY/DECRBY at replica {@code node}, stamped {@code (hlc, node)}. Checks before changing
     * anything; the new value is then {@link #longValue()}. Returns the delta: the base plus this
     * replica's contribution.
     *
     * @throws CounterException NOT_AN_INTEGER if the value is not an integer; OVERFLOW if the
     *     result would leave the 64-bit range
     */
    public StringValue incrBy(long delta, long hlc, long node) {
        long current = longValue();
        long next;
        try {
            next = Math.addExact(current, delta);
        } catch (ArithmeticException e) {
            throw CounterException.OVERFLOW;
        }
        boolean rebase = bits != null;
        Counter c = counter;
        Entry e = c == null ? null : c.find(node);
        boolean continuing = !rebase && e != null && alive(e);
        long ints;
        try {
            ints = continuing ? Math.addExact(e.ints, delta) : delta;
        } catch (ArithmeticException ex) {
            // This replica's own running sum would overflow although the total would not (other
            // replicas contributed the opposite sign). Refused; needs > 2^63 of opposite flow.
            throw CounterException.OVERFLOW;
        }
        if (rebase) {
            e = rebase(hlc, node);
        }
        e = contribute(e, continuing, hlc, node);
        e.ints = ints;
        counter.cacheLong(next);
        return deltaFor(e);
    }

    /**
     * INCRBYFLOAT at replica {@code node} by the float written in {@code increment}, stamped
     * {@code (hlc, node)}. Checks before changing anything; the new value is then {@link #get()}.
     * Returns the delta.
     *
     * @throws CounterException NOT_A_FLOAT if the value or the increment is not a valid float;
     *     NAN_OR_INFINITY if the result, or this replica's own running float sum, would leave
     *     the long double range
     */
    public StringValue incrByFloat(byte[] increment, long hlc, long node) {
        BigDecimal by = RedisNumbers.parseFloat(increment);
        BigDecimal current = decimalValue();
        BigDecimal result = RedisNumbers.roundFloat(current.add(by));
        if (RedisNumbers.overflowsLongDouble(result)) {
            throw CounterException.NAN_OR_INFINITY;
        }
        // Record exactly what takes the visible value to Redis's rounded result.
        BigDecimal contribution = result.subtract(current);
        boolean rebase = bits != null;
        Counter c = counter;
        Entry e = c == null ? null : c.find(node);
        boolean continuing = !rebase && e != null && alive(e);
        BigDecimal floats = continuing && e.floats != null ? e.floats.add(contribution) : contribution;
        if (RedisNumbers.overflowsLongDouble(floats)) {
            // This replica's own running sum would leave the range although the result would not
            // (other replicas added the opposite sign). Refused like an integer overflow: the
            // bound is what keeps every contribution decodable (see MAX_DECIMAL_BYTES).
            throw CounterException.NAN_OR_INFINITY;
        }
        long ints = continuing ? e.ints : 0;
        if (rebase) {
            e = rebase(hlc, node);
        }
        e = contribute(e, continuing, hlc, node);
        e.ints = ints;
        e.floats = floats;
        counter.cacheBytes(result.toPlainString().getBytes(StandardCharsets.US_ASCII));
        return deltaFor(e);
    }

    /**
     * SETBIT (width 1) or one BITFIELD SET/INCRBY at {@code (hlc, node)}: writes the {@code
     * width} low bits of {@code value}, most significant first, at bits {@code offset ..
     * offset + width - 1}, each a last-writer-wins register of its own over the base, so
     * concurrent writes of other bits survive. A string whose counter contributions are alive
     * (INCR was used on it) is rewritten instead, as a SET of the new bytes. Returns the delta.
     *
     * @throws IllegalArgumentException if the bits lie outside {@code [0, 2^32 - 1]} or the width
     *     is not 1 to 64
     */
    public StringValue writeBits(long offset, int width, long value, long hlc, long node) {
        if (width < 1 || width > 64 || offset < 0 || offset > BitOverlay.MAX_OFFSET - (width - 1)) {
            throw new IllegalArgumentException("bits out of range: " + offset + "+" + width);
        }
        if (counter != null && counter.anyAlive(this)) {
            byte[] current = get();
            long end = (offset + width - 1) >>> 3;
            byte[] next = Arrays.copyOf(current == null ? EMPTY : current, (int) Math.max(current == null ? 0 : current.length, end + 1));
            for (int i = 0; i < width; i++) {
                long at = offset + i;
                int mask = 0x80 >>> (int) (at & 7);
                if (((value >>> (width - 1 - i)) & 1) != 0) {
                    next[(int) (at >>> 3)] |= (byte) mask;
                } else {
                    next[(int) (at >>> 3)] &= (byte) ~mask;
                }
            }
            return set(next, hlc, node);
        }
        if (bits == null) {
            bits = new BitOverlay();
        }
        StringValue delta = new StringValue();
        delta.bits = new BitOverlay();
        for (int i = 0; i < width; i++) {
            int v = (int) (value >>> (width - 1 - i)) & 1;
            bits.put(offset + i, v, hlc, node);
            delta.bits.put(offset + i, v, hlc, node);
        }
        return delta;
    }

    /**
     * Before a counter operation on a string with bit writes: the visible bytes become the base,
     * written at {@code (hlc, node)} (a SET of them: increments and bit writes it did not see lose
     * to it). Returns this replica's contribution, if it survived.
     */
    private Entry rebase(long hlc, long node) {
        byte[] visible = get();
        bytes = visible;
        this.hlc = hlc;
        this.node = node;
        bits = null;
        compact();
        return counter == null ? null : counter.find(node);
    }

    /**
     * Key-level delete at watermark {@code (hlc, node)}: joins a tombstone there, so a base
     * stamped before it becomes absent and the increments on it stop counting.
     */
    public void removeUpTo(long hlc, long node) {
        if (Stamp.compare(this.hlc, this.node, hlc, node) < 0) {
            this.bytes = null;
            this.hlc = hlc;
            this.node = node;
            dropBitsUnderBase();
            compact();
        }
    }

    /** Drops the bit writes the base overrides (stamped at or before it). */
    private void dropBitsUnderBase() {
        if (bits != null) {
            bits.dropAtOrBefore(hlc, node);
            if (bits.size() == 0) {
                bits = null;
            }
        }
    }

    /**
     * Drops contributions that are dead and began at or before {@code stableHlc}; such a
     * contribution could only come back through a delete stamped before it began, and every
     * later delete is stamped after {@code stableHlc}. Returns whether this value is now a bare
     * tombstone (absent base, no contributions) stamped at or before {@code stableHlc}, which
     * the owner may drop. A stable tombstone under live contributions is reset to "no base".
     */
    public boolean gc(long stableHlc) {
        if (counter != null) {
            Counter c = counter;
            int kept = 0;
            for (int i = 0; i < c.size; i++) {
                Entry e = c.entries[i];
                if (alive(e) || e.since > stableHlc) {
                    c.entries[kept++] = e;
                }
            }
            if (kept != c.size) {
                Arrays.fill(c.entries, kept, c.size, null);
                c.size = kept;
                c.invalidate();
            }
            if (kept == 0) {
                counter = null;
            }
        }
        if (bits != null && counter == null) {
            foldBits(stableHlc);
        }
        if (bytes == null && counter != null && hlc <= stableHlc && hlc != 0) {
            // A stable tombstone under live increments: every contribution it could kill is
            // gone, so forget its stamp (as replicas that never saw it do): equal states again.
            hlc = 0;
            node = 0;
            counter.invalidate();
        }
        return bytes == null && counter == null && bits == null && hlc <= stableHlc;
    }

    /**
     * Folds the bit writes whose HLC is at or before {@code stableHlc} into the base: the base
     * becomes the bytes they and the base show, stamped with the latest of them (or the base's
     * own stamp). Every replica holds exactly these writes (no write that old can still arrive),
     * so every replica folds to the same base; later bit writes stay, and still win over it.
     * Not done while counter contributions are held (their base must not move).
     */
    private void foldBits(long stableHlc) {
        long foldHlc = hlc;
        long foldNode = node;
        long maxOffset = -1;
        int n = 0;
        for (int slot = 0; slot < bits.capacity(); slot++) {
            if (bits.used(slot) && bits.hlc(slot) <= stableHlc) {
                n++;
                maxOffset = Math.max(maxOffset, bits.offset(slot));
                if (Stamp.compare(bits.hlc(slot), bits.node(slot), foldHlc, foldNode) > 0) {
                    foldHlc = bits.hlc(slot);
                    foldNode = bits.node(slot);
                }
            }
        }
        if (n == 0) {
            return;
        }
        int baseLength = bytes == null ? 0 : bytes.length;
        byte[] next = new byte[(int) Math.max(baseLength, (maxOffset >>> 3) + 1)];
        if (bytes != null) {
            System.arraycopy(bytes, 0, next, 0, baseLength);
        }
        bits.applyTo(next, stableHlc);
        bytes = next;
        hlc = foldHlc;
        node = foldNode;
        bits.dropStable(stableHlc);
        if (bits.size() == 0) {
            bits = null;
        }
    }

    // ------------------------------------------------------------------ merge

    @Override
    public void merge(StringValue other) {
        boolean newBase = compareBase(other.bytes, other.hlc, other.node, bytes, hlc, node) > 0;
        if (newBase) {
            bytes = other.bytes;
            hlc = other.hlc;
            node = other.node;
            dropBitsUnderBase();
        }
        BitOverlay theirBits = other.bits;
        if (theirBits != null && theirBits != bits) {
            for (int slot = 0; slot < theirBits.capacity(); slot++) {
                if (theirBits.used(slot) && Stamp.compare(theirBits.hlc(slot), theirBits.node(slot), hlc, node) > 0) {
                    if (bits == null) {
                        bits = new BitOverlay();
                    }
                    bits.join(theirBits.offset(slot), theirBits.value(slot), theirBits.hlc(slot), theirBits.node(slot));
                }
            }
        }
        Counter theirs = other.counter;
        if (theirs != null) {
            if (counter == null) {
                counter = new Counter(theirs.size);
            }
            for (int i = 0; i < theirs.size; i++) {
                counter.join(theirs.entries[i]);
            }
        }
        compact();
    }

    @Override
    public StringValue copy() {
        StringValue c = new StringValue();
        c.bytes = bytes;
        c.hlc = hlc;
        c.node = node;
        if (counter != null) {
            c.counter = counter.copy();
        }
        if (bits != null) {
            c.bits = bits.copy();
        }
        return c;
    }

    // ------------------------------------------------------------------ internals

    /** Whether contribution {@code e} counts under the current base (see class comment). */
    private boolean alive(Entry e) {
        if (e.tagHlc == hlc && e.tagNode == node) {
            return true;
        }
        return bytes == null && Stamp.compare(e.since, e.node, hlc, node) > 0;
    }

    /** Whether a dead contribution can never count again under this or any later base. */
    private boolean buried(Entry e) {
        return Stamp.compare(e.tagHlc, e.tagNode, hlc, node) < 0 && Stamp.compare(e.since, e.node, hlc, node) <= 0;
    }

    /** Continues or restarts this replica's contribution for an increment at {@code hlc}. */
    private Entry contribute(Entry e, boolean continuing, long opHlc, long opNode) {
        if (counter == null) {
            counter = new Counter(1);
        }
        if (e == null) {
            e = new Entry(opNode);
            e.since = opHlc;
            e.last = opHlc;
            counter.insert(e);
        } else if (continuing) {
            e.last = Math.max(e.last + 1, opHlc);
        } else {
            long start = Math.max(e.last + 1, opHlc);
            e.since = start;
            e.last = start;
            e.floats = null;
        }
        e.tagHlc = hlc;
        e.tagNode = node;
        return e;
    }

    private StringValue deltaFor(Entry e) {
        StringValue d = new StringValue();
        d.bytes = bytes;
        d.hlc = hlc;
        d.node = node;
        d.counter = new Counter(1);
        d.counter.insert(e.copy());
        return d;
    }

    /** Drops buried contributions and invalidates the rendered value. */
    private void compact() {
        Counter c = counter;
        if (c == null) {
            return;
        }
        int kept = 0;
        for (int i = 0; i < c.size; i++) {
            Entry e = c.entries[i];
            if (!buried(e)) {
                c.entries[kept++] = e;
            }
        }
        if (kept == 0) {
            counter = null;
            return;
        }
        Arrays.fill(c.entries, kept, c.size, null);
        c.size = kept;
        c.invalidate();
    }

    /**
     * The exact visible value as a decimal (absent = 0), as INCRBYFLOAT reads it. A sum that
     * concurrent increments took past the long double range is refused as Redis would refuse
     * the string it renders to: not a valid float.
     */
    private BigDecimal decimalValue() {
        if (bits != null) {
            return RedisNumbers.parseFloat(get());
        }
        if (counter == null || !counter.anyAlive(this)) {
            return bytes == null ? BigDecimal.ZERO : RedisNumbers.parseFloat(bytes);
        }
        byte[] shown = counter.rendered(this);
        BigDecimal exact = exactSum();
        if (exact == null) {
            // The base is not a number, so the contributions are ignored and the base is shown.
            return RedisNumbers.parseFloat(shown);
        }
        if (RedisNumbers.overflowsLongDouble(exact) && RedisNumbers.overflowsLongDouble(RedisNumbers.roundFloat(exact))) {
            throw CounterException.NOT_A_FLOAT;
        }
        return exact;
    }

    /** Base plus every live contribution, exactly; null if the base is not a number. */
    private BigDecimal exactSum() {
        BigDecimal total;
        if (bytes == null) {
            total = BigDecimal.ZERO;
        } else {
            try {
                total = RedisNumbers.parseFloat(bytes);
            } catch (CounterException e) {
                return null;
            }
        }
        Counter c = counter;
        for (int i = 0; i < c.size; i++) {
            Entry e = c.entries[i];
            if (alive(e)) {
                total = total.add(BigDecimal.valueOf(e.ints));
                if (e.floats != null) {
                    total = total.add(e.floats);
                }
            }
        }
        return total;
    }

    /**
     * Renders the visible value of a state with live contributions: an exact integer when the
     * base is an integer (or absent) and no float was ever added, else the rounded decimal.
     * A base that is not a number (only reachable through hostile input) is shown as is.
     */
    private byte[] render() {
        Counter c = counter;
        boolean decimal = false;
        long base = 0;
        if (bytes != null) {
            try {
                base = RedisNumbers.parseLong(bytes);
            } catch (CounterException e) {
                decimal = true;
            }
        }
        for (int i = 0; i < c.size && !decimal; i++) {
            Entry e = c.entries[i];
            if (alive(e) && e.floats != null) {
                decimal = true;
            }
        }
        if (decimal) {
            BigDecimal exact = exactSum();
            return exact == null ? bytes : RedisNumbers.formatFloat(exact);
        }
        long sum = base;
        BigInteger big = null;
        for (int i = 0; i < c.size; i++) {
            Entry e = c.entries[i];
            if (!alive(e)) {
                continue;
            }
            if (big == null) {
                long s = sum + e.ints;
                if (((sum ^ s) & (e.ints ^ s)) < 0) {
                    big = BigInteger.valueOf(sum).add(BigInteger.valueOf(e.ints));
                } else {
                    sum = s;
                }
            } else {
                big = big.add(BigInteger.valueOf(e.ints));
            }
        }
        if (big != null && RedisNumbers.fitsLong(big)) {
            sum = big.longValue();
            big = null;
        }
        return big == null ? RedisNumbers.formatLong(sum) : RedisNumbers.formatInteger(big);
    }

    /**
     * The register order: stamp first; on equal stamps present bytes beat an absent base (a
     * write and a delete sharing one stamp keep the write), then bytes decide (equal stamps
     * with different bytes never happen for real writes; this only keeps merge deterministic).
     */
    static int compareBase(byte[] b1, long h1, long n1, byte[] b2, long h2, long n2) {
        int c = Stamp.compare(h1, n1, h2, n2);
        if (c != 0) {
            return c;
        }
        if (b1 == null || b2 == null) {
            return b1 == null ? (b2 == null ? 0 : -1) : 1;
        }
        return Arrays.compareUnsigned(b1, b2);
    }

    // ------------------------------------------------------------------ codec

    /**
     * Writes: flags (bit 0 base bytes present, bit 1 counter present), base stamp (fixed HLC,
     * varint node), base bytes, then the contributions in node order: node, since (fixed),
     * last - since (varint), tag stamp, zig-zag integer sum, and an optional exact decimal
     * (zig-zag scale + two's-complement unscaled bytes).
     */
    @Override
    public void encode(CrdtWriter w) {
        // An empty counter is never kept; if one were, it would equal no counter: write none.
        boolean counted = counter != null && counter.size > 0;
        w.writeByte((bytes != null ? FLAG_BYTES : 0) | (counted ? FLAG_COUNTER : 0) | (bits != null ? FLAG_BITS : 0));
        w.writeFixedLong(hlc);
        CrdtCodec.writeNode(w, node);
        if (bytes != null) {
            w.writeBytes(bytes);
        }
        if (counted) {
            w.writeVarInt(counter.size);
            for (int i = 0; i < counter.size; i++) {
                Entry e = counter.entries[i];
                CrdtCodec.writeNode(w, e.node);
                w.writeFixedLong(e.since);
                w.writeVarLong(e.last - e.since);
                w.writeFixedLong(e.tagHlc);
                CrdtCodec.writeNode(w, e.tagNode);
                w.writeSignedVarLong(e.ints);
                if (e.floats == null) {
                    w.writeByte(0);
                } else {
                    w.writeByte(1);
                    w.writeSignedVarLong(e.floats.scale());
                    w.writeBytes(e.floats.unscaledValue().toByteArray());
                }
            }
        }
        if (bits != null) {
            bits.encode(w);
        }
    }

    /** What {@link #encode} writes for a plain register holding {@code bytes} at {@code (hlc, node)}. */
    static void encodePlain(CrdtWriter w, byte[] bytes, long hlc, long node) {
        w.writeByte(FLAG_BYTES);
        w.writeFixedLong(hlc);
        CrdtCodec.writeNode(w, node);
        w.writeBytes(bytes);
    }

    /**
     * For {@link CrdtCodec}, positioned after a key state's parts, which were none: when what
     * follows is exactly one value, a plain string register with bytes (the commonest key state),
     * reads it and returns the key state {@code KeyState.assemble} would make of it, without the
     * intermediate objects; otherwise returns null with {@code r} where it was. Malformed input
     * raises {@link CrdtCodecException} as the general path would.
     */
    static KeyState decodePlainKey(CrdtReader r) {
        // count 1 (one byte varint), STRING's code, the flags of a plain register with bytes
        if (r.remaining() < 3 || r.peekByte(0) != 1 || r.peekByte(1) != ValueType.STRING.code()
                || r.peekByte(2) != FLAG_BYTES) {
            return null;
        }
        r.skip(3);
        long hlc = readHlc(r);
        long node = CrdtCodec.readNode(r);
        byte[] bytes = r.readBytes();
        return KeyState.inlineString(bytes, hlc, node);
    }

    /** Reads a value written by {@link #encode}; malformed input raises {@link CrdtCodecException}. */
    public static StringValue decode(CrdtReader r) {
        int flags = r.readByte();
        if ((flags & ~(FLAG_BYTES | FLAG_COUNTER | FLAG_BITS)) != 0) {
            throw new CrdtCodecException("unknown string flags " + flags);
        }
        StringValue v = new StringValue();
        v.hlc = readHlc(r);
        v.node = CrdtCodec.readNode(r);
        if ((flags & FLAG_BYTES) != 0) {
            v.bytes = r.readBytes();
        }
        if ((flags & FLAG_COUNTER) != 0) {
            int n = r.readCount();
            if (n == 0) {
                throw new CrdtCodecException("empty counter");
            }
            Counter c = new Counter(n);
            long previous = 0;
            for (int i = 0; i < n; i++) {
                long entryNode = CrdtCodec.readNode(r);
                if (i > 0 && entryNode <= previous) {
                    throw new CrdtCodecException("counter entries not in ascending node order");
                }
                previous = entryNode;
                Entry e = new Entry(entryNode);
                e.since = readHlc(r);
                long span = r.readVarLong();
                if (span < 0 || e.since + span < e.since) {
                    throw new CrdtCodecException("bad contribution span");
                }
                e.last = e.since + span;
                e.tagHlc = readHlc(r);
                e.tagNode = CrdtCodec.readNode(r);
                e.ints = r.readSignedVarLong();
                int hasFloat = r.readByte();
                if (hasFloat == 1) {
                    long scale = r.readSignedVarLong();
                    if (scale < -MAX_DECIMAL_SCALE || scale > MAX_DECIMAL_SCALE) {
                        throw new CrdtCodecException("decimal scale out of range");
                    }
                    byte[] unscaled = r.readBytes();
                    if (unscaled.length == 0 || unscaled.length > MAX_DECIMAL_BYTES) {
                        throw new CrdtCodecException("bad decimal length");
                    }
                    e.floats = new BigDecimal(new BigInteger(unscaled), (int) scale);
                } else if (hasFloat != 0) {
                    throw new CrdtCodecException("bad float flag");
                }
                c.entries[c.size++] = e;
            }
            v.counter = c;
            v.compact();
        }
        if ((flags & FLAG_BITS) != 0) {
            v.bits = BitOverlay.decode(r);
            v.dropBitsUnderBase();
        }
        return v;
    }

    static long readHlc(CrdtReader r) {
        long h = r.readFixedLong();
        if (h < 0) {
            throw new CrdtCodecException("negative HLC");
        }
        return h;
    }

    // ------------------------------------------------------------------ equality

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof StringValue other)) {
            return false;
        }
        if (hlc != other.hlc || node != other.node || !Arrays.equals(bytes, other.bytes)) {
            return false;
        }
        if (bits == null ? other.bits != null : other.bits == null || !bits.sameAs(other.bits)) {
            return false;
        }
        int n = counter == null ? 0 : counter.size;
        int m = other.counter == null ? 0 : other.counter.size;
        if (n != m) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (!counter.entries[i].sameAs(other.counter.entries[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = Long.hashCode(hlc) * 31 + Long.hashCode(node);
        h = h * 31 + Arrays.hashCode(bytes);
        h = h * 31 + (bits == null ? 0 : bits.size());
        if (counter != null) {
            for (int i = 0; i < counter.size; i++) {
                Entry e = counter.entries[i];
                h = h * 31 + Long.hashCode(e.node);
                h = h * 31 + Long.hashCode(e.ints);
            }
        }
        return h;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("String{");
        sb.append(bytes == null ? "absent" : '"' + new String(bytes, StandardCharsets.UTF_8) + '"');
        sb.append(" @").append(Hlc.toString(hlc)).append('/').append(node);
        if (counter != null) {
            for (int i = 0; i < counter.size; i++) {
                Entry e = counter.entries[i];
                sb.append(alive(e) ? " +" : " dead ").append(e);
            }
            sb.append(" = ").append(new String(get() == null ? new byte[0] : get(), StandardCharsets.UTF_8));
        }
        if (bits != null) {
            sb.append(" +").append(bits.size()).append(" bits");
        }
        return sb.append('}').toString();
    }

    // ------------------------------------------------------------------ nested types

    /** One replica's contribution (see the class comment). */
    static final class Entry {
        final long node;
        /** HLC of the first increment of this incarnation. */
        long since;
        /** HLC of the latest increment; with {@code since}, orders versions of this contribution. */
        long last;
        /** Stamp of the base the latest increment was made on. */
        long tagHlc;
        long tagNode;
        /** Exact sum of this incarnation's integer increments. */
        long ints;
        /** Exact sum of its float contributions, or null if none. */
        BigDecimal floats;

        Entry(long node) {
            this.node = node;
        }

        Entry copy() {
            Entry e = new Entry(node);
            e.since = since;
            e.last = last;
            e.tagHlc = tagHlc;
            e.tagNode = tagNode;
            e.ints = ints;
            e.floats = floats;
            return e;
        }

        /** Version order: incarnation, then latest increment; the rest only breaks corrupt ties. */
        int compareVersion(Entry o) {
            int c = Long.compare(since, o.since);
            if (c == 0) {
                c = Long.compare(last, o.last);
            }
            if (c == 0) {
                c = Stamp.compare(tagHlc, tagNode, o.tagHlc, o.tagNode);
            }
            if (c == 0) {
                c = Long.compare(ints, o.ints);
            }
            if (c == 0 && !Objects.equals(floats, o.floats)) {
                c = floats == null ? -1 : o.floats == null ? 1 : compareDecimals(floats, o.floats);
            }
            return c;
        }

        private static int compareDecimals(BigDecimal a, BigDecimal b) {
            int c = a.compareTo(b);
            return c != 0 ? c : Integer.compare(a.scale(), b.scale());
        }

        boolean sameAs(Entry o) {
            return node == o.node && compareVersion(o) == 0;
        }

        @Override
        public String toString() {
            return node + "[" + Hlc.toString(since) + ".." + Hlc.toString(last) + " on "
                    + Hlc.toString(tagHlc) + "/" + tagNode + ": " + ints + (floats == null ? "" : " " + floats.toPlainString()) + "]";
        }
    }

    /** The contributions, sorted by node id, with the rendered value cached. */
    static final class Counter {
        Entry[] entries;
        int size;
        /** Cached visible bytes; null when stale. */
        private byte[] rendered;
        /** 0 = unknown, 1 = {@link #cachedLong} is the visible integer, 2 = not an integer. */
        private byte longState;
        private long cachedLong;

        Counter(int capacity) {
            entries = new Entry[Math.max(1, capacity)];
        }

        Entry find(long node) {
            for (int i = 0; i < size; i++) {
                if (entries[i].node == node) {
                    return entries[i];
                }
            }
            return null;
        }

        void insert(Entry e) {
            if (size == entries.length) {
                entries = Arrays.copyOf(entries, size * 2);
            }
            int at = size;
            while (at > 0 && entries[at - 1].node > e.node) {
                entries[at] = entries[at - 1];
                at--;
            }
            entries[at] = e;
            size++;
            invalidate();
        }

        /** Joins one version of a replica's contribution: the newer version wins. */
        void join(Entry theirs) {
            for (int i = 0; i < size; i++) {
                if (entries[i].node == theirs.node) {
                    if (theirs.compareVersion(entries[i]) > 0) {
                        entries[i] = theirs.copy();
                        invalidate();
                    }
                    return;
                }
            }
            insert(theirs.copy());
        }

        boolean anyAlive(StringValue owner) {
            for (int i = 0; i < size; i++) {
                if (owner.alive(entries[i])) {
                    return true;
                }
            }
            return false;
        }

        void invalidate() {
            rendered = null;
            longState = 0;
        }

        void cacheLong(long v) {
            rendered = null;
            longState = 1;
            cachedLong = v;
        }

        void cacheBytes(byte[] b) {
            rendered = b;
            longState = 0;
        }

        byte[] rendered(StringValue owner) {
            byte[] r = rendered;
            if (r == null) {
                if (!anyAlive(owner)) {
                    return owner.bytes;
                }
                r = longState == 1 ? RedisNumbers.formatLong(cachedLong) : owner.render();
                rendered = r;
            }
            return r;
        }

        long renderedLong(StringValue owner) {
            if (longState == 0) {
                byte[] r = rendered(owner);
                try {
                    cachedLong = RedisNumbers.parseLong(r);
                    longState = 1;
                } catch (CounterException e) {
                    longState = 2;
                }
            }
            if (longState == 2) {
                throw CounterException.NOT_AN_INTEGER;
            }
            return cachedLong;
        }

        Counter copy() {
            Counter c = new Counter(size);
            for (int i = 0; i < size; i++) {
                c.entries[i] = entries[i].copy();
            }
            c.size = size;
            c.rendered = rendered;
            c.longState = longState;
            c.cachedLong = cachedLong;
            return c;
        }
    }
}
