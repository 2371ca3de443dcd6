package io.converge.server.cluster.wire;

import java.util.Arrays;

/**
 * A list of keys packed into one array: key {@code i} is {@code data[end(i-1)..end(i))} (the
 * first starts at 0). A hash-tree repair batch names thousands of keys; one array and one
 * {@code int[]} instead of one array per key keeps the garbage of a large catch-up down on both
 * sides. Immutable once built (arrays are shared, not copied: never mutate them).
 */
public final class PackedKeys {

    /** No keys. */
    public static final PackedKeys EMPTY = new PackedKeys(new byte[0], new int[0]);

    private final byte[] data;
    private final int[] ends;

    /**
     * Keys whose ends in {@code data} are {@code ends} (non-decreasing, the last one
     * {@code data.length}); checked, since they may come off the wire.
     *
     * @throws IllegalArgumentException when they do not describe {@code data}
     */
    public PackedKeys(byte[] data, int[] ends) {
        int previous = 0;
        for (int end : ends) {
            if (end < previous) {
                throw new IllegalArgumentException("key ends not in ascending order");
            }
            previous = end;
        }
        if (previous != data.length) {
            throw new IllegalArgumentException("key ends do not cover the " + data.length + " bytes of keys");
        }
        this.data = data;
        this.ends = ends;
    }

    /** Number of keys. */
    public int size() {
        return ends.length;
    }

    /** Where key {@code i} starts in {@link #data()}. */
    public int start(int i) {
        return i == 0 ? 0 : ends[i - 1];
    }

    /** Where key {@code i} ends in {@link #data()}. */
    public int end(int i) {
        return ends[i];
    }

    /** A copy of key {@code i}. */
    public byte[] key(int i) {
        return Arrays.copyOfRange(data, start(i), ends[i]);
    }

    /** Whether key {@code i} is {@code key}. */
    public boolean keyEquals(int i, byte[] key) {
        return Arrays.equals(data, start(i), ends[i], key, 0, key.length);
    }

    /** The bytes of every key, back to back (do not mutate). */
    public byte[] data() {
        return data;
    }

    /** The end of every key in {@link #data()} (do not mutate). */
    public int[] ends() {
        return ends;
    }

    /** A hash of {@code bytes[from..to)}, the same for equal byte ranges (for tables keyed by keys). */
    public static int hash(byte[] bytes, int from, int to) {
        int h = 1;
        for (int i = from; i < to; i++) {
            h = 31 * h + bytes[i];
        }
        return h * 0x9E3779B9 ^ (h >>> 16);
    }

    /** Builds a packed list key by key. */
    public static final class Builder {
        private byte[] data;
        private int length;
        private int[] ends;
        private int count;

        /** A builder for about {@code keys} keys of about {@code keyBytes} bytes each. */
        public Builder(int keys, int keyBytes) {
            this.ends = new int[Math.max(4, keys)];
            this.data = new byte[Math.max(16, keys * keyBytes)];
        }

        /** Appends {@code key}. */
        public Builder add(byte[] key) {
            return add(key, 0, key.length);
        }

        /** Appends the key {@code bytes[from..to)}. */
        public Builder add(byte[] bytes, int from, int to) {
            int n = to - from;
            if (length + n > data.length) {
                data = Arrays.copyOf(data, Math.max(data.length * 2, length + n));
            }
            System.arraycopy(bytes, from, data, length, n);
            length += n;
            if (count == ends.length) {
                ends = Arrays.copyOf(ends, ends.length * 2);
            }
            ends[count++] = length;
            return this;
        }

        /** Keys added so far. */
        public int size() {
            return count;
        }

        /** Bytes of keys added so far. */
        public int bytes() {
            return length;
        }

        /** The list (the builder must not be used afterwards). */
        public PackedKeys build() {
            return new PackedKeys(length == data.length ? data : Arrays.copyOf(data, length),
                    count == ends.length ? ends : Arrays.copyOf(ends, count));
        }
    }
}
