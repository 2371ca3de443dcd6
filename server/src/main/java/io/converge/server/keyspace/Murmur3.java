package io.converge.server.keyspace;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * MurmurHash3, x64 128-bit variant (Austin Appleby's public-domain algorithm), returning the
 * first 64 bits ({@code h1}). This is the hash behind the token ring: fast, well mixed, and the
 * same choice as Cassandra's Murmur3Partitioner (which, unlike this one, sign-extends tail bytes).
 */
public final class Murmur3 {

    /** Eight bytes of an array as one little-endian long, in one bounds-checked read. */
    private static final VarHandle LITTLE_ENDIAN_LONG =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long C1 = 0x87c37b91114253d5L;
    private static final long C2 = 0x4cf5ad432745937fL;

    private Murmur3() {}

    /** First 64 bits of MurmurHash3_x64_128 of {@code data} with seed 0. */
    public static long hash64(byte[] data) {
        return hash64(data, 0, data.length, 0L);
    }

    /** First 64 bits of MurmurHash3_x64_128 of {@code data[offset, offset + length)} with {@code seed}. */
    public static long hash64(byte[] data, int offset, int length, long seed) {
        return hash128(data, offset, length, seed, null);
    }

    /**
     * Full 128-bit MurmurHash3_x64_128; returns {@code h1} and, if {@code out} is non-null, stores
     * {@code h1} in {@code out[0]} and {@code h2} in {@code out[1]}.
     */
    public static long hash128(byte[] data, int offset, int length, long seed, long[] out) {
        long h1 = seed;
        long h2 = seed;
        int blocks = length >>> 4;
        int pos = offset;
        for (int i = 0; i < blocks; i++, pos += 16) {
            long k1 = littleEndianLong(data, pos);
            long k2 = littleEndianLong(data, pos + 8);
            h1 ^= mixK1(k1);
            h1 = Long.rotateLeft(h1, 27);
            h1 += h2;
            h1 = h1 * 5 + 0x52dce729;
            h2 ^= mixK2(k2);
            h2 = Long.rotateLeft(h2, 31);
            h2 += h1;
            h2 = h2 * 5 + 0x38495ab5;
        }
        // Tail: the last (length % 16) bytes, little-endian, read as UNSIGNED bytes.
        int tail = length & 15;
        long k1 = 0;
        long k2 = 0;
        if (tail > 8) {
            for (int i = tail - 1; i >= 8; i--) {
                k2 = (k2 << 8) | (data[pos + i] & 0xFFL);
            }
            h2 ^= mixK2(k2);
        }
        if (tail > 0) {
            for (int i = Math.min(tail, 8) - 1; i >= 0; i--) {
                k1 = (k1 << 8) | (data[pos + i] & 0xFFL);
            }
            h1 ^= mixK1(k1);
        }
        h1 ^= length;
        h2 ^= length;
        h1 += h2;
        h2 += h1;
        h1 = fmix64(h1);
        h2 = fmix64(h2);
        h1 += h2;
        h2 += h1;
        if (out != null) {
            out[0] = h1;
            out[1] = h2;
        }
        return h1;
    }

    private static long mixK1(long k1) {
        k1 *= C1;
        k1 = Long.rotateLeft(k1, 31);
        return k1 * C2;
    }

    private static long mixK2(long k2) {
        k2 *= C2;
        k2 = Long.rotateLeft(k2, 33);
        return k2 * C1;
    }

    /** The finalisation mix: forces all bits of a block to avalanche. */
    static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }

    private static long littleEndianLong(byte[] b, int i) {
        return (long) LITTLE_ENDIAN_LONG.get(b, i);
    }
}
