package io.converge.crdt.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A growable byte buffer with the primitives of the binary format: unsigned LEB128 varints,
 * zig-zag signed varints, fixed 8-byte longs and length-prefixed byte strings.
 */
public final class CrdtWriter {

    /** Scratch buffers grown beyond this are dropped after use rather than kept for the thread. */
    private static final int KEEP_SCRATCH_BYTES = 1 << 20;
    private static final VarHandle BIG_ENDIAN_LONG =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final ThreadLocal<CrdtWriter> SCRATCH = ThreadLocal.withInitial(() -> new CrdtWriter(256));

    private byte[] buf;
    private int pos;
    /** Whether this is a thread's scratch writer handed out and not yet released. */
    private boolean lent;

    /** Creates a writer with a small initial buffer. */
    public CrdtWriter() {
        this(64);
    }

    /** Creates a writer with the given initial capacity. */
    public CrdtWriter(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    /**
     * This thread's reusable writer, emptied: for an encoding that is copied out or hashed before
     * the thread encodes again. Hand it back with {@link #release()} once its bytes are used. A
     * nested use (the thread's writer is out) gets a new writer.
     */
    public static CrdtWriter scratch() {
        CrdtWriter w = SCRATCH.get();
        if (w.lent) {
            return new CrdtWriter(256);
        }
        w.lent = true;
        w.reset();
        return w;
    }

    /** Ends a use of {@link #scratch()}: a writer grown beyond 1 MiB is dropped, not kept for the thread. */
    public void release() {
        lent = false;
        if (buf.length > KEEP_SCRATCH_BYTES && SCRATCH.get() == this) {
            SCRATCH.remove();
        }
    }

    /** Writes one byte. */
    public CrdtWriter writeByte(int b) {
        ensure(1);
        buf[pos++] = (byte) b;
        return this;
    }

    /** Writes a non-negative int as an unsigned varint (a negative int takes five bytes). */
    public CrdtWriter writeVarInt(int v) {
        ensure(5);
        while ((v & ~0x7F) != 0) {
            buf[pos++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[pos++] = (byte) v;
        return this;
    }

    /** Writes a long as an unsigned varint (best for non-negative values). */
    public CrdtWriter writeVarLong(long v) {
        ensure(10);
        byte[] b = buf;
        int p = pos;
        while ((v & ~0x7FL) != 0) {
            b[p++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        b[p++] = (byte) v;
        pos = p;
        return this;
    }

    /** Writes a signed long zig-zag encoded, so small negative values stay small. */
    public CrdtWriter writeSignedVarLong(long v) {
        return writeVarLong((v << 1) ^ (v >> 63));
    }

    /** Writes a long as eight big-endian bytes (for values that are rarely small, like HLCs). */
    public CrdtWriter writeFixedLong(long v) {
        ensure(8);
        BIG_ENDIAN_LONG.set(buf, pos, v);
        pos += 8;
        return this;
    }

    /** Writes a double as its IEEE-754 bits. */
    public CrdtWriter writeDouble(double v) {
        return writeFixedLong(Double.doubleToRawLongBits(v));
    }

    /** Writes a byte string: varint length, then the bytes. */
    public CrdtWriter writeBytes(byte[] b) {
        writeVarInt(b.length);
        ensure(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
        return this;
    }

    /** Writes a byte string from {@code b[offset..offset + length)}: varint length, then the bytes. */
    public CrdtWriter writeBytes(byte[] b, int offset, int length) {
        writeVarInt(length);
        ensure(length);
        System.arraycopy(b, offset, buf, pos, length);
        pos += length;
        return this;
    }

    /** Number of bytes written. */
    public int size() {
        return pos;
    }

    /** Forgets what was written, keeping the buffer for reuse. */
    public void reset() {
        pos = 0;
    }

    /** The internal buffer: bytes {@code [0, size())} are what was written (do not keep it across writes). */
    public byte[] buffer() {
        return buf;
    }

    /** The current buffer capacity. */
    public int capacity() {
        return buf.length;
    }

    /** A copy of the bytes written. */
    public byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }

    private void ensure(int n) {
        if (pos + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
        }
    }
}
