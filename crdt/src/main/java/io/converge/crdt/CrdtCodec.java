package io.converge.crdt;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary format of a {@link KeyState} (a whole key state or a key delta: they are the same
 * thing), for the wire, the delta log and snapshots.
 *
 * <pre>
 *   version      1 byte   (currently 1; anything else is refused)
 *   parts        varint   bit 0 expiry, bit 1 delete watermark, bit 2 set delete context,
 *                         bit 3 sorted-set delete context, bit 4 list delete context,
 *                         bit 5 stream delete context
 *   expiry       varint expireAtMs, fixed-8 HLC, node                   (if bit 0)
 *   watermark    fixed-8 HLC, node                                       (if bit 1)
 *   contexts     {@link CausalContext} encoding: set, sorted set, list, stream
 *                                                                        (if bits 2, 3, 4, 5)
 *   values       varint count (at most 7), then per value in ascending type code:
 *                1 byte {@link ValueType#code()}, then the type's own encoding
 *                ({@link StringValue}, {@link HashValue}, {@link SetValue}, {@link ZSetValue},
 *                {@link ListValue}, {@link HllValue}, {@link StreamValue})
 * </pre>
 *
 * <p><b>Replica ids</b> ("node" here and in every value's format) are unsigned varints of the
 * {@code long} id ({@link #writeNode}). The build whose ids were {@code int}s wrote the same
 * varints, so its logs and snapshots read as they are; its one negative node, the purge
 * watermark's {@code Integer.MIN_VALUE} (five bytes: {@code 2^31} unsigned), still stands for
 * {@link Stamp#MIN_NODE} and is still written that way.
 *
 * <p><b>Canonical:</b> two states that are {@link KeyState#equals equal} encode to identical
 * bytes, whatever order of operations, merges and garbage collections produced them, so
 * replicas can be compared by hashing the encodings (and {@code encode(decode(b)) == b} for
 * every {@code b} this encoder wrote). Every collection is written in a fixed order (fields and
 * members by unsigned bytes, sorted-set members by score then bytes, dots and counter
 * contributions by node), and the encoder writes a state's normal form: an expiry record older
 * than the delete watermark, an empty causal context or an empty value the next merge would
 * drop is left out, as the decoder would drop it.
 *
 * <p>The decoder treats its input as hostile: every failure, whatever the cause (truncation,
 * oversized lengths, unknown version, tag or flag, values out of order, trailing bytes), is a
 * {@link CrdtCodecException}; lengths and counts are checked against the remaining input
 * before anything is allocated. Its limits are never below what honest writes produce, so
 * whatever a replica accepted, every replica (and its own log) decodes.
 */
public final class CrdtCodec {

    /** The format version this code writes. */
    public static final int VERSION = 1;

    private static final int PART_EXPIRY = 1;
    private static final int PART_DELETE = 2;
    private static final int PART_SET_CONTEXT = 4;
    private static final int PART_ZSET_CONTEXT = 8;
    private static final int PART_LIST_CONTEXT = 16;
    private static final int PART_STREAM_CONTEXT = 32;
    private static final int ALL_PARTS = PART_EXPIRY | PART_DELETE | PART_SET_CONTEXT | PART_ZSET_CONTEXT
            | PART_LIST_CONTEXT | PART_STREAM_CONTEXT;

    /**
     * The varint standing for {@link Stamp#MIN_NODE}: what the {@code int} build wrote for
     * {@code Integer.MIN_VALUE}. It is therefore not a usable replica id (nor is any negative).
     */
    static final long MIN_NODE_WIRE = 1L << 31;

    private CrdtCodec() {}

    /**
     * Writes a replica id (or {@link Stamp#MIN_NODE}) as an unsigned varint: the bytes the
     * {@code int} build wrote for the same id.
     *
     * @throws IllegalArgumentException for a negative id or {@link #MIN_NODE_WIRE}, which no
     *     replica has
     */
    static void writeNode(CrdtWriter w, long node) {
        if (node >= 0 && node != MIN_NODE_WIRE) {
            w.writeVarLong(node);
        } else if (node == Stamp.MIN_NODE) {
            w.writeVarLong(MIN_NODE_WIRE);
        } else {
            throw new IllegalArgumentException("not a replica id: " + node);
        }
    }

    /** Reads a replica id written by {@link #writeNode}; a negative one is malformed. */
    static long readNode(CrdtReader r) {
        long v = r.readVarLong();
        if (v == MIN_NODE_WIRE) {
            return Stamp.MIN_NODE;
        }
        if (v < 0) {
            throw new CrdtCodecException("replica id out of range");
        }
        return v;
    }

    /** Encodes a key state or delta; canonical: equal states give identical bytes. */
    public static byte[] encode(KeyState state) {
        CrdtWriter w = new CrdtWriter();
        encode(state, w);
        return w.toByteArray();
    }

    /** Encodes a key state or delta into {@code w} (canonically, as {@link #encode(KeyState)}). */
    public static void encode(KeyState state, CrdtWriter w) {
        byte[] inline = state.inlineStringOrNull();
        if (inline != null) {
            // The commonest state, a plain string and nothing else: the bytes the general path
            // below writes for it (no parts, one STRING value, StringValue's plain encoding),
            // without building the value list.
            w.writeByte(VERSION);
            w.writeVarInt(0);
            w.writeVarInt(1);
            w.writeByte(ValueType.STRING.code());
            StringValue.encodePlain(w, inline, state.inlineHlc(), state.inlineNode());
            return;
        }
        w.writeByte(VERSION);
        KeyState.Envelope e = state.envelopeOrNull();
        int parts = 0;
        if (e != null) {
            // The normal form: no expiry record the watermark removes, no empty contexts (a
            // state can hold them until its next merge; it equals the state without them).
            parts |= e.expiryStands() ? PART_EXPIRY : 0;
            parts |= e.delHlc != 0 ? PART_DELETE : 0;
            parts |= e.setContext != null && !e.setContext.isEmpty() ? PART_SET_CONTEXT : 0;
            parts |= e.zsetContext != null && !e.zsetContext.isEmpty() ? PART_ZSET_CONTEXT : 0;
            parts |= e.listContext != null && !e.listContext.isEmpty() ? PART_LIST_CONTEXT : 0;
            parts |= e.streamContext != null && !e.streamContext.isEmpty() ? PART_STREAM_CONTEXT : 0;
        }
        w.writeVarInt(parts);
        if ((parts & PART_EXPIRY) != 0) {
            w.writeVarLong(e.expireAtMs);
            w.writeFixedLong(e.expHlc);
            writeNode(w, e.expNode);
        }
        if ((parts & PART_DELETE) != 0) {
            w.writeFixedLong(e.delHlc);
            writeNode(w, e.delNode);
        }
        if ((parts & PART_SET_CONTEXT) != 0) {
            e.setContext.encode(w);
        }
        if ((parts & PART_ZSET_CONTEXT) != 0) {
            e.zsetContext.encode(w);
        }
        if ((parts & PART_LIST_CONTEXT) != 0) {
            e.listContext.encode(w);
        }
        if ((parts & PART_STREAM_CONTEXT) != 0) {
            e.streamContext.encode(w);
        }
        List<CrdtValue<?>> values = state.valuesInNormalForm();
        values.sort((a, b) -> Integer.compare(a.type().code(), b.type().code()));
        w.writeVarInt(values.size());
        for (CrdtValue<?> v : values) {
            w.writeByte(v.type().code());
            v.encode(w);
        }
    }

    /** Decodes a whole input as one key state; anything malformed raises {@link CrdtCodecException}. */
    public static KeyState decode(byte[] bytes) {
        CrdtReader r = new CrdtReader(bytes);
        KeyState k = decode(r);
        r.expectEnd();
        return k;
    }

    /**
     * Decodes one key state from {@code r} (which may hold more after it). Anything malformed
     * raises {@link CrdtCodecException}, and nothing else is thrown.
     */
    public static KeyState decode(CrdtReader r) {
        try {
            return decodeUnchecked(r);
        } catch (CrdtCodecException e) {
            throw e;
        } catch (RuntimeException e) {
            // Defence in depth: a value decoder that trips over input it did not anticipate
            // must still fail with the documented exception.
            throw new CrdtCodecException("malformed key state: " + e);
        }
    }

    private static KeyState decodeUnchecked(CrdtReader r) {
        int version = r.readByte();
        if (version != VERSION) {
            throw new CrdtCodecException("unknown format version " + version);
        }
        long parts = r.readVarLong();
        if ((parts & ~ALL_PARTS) != 0) {
            throw new CrdtCodecException("unknown key parts " + parts);
        }
        if (parts == 0) {
            KeyState plain = StringValue.decodePlainKey(r);
            if (plain != null) {
                return plain;
            }
        }
        KeyState.Envelope e = new KeyState.Envelope();
        if ((parts & PART_EXPIRY) != 0) {
            long at = r.readVarLong();
            if (at < 0) {
                throw new CrdtCodecException("negative expiry");
            }
            e.expireAtMs = at;
            e.expHlc = StringValue.readHlc(r);
            e.expNode = readNode(r);
            if (e.expHlc == 0) {
                throw new CrdtCodecException("expiry without a stamp");
            }
        }
        if ((parts & PART_DELETE) != 0) {
            e.delHlc = StringValue.readHlc(r);
            e.delNode = readNode(r);
            if (e.delHlc == 0) {
                throw new CrdtCodecException("delete without a stamp");
            }
        }
        if ((parts & PART_SET_CONTEXT) != 0) {
            e.setContext = CausalContext.decode(r);
        }
        if ((parts & PART_ZSET_CONTEXT) != 0) {
            e.zsetContext = CausalContext.decode(r);
        }
        if ((parts & PART_LIST_CONTEXT) != 0) {
            e.listContext = CausalContext.decode(r);
        }
        if ((parts & PART_STREAM_CONTEXT) != 0) {
            e.streamContext = CausalContext.decode(r);
        }
        int n = r.readCount();
        if (n > ValueType.values().length) {
            throw new CrdtCodecException("too many values: " + n);
        }
        List<CrdtValue<?>> values = new ArrayList<>(n);
        int previous = 0;
        for (int i = 0; i < n; i++) {
            int code = r.readByte();
            if (code <= previous) {
                throw new CrdtCodecException("value types not in strictly ascending order");
            }
            previous = code;
            CrdtValue<?> v = switch (ValueType.fromCode(code)) {
                case STRING -> StringValue.decode(r);
                case HASH -> HashValue.decode(r);
                case SET -> SetValue.decode(r);
                case ZSET -> ZSetValue.decode(r);
                case LIST -> ListValue.decode(r);
                case HLL -> HllValue.decode(r);
                case STREAM -> StreamValue.decode(r);
            };
            values.add(v);
        }
        return KeyState.assemble(e.isEmpty() ? null : e, values);
    }
}
