package io.converge.server.cluster.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary encoding of {@link PeerMessage}s into frames, and the hostile-input-safe decoder.
 *
 * <p>Frame layout (all integers big-endian):
 * <pre>
 *   int32  length      of everything after this field (version + type + body), 2..maxFrame
 *   uint8  version     {@link #VERSION}
 *   uint8  type        {@link MessageType#code()}
 *   body               per type, built from:
 *                        node id  = uint16
 *                        long     = int64
 *                        string   = uint16 length + UTF-8 (at most {@link #MAX_STRING_BYTES})
 *                        bytes    = int32 length + bytes   (nullable bytes: length -1 = null)
 *                        list     = int32 count + elements
 * </pre>
 *
 * <p>The decoder trusts nothing: every length is checked against the bytes actually left in
 * the frame before anything is allocated (so a frame can never make it allocate more than the
 * frame's own size), nonces and proofs must have their exact size, unknown versions or types
 * and trailing bytes are errors. Every problem is a {@link PeerProtocolException}.
 *
 * <p><b>Fragments.</b> A message whose frame would exceed the frame bound travels as a sequence
 * of fragment frames instead (version 2 of the format). Their payloads, concatenated, are
 * exactly what the message's single frame would hold after its length prefix (version, type,
 * body), so the receiver decodes the reassembled bytes with {@link #decode} as if they had
 * arrived whole:
 * <pre>
 *   int32  length      of everything after this field, at most the frame bound
 *   uint8  version     {@link #VERSION}
 *   uint8  code        {@link #FRAGMENT_FIRST} or {@link #FRAGMENT_NEXT} (never a message type)
 *   int32  total       FIRST: size of the whole message (announced before any of it is stored)
 *          offset      NEXT: where this chunk starts in the message (= bytes received so far)
 *   chunk  bytes       at least one; the message is complete when offset + chunk = total
 * </pre>
 * Codes {@code 0xF0..0xFF} are reserved for frame-layer codes such as these; message types
 * must stay below them. A whole frame costs nothing more than before: the receiver tells a
 * fragment from a message by the code byte it reads anyway.
 */
public final class PeerCodec {

    /**
     * Protocol version this codec speaks (2: messages larger than a frame travel as fragments; 3:
     * hash-tree repair packs keys and states, and a leaf reply lets the side that seems ahead send
     * first). Nodes speaking different versions do not talk to each other: upgrade every node of a
     * cluster together.
     */
    public static final int VERSION = 3;
    /** Bytes of the length prefix. */
    public static final int LENGTH_FIELD_BYTES = 4;
    /** Default upper bound on a frame (after the length prefix); larger messages are fragmented. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 1 << 20;
    /** Smallest allowed frame bound: every handshake message (at most ~1.1 KiB) fits in one frame. */
    public static final int MIN_FRAME_BYTES = 4096;
    /** Default upper bound on a message (its encoding after the length prefix), whole or in fragments. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 1 << 30;
    /** Hard ceiling on a message: its whole frame, length prefix included, must fit in one Java array. */
    public static final int MAX_MESSAGE_BYTES = Integer.MAX_VALUE - 64;
    /** Code (in the type position) of the first fragment of a message. */
    public static final int FRAGMENT_FIRST = 0xFE;
    /** Code (in the type position) of every later fragment of a message. */
    public static final int FRAGMENT_NEXT = 0xFF;
    /** Bytes of a fragment frame before its chunk, after the length prefix: version, code, total or offset. */
    public static final int FRAGMENT_HEADER_BYTES = 6;
    /** Size of handshake nonces and HMAC-SHA256 proofs. */
    public static final int NONCE_BYTES = 32;
    /** Upper bound on encoded strings (cluster name, reject reason). */
    public static final int MAX_STRING_BYTES = 1024;

    private static final int HEADER_BYTES = 2;

    private PeerCodec() {}

    /** Encoded size of {@code m} excluding the 4-byte length prefix (the value of the length field). */
    public static int frameLength(PeerMessage m) {
        long body = switch (m) {
            case PeerMessage.Hello h -> 2L + utf8Length(h.clusterName()) + 2 + 2 + 4 + h.nonce().length;
            case PeerMessage.Challenge c -> 2L + 4 + c.nonce().length + 4 + c.proof().length;
            case PeerMessage.AuthResponse r -> 4L + r.proof().length;
            case PeerMessage.AuthOk ok -> 0L;
            case PeerMessage.Reject r -> 2L + utf8Length(r.reason());
            case PeerMessage.Heartbeat hb -> 24L;
            case PeerMessage.DeltaBatch b -> {
                long size = 8L + 8 + 8 + 4;
                for (KeyedBytes e : b.entries()) {
                    size += e.encodedSize();
                }
                yield size;
            }
            case PeerMessage.DeltaAck a -> 16L;
            case PeerMessage.ReadState r -> 8L + 4 + listOfBytesSize(r.keys());
            case PeerMessage.ReadStateReply r -> 8L + 4 + listOfBytesSize(r.states());
            case PeerMessage.Write w -> 8L + 4 + w.key().length + 4 + w.payload().length;
            case PeerMessage.WriteAck a -> 8L + 4 + 4 + a.payload().length;
            case PeerMessage.Keepalive k -> 0L;
            case PeerMessage.GcStatus g -> 7L * 8;
            case PeerMessage.DigestRequest r -> 8L + 4 + listOfBytesSize(r.keys());
            case PeerMessage.DigestReply r -> 8L + 4 + 8L * r.digests().length;
            case PeerMessage.SyncOpen o -> 8L + 8 + 4 + 4L * o.leaves().length + 4 + 4 + 4L * o.nodes().length;
            case PeerMessage.SyncTreeQuery q -> 8L + 4 + 4 + 4L * q.nodes().length;
            case PeerMessage.SyncTreeReply r -> 8L + 4 + 4 + 4L * r.nodes().length + 4 + 8L * r.digests().length;
            case PeerMessage.SyncLeafDiff d -> 8L + 4 + 4 + 4L * d.leaves().length + 4 + 4L * d.keys().size() + 4
                    + d.keys().data().length + 4 + 8L * d.digests().length + 4 + 8L * d.latest().length;
            case PeerMessage.SyncLeafReply r -> 8L + 4 + 4 + 8L * r.want().length + 4 + 8L * r.later().length + 4
                    + 8L * r.laterDigests().length;
            case PeerMessage.SyncStates st -> 2L + 8 + 4 + 4 + 1 + 8 + 4 + 4 + st.length();
            case PeerMessage.SyncStatesAck a -> 2L + 8 + 4 + 4;
            case PeerMessage.SyncEnd e -> 2L + 8 + 1 + 1;
            case PeerMessage.Broadcast b -> 8L + 4 + 4 + b.payload().length;
            case PeerMessage.BroadcastReply r -> 8L + 4 + r.payload().length;
        };
        long total = HEADER_BYTES + body;
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("message too large to encode: " + total + " bytes");
        }
        return (int) total;
    }

    private static long listOfBytesSize(List<byte[]> items) {
        long size = 0;
        for (byte[] item : items) {
            size += 4 + (item == null ? 0 : item.length);
        }
        return size;
    }

    /** Writes the whole frame (length prefix included) of {@code m} to {@code out}. */
    public static void encode(PeerMessage m, ByteBuf out) {
        out.writeInt(frameLength(m));
        out.writeByte(VERSION);
        out.writeByte(m.type().code());
        switch (m) {
            case PeerMessage.Hello h -> {
                writeString(out, h.clusterName());
                writeNodeId(out, h.fromNodeId());
                writeNodeId(out, h.toNodeId());
                writeBytes(out, h.nonce());
            }
            case PeerMessage.Challenge c -> {
                writeNodeId(out, c.nodeId());
                writeBytes(out, c.nonce());
                writeBytes(out, c.proof());
            }
            case PeerMessage.AuthResponse r -> writeBytes(out, r.proof());
            case PeerMessage.AuthOk ok -> { }
            case PeerMessage.Reject r -> writeString(out, r.reason());
            case PeerMessage.Heartbeat hb -> {
                out.writeLong(hb.sentAtMillis());
                out.writeLong(hb.incarnation());
                out.writeLong(hb.hlc());
            }
            case PeerMessage.DeltaBatch b -> {
                out.writeLong(b.incarnation());
                out.writeLong(b.baseSeq());
                out.writeLong(b.firstSeq());
                out.writeInt(b.entries().size());
                for (KeyedBytes e : b.entries()) {
                    writeBytes(out, e.key());
                    writeBytes(out, e.value());
                }
            }
            case PeerMessage.DeltaAck a -> {
                out.writeLong(a.incarnation());
                out.writeLong(a.ackedSeq());
            }
            case PeerMessage.ReadState r -> {
                out.writeLong(r.requestId());
                writeByteList(out, r.keys(), false);
            }
            case PeerMessage.ReadStateReply r -> {
                out.writeLong(r.requestId());
                writeByteList(out, r.states(), true);
            }
            case PeerMessage.Write w -> {
                out.writeLong(w.requestId());
                writeBytes(out, w.key());
                writeBytes(out, w.payload());
            }
            case PeerMessage.WriteAck a -> {
                out.writeLong(a.requestId());
                out.writeInt(a.status());
                writeBytes(out, a.payload());
            }
            case PeerMessage.Keepalive k -> { }
            case PeerMessage.GcStatus g -> {
                out.writeLong(g.deliveredHlc());
                out.writeLong(g.horizonHlc());
                out.writeLong(g.stableHlc());
                out.writeLong(g.yourIncarnation());
                out.writeLong(g.yourPriorMaxHlc());
                out.writeLong(g.expelledAt());
                out.writeLong(g.rebuiltAt());
            }
            case PeerMessage.DigestRequest r -> {
                out.writeLong(r.requestId());
                writeByteList(out, r.keys(), false);
            }
            case PeerMessage.DigestReply r -> {
                out.writeLong(r.requestId());
                writeLongs(out, r.digests());
            }
            case PeerMessage.SyncOpen o -> {
                out.writeLong(o.sessionId());
                out.writeLong(o.layoutFingerprint());
                writeInts(out, o.leaves());
                out.writeInt(o.level());
                writeInts(out, o.nodes());
            }
            case PeerMessage.SyncTreeQuery q -> {
                out.writeLong(q.sessionId());
                out.writeInt(q.level());
                writeInts(out, q.nodes());
            }
            case PeerMessage.SyncTreeReply r -> {
                out.writeLong(r.sessionId());
                out.writeInt(r.level());
                writeInts(out, r.nodes());
                writeLongs(out, r.digests());
            }
            case PeerMessage.SyncLeafDiff d -> {
                out.writeLong(d.sessionId());
                out.writeInt(d.batch());
                writeInts(out, d.leaves());
                writeInts(out, d.keys().ends());
                writeBytes(out, d.keys().data());
                writeLongs(out, d.digests());
                writeLongs(out, d.latest());
            }
            case PeerMessage.SyncLeafReply r -> {
                out.writeLong(r.sessionId());
                out.writeInt(r.batch());
                writeLongs(out, r.want());
                writeLongs(out, r.later());
                writeLongs(out, r.laterDigests());
            }
            case PeerMessage.SyncStates st -> {
                writeNodeId(out, st.initiator());
                out.writeLong(st.sessionId());
                out.writeInt(st.batch());
                out.writeInt(st.part());
                out.writeBoolean(st.last());
                out.writeLong(st.stamp());
                out.writeInt(st.count());
                out.writeInt(st.length());
                out.writeBytes(st.entries(), 0, st.length());
            }
            case PeerMessage.SyncStatesAck a -> {
                writeNodeId(out, a.initiator());
                out.writeLong(a.sessionId());
                out.writeInt(a.batch());
                out.writeInt(a.part());
            }
            case PeerMessage.SyncEnd e -> {
                writeNodeId(out, e.initiator());
                out.writeLong(e.sessionId());
                out.writeBoolean(e.confirm());
                out.writeBoolean(e.completed());
            }
            case PeerMessage.Broadcast b -> {
                out.writeLong(b.requestId());
                out.writeInt(b.topic());
                writeBytes(out, b.payload());
            }
            case PeerMessage.BroadcastReply r -> {
                out.writeLong(r.requestId());
                writeBytes(out, r.payload());
            }
        }
    }

    /** The whole frame of {@code m} (length prefix included) as a byte array. */
    public static byte[] encodeToBytes(PeerMessage m) {
        byte[] bytes = new byte[LENGTH_FIELD_BYTES + frameLength(m)];
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        buf.writerIndex(0);
        encode(m, buf);
        return bytes;
    }

    /**
     * Decodes one whole frame held in {@code bytes} (length prefix included, as produced by
     * {@link #encodeToBytes}), enforcing {@code maxFrameBytes}.
     */
    public static PeerMessage decodeFrame(byte[] bytes, int maxFrameBytes) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        if (buf.readableBytes() < LENGTH_FIELD_BYTES) {
            throw new PeerProtocolException("frame shorter than its length field");
        }
        int length = buf.readInt();
        checkFrameLength(length, maxFrameBytes);
        if (length != buf.readableBytes()) {
            throw new PeerProtocolException("frame length field says " + length + " bytes but "
                    + buf.readableBytes() + " follow");
        }
        return decode(buf);
    }

    /** Throws unless {@code length} is a plausible frame length under {@code maxFrameBytes}. */
    public static void checkFrameLength(int length, int maxFrameBytes) {
        if (length < HEADER_BYTES) {
            throw new PeerProtocolException("frame length " + length + " is below the minimum " + HEADER_BYTES);
        }
        if (length > maxFrameBytes) {
            throw new PeerProtocolException("frame length " + length + " exceeds the maximum " + maxFrameBytes);
        }
    }

    /** Whether {@code frame} (the bytes after the length prefix, at least 2) is a fragment; does not consume. */
    public static boolean isFragment(ByteBuf frame) {
        return frame.getUnsignedByte(frame.readerIndex() + 1) >= FRAGMENT_FIRST;
    }

    /** Largest chunk a fragment frame can carry under {@code maxFrameBytes}. */
    public static int fragmentChunkBytes(int maxFrameBytes) {
        return maxFrameBytes - FRAGMENT_HEADER_BYTES;
    }

    /**
     * Writes the length prefix and header of a fragment frame carrying {@code chunkBytes} bytes
     * (to be written next by the caller): the first one announces the message's {@code total}
     * size, a later one its {@code offset} in the message.
     */
    public static void writeFragmentHeader(ByteBuf out, boolean first, int totalOrOffset, int chunkBytes) {
        out.writeInt(FRAGMENT_HEADER_BYTES + chunkBytes);
        out.writeByte(VERSION);
        out.writeByte(first ? FRAGMENT_FIRST : FRAGMENT_NEXT);
        out.writeInt(totalOrOffset);
    }

    /**
     * Reads the header of the fragment frame {@code frame} (after the length prefix, as told by
     * {@link #isFragment}) and returns its total (FIRST) or offset (NEXT); leaves {@code frame}
     * at the chunk, which must not be empty.
     */
    public static int readFragmentHeader(ByteBuf frame) {
        if (frame.readableBytes() <= FRAGMENT_HEADER_BYTES) {
            throw new PeerProtocolException("fragment frame of " + frame.readableBytes() + " bytes carries no data");
        }
        int version = frame.readUnsignedByte();
        if (version != VERSION) {
            throw new PeerProtocolException("unsupported peer protocol version " + version + " (this node speaks "
                    + VERSION + ")");
        }
        frame.skipBytes(1);
        return frame.readInt();
    }

    /**
     * Decodes the message in {@code frame}: exactly the bytes after the length prefix (version,
     * type, body). Consumes the whole frame; copies every byte array out of it.
     */
    public static PeerMessage decode(ByteBuf frame) {
        need(frame, HEADER_BYTES);
        int version = frame.readUnsignedByte();
        if (version != VERSION) {
            throw new PeerProtocolException("unsupported peer protocol version " + version + " (this node speaks "
                    + VERSION + ")");
        }
        int code = frame.readUnsignedByte();
        MessageType type = MessageType.fromCode(code);
        if (type == null) {
            throw new PeerProtocolException("unknown peer message type " + code);
        }
        PeerMessage m = switch (type) {
            case HELLO -> new PeerMessage.Hello(readString(frame), readNodeId(frame), readNodeId(frame),
                    readExact(frame, NONCE_BYTES, "nonce"));
            case CHALLENGE -> new PeerMessage.Challenge(readNodeId(frame), readExact(frame, NONCE_BYTES, "nonce"),
                    readExact(frame, NONCE_BYTES, "proof"));
            case AUTH_RESPONSE -> new PeerMessage.AuthResponse(readExact(frame, NONCE_BYTES, "proof"));
            case AUTH_OK -> new PeerMessage.AuthOk();
            case REJECT -> new PeerMessage.Reject(readString(frame));
            case HEARTBEAT -> new PeerMessage.Heartbeat(readLong(frame), readLong(frame), readLong(frame));
            case DELTA_BATCH -> readDeltaBatch(frame);
            case DELTA_ACK -> new PeerMessage.DeltaAck(readLong(frame), readLong(frame));
            case READ_STATE -> new PeerMessage.ReadState(readLong(frame), readByteList(frame, false));
            case READ_STATE_REPLY -> new PeerMessage.ReadStateReply(readLong(frame), readByteList(frame, true));
            case WRITE -> new PeerMessage.Write(readLong(frame), readBytes(frame), readBytes(frame));
            case WRITE_ACK -> new PeerMessage.WriteAck(readLong(frame), readInt(frame), readBytes(frame));
            case KEEPALIVE -> new PeerMessage.Keepalive();
            case GC_STATUS -> new PeerMessage.GcStatus(readLong(frame), readLong(frame), readLong(frame), readLong(frame),
                    readLong(frame), readLong(frame), readLong(frame));
            case DIGEST_REQUEST -> new PeerMessage.DigestRequest(readLong(frame), readByteList(frame, false));
            case DIGEST_REPLY -> new PeerMessage.DigestReply(readLong(frame), readLongs(frame));
            case SYNC_OPEN -> new PeerMessage.SyncOpen(readLong(frame), readLong(frame), readInts(frame), readInt(frame),
                    readInts(frame));
            case SYNC_TREE_QUERY -> new PeerMessage.SyncTreeQuery(readLong(frame), readInt(frame), readInts(frame));
            case SYNC_TREE_REPLY -> new PeerMessage.SyncTreeReply(readLong(frame), readInt(frame), readInts(frame),
                    readLongs(frame));
            case SYNC_LEAF_DIFF -> readSyncLeafDiff(frame);
            case SYNC_LEAF_REPLY -> readSyncLeafReply(frame);
            case SYNC_STATES -> readSyncStates(frame);
            case SYNC_STATES_ACK -> new PeerMessage.SyncStatesAck(readNodeId(frame), readLong(frame), readInt(frame),
                    readInt(frame));
            case SYNC_END -> new PeerMessage.SyncEnd(readNodeId(frame), readLong(frame), readBoolean(frame),
                    readBoolean(frame));
            case BROADCAST -> new PeerMessage.Broadcast(readLong(frame), readInt(frame), readBytes(frame));
            case BROADCAST_REPLY -> new PeerMessage.BroadcastReply(readLong(frame), readBytes(frame));
        };
        if (frame.isReadable()) {
            throw new PeerProtocolException(frame.readableBytes() + " trailing bytes after " + type);
        }
        return m;
    }

    private static PeerMessage.DeltaBatch readDeltaBatch(ByteBuf in) {
        long incarnation = readLong(in);
        long baseSeq = readLong(in);
        long firstSeq = readLong(in);
        int count = readCount(in, 8);
        List<KeyedBytes> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            entries.add(new KeyedBytes(readBytes(in), readBytes(in)));
        }
        return new PeerMessage.DeltaBatch(incarnation, baseSeq, firstSeq, entries);
    }

    private static PeerMessage.SyncStates readSyncStates(ByteBuf in) {
        int initiator = readNodeId(in);
        long sessionId = readLong(in);
        int batch = readInt(in);
        int part = readInt(in);
        boolean last = readBoolean(in);
        long stamp = readLong(in);
        int count = readInt(in);
        byte[] entries = readBytes(in);
        StateEntries.check(entries, count);
        return new PeerMessage.SyncStates(initiator, sessionId, batch, part, last, stamp, count, entries);
    }

    private static PeerMessage.SyncLeafDiff readSyncLeafDiff(ByteBuf in) {
        long sessionId = readLong(in);
        int batch = readInt(in);
        int[] leaves = readInts(in);
        int[] ends = readInts(in);
        byte[] data = readBytes(in);
        PackedKeys keys;
        try {
            keys = new PackedKeys(data, ends);
        } catch (IllegalArgumentException e) {
            throw new PeerProtocolException("malformed key list: " + e.getMessage());
        }
        long[] digests = readLongs(in);
        long[] latest = readLongs(in);
        if (digests.length != keys.size() || latest.length != keys.size()) {
            throw new PeerProtocolException("leaf diff of " + keys.size() + " keys with " + digests.length
                    + " digests and " + latest.length + " stamps");
        }
        return new PeerMessage.SyncLeafDiff(sessionId, batch, leaves, keys, digests, latest);
    }

    private static PeerMessage.SyncLeafReply readSyncLeafReply(ByteBuf in) {
        long sessionId = readLong(in);
        int batch = readInt(in);
        long[] want = readLongs(in);
        long[] later = readLongs(in);
        long[] laterDigests = readLongs(in);
        long laterKeys = 0;
        for (long word : later) {
            laterKeys += Long.bitCount(word);
        }
        if (laterKeys != laterDigests.length) {
            throw new PeerProtocolException("leaf reply naming " + laterKeys + " keys for later with "
                    + laterDigests.length + " digests");
        }
        return new PeerMessage.SyncLeafReply(sessionId, batch, want, later, laterDigests);
    }

    // ---- writing helpers ----

    // Arrays of ints and longs (leaf ids, digests: thousands per repair message) go in one bulk
    // copy through an NIO view when the buffer is one region, rather than element by element.

    private static void writeInts(ByteBuf out, int[] values) {
        out.writeInt(values.length);
        int bytes = values.length * 4;
        out.ensureWritable(bytes);
        if (bytes > 0 && out.nioBufferCount() == 1) {
            out.nioBuffer(out.writerIndex(), bytes).order(ByteOrder.BIG_ENDIAN).asIntBuffer().put(values);
            out.writerIndex(out.writerIndex() + bytes);
        } else {
            for (int v : values) {
                out.writeInt(v);
            }
        }
    }

    private static void writeLongs(ByteBuf out, long[] values) {
        out.writeInt(values.length);
        int bytes = values.length * 8;
        out.ensureWritable(bytes);
        if (bytes > 0 && out.nioBufferCount() == 1) {
            out.nioBuffer(out.writerIndex(), bytes).order(ByteOrder.BIG_ENDIAN).asLongBuffer().put(values);
            out.writerIndex(out.writerIndex() + bytes);
        } else {
            for (long v : values) {
                out.writeLong(v);
            }
        }
    }

    private static void writeNodeId(ByteBuf out, int nodeId) {
        if (nodeId < 0 || nodeId > 0xFFFF) {
            throw new IllegalArgumentException("node id out of range: " + nodeId);
        }
        out.writeShort(nodeId);
    }

    private static int utf8Length(String s) {
        int n = s.getBytes(StandardCharsets.UTF_8).length;
        if (n > MAX_STRING_BYTES) {
            throw new IllegalArgumentException("string longer than " + MAX_STRING_BYTES + " bytes");
        }
        return n;
    }

    private static void writeString(ByteBuf out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > MAX_STRING_BYTES) {
            throw new IllegalArgumentException("string longer than " + MAX_STRING_BYTES + " bytes");
        }
        out.writeShort(b.length);
        out.writeBytes(b);
    }

    private static void writeBytes(ByteBuf out, byte[] b) {
        out.writeInt(b.length);
        out.writeBytes(b);
    }

    private static void writeByteList(ByteBuf out, List<byte[]> items, boolean nullable) {
        out.writeInt(items.size());
        for (byte[] item : items) {
            if (item == null) {
                if (!nullable) {
                    throw new IllegalArgumentException("null element in a list that does not allow it");
                }
                out.writeInt(-1);
            } else {
                writeBytes(out, item);
            }
        }
    }

    // ---- reading helpers: every one checks what is left before reading or allocating ----

    private static void need(ByteBuf in, int n) {
        if (in.readableBytes() < n) {
            throw new PeerProtocolException("truncated frame: needed " + n + " more bytes, " + in.readableBytes()
                    + " left");
        }
    }

    private static long readLong(ByteBuf in) {
        need(in, 8);
        return in.readLong();
    }

    private static int readInt(ByteBuf in) {
        need(in, 4);
        return in.readInt();
    }

    private static boolean readBoolean(ByteBuf in) {
        need(in, 1);
        int b = in.readUnsignedByte();
        if (b > 1) {
            throw new PeerProtocolException("boolean byte " + b + " is neither 0 nor 1");
        }
        return b == 1;
    }

    private static int[] readInts(ByteBuf in) {
        int count = readCount(in, 4);
        int[] values = new int[count];
        if (count > 0) {
            in.nioBuffer(in.readerIndex(), count * 4).order(ByteOrder.BIG_ENDIAN).asIntBuffer().get(values);
            in.skipBytes(count * 4);
        }
        return values;
    }

    private static long[] readLongs(ByteBuf in) {
        int count = readCount(in, 8);
        long[] values = new long[count];
        if (count > 0) {
            in.nioBuffer(in.readerIndex(), count * 8).order(ByteOrder.BIG_ENDIAN).asLongBuffer().get(values);
            in.skipBytes(count * 8);
        }
        return values;
    }

    private static int readNodeId(ByteBuf in) {
        need(in, 2);
        return in.readUnsignedShort();
    }

    private static String readString(ByteBuf in) {
        need(in, 2);
        int length = in.readUnsignedShort();
        if (length > MAX_STRING_BYTES) {
            throw new PeerProtocolException("string of " + length + " bytes exceeds " + MAX_STRING_BYTES);
        }
        need(in, length);
        String s = in.toString(in.readerIndex(), length, StandardCharsets.UTF_8);
        in.skipBytes(length);
        return s;
    }

    private static byte[] readBytes(ByteBuf in) {
        int length = readInt(in);
        if (length < 0) {
            throw new PeerProtocolException("negative byte-string length " + length);
        }
        need(in, length);
        byte[] b = new byte[length];
        in.readBytes(b);
        return b;
    }

    private static byte[] readNullableBytes(ByteBuf in) {
        int length = readInt(in);
        if (length == -1) {
            return null;
        }
        if (length < 0) {
            throw new PeerProtocolException("negative byte-string length " + length);
        }
        need(in, length);
        byte[] b = new byte[length];
        in.readBytes(b);
        return b;
    }

    private static byte[] readExact(ByteBuf in, int expected, String what) {
        byte[] b = readBytes(in);
        if (b.length != expected) {
            throw new PeerProtocolException(what + " must be " + expected + " bytes, got " + b.length);
        }
        return b;
    }

    /** Reads a list count, rejecting counts the remaining bytes cannot possibly hold. */
    private static int readCount(ByteBuf in, int minElementBytes) {
        int count = readInt(in);
        if (count < 0 || (long) count * minElementBytes > in.readableBytes()) {
            throw new PeerProtocolException("list count " + count + " does not fit in the " + in.readableBytes()
                    + " bytes left");
        }
        return count;
    }

    private static List<byte[]> readByteList(ByteBuf in, boolean nullable) {
        int count = readCount(in, 4);
        List<byte[]> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            items.add(nullable ? readNullableBytes(in) : readBytes(in));
        }
        return items;
    }
}
