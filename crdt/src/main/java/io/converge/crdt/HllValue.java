package io.converge.crdt;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.util.Arrays;

/**
 * A HyperLogLog (PFADD, PFCOUNT, PFMERGE): per replica, the registers that replica raised, so
 * concurrent adds on different replicas all count and a key delete removes exactly what began
 * before it. Hashing, registers and the estimate are Redis 7.0's ({@link RedisHll}), so a count
 * equals {@code redis-server}'s for the same elements.
 *
 * <p><b>Model.</b> One <em>contribution</em> per replica (node id): its 16384 registers (the
 * maximum over the elements that replica added, and the registers it merged in), {@code since},
 * the stamp of the first write of this <em>incarnation</em> of the contribution, and {@code
 * last}, the stamp of its latest change. The visible registers are the register-wise maximum
 * over all contributions; the count is Redis's estimate of them. A replica always records into
 * its own contribution, even a register another contribution already holds higher: that one may
 * later die from a delete this one survives.
 *
 * <p><b>Deletes.</b> Like the counter contributions of {@link StringValue}: a key delete at
 * watermark {@code W} ({@link #removeUpTo}) kills every contribution whose {@code since} is at or
 * before {@code W} (it began before the delete), and this value keeps {@code W} so that an old
 * version of a killed contribution arriving late stays dead. A replica whose contribution is
 * dead (or absent) starts a new incarnation stamped with the current HLC. So a DEL removes what
 * was counted before it, including later adds that continued an incarnation begun before it on a
 * replica that had not seen it; adds that began a new incarnation after it survive, also on
 * replicas that have garbage-collected the delete ({@link #gc}), since their {@code since} is
 * later than any watermark those replicas could still hold.
 *
 * <p><b>Merge.</b> Watermarks: the later wins. Contributions, per replica: the same {@code since}
 * joins register-wise by maximum, with the later {@code last}; different {@code since}s keep the
 * newer incarnation whole (a replica starts one only after a delete killed the previous one).
 * Then contributions the watermark kills go. Commutative, associative and idempotent; the delta
 * of a write is the writer's contribution with only the registers it raised, and applying it
 * equals applying the write.
 *
 * <p><b>Memory.</b> A contribution keeps its set registers as sorted packed ints ({@code index <<
 * 8 | value}) up to {@link #SPARSE_LIMIT} of them, then as one byte per register (16 KiB). The
 * binary encoding is chosen from the content only (sparse up to {@link #CODEC_SPARSE_LIMIT} set
 * registers, else Redis's 6-bit packing), so equal states encode to equal bytes. The count is
 * cached until the next change. Registers hold 0..63, the range of Redis's dense encoding, so a
 * Redis string carrying any register value converts without loss. Not thread-safe.
 */
public final class HllValue implements CrdtValue<HllValue> {

    /** In memory, a contribution is sparse up to this many set registers, then dense. */
    static final int SPARSE_LIMIT = 2048;
    /** In the binary format, a contribution is written sparse up to this many set registers. */
    static final int CODEC_SPARSE_LIMIT = 4096;

    private static final int FLAG_WATERMARK = 1;
    private static final Contribution[] NONE = new Contribution[0];
    private static final int[] NO_REGISTERS = new int[0];

    /** The delete watermark this value absorbed ((0, 0): none). */
    private long delHlc;
    private long delNode;
    /** Live contributions, by ascending node. */
    private Contribution[] contributions = NONE;
    private int size;
    /** The visible count, or -1 when stale. */
    private long cachedCount = -1;

    /** An empty value (no contribution: the key does not exist). */
    public HllValue() {}

    @Override
    public ValueType type() {
        return ValueType.HLL;
    }

    // ------------------------------------------------------------------ reads

    /** Whether no contribution is live (an HLL created with no element is live, with count 0). */
    @Override
    public boolean isEmpty() {
        return size == 0;
    }

    /** Redis's estimate of the number of distinct elements added (PFCOUNT). */
    public long count() {
        long c = cachedCount;
        if (c < 0) {
            if (size == 1 && contributions[0].dense == null) {
                int[] histogram = new int[RedisHll.MAX_REGISTER + 1];
                Contribution only = contributions[0];
                histogram[0] = RedisHll.REGISTERS - only.n;
                for (int i = 0; i < only.n; i++) {
                    histogram[only.sparse[i] & 0xFF]++;
                }
                c = RedisHll.estimate(histogram);
            } else {
                c = RedisHll.count(registers());
            }
            cachedCount = c;
        }
        return c;
    }

    /** The visible value of register {@code index} (the maximum over the contributions). */
    public int register(int index) {
        int max = 0;
        for (int i = 0; i < size; i++) {
            max = Math.max(max, contributions[i].get(index));
        }
        return max;
    }

    /** The visible registers, one byte each (a new array). */
    public byte[] registers() {
        byte[] max = new byte[RedisHll.REGISTERS];
        maxInto(max);
        return max;
    }

    /** Raises each of {@code max}'s 16384 registers to this value's visible one (PFCOUNT of several keys). */
    public void maxInto(byte[] max) {
        for (int i = 0; i < size; i++) {
            contributions[i].maxInto(max);
        }
    }

    /** Redis's dense string of the visible registers (what GET answers; see {@link RedisHll#denseString}). */
    public byte[] toRedisString() {
        return RedisHll.denseString(registers());
    }

    /** HLC of the latest write (a contribution's {@code last}), or the watermark when empty. */
    public long lastWriteHlc() {
        Contribution c = latest();
        return c == null ? delHlc : c.last;
    }

    /** Node of the latest write (see {@link #lastWriteHlc()}). */
    public long lastWriteNode() {
        Contribution c = latest();
        return c == null ? delNode : c.node;
    }

    private Contribution latest() {
        Contribution best = null;
        for (int i = 0; i < size; i++) {
            Contribution c = contributions[i];
            if (best == null || Stamp.compare(c.last, c.node, best.last, best.node) > 0) {
                best = c;
            }
        }
        return best;
    }

    /** Rough heap bytes of this value, for the dataset estimate. */
    public long estimatedBytes() {
        long bytes = 48 + 16 + 8L * contributions.length;
        for (int i = 0; i < size; i++) {
            Contribution c = contributions[i];
            bytes += 56 + (c.dense != null ? 16 + RedisHll.REGISTERS : 16 + 4L * c.sparse.length);
        }
        return bytes;
    }

    // ------------------------------------------------------------------ mutators

    /**
     * The outcome of a PFADD or PFMERGE on this replica.
     *
     * @param delta     what to ship (the writer's contribution with the registers it raised), or
     *                  null when nothing changed
     * @param raisedVisible whether a visible register rose (PFADD answers 1)
     */
    public record Change(HllValue delta, boolean raisedVisible) {}

    /**
     * PFADD of {@code elements[from, to)} at replica {@code node}, stamped {@code (hlc, node)}:
     * raises this replica's contribution (started if it has none) to each element's register.
     * With no elements it only creates a contribution when there is none (PFADD on a missing key).
     */
    public Change add(byte[][] elements, int from, int to, long hlc, long node) {
        int[] packed = new int[to - from];
        for (int i = from; i < to; i++) {
            packed[i - from] = RedisHll.registerOf(elements[i]);
        }
        return record(packed, packed.length, hlc, node);
    }

    /**
     * PFMERGE into this value at replica {@code node}, stamped {@code (hlc, node)}: raises this
     * replica's contribution to {@code registers} (16384 bytes, 0..63; for example the union of
     * the sources), started if it has none.
     */
    public Change mergeRegisters(byte[] registers, long hlc, long node) {
        if (registers.length != RedisHll.REGISTERS) {
            throw new IllegalArgumentException("expected " + RedisHll.REGISTERS + " registers");
        }
        int n = 0;
        for (byte r : registers) {
            if (r != 0) {
                n++;
            }
        }
        int[] packed = new int[n];
        n = 0;
        for (int i = 0; i < RedisHll.REGISTERS; i++) {
            int v = registers[i];
            if (v < 0 || v > RedisHll.MAX_REGISTER) {
                throw new IllegalArgumentException("register value out of range: " + v);
            }
            if (v != 0) {
                packed[n++] = i << 8 | v;
            }
        }
        return record(packed, n, hlc, node);
    }

    private Change record(int[] packed, int n, long hlc, long node) {
        Contribution own = find(node);
        boolean fresh = own == null;
        if (fresh) {
            own = new Contribution(node);
            long since = hlc;
            if (Stamp.compare(since, node, delHlc, delNode) <= 0) {
                since = delHlc + 1; // only with a clock behind the delete it saw; still a new incarnation
            }
            own.since = since;
            own.last = since;
            insert(own);
        }
        if (n > SPARSE_LIMIT && own.dense == null) {
            own.densify();
        }
        Contribution d = new Contribution(node);
        d.since = own.since;
        boolean raisedVisible = false;
        for (int k = 0; k < n; k++) {
            int index = packed[k] >>> 8;
            int value = packed[k] & 0xFF;
            if (value > register(index)) {
                raisedVisible = true;
            }
            if (own.raise(index, value)) {
                d.raise(index, value);
            }
        }
        if (!fresh && d.n == 0) {
            return new Change(null, false);
        }
        own.last = Math.max(own.last, hlc);
        d.last = own.last;
        cachedCount = -1;
        HllValue delta = new HllValue();
        delta.insert(d);
        return new Change(delta, raisedVisible);
    }

    /**
     * Key-level delete at watermark {@code (hlc, node)}: every contribution that began at or
     * before it dies, and the watermark is kept against late versions of them.
     */
    public void removeUpTo(long hlc, long node) {
        if (Stamp.compare(hlc, node, delHlc, delNode) > 0) {
            delHlc = hlc;
            delNode = node;
            dropDead();
        }
    }

    /**
     * Forgets a watermark stamped at or before {@code stableHlc} (no contribution that began
     * before it can still arrive). Returns whether this value is now empty and holds no
     * watermark, so the owner may drop it.
     */
    public boolean gc(long stableHlc) {
        if (delHlc != 0 && delHlc <= stableHlc) {
            delHlc = 0;
            delNode = 0;
        }
        return size == 0 && delHlc == 0;
    }

    // ------------------------------------------------------------------ merge

    @Override
    public void merge(HllValue other) {
        if (other == this) {
            return;
        }
        if (Stamp.compare(other.delHlc, other.delNode, delHlc, delNode) > 0) {
            delHlc = other.delHlc;
            delNode = other.delNode;
        }
        for (int i = 0; i < other.size; i++) {
            Contribution theirs = other.contributions[i];
            if (!alive(theirs)) {
                continue;
            }
            int at = indexOf(theirs.node);
            if (at < 0) {
                insert(theirs.copy());
            } else {
                Contribution mine = contributions[at];
                if (theirs.since > mine.since) {
                    contributions[at] = theirs.copy();
                } else if (theirs.since == mine.since) {
                    mine.raiseAll(theirs);
                    mine.last = Math.max(mine.last, theirs.last);
                }
            }
        }
        dropDead();
        cachedCount = -1;
    }

    @Override
    public HllValue copy() {
        HllValue c = new HllValue();
        c.delHlc = delHlc;
        c.delNode = delNode;
        c.contributions = new Contribution[size];
        for (int i = 0; i < size; i++) {
            c.contributions[i] = contributions[i].copy();
        }
        c.size = size;
        return c; // the cached count is not copied: the copy recounts on demand
    }

    // ------------------------------------------------------------------ internals

    private boolean alive(Contribution c) {
        return Stamp.compare(c.since, c.node, delHlc, delNode) > 0;
    }

    private void dropDead() {
        int kept = 0;
        for (int i = 0; i < size; i++) {
            Contribution c = contributions[i];
            if (alive(c)) {
                contributions[kept++] = c;
            }
        }
        if (kept != size) {
            Arrays.fill(contributions, kept, size, null);
            size = kept;
            cachedCount = -1;
        }
    }

    private int indexOf(long node) {
        for (int i = 0; i < size; i++) {
            if (contributions[i].node == node) {
                return i;
            }
        }
        return -1;
    }

    private Contribution find(long node) {
        int at = indexOf(node);
        return at < 0 ? null : contributions[at];
    }

    private void insert(Contribution c) {
        if (size == contributions.length) {
            contributions = Arrays.copyOf(contributions, Math.max(1, size * 2));
        }
        int at = size;
        while (at > 0 && contributions[at - 1].node > c.node) {
            contributions[at] = contributions[at - 1];
            at--;
        }
        contributions[at] = c;
        size++;
        cachedCount = -1;
    }

    // ------------------------------------------------------------------ codec

    /**
     * Writes: flags (bit 0: watermark), the watermark (fixed HLC, node), then the contributions
     * by ascending node: node, since (fixed), last - since (varint), the number {@code n} of set
     * registers, and the registers: for {@code n <= 4096}, per set register in index order the
     * gap since the previous index (varint) and the value byte; beyond, the 12288 bytes of
     * Redis's 6-bit packing (length-prefixed).
     */
    @Override
    public void encode(CrdtWriter w) {
        boolean watermark = delHlc != 0 || delNode != 0;
        w.writeByte(watermark ? FLAG_WATERMARK : 0);
        if (watermark) {
            w.writeFixedLong(delHlc);
            CrdtCodec.writeNode(w, delNode);
        }
        w.writeVarInt(size);
        for (int i = 0; i < size; i++) {
            Contribution c = contributions[i];
            CrdtCodec.writeNode(w, c.node);
            w.writeFixedLong(c.since);
            w.writeVarLong(c.last - c.since);
            w.writeVarInt(c.n);
            if (c.n <= CODEC_SPARSE_LIMIT) {
                int previous = -1;
                if (c.dense == null) {
                    for (int k = 0; k < c.n; k++) {
                        int index = c.sparse[k] >>> 8;
                        w.writeVarInt(index - previous - 1);
                        w.writeByte(c.sparse[k] & 0xFF);
                        previous = index;
                    }
                } else {
                    for (int index = 0; index < RedisHll.REGISTERS; index++) {
                        if (c.dense[index] != 0) {
                            w.writeVarInt(index - previous - 1);
                            w.writeByte(c.dense[index]);
                            previous = index;
                        }
                    }
                }
            } else {
                byte[] packed = new byte[RedisHll.DENSE_REGISTER_BYTES];
                RedisHll.pack(c.denseView(), packed, 0);
                w.writeBytes(packed);
            }
        }
    }

    /** Reads a value written by {@link #encode}; malformed input raises {@link CrdtCodecException}. */
    public static HllValue decode(CrdtReader r) {
        int flags = r.readByte();
        if ((flags & ~FLAG_WATERMARK) != 0) {
            throw new CrdtCodecException("unknown hll flags " + flags);
        }
        HllValue v = new HllValue();
        if ((flags & FLAG_WATERMARK) != 0) {
            v.delHlc = StringValue.readHlc(r);
            v.delNode = CrdtCodec.readNode(r);
            if (v.delHlc == 0) {
                throw new CrdtCodecException("hll watermark without a stamp");
            }
        }
        int count = r.readCount();
        v.contributions = count == 0 ? NONE : new Contribution[count];
        long previousNode = -1;
        for (int i = 0; i < count; i++) {
            long node = CrdtCodec.readNode(r);
            if (node < 0 || (i > 0 && node <= previousNode)) {
                throw new CrdtCodecException("hll contributions not in ascending node order");
            }
            previousNode = node;
            Contribution c = new Contribution(node);
            c.since = StringValue.readHlc(r);
            long span = r.readVarLong();
            if (c.since == 0 || span < 0 || c.since + span < c.since) {
                throw new CrdtCodecException("bad hll contribution stamps");
            }
            c.last = c.since + span;
            if (!v.alive(c)) {
                throw new CrdtCodecException("hll contribution killed by its own watermark");
            }
            long n = r.readVarLong();
            if (n < 0 || n > RedisHll.REGISTERS) {
                throw new CrdtCodecException("bad hll register count " + n);
            }
            if (n <= CODEC_SPARSE_LIMIT) {
                readSparse(r, c, (int) n);
            } else {
                byte[] packed = r.readBytes();
                if (packed.length != RedisHll.DENSE_REGISTER_BYTES) {
                    throw new CrdtCodecException("bad hll dense length " + packed.length);
                }
                c.dense = RedisHll.unpack(packed, 0);
                c.sparse = null;
                for (byte b : c.dense) {
                    if (b != 0) {
                        c.n++;
                    }
                }
                if (c.n != n) {
                    throw new CrdtCodecException("hll dense register count mismatch");
                }
            }
            v.contributions[v.size++] = c;
        }
        return v;
    }

    private static void readSparse(CrdtReader r, Contribution c, int n) {
        if (n > r.remaining() / 2) {
            throw new CrdtCodecException("hll register count exceeds remaining input");
        }
        boolean dense = n > SPARSE_LIMIT;
        if (dense) {
            c.dense = new byte[RedisHll.REGISTERS];
            c.sparse = null;
        } else if (n > 0) {
            c.sparse = new int[n];
        }
        int previous = -1;
        for (int k = 0; k < n; k++) {
            long gap = r.readVarLong();
            if (gap < 0 || gap >= RedisHll.REGISTERS - previous - 1) {
                throw new CrdtCodecException("hll register index out of range");
            }
            int index = previous + 1 + (int) gap;
            int value = r.readByte();
            if (value == 0 || value > RedisHll.MAX_REGISTER) {
                throw new CrdtCodecException("bad hll register value " + value);
            }
            if (dense) {
                c.dense[index] = (byte) value;
            } else {
                c.sparse[k] = index << 8 | value;
            }
            previous = index;
        }
        c.n = n;
    }

    // ------------------------------------------------------------------ equality

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof HllValue other)) {
            return false;
        }
        if (delHlc != other.delHlc || delNode != other.delNode || size != other.size) {
            return false;
        }
        for (int i = 0; i < size; i++) {
            Contribution a = contributions[i];
            Contribution b = other.contributions[i];
            if (a.node != b.node || a.since != b.since || a.last != b.last || !a.sameRegisters(b)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = Long.hashCode(delHlc) * 31 + Long.hashCode(delNode);
        for (int i = 0; i < size; i++) {
            Contribution c = contributions[i];
            h = h * 31 + Long.hashCode(c.node);
            h = h * 31 + Long.hashCode(c.since);
            h = h * 31 + c.n;
        }
        return h;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Hll{");
        if (delHlc != 0) {
            sb.append("del=").append(Hlc.toString(delHlc)).append('/').append(delNode).append(' ');
        }
        for (int i = 0; i < size; i++) {
            Contribution c = contributions[i];
            sb.append(c.node).append('[').append(Hlc.toString(c.since)).append("..").append(Hlc.toString(c.last))
                    .append(": ").append(c.n).append(" set] ");
        }
        return sb.append("count=").append(count()).append('}').toString();
    }

    // ------------------------------------------------------------------ contributions

    /** One replica's contribution: its incarnation stamps and its registers (sparse or dense). */
    static final class Contribution {
        final long node;
        /** HLC of the first write of this incarnation. */
        long since;
        /** HLC of its latest change. */
        long last;
        /** Sorted {@code index << 8 | value} of the set registers; null when dense. */
        int[] sparse;
        /** One byte per register; null when sparse. */
        byte[] dense;
        /** Number of set (non-zero) registers. */
        int n;

        Contribution(long node) {
            this.node = node;
            this.sparse = NO_REGISTERS;
        }

        int get(int index) {
            if (dense != null) {
                return dense[index];
            }
            int at = search(index);
            return at >= 0 ? sparse[at] & 0xFF : 0;
        }

        private int search(int index) {
            int lo = 0;
            int hi = n - 1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                int at = sparse[mid] >>> 8;
                if (at < index) {
                    lo = mid + 1;
                } else if (at > index) {
                    hi = mid - 1;
                } else {
                    return mid;
                }
            }
            return -(lo + 1);
        }

        /** Raises register {@code index} to {@code value}; whether it rose. */
        boolean raise(int index, int value) {
            if (dense != null) {
                int old = dense[index];
                if (old >= value) {
                    return false;
                }
                if (old == 0) {
                    n++;
                }
                dense[index] = (byte) value;
                return true;
            }
            int at = search(index);
            if (at >= 0) {
                if ((sparse[at] & 0xFF) >= value) {
                    return false;
                }
                sparse[at] = index << 8 | value;
                return true;
            }
            if (n == SPARSE_LIMIT) {
                densify();
                dense[index] = (byte) value;
                n++;
                return true;
            }
            int insert = -(at + 1);
            if (n == sparse.length) {
                sparse = Arrays.copyOf(sparse, Math.min(SPARSE_LIMIT, Math.max(4, n * 2)));
            }
            System.arraycopy(sparse, insert, sparse, insert + 1, n - insert);
            sparse[insert] = index << 8 | value;
            n++;
            return true;
        }

        /** Register-wise maximum with {@code o}. */
        void raiseAll(Contribution o) {
            if (dense == null && n + o.n > SPARSE_LIMIT) {
                densify();
            }
            if (o.dense != null) {
                for (int i = 0; i < RedisHll.REGISTERS; i++) {
                    if (o.dense[i] != 0) {
                        raise(i, o.dense[i]);
                    }
                }
            } else {
                for (int k = 0; k < o.n; k++) {
                    raise(o.sparse[k] >>> 8, o.sparse[k] & 0xFF);
                }
            }
        }

        void densify() {
            byte[] d = new byte[RedisHll.REGISTERS];
            for (int k = 0; k < n; k++) {
                d[sparse[k] >>> 8] = (byte) (sparse[k] & 0xFF);
            }
            dense = d;
            sparse = null;
        }

        /** The registers one byte each: the dense array itself, or a new one. Do not mutate. */
        byte[] denseView() {
            if (dense != null) {
                return dense;
            }
            byte[] d = new byte[RedisHll.REGISTERS];
            maxInto(d);
            return d;
        }

        void maxInto(byte[] max) {
            if (dense != null) {
                for (int i = 0; i < RedisHll.REGISTERS; i++) {
                    if (dense[i] > max[i]) {
                        max[i] = dense[i];
                    }
                }
            } else {
                for (int k = 0; k < n; k++) {
                    int index = sparse[k] >>> 8;
                    byte value = (byte) (sparse[k] & 0xFF);
                    if (value > max[index]) {
                        max[index] = value;
                    }
                }
            }
        }

        boolean sameRegisters(Contribution o) {
            if (n != o.n) {
                return false;
            }
            if (dense == null && o.dense == null) {
                return Arrays.equals(sparse, 0, n, o.sparse, 0, o.n);
            }
            return Arrays.equals(denseView(), o.denseView());
        }

        Contribution copy() {
            Contribution c = new Contribution(node);
            c.since = since;
            c.last = last;
            c.n = n;
            c.sparse = sparse == null ? null : n == 0 ? NO_REGISTERS : Arrays.copyOf(sparse, n);
            c.dense = dense == null ? null : dense.clone();
            return c;
        }
    }
}
