package io.converge.crdt.codec;

import java.util.Arrays;

/**
 * A growable byte buffer with the primitives of the binary format: unsigned LEB128 varints,
 * zig-zag signed varints, fixed 8-byte longs and length-prefixed byte strings.
 */
public final class CrdtWriter {

    private byte[] buf;
    private int pos;

    /** Creates a writer with a small initial buffer. */
    public CrdtWriter() {
        this(64);
    }

    /** Creates a writer with the given initial capacity. */
    public CrdtWriter(int capacity) {
        buf = new byte[Math.max(16, capacity)];
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
        while ((v & ~0x7FL) != 0) {
            buf[pos++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[pos++] = (byte) v;
        return this;
    }

    /** Writes a signed long zig-zag encoded, so small negative values stay small. */
    public CrdtWriter writeSignedVarLong(long v) {
        return writeVarLong((v << 1) ^ (v >> 63));
    }

    /** Writes a long as eight big-endian bytes (for values that are rarely small, like HLCs). */
    public CrdtWriter writeFixedLong(long v) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            buf[pos++] = (byte) (v >>> shift);
        }
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
