package io.converge.server.store;

import io.converge.crdt.CrdtCodec;
import io.converge.crdt.HashValue;
import io.converge.crdt.KeyState;
import io.converge.crdt.ListValue;
import io.converge.crdt.SetValue;
import io.converge.crdt.ValueType;
import io.converge.crdt.ZSetValue;
import io.converge.crdt.codec.CrdtWriter;

/**
 * The deterministic estimate of dataset bytes that {@code maxmemory} is compared with: per key,
 * a fixed overhead for the engine's entry, the key state and the table slot, plus the key bytes,
 * plus an estimate of the value.
 *
 * <p>It is an estimate, not a measurement: the JVM heap also holds garbage not yet collected,
 * network buffers and so on (INFO memory reports the real heap figure separately as
 * {@code used_memory}). Deterministic means two nodes holding the same data agree, and a test can
 * predict when OOM starts.
 *
 * <p>Strings are estimated exactly from their length, HyperLogLogs from how their contributions
 * hold their registers (sparse or dense). Hashes, sets and sorted sets would need a
 * walk over their elements to measure, which a write must not pay for, so their estimate is kept
 * incrementally: it grows by the encoded size of each delta that adds elements, stays put when
 * the element count does not change, and shrinks in proportion when elements go. Causal
 * contexts, tombstones and dots are not counted separately.
 */
final class DatasetEstimate {
    /** Entry object (64), KeyState object (32), key array header (16), table slot (8), compressed oops. */
    static final long ENTRY_OVERHEAD = 64 + 32 + 16 + 8;
    /** Byte-array header of an inline string value. */
    static final long STRING_OVERHEAD = 16;
    /** Per-element overhead assumed for hashes, sets and sorted sets (maps, dots, index nodes). */
    static final long ELEMENT_OVERHEAD = 64;
    /** Fixed cost of a collection value object. */
    static final long COLLECTION_OVERHEAD = 96;

    private DatasetEstimate() {}

    /** Bytes counted for a whole entry with a key of {@code keyLength} and value estimate {@code valueBytes}. */
    static long entryBytes(int keyLength, long valueBytes) {
        return ENTRY_OVERHEAD + keyLength + valueBytes;
    }

    /** Visible elements of a collection state (0 for strings and for nothing visible). */
    static int elements(KeyState state) {
        ValueType t = state.type();
        if (t == null || t == ValueType.STRING) {
            return 0;
        }
        return switch (t) {
            case HASH -> {
                HashValue h = state.hash();
                yield h == null ? 0 : h.size();
            }
            case SET -> {
                SetValue s = state.set();
                yield s == null ? 0 : s.size();
            }
            case LIST -> {
                ListValue l = state.list();
                yield l == null ? 0 : l.size();
            }
            case ZSET -> {
                ZSetValue z = state.zset();
                yield z == null ? 0 : z.size();
            }
            case STREAM -> {
                io.converge.crdt.StreamValue st = state.stream();
                yield st == null ? 0 : st.size();
            }
            default -> 0;
        };
    }

    /**
     * The new value estimate after a change: {@code state} now has {@code elements} elements, had
     * {@code oldElements} with estimate {@code oldBytes}; {@code grownBytes} is the payload of
     * the collection deltas applied by the change.
     */
    static long valueBytes(KeyState state, int oldElements, int elements, long oldBytes, long grownBytes) {
        ValueType t = state.type();
        if (t == null) {
            return 0;
        }
        if (t == ValueType.STRING) {
            // by length, not bytes: a string with bit writes would be rendered on every write
            long length = state.stringLength();
            return length < 0 ? 0 : STRING_OVERHEAD + length + state.bitWriteBytes();
        }
        if (t == ValueType.HLL) {
            return state.hll().estimatedBytes();
        }
        if (elements == 0) {
            return COLLECTION_OVERHEAD;
        }
        if (oldBytes < COLLECTION_OVERHEAD || oldElements == 0) {
            // Newly a collection (or changed type): start from its delta payload.
            return COLLECTION_OVERHEAD + elements * ELEMENT_OVERHEAD + Math.max(grownBytes, 0);
        }
        long payload = oldBytes - COLLECTION_OVERHEAD - oldElements * ELEMENT_OVERHEAD;
        if (elements > oldElements) {
            payload += grownBytes;
        } else if (elements < oldElements) {
            payload = payload * elements / oldElements;
        }
        return COLLECTION_OVERHEAD + elements * ELEMENT_OVERHEAD + Math.max(payload, 0);
    }

    /** Payload bytes a delta brings to a collection (its encoded size), 0 for other deltas. */
    static long deltaPayload(KeyState delta) {
        ValueType t = delta.type();
        if (t == null || t == ValueType.STRING || t == ValueType.HLL) {
            return 0;
        }
        // Only the size is needed: encode into the thread's scratch writer and read its position,
        // rather than CrdtCodec.encode(delta), which allocates, grows and copies the bytes out.
        CrdtWriter w = CrdtWriter.scratch();
        CrdtCodec.encode(delta, w);
        int size = w.size();
        w.release();
        return size;
    }
}
