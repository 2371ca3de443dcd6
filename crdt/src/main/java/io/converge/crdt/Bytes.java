package io.converge.crdt;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An immutable-by-contract byte string usable as a map key: equality by content, a cached hash,
 * and the unsigned lexicographic order Redis uses to compare binary strings.
 *
 * <p>The wrapped array is not copied ({@link #wrap}); the caller promises not to mutate it
 * afterwards. This keeps map look-ups allocation-light on hot paths.
 */
public final class Bytes implements Comparable<Bytes> {

    /** The empty byte string. */
    public static final Bytes EMPTY = new Bytes(new byte[0]);

    private final byte[] data;
    /** Cached hash; 0 means "not computed yet" (a real hash of 0 is simply recomputed). */
    private int hash;

    private Bytes(byte[] data) {
        this.data = data;
    }

    /** Wraps {@code data} without copying; the caller must not mutate it afterwards. */
    public static Bytes wrap(byte[] data) {
        if (data == null) {
            throw new NullPointerException("data");
        }
        return new Bytes(data);
    }

    /** Wraps a copy of {@code data[offset, offset + length)}. */
    public static Bytes copyOf(byte[] data, int offset, int length) {
        return new Bytes(Arrays.copyOfRange(data, offset, offset + length));
    }

    /** The UTF-8 bytes of {@code s} (convenience for tests and literals). */
    public static Bytes of(String s) {
        return new Bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The wrapped array itself (not a copy); callers must not mutate it. */
    public byte[] array() {
        return data;
    }

    /** Number of bytes. */
    public int length() {
        return data.length;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Bytes other)) {
            return false;
        }
        return (hash == 0 || other.hash == 0 || hash == other.hash) && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = Arrays.hashCode(data);
            hash = h;
        }
        return h;
    }

    /** Unsigned lexicographic order, shorter prefix first (as Redis compares strings). */
    @Override
    public int compareTo(Bytes o) {
        return compare(data, o.data);
    }

    /** Unsigned lexicographic comparison of two byte arrays. */
    public static int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }

    /** The bytes decoded as UTF-8 (for diagnostics; binary data may not round-trip). */
    @Override
    public String toString() {
        return new String(data, StandardCharsets.UTF_8);
    }
}
