package io.converge.server.store.persist;

import java.util.zip.CRC32C;

/**
 * The on-disk framing shared by log segments and snapshots.
 *
 * <pre>
 *   file header   8 bytes magic ("CVGLOG" or "CVGSNP" + 2-byte format version), 8 bytes generation
 *   record        u32 payload length | u32 CRC32C(payload) | u32 CRC32C(the 8 bytes before) | payload
 *   payload       1 byte type, then per type:
 *                   DELTA (log) / STATE (snapshot): varint key length, key, CrdtCodec bytes (the rest)
 *                   SNAPSHOT_END: varint number of STATE records before it
 * </pre>
 *
 * All integers are big-endian except varints (unsigned LEB128, as the CRDT codec writes them).
 *
 * <p>The header carries its own checksum so that a damaged length field is recognised as damage
 * instead of being followed: a reader never trusts a length whose header checksum fails. Two
 * independent 32-bit checks make a random byte sequence pass for a record with probability about
 * 2<sup>-64</sup>, which is what lets {@link RecordReader} tell a torn tail (no valid record
 * after the failure) from damage in the middle (valid records follow).
 */
final class RecordFormat {
    private RecordFormat() {}

    /** Bytes of the file header. */
    static final int FILE_HEADER = 16;
    /** Bytes of a record header. */
    static final int HEADER = 12;
    /** Largest payload accepted (a Java array must hold it). */
    static final int MAX_PAYLOAD = Integer.MAX_VALUE - 64;
    /** Format version written in file headers. */
    static final int FORMAT_VERSION = 1;

    /** Magic of a log segment. */
    static final byte[] SEGMENT_MAGIC = {'C', 'V', 'G', 'L', 'O', 'G'};
    /** Magic of a snapshot. */
    static final byte[] SNAPSHOT_MAGIC = {'C', 'V', 'G', 'S', 'N', 'P'};

    /** A key's delta (log segments). */
    static final int TYPE_DELTA = 1;
    /** A key's whole state (snapshots). */
    static final int TYPE_STATE = 2;
    /** The last record of a complete snapshot. */
    static final int TYPE_SNAPSHOT_END = 3;

    /** Writes a file header for {@code magic} and {@code generation} into {@code dst} at 0. */
    static byte[] fileHeader(byte[] magic, long generation) {
        byte[] h = new byte[FILE_HEADER];
        System.arraycopy(magic, 0, h, 0, magic.length);
        h[6] = (byte) (FORMAT_VERSION >>> 8);
        h[7] = (byte) FORMAT_VERSION;
        putLong(h, 8, generation);
        return h;
    }

    /**
     * Writes a record header at {@code dst[at]} for the payload already at
     * {@code dst[at + HEADER .. at + HEADER + payloadLength)}; {@code crc} is a scratch instance.
     */
    static void sealRecord(byte[] dst, int at, int payloadLength, CRC32C crc) {
        crc.reset();
        crc.update(dst, at + HEADER, payloadLength);
        putInt(dst, at, payloadLength);
        putInt(dst, at + 4, (int) crc.getValue());
        crc.reset();
        crc.update(dst, at, 8);
        putInt(dst, at + 8, (int) crc.getValue());
    }

    /** Whether the record header at {@code src[at]} is intact (its own checksum matches). */
    static boolean headerIntact(byte[] src, int at, CRC32C crc) {
        crc.reset();
        crc.update(src, at, 8);
        return (int) crc.getValue() == getInt(src, at + 8);
    }

    /** Whether {@code payload[off .. off+len)} matches the payload checksum of a header. */
    static boolean payloadIntact(byte[] payload, int off, int len, int expectedCrc, CRC32C crc) {
        crc.reset();
        crc.update(payload, off, len);
        return (int) crc.getValue() == expectedCrc;
    }

    /** Number of bytes of {@code v} as an unsigned varint. */
    static int varIntSize(int v) {
        int n = 1;
        while ((v & ~0x7F) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    /** Writes {@code v} as an unsigned varint at {@code dst[at]}; returns the position after it. */
    static int putVarInt(byte[] dst, int at, int v) {
        while ((v & ~0x7F) != 0) {
            dst[at++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        dst[at++] = (byte) v;
        return at;
    }

    static void putInt(byte[] dst, int at, int v) {
        dst[at] = (byte) (v >>> 24);
        dst[at + 1] = (byte) (v >>> 16);
        dst[at + 2] = (byte) (v >>> 8);
        dst[at + 3] = (byte) v;
    }

    static int getInt(byte[] src, int at) {
        return (src[at] & 0xFF) << 24 | (src[at + 1] & 0xFF) << 16 | (src[at + 2] & 0xFF) << 8 | (src[at + 3] & 0xFF);
    }

    static void putLong(byte[] dst, int at, long v) {
        putInt(dst, at, (int) (v >>> 32));
        putInt(dst, at + 4, (int) v);
    }

    static long getLong(byte[] src, int at) {
        return (long) getInt(src, at) << 32 | (getInt(src, at + 4) & 0xFFFF_FFFFL);
    }
}
