package io.converge.server.keyspace;

/**
 * Maps a key to its ring token: Murmur3 of the key bytes, or of the key's hash tag.
 *
 * <p>Hash tags follow Redis Cluster exactly: if the key contains a {@code '{'} and, after the
 * first {@code '{'}, a {@code '}'}, and at least one byte lies between that first {@code '{'}
 * and the first {@code '}'} after it, only those bytes are hashed. So {@code {user1000}.following}
 * and {@code {user1000}.followers} land together, {@code foo{}{bar}} hashes whole (empty first
 * tag), and {@code foo{{bar}}zap} hashes {@code {bar}.
 */
public final class Partitioner {

    private Partitioner() {}

    /** The ring token of {@code key}; allocation-free. */
    public static long token(byte[] key) {
        int start = hashTagStart(key);
        if (start < 0) {
            return Murmur3.hash64(key, 0, key.length, 0L);
        }
        int end = hashTagEnd(key, start);
        return Murmur3.hash64(key, start, end - start, 0L);
    }

    /**
     * Index of the first byte of the hash-tag content, or -1 when the key has no (non-empty) tag
     * and is hashed whole.
     */
    public static int hashTagStart(byte[] key) {
        int open = indexOf(key, (byte) '{', 0);
        if (open < 0) {
            return -1;
        }
        int close = indexOf(key, (byte) '}', open + 1);
        if (close < 0 || close == open + 1) {
            return -1;
        }
        return open + 1;
    }

    /** Exclusive end of the hash-tag content that starts at {@code start} (see {@link #hashTagStart}). */
    public static int hashTagEnd(byte[] key, int start) {
        return indexOf(key, (byte) '}', start);
    }

    private static int indexOf(byte[] key, byte b, int from) {
        for (int i = from; i < key.length; i++) {
            if (key[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
