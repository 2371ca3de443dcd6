package io.converge.server.keyspace;

import java.util.Arrays;

/**
 * How the token space is cut into the <em>leaves</em> of the anti-entropy hash trees: contiguous
 * token intervals, each summarised by one digest, that replicas compare to find where they
 * differ (DESIGN §5 layer 4).
 *
 * <p><b>Shape.</b> The token space (signed 64-bit, ordered as the ring orders it) is first cut
 * into {@code 2^sliceBits} equal <em>slices</em>; every extra boundary (the ring's tokens, so
 * that no leaf straddles two ring ranges with different replicas) cuts a slice further. Leaf
 * {@code i} covers {@code (upper[i-1], upper[i]]}; leaf 0 starts at {@code Long.MIN_VALUE} and
 * the last leaf ends at {@code Long.MAX_VALUE}. Every node of a cluster builds the same layout
 * from the same description, so leaf {@code i} means the same keys everywhere.
 *
 * <p><b>Nesting.</b> Slice boundaries are powers of two of the unsigned offset
 * {@code token ^ Long.MIN_VALUE}, so a layout with {@code sliceBits >= b} never lets a leaf cross
 * the boundary between two of the {@code 2^b} equal parts of the token space. The embedded
 * engine shards its keyspace into such parts ({@link #part}), so every leaf lies inside one
 * shard and its digest is guarded by that shard's lock.
 *
 * <p>Immutable and thread-safe.
 */
public final class LeafLayout {

    /** Slices of the production layout: 16,384, about 60 keys per leaf at a million keys. */
    public static final int DEFAULT_SLICE_BITS = 14;
    /** Most slices a layout may have (2^20 leaves cost 8 MiB of digests per node). */
    public static final int MAX_SLICE_BITS = 20;

    private final int sliceBits;
    /** Inclusive upper token of every leaf, ascending (signed), the last one {@code Long.MAX_VALUE}. */
    private final long[] upper;

    private LeafLayout(int sliceBits, long[] upper) {
        this.sliceBits = sliceBits;
        this.upper = upper;
    }

    /**
     * The layout of {@code 2^sliceBits} slices further cut at every token of {@code boundaries}
     * (each the inclusive upper end of a leaf, e.g. the ring's tokens; any order, duplicates
     * allowed).
     */
    public static LeafLayout of(int sliceBits, long[] boundaries) {
        if (sliceBits < 0 || sliceBits > MAX_SLICE_BITS) {
            throw new IllegalArgumentException("sliceBits must be in 0.." + MAX_SLICE_BITS + ": " + sliceBits);
        }
        int slices = 1 << sliceBits;
        long[] all = new long[slices + boundaries.length];
        for (int j = 0; j < slices; j++) {
            all[j] = sliceUpper(j, sliceBits);
        }
        System.arraycopy(boundaries, 0, all, slices, boundaries.length);
        Arrays.sort(all);
        int n = 0;
        for (int i = 0; i < all.length; i++) {
            if (n == 0 || all[i] != all[n - 1]) {
                all[n++] = all[i];
            }
        }
        return new LeafLayout(sliceBits, Arrays.copyOf(all, n));
    }

    /** A layout of equal slices only (a single node: no ring). */
    public static LeafLayout slices(int sliceBits) {
        return of(sliceBits, new long[0]);
    }

    /** The inclusive upper token of slice {@code j} of {@code 2^bits}. */
    private static long sliceUpper(int j, int bits) {
        if (bits == 0) {
            return Long.MAX_VALUE;
        }
        long offsetEnd = ((long) (j + 1) << (64 - bits)) - 1; // unsigned offset of the slice's last token
        return offsetEnd ^ Long.MIN_VALUE;
    }

    /** Number of leaves. */
    public int leafCount() {
        return upper.length;
    }

    /** The slice bits this layout was built with. */
    public int sliceBits() {
        return sliceBits;
    }

    /** The leaf holding {@code token}: one binary search. */
    public int leafOf(long token) {
        int i = Arrays.binarySearch(upper, token);
        return i >= 0 ? i : -i - 1;
    }

    /** The leaf holding {@code key} (its ring token, hash tags honoured). */
    public int leafOfKey(byte[] key) {
        return leafOf(Partitioner.token(key));
    }

    /** The highest token of leaf {@code leaf}. */
    public long upperToken(int leaf) {
        return upper[leaf];
    }

    /** The lowest token of leaf {@code leaf}. */
    public long lowerToken(int leaf) {
        return leaf == 0 ? Long.MIN_VALUE : upper[leaf - 1] + 1;
    }

    /**
     * Which of {@code 2^bits} equal parts of the token space holds {@code token} ({@code bits}
     * at most {@link #sliceBits()} for leaves to nest in parts).
     */
    public static int part(long token, int bits) {
        return bits == 0 ? 0 : (int) ((token ^ Long.MIN_VALUE) >>> (64 - bits));
    }

    /** The first leaf of part {@code part} of {@code 2^bits} (the part count for one past the last). */
    public int firstLeafOfPart(int part, int bits) {
        if (bits > sliceBits) {
            throw new IllegalArgumentException("parts of " + bits + " bits do not nest leaves of " + sliceBits);
        }
        if (part >= (1 << bits)) {
            return upper.length;
        }
        long lowest = ((long) part << (64 - bits)) ^ Long.MIN_VALUE;
        return bits == 0 ? 0 : leafOf(lowest);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LeafLayout l && l.sliceBits == sliceBits && Arrays.equals(l.upper, upper);
    }

    @Override
    public int hashCode() {
        return 31 * sliceBits + Arrays.hashCode(upper);
    }

    /** A fingerprint two nodes compare to be sure they cut the token space the same way. */
    public long fingerprint() {
        long h = sliceBits;
        for (long u : upper) {
            h = h * 0x9E3779B97F4A7C15L + u;
        }
        return h;
    }
}
