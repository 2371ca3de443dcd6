package io.converge.crdt;

/**
 * Redis 7.0's HyperLogLog, reproduced exactly so that counts match {@code redis-server}'s: the
 * element hash, the register an element sets, the cardinality estimator, and the two string
 * encodings of an HLL (what {@code GET} returns and {@code SET} may store).
 *
 * <p><b>Registers.</b> 2<sup>14</sup> registers. An element is hashed with MurmurHash64A (64-bit,
 * seed {@code 0xadc83b19}, the bytes read as little-endian words); the low 14 bits of the hash
 * pick the register, and the register is raised to the position of the lowest 1 bit of the
 * remaining 50 bits, counted from 1, with a sentinel bit above them (so 1..51).
 *
 * <p><b>Estimator</b> (Redis 5 and later): the histogram of register values feeds Ertl's improved
 * raw estimator (the {@code tau} and {@code sigma} series), computed in IEEE doubles in the same
 * order as Redis, and rounded half away from zero.
 *
 * <p><b>Strings.</b> A 16-byte header ({@code "HYLL"}, an encoding byte: 0 dense, 1 sparse, three
 * unused bytes, then a little-endian 64-bit cached cardinality whose top bit set means "stale"),
 * then either the dense registers (6 bits each, packed from the least significant bit of each
 * byte upwards, 12288 bytes) or the sparse run-length opcodes: {@code 00xxxxxx} ZERO (1-64 zero
 * registers), {@code 01xxxxxx yyyyyyyy} XZERO (1-16384 zero registers), {@code 1vvvvvxx} VAL (1-4
 * registers of value 1-32). A string is an HLL when its header is (Redis's {@code
 * isHLLObjectOrReply}); a sparse one is corrupt when its opcodes do not cover exactly 16384
 * registers.
 */
public final class RedisHll {

    /** Bits of the hash that pick the register. */
    public static final int P = 14;
    /** Number of registers. */
    public static final int REGISTERS = 1 << P;
    /** Bits of the hash that give the register value. */
    public static final int Q = 64 - P;
    /** Largest value a register can hold in Redis's dense encoding (6 bits). */
    public static final int MAX_REGISTER = 63;
    /** Bytes of the header of either encoding. */
    public static final int HEADER = 16;
    /** Bytes of the packed dense registers. */
    public static final int DENSE_REGISTER_BYTES = REGISTERS * 6 / 8;
    /** Length of a dense HLL string. */
    public static final int DENSE_SIZE = HEADER + DENSE_REGISTER_BYTES;

    private static final long SEED = 0xadc83b19L;
    private static final long M = 0xc6a4a7935bd1e995L;
    private static final int R = 47;
    private static final double ALPHA_INF = 0.721347520444481703680;
    private static final int ENCODING_DENSE = 0;
    private static final int ENCODING_SPARSE = 1;

    private RedisHll() {}

    // ------------------------------------------------------------------ hashing

    /** MurmurHash64A of {@code key} with Redis's seed, endian-neutral as Redis computes it. */
    public static long murmurHash64A(byte[] key) {
        int len = key.length;
        long h = SEED ^ (len * M);
        int words = len & ~7;
        for (int i = 0; i < words; i += 8) {
            long k = (key[i] & 0xFFL) | (key[i + 1] & 0xFFL) << 8 | (key[i + 2] & 0xFFL) << 16
                    | (key[i + 3] & 0xFFL) << 24 | (key[i + 4] & 0xFFL) << 32 | (key[i + 5] & 0xFFL) << 40
                    | (key[i + 6] & 0xFFL) << 48 | (key[i + 7] & 0xFFL) << 56;
            k *= M;
            k ^= k >>> R;
            k *= M;
            h ^= k;
            h *= M;
        }
        int tail = len & 7;
        if (tail > 0) {
            for (int i = tail - 1; i >= 0; i--) {
                h ^= (key[words + i] & 0xFFL) << (8 * i);
            }
            h *= M;
        }
        h ^= h >>> R;
        h *= M;
        h ^= h >>> R;
        return h;
    }

    /** The register {@code element} sets, packed as {@code index << 8 | value} (value 1..51). */
    public static int registerOf(byte[] element) {
        long hash = murmurHash64A(element);
        int index = (int) (hash & (REGISTERS - 1));
        long pattern = (hash >>> P) | (1L << Q);
        return index << 8 | (Long.numberOfTrailingZeros(pattern) + 1);
    }

    // ------------------------------------------------------------------ estimator

    /** The cardinality Redis estimates from {@code registers} (one byte per register, 0..63). */
    public static long count(byte[] registers) {
        int[] histogram = new int[MAX_REGISTER + 1];
        for (int i = 0; i < REGISTERS; i++) {
            histogram[registers[i]]++;
        }
        return estimate(histogram);
    }

    /**
     * The cardinality Redis estimates from a histogram of register values ({@code
     * histogram[v]} registers hold {@code v}; 64 entries summing to 16384).
     */
    public static long estimate(int[] histogram) {
        double m = REGISTERS;
        double z = m * tau((m - histogram[Q + 1]) / m);
        for (int j = Q; j >= 1; --j) {
            z += histogram[j];
            z *= 0.5;
        }
        z += m * sigma(histogram[0] / m);
        return Math.round(ALPHA_INF * m * m / z);
    }

    private static double sigma(double x) {
        if (x == 1.0) {
            return Double.POSITIVE_INFINITY;
        }
        double previous;
        double y = 1;
        double z = x;
        do {
            x *= x;
            previous = z;
            z += x * y;
            y += y;
        } while (previous != z);
        return z;
    }

    private static double tau(double x) {
        if (x == 0.0 || x == 1.0) {
            return 0.0;
        }
        double previous;
        double y = 1.0;
        double z = 1 - x;
        do {
            x = Math.sqrt(x);
            previous = z;
            y *= 0.5;
            double d = 1 - x;
            z -= d * d * y;
        } while (previous != z);
        return z / 3;
    }

    // ------------------------------------------------------------------ string encodings

    /**
     * Redis's dense HLL string of {@code registers} (one byte per register, 0..63): header with
     * encoding 0 and the cached cardinality marked stale (as Redis leaves it after a change),
     * then the packed registers.
     */
    public static byte[] denseString(byte[] registers) {
        byte[] s = new byte[DENSE_SIZE];
        s[0] = 'H';
        s[1] = 'Y';
        s[2] = 'L';
        s[3] = 'L';
        s[4] = ENCODING_DENSE;
        s[15] = (byte) 0x80;
        pack(registers, s, HEADER);
        return s;
    }

    /** Packs 16384 registers as 6-bit fields into {@code out} from {@code offset} (12288 bytes). */
    static void pack(byte[] registers, byte[] out, int offset) {
        for (int i = 0, at = offset; i < REGISTERS; i += 4, at += 3) {
            int r0 = registers[i];
            int r1 = registers[i + 1];
            int r2 = registers[i + 2];
            int r3 = registers[i + 3];
            out[at] = (byte) (r0 | r1 << 6);
            out[at + 1] = (byte) (r1 >>> 2 | r2 << 4);
            out[at + 2] = (byte) (r2 >>> 4 | r3 << 2);
        }
    }

    /** Unpacks 16384 6-bit registers from {@code in} at {@code offset} (the inverse of {@link #pack}). */
    static byte[] unpack(byte[] in, int offset) {
        byte[] registers = new byte[REGISTERS];
        for (int i = 0, at = offset; i < REGISTERS; i += 4, at += 3) {
            int b0 = in[at] & 0xFF;
            int b1 = in[at + 1] & 0xFF;
            int b2 = in[at + 2] & 0xFF;
            registers[i] = (byte) (b0 & 63);
            registers[i + 1] = (byte) ((b0 >>> 6 | b1 << 2) & 63);
            registers[i + 2] = (byte) ((b1 >>> 4 | b2 << 4) & 63);
            registers[i + 3] = (byte) (b2 >>> 2);
        }
        return registers;
    }

    /**
     * Reads {@code s} as a Redis HLL string: null if it is not one (Redis answers {@code
     * WRONGTYPE Key is not a valid HyperLogLog string value.}), else its registers, or a corrupt
     * marker for a sparse string whose opcodes do not cover exactly 16384 registers.
     */
    public static Parsed parse(byte[] s) {
        if (s.length < HEADER || s[0] != 'H' || s[1] != 'Y' || s[2] != 'L' || s[3] != 'L') {
            return null;
        }
        int encoding = s[4] & 0xFF;
        if (encoding > ENCODING_SPARSE || (encoding == ENCODING_DENSE && s.length != DENSE_SIZE)) {
            return null;
        }
        long cached = -1;
        if ((s[15] & 0x80) == 0) {
            cached = 0;
            for (int i = 7; i >= 0; i--) {
                cached = cached << 8 | (s[8 + i] & 0xFF);
            }
        }
        byte[] registers = encoding == ENCODING_DENSE ? unpack(s, HEADER) : sparseRegisters(s);
        return new Parsed(registers, cached);
    }

    /** The registers of a sparse string, or null if its opcodes do not cover exactly 16384 registers. */
    private static byte[] sparseRegisters(byte[] s) {
        byte[] registers = new byte[REGISTERS];
        int index = 0;
        int p = HEADER;
        while (p < s.length) {
            int op = s[p] & 0xFF;
            if ((op & 0xC0) == 0) {
                index += (op & 0x3F) + 1;
                p++;
            } else if ((op & 0xC0) == 0x40) {
                // Redis reads the byte after the string (its terminating NUL) for a cut XZERO.
                int low = p + 1 < s.length ? s[p + 1] & 0xFF : 0;
                index += ((op & 0x3F) << 8 | low) + 1;
                p += 2;
            } else {
                int run = (op & 3) + 1;
                if (index + run > REGISTERS) {
                    return null;
                }
                byte value = (byte) (((op >>> 2) & 0x1F) + 1);
                for (int k = 0; k < run; k++) {
                    registers[index++] = value;
                }
                p++;
            }
            if (index > REGISTERS) {
                return null;
            }
        }
        return index == REGISTERS ? registers : null;
    }

    /**
     * A string read as an HLL: its registers (one byte each), or null when it is corrupt, and the
     * cardinality its header caches, or -1 when the cache is marked stale.
     *
     * @param registers 16384 registers, or null for a corrupt sparse string
     * @param cached    the cached cardinality, or -1
     */
    public record Parsed(byte[] registers, long cached) {
        /** Whether the string is a corrupt sparse HLL (Redis: {@code INVALIDOBJ}). */
        public boolean corrupt() {
            return registers == null;
        }
    }
}
