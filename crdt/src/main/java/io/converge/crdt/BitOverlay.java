package io.converge.crdt;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.util.Arrays;

/**
 * The per-bit last-writer-wins registers a string carries once SETBIT or BITFIELD wrote to it
 * (see {@link StringValue}): bit offset to (bit value, stamp), so concurrent writes of different
 * bits, even in one byte, all survive. Only bits written after the string's base live here; the
 * owner drops the others and folds old ones into its base ({@link StringValue#gc}).
 *
 * <p><b>Memory.</b> An open-addressing table of parallel primitive arrays: per slot the offset
 * (4 bytes, read unsigned: offsets are below 2^32 as in Redis), the HLC (8 bytes, 0 marks a free
 * slot) and the node with the bit value in its sign bit (8 bytes); at most 3/4 full, so 20 to 40
 * bytes per written bit until folded. Not thread-safe.
 */
final class BitOverlay {

    /** Largest bit offset (Redis's 512 MB string limit). */
    static final long MAX_OFFSET = 0xFFFF_FFFFL;
    private static final long VALUE_BIT = Long.MIN_VALUE;

    private int[] offsets;
    private long[] hlcs;
    private long[] nodes;
    private int size;
    /** Greatest offset held, or -1 when empty. */
    private long maxOffset = -1;
    /** Greatest stamp held ((0, 0) when empty). */
    private long lastHlc;
    private long lastNode;

    BitOverlay() {
        this(8);
    }

    private BitOverlay(int capacity) {
        offsets = new int[capacity];
        hlcs = new long[capacity];
        nodes = new long[capacity];
    }

    /** Number of bits held. */
    int size() {
        return size;
    }

    /** Greatest offset held, or -1 when empty. */
    long maxOffset() {
        return maxOffset;
    }

    /** HLC of the latest write held (0 when empty). */
    long lastHlc() {
        return lastHlc;
    }

    /** Node of the latest write held. */
    long lastNode() {
        return lastNode;
    }

    /** The slot holding {@code offset}, or -1. */
    int find(long offset) {
        int mask = offsets.length - 1;
        for (int i = slotOf(offset, mask); hlcs[i] != 0; i = (i + 1) & mask) {
            if (offsets[i] == (int) offset) {
                return i;
            }
        }
        return -1;
    }

    /** The bit value (0 or 1) in slot {@code slot}. */
    int value(int slot) {
        return nodes[slot] < 0 ? 1 : 0;
    }

    /** The HLC of the write in slot {@code slot}. */
    long hlc(int slot) {
        return hlcs[slot];
    }

    /** The node of the write in slot {@code slot}. */
    long node(int slot) {
        return nodes[slot] & ~VALUE_BIT;
    }

    /** The offset in slot {@code slot}. */
    long offset(int slot) {
        return offsets[slot] & 0xFFFF_FFFFL;
    }

    /** Number of slots (iterate with {@link #used}). */
    int capacity() {
        return hlcs.length;
    }

    /** Whether slot {@code slot} holds a bit. */
    boolean used(int slot) {
        return hlcs[slot] != 0;
    }

    /**
     * Writes {@code offset} (a local write, whose stamp is the newest): replaces whatever the
     * slot held.
     */
    void put(long offset, int value, long hlc, long node) {
        int slot = find(offset);
        if (slot < 0) {
            insert(offset, value, hlc, node);
        } else {
            hlcs[slot] = hlc;
            nodes[slot] = node | (value != 0 ? VALUE_BIT : 0);
            noteStamp(hlc, node);
        }
    }

    private void noteStamp(long hlc, long node) {
        if (Stamp.compare(hlc, node, lastHlc, lastNode) > 0) {
            lastHlc = hlc;
            lastNode = node;
        }
    }

    /**
     * Joins one register: keeps the greater stamp (on equal stamps, which real writes never
     * share, the greater value, so the join stays deterministic). Returns whether it changed.
     */
    boolean join(long offset, int value, long hlc, long node) {
        int slot = find(offset);
        if (slot < 0) {
            insert(offset, value, hlc, node);
            return true;
        }
        int c = Stamp.compare(hlc, node, hlcs[slot], node(slot));
        if (c > 0 || (c == 0 && value > value(slot))) {
            hlcs[slot] = hlc;
            nodes[slot] = node | (value != 0 ? VALUE_BIT : 0);
            noteStamp(hlc, node);
            return true;
        }
        return false;
    }

    /** Removes every bit whose stamp is at or before {@code (hlc, node)}. */
    void dropAtOrBefore(long hlc, long node) {
        int dropped = 0;
        for (int i = 0; i < hlcs.length; i++) {
            if (hlcs[i] != 0 && Stamp.compare(hlcs[i], node(i), hlc, node) <= 0) {
                dropped++;
            }
        }
        if (dropped > 0) {
            rebuild(hlc, node, Long.MIN_VALUE);
        }
    }

    /** Removes every bit whose HLC is at or before {@code stableHlc}. */
    void dropStable(long stableHlc) {
        rebuild(Long.MIN_VALUE, 0, stableHlc);
    }

    /**
     * Rebuilds the table with the bits stamped after {@code (dropHlc, dropNode)} (all of them when
     * {@code dropHlc} is {@code Long.MIN_VALUE}) whose HLC is after {@code stableHlc}.
     */
    private void rebuild(long dropHlc, long dropNode, long stableHlc) {
        int[] oldOffsets = offsets;
        long[] oldHlcs = hlcs;
        long[] oldNodes = nodes;
        int kept = 0;
        for (int i = 0; i < oldHlcs.length; i++) {
            if (oldHlcs[i] != 0 && keep(oldHlcs[i], oldNodes[i] & ~VALUE_BIT, dropHlc, dropNode, stableHlc)) {
                kept++;
            }
        }
        int capacity = capacityFor(kept);
        offsets = new int[capacity];
        hlcs = new long[capacity];
        nodes = new long[capacity];
        size = 0;
        maxOffset = -1;
        lastHlc = 0;
        lastNode = 0;
        for (int i = 0; i < oldHlcs.length; i++) {
            long h = oldHlcs[i];
            if (h != 0 && keep(h, oldNodes[i] & ~VALUE_BIT, dropHlc, dropNode, stableHlc)) {
                insertRaw(oldOffsets[i] & 0xFFFF_FFFFL, h, oldNodes[i]);
            }
        }
    }

    private static boolean keep(long hlc, long node, long dropHlc, long dropNode, long stableHlc) {
        if (dropHlc != Long.MIN_VALUE && Stamp.compare(hlc, node, dropHlc, dropNode) <= 0) {
            return false;
        }
        return hlc > stableHlc;
    }

    /** Sets or clears, in {@code bytes}, every held bit whose offset lies inside it. */
    void applyTo(byte[] bytes) {
        applyTo(bytes, Long.MAX_VALUE);
    }

    /** Like {@link #applyTo(byte[])}, for the bits whose HLC is at or before {@code maxHlc}. */
    void applyTo(byte[] bytes, long maxHlc) {
        long limit = (long) bytes.length << 3;
        for (int i = 0; i < hlcs.length; i++) {
            if (hlcs[i] != 0 && hlcs[i] <= maxHlc) {
                long offset = offsets[i] & 0xFFFF_FFFFL;
                if (offset < limit) {
                    int byteIndex = (int) (offset >>> 3);
                    int mask = 0x80 >>> (int) (offset & 7);
                    if (nodes[i] < 0) {
                        bytes[byteIndex] |= (byte) mask;
                    } else {
                        bytes[byteIndex] &= (byte) ~mask;
                    }
                }
            }
        }
    }

    /** Slot indexes ordered by offset (for the canonical encoding). */
    int[] slotsInOrder() {
        long[] packed = new long[size];
        int n = 0;
        for (int i = 0; i < hlcs.length; i++) {
            if (hlcs[i] != 0) {
                packed[n++] = (offsets[i] & 0xFFFF_FFFFL) << 31 | i;
            }
        }
        Arrays.sort(packed);
        int[] slots = new int[n];
        for (int i = 0; i < n; i++) {
            slots[i] = (int) (packed[i] & 0x7FFF_FFFF);
        }
        return slots;
    }

    /** A deep copy. */
    BitOverlay copy() {
        BitOverlay c = new BitOverlay(0);
        c.offsets = offsets.clone();
        c.hlcs = hlcs.clone();
        c.nodes = nodes.clone();
        c.size = size;
        c.maxOffset = maxOffset;
        c.lastHlc = lastHlc;
        c.lastNode = lastNode;
        return c;
    }

    /** Whether both hold the same bits with the same values and stamps. */
    boolean sameAs(BitOverlay o) {
        if (size != o.size) {
            return false;
        }
        for (int i = 0; i < hlcs.length; i++) {
            if (hlcs[i] != 0) {
                int j = o.find(offsets[i] & 0xFFFF_FFFFL);
                if (j < 0 || o.hlcs[j] != hlcs[i] || o.nodes[j] != nodes[i]) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Rough heap bytes. */
    long estimatedBytes() {
        return 48 + 3 * 16 + 20L * hlcs.length;
    }

    // ------------------------------------------------------------------ codec

    /**
     * Writes the bits by ascending offset: count, then per bit the gap since the previous offset
     * (varint), the value byte, the HLC (fixed) and the node.
     */
    void encode(CrdtWriter w) {
        int[] slots = slotsInOrder();
        w.writeVarInt(slots.length);
        long previous = -1;
        for (int slot : slots) {
            long offset = offset(slot);
            w.writeVarLong(offset - previous - 1);
            w.writeByte(value(slot));
            w.writeFixedLong(hlcs[slot]);
            CrdtCodec.writeNode(w, node(slot));
            previous = offset;
        }
    }

    /** Reads what {@link #encode} wrote; malformed input raises {@link CrdtCodecException}. */
    static BitOverlay decode(CrdtReader r) {
        int n = r.readCount();
        // every bit takes at least 11 bytes: gap, value, 8 HLC bytes, node
        if (n == 0 || n > r.remaining() / 11) {
            throw new CrdtCodecException("bad bit count " + n);
        }
        BitOverlay o = new BitOverlay(capacityFor(n));
        long previous = -1;
        for (int i = 0; i < n; i++) {
            long gap = r.readVarLong();
            if (gap < 0 || gap > MAX_OFFSET - previous - 1) {
                throw new CrdtCodecException("bit offset out of range");
            }
            long offset = previous + 1 + gap;
            int value = r.readByte();
            if (value != 0 && value != 1) {
                throw new CrdtCodecException("bad bit value " + value);
            }
            long hlc = StringValue.readHlc(r);
            if (hlc == 0) {
                throw new CrdtCodecException("bit write without a stamp");
            }
            long node = CrdtCodec.readNode(r);
            if (node < 0) {
                throw new CrdtCodecException("bad bit writer " + node);
            }
            o.insert(offset, value, hlc, node);
            previous = offset;
        }
        return o;
    }

    // ------------------------------------------------------------------ table

    private void insert(long offset, int value, long hlc, long node) {
        if ((size + 1) * 4L > offsets.length * 3L) {
            grow();
        }
        insertRaw(offset, hlc, node | (value != 0 ? VALUE_BIT : 0));
    }

    private void insertRaw(long offset, long hlc, long nodeAndValue) {
        int mask = offsets.length - 1;
        int i = slotOf(offset, mask);
        while (hlcs[i] != 0) {
            i = (i + 1) & mask;
        }
        offsets[i] = (int) offset;
        hlcs[i] = hlc;
        nodes[i] = nodeAndValue;
        size++;
        if (offset > maxOffset) {
            maxOffset = offset;
        }
        noteStamp(hlc, nodeAndValue & ~VALUE_BIT);
    }

    private void grow() {
        int[] oldOffsets = offsets;
        long[] oldHlcs = hlcs;
        long[] oldNodes = nodes;
        int capacity = Math.max(8, oldHlcs.length * 2);
        offsets = new int[capacity];
        hlcs = new long[capacity];
        nodes = new long[capacity];
        size = 0;
        for (int i = 0; i < oldHlcs.length; i++) {
            if (oldHlcs[i] != 0) {
                insertRaw(oldOffsets[i] & 0xFFFF_FFFFL, oldHlcs[i], oldNodes[i]);
            }
        }
    }

    private static int capacityFor(int n) {
        int capacity = 8;
        while (capacity * 3L < n * 4L) {
            capacity <<= 1;
        }
        return capacity;
    }

    private static int slotOf(long offset, int mask) {
        long h = offset * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h >>> 32) & mask;
    }
}
