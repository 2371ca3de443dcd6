package io.converge.server.command.data;

/**
 * Bit arithmetic over Redis strings for BITCOUNT, BITPOS and BITOP: bit offset 0 is the most
 * significant bit of byte 0, as in Redis. Pure functions over byte arrays.
 */
final class BitScan {

    /** A BITOP operation. */
    enum Op { AND, OR, XOR, NOT }

    private BitScan() {}

    /** Number of set bits among bits {@code first..last} (inclusive, inside {@code bytes}). */
    static long count(byte[] bytes, long first, long last) {
        int firstByte = (int) (first >>> 3);
        int lastByte = (int) (last >>> 3);
        int headMask = 0xFF >>> (int) (first & 7);
        int tailMask = (0xFF << (7 - (int) (last & 7))) & 0xFF;
        if (firstByte == lastByte) {
            return Integer.bitCount(bytes[firstByte] & headMask & tailMask);
        }
        long n = Integer.bitCount(bytes[firstByte] & headMask) + Integer.bitCount(bytes[lastByte] & tailMask);
        int i = firstByte + 1;
        for (; i + 8 <= lastByte; i += 8) {
            n += Long.bitCount(word(bytes, i));
        }
        for (; i < lastByte; i++) {
            n += Integer.bitCount(bytes[i] & 0xFF);
        }
        return n;
    }

    /** The first bit equal to {@code bit} among bits {@code first..last}, or -1. */
    static long find(byte[] bytes, int bit, long first, long last) {
        int skip = bit == 1 ? 0 : 0xFF; // a byte with nothing to find
        int firstByte = (int) (first >>> 3);
        int lastByte = (int) (last >>> 3);
        for (int i = firstByte; i <= lastByte; i++) {
            int b = bytes[i] & 0xFF;
            if (b == skip && i != firstByte && i != lastByte) {
                continue;
            }
            int from = i == firstByte ? (int) (first & 7) : 0;
            int to = i == lastByte ? (int) (last & 7) : 7;
            for (int k = from; k <= to; k++) {
                if (((b >> (7 - k)) & 1) == bit) {
                    return ((long) i << 3) + k;
                }
            }
        }
        return -1;
    }

    /**
     * BITOP over {@code sources} (null for a missing key, an empty string): as long as the
     * longest, shorter ones read as zero-padded.
     */
    static byte[] combine(Op op, byte[][] sources) {
        int length = 0;
        for (byte[] s : sources) {
            if (s != null) {
                length = Math.max(length, s.length);
            }
        }
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            int acc = at(sources[0], i);
            if (op == Op.NOT) {
                acc = ~acc;
            }
            for (int k = 1; k < sources.length; k++) {
                int b = at(sources[k], i);
                acc = switch (op) {
                    case AND -> acc & b;
                    case OR -> acc | b;
                    case XOR -> acc ^ b;
                    case NOT -> acc;
                };
            }
            out[i] = (byte) acc;
        }
        return out;
    }

    private static int at(byte[] s, int i) {
        return s == null || i >= s.length ? 0 : s[i] & 0xFF;
    }

    private static long word(byte[] b, int i) {
        return (b[i] & 0xFFL) << 56 | (b[i + 1] & 0xFFL) << 48 | (b[i + 2] & 0xFFL) << 40 | (b[i + 3] & 0xFFL) << 32
                | (b[i + 4] & 0xFFL) << 24 | (b[i + 5] & 0xFFL) << 16 | (b[i + 6] & 0xFFL) << 8 | (b[i + 7] & 0xFFL);
    }
}
