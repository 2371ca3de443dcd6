package io.converge.server.replication.core;

import io.converge.crdt.CrdtCodec;
import io.converge.crdt.KeyState;
import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;

/**
 * The bytes a key delta or key state travels as between replicas (inside {@code DELTA_BATCH}
 * entries and {@code READ_STATE_REPLY} states): the sender's HLC as 8 big-endian bytes, then the
 * {@link CrdtCodec} encoding.
 *
 * <p>The stamp is the sender's clock when the bytes were made, which is at or above every stamp
 * inside them; the receiver applies the HLC receive rule to it, so its later writes are stamped
 * after what it merged (a DEL received from a node whose clock runs ahead must not swallow the
 * receiver's next SET). Carrying it explicitly avoids digging the highest stamp out of every kind
 * of state.
 */
public final class StampedState {

    /** Bytes of the stamp prefix. */
    public static final int STAMP_BYTES = 8;

    private StampedState() {}

    /** Encodes {@code state} behind {@code senderHlc}. */
    public static byte[] encode(KeyState state, long senderHlc) {
        CrdtWriter w = CrdtWriter.scratch();
        w.writeFixedLong(senderHlc);
        CrdtCodec.encode(state, w);
        byte[] bytes = w.toByteArray();
        w.release();
        return bytes;
    }

    /** The sender's stamp; throws {@link CrdtCodecException} when the bytes are too short. */
    public static long stamp(byte[] bytes) {
        if (bytes.length < STAMP_BYTES) {
            throw new CrdtCodecException("stamped state shorter than its stamp");
        }
        return new CrdtReader(bytes, 0, STAMP_BYTES).readFixedLong();
    }

    /** The state; throws {@link CrdtCodecException} on malformed input. */
    public static KeyState decode(byte[] bytes) {
        if (bytes.length < STAMP_BYTES) {
            throw new CrdtCodecException("stamped state shorter than its stamp");
        }
        CrdtReader r = new CrdtReader(bytes, STAMP_BYTES, bytes.length - STAMP_BYTES);
        KeyState state = CrdtCodec.decode(r);
        r.expectEnd();
        return state;
    }
}
