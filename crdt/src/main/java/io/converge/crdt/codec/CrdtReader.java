package io.converge.crdt.codec;

/**
 * Reads the primitives {@link CrdtWriter} writes, treating the input as hostile: every read is
 * bounds-checked, every length and count is checked against what the remaining input could
 * possibly hold before anything is allocated, and every failure is a {@link CrdtCodecException}.
 */
public final class CrdtReader {

    private static final java.lang.invoke.VarHandle BIG_ENDIAN_LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);

    private final byte[] buf;
    private int end;
    private int pos;

    /** Reads the whole array. */
    public CrdtReader(byte[] buf) {
        this(buf, 0, buf.length);
    }

    /** Reads {@code length} bytes of {@code buf} from {@code offset}. */
    public CrdtReader(byte[] buf, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > buf.length) {
            throw new CrdtCodecException("bad slice");
        }
        this.buf = buf;
        this.pos = offset;
        this.end = offset + length;
    }

    /**
     * Moves this reader to {@code length} bytes of its array from {@code offset}, as a new
     * {@code CrdtReader(buf, offset, length)} would read them (to read many slices of one array
     * with one reader).
     */
    public void reset(int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > buf.length || offset + length < 0) {
            throw new CrdtCodecException("bad slice");
        }
        this.pos = offset;
        this.end = offset + length;
    }

    /** Where the next read starts in the array. */
    public int position() {
        return pos;
    }

    /** The unsigned byte {@code ahead} bytes past the next one to read, without consuming it; check {@link #remaining} first. */
    public int peekByte(int ahead) {
        if (ahead < 0 || ahead >= end - pos) {
            throw new CrdtCodecException("truncated input");
        }
        return buf[pos + ahead] & 0xFF;
    }

    /** Skips {@code n} bytes (at most {@link #remaining}). */
    public void skip(int n) {
        if (n < 0 || n > end - pos) {
            throw new CrdtCodecException("truncated input");
        }
        pos += n;
    }

    /** Bytes left to read. */
    public int remaining() {
        return end - pos;
    }

    /** Whether all input was consumed. */
    public boolean atEnd() {
        return pos == end;
    }

    /** Fails unless all input was consumed (trailing garbage is malformed input). */
    public void expectEnd() {
        if (pos != end) {
            throw new CrdtCodecException((end - pos) + " trailing bytes");
        }
    }

    /** Reads one unsigned byte. */
    public int readByte() {
        if (pos >= end) {
            throw new CrdtCodecException("truncated input");
        }
        return buf[pos++] & 0xFF;
    }

    /** Reads an unsigned varint that must fit in an int. */
    public int readVarInt() {
        long v = readVarLong();
        if (v < Integer.MIN_VALUE || v > 0xFFFF_FFFFL) {
            throw new CrdtCodecException("varint out of int range");
        }
        return (int) v;
    }

    /** Reads an unsigned varint of up to ten bytes. */
    public long readVarLong() {
        long v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            int b = readByte();
            if (shift == 63 && (b & 0x7E) != 0) {
                throw new CrdtCodecException("varint overflows 64 bits");
            }
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new CrdtCodecException("varint longer than ten bytes");
    }

    /** Reads a zig-zag signed varint. */
    public long readSignedVarLong() {
        long z = readVarLong();
        return (z >>> 1) ^ -(z & 1);
    }

    /** Reads eight big-endian bytes. */
    public long readFixedLong() {
        if (end - pos < 8) {
            throw new CrdtCodecException("truncated input");
        }
        long v = (long) BIG_ENDIAN_LONG.get(buf, pos);
        pos += 8;
        return v;
    }

    /** Reads a double written by {@link CrdtWriter#writeDouble}. */
    public double readDouble() {
        return Double.longBitsToDouble(readFixedLong());
    }

    /**
     * Reads an element count and checks it is plausible: every element takes at least one byte,
     * so a count larger than the remaining input is malformed (and is refused before any
     * collection of that size is allocated).
     */
    public int readCount() {
        long n = readVarLong();
        if (n < 0 || n > remaining()) {
            throw new CrdtCodecException("count " + n + " exceeds remaining input " + remaining());
        }
        return (int) n;
    }

    /** Reads a length-prefixed byte string, checking the length before allocating. */
    public byte[] readBytes() {
        long n = readVarLong();
        if (n < 0 || n > remaining()) {
            throw new CrdtCodecException("length " + n + " exceeds remaining input " + remaining());
        }
        byte[] out = new byte[(int) n];
        System.arraycopy(buf, pos, out, 0, out.length);
        pos += out.length;
        return out;
    }
}
