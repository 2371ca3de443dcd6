package io.converge.server.cluster.routing;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The bytes of the answers nodes send in cluster-wide keyspace requests ({@link ClusterKeyspace}).
 * Decoding trusts nothing: a length is checked against the bytes left before anything is
 * allocated, and an answer that does not fit throws IllegalArgumentException (or
 * BufferUnderflowException), never allocates more than the answer's own size.
 */
final class KeyspaceCodec {
    private KeyspaceCodec() {
    }

    /** Writes optional bytes: -1 for none, else the length and the bytes. */
    static void putBytes(ByteBuffer out, byte[] bytes) {
        if (bytes == null) {
            out.putInt(-1);
        } else {
            out.putInt(bytes.length).put(bytes);
        }
    }

    /** Bytes {@link #putBytes} writes for {@code bytes}. */
    static int bytesSize(byte[] bytes) {
        return 4 + (bytes == null ? 0 : bytes.length);
    }

    /** Reads what {@link #putBytes} wrote. */
    static byte[] getBytes(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0) {
            return null;
        }
        byte[] b = new byte[checkedLength(n, in)];
        in.get(b);
        return b;
    }

    private static int checkedLength(int n, ByteBuffer in) {
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("length " + n + " with " + in.remaining() + " bytes left");
        }
        return n;
    }

    /** {@code keys} as a count then each length and bytes. */
    static byte[] encodeKeys(List<byte[]> keys) {
        return encodeKeys(0, keys);
    }

    /** {@code keys} as a count then each length and bytes, after {@code headroom} bytes left for the caller. */
    private static byte[] encodeKeys(int headroom, List<byte[]> keys) {
        long size = headroom + 4L;
        for (byte[] k : keys) {
            size += 4 + k.length;
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(size));
        b.position(headroom);
        b.putInt(keys.size());
        for (byte[] k : keys) {
            b.putInt(k.length).put(k);
        }
        return b.array();
    }

    /** Reads what {@link #encodeKeys} wrote; the whole of {@code b} must be the keys. */
    static List<byte[]> decodeKeys(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining() / 4) {
            throw new IllegalArgumentException("key count " + n);
        }
        List<byte[]> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] k = new byte[checkedLength(b.getInt(), b)];
            b.get(k);
            keys.add(k);
        }
        if (b.hasRemaining()) {
            throw new IllegalArgumentException(b.remaining() + " bytes after the keys");
        }
        return keys;
    }

    /** A node's DBSIZE and INFO keyspace figures. */
    static byte[] encodeStats(OwnedKeyWalks.Stats s) {
        return ByteBuffer.allocate(24).putLong(s.keys()).putLong(s.expires()).putLong(s.ttlSumMillis()).array();
    }

    /** Adds what {@link #encodeStats} wrote to {@code sum} (keys, expires, sum of TTLs). */
    static void addStats(long[] sum, byte[] answer) {
        if (answer.length != 24) {
            throw new IllegalArgumentException("figures of " + answer.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(answer);
        for (int i = 0; i < 3; i++) {
            sum[i] += b.getLong();
        }
    }

    /** A node's page of a cluster SCAN: the position reached, then the keys. */
    static byte[] encodePage(OwnedKeyWalks.Page page) {
        byte[] out = encodeKeys(8, page.keys());
        ByteBuffer.wrap(out).putLong(page.reached());
        return out;
    }

    /** Reads what {@link #encodePage} wrote. */
    static OwnedKeyWalks.Page decodePage(byte[] answer) {
        ByteBuffer b = ByteBuffer.wrap(answer);
        long reached = b.getLong();
        if (reached < 0 || reached > OwnedKeyWalks.END) {
            throw new IllegalArgumentException("scan position " + reached);
        }
        return new OwnedKeyWalks.Page(reached, decodeKeys(b));
    }

    /** A node's answer to RANDOMKEY: the position reached, then whether a key follows, and the key. */
    static byte[] encodeFound(OwnedKeyWalks.Found found) {
        byte[] key = found.key();
        ByteBuffer b = ByteBuffer.allocate(9 + (key == null ? 0 : key.length)).putLong(found.reached());
        if (key == null) {
            b.put((byte) 0);
        } else {
            b.put((byte) 1).put(key);
        }
        return b.array();
    }

    /** Reads what {@link #encodeFound} wrote. */
    static OwnedKeyWalks.Found decodeFound(byte[] answer) {
        if (answer.length < 9 || answer[8] > 1 || answer[8] < 0 || (answer[8] == 0 && answer.length != 9)) {
            throw new IllegalArgumentException("RANDOMKEY answer of " + answer.length + " bytes");
        }
        long reached = ByteBuffer.wrap(answer).getLong();
        if (reached < 0 || reached > 2 * OwnedKeyWalks.END) {
            throw new IllegalArgumentException("position " + reached);
        }
        return new OwnedKeyWalks.Found(answer[8] == 0 ? null : Arrays.copyOfRange(answer, 9, answer.length), reached);
    }
}
