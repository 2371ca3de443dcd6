package io.converge.bench.sidebyside;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Reads chosen keys of a {@link KeyLoader} load from one node at consistency ONE (so it answers
 * from its own data), {@code MGET} in chunks, and compares them with the values expected.
 */
final class KeyCheck {
    private static final int CHUNK = 1_000;

    private KeyCheck() {}

    /**
     * Null when key {@code i} holds {@code expected.apply(i)} on the node at {@code port} for every
     * {@code i} of {@code indexes} (of a load of {@code keys} keys), else what differed.
     */
    static String mismatch(int port, String node, int[] indexes, int keys, IntFunction<String> expected,
                           Duration timeout) throws IOException {
        int differing = 0;
        String first = null;
        try (RespConnection connection = RespConnection.open("127.0.0.1", port, timeout)) {
            Object ok = connection.call("CONSISTENCY", "READ", "ONE");
            if (!"OK".equals(ok)) {
                throw new IOException("CONSISTENCY READ ONE answered " + ok);
            }
            for (int from = 0; from < indexes.length; from += CHUNK) {
                int to = Math.min(indexes.length, from + CHUNK);
                byte[][] mget = new byte[to - from + 1][];
                mget[0] = "MGET".getBytes(StandardCharsets.US_ASCII);
                for (int i = from; i < to; i++) {
                    mget[i - from + 1] = KeyLoader.keyName(indexes[i], keys).getBytes(StandardCharsets.US_ASCII);
                }
                connection.writeCommand(mget);
                connection.flush();
                Object reply = connection.readReply();
                if (!(reply instanceof List<?> values) || values.size() != to - from) {
                    throw new IOException("MGET on " + node + " answered " + reply);
                }
                for (int i = from; i < to; i++) {
                    String want = expected.apply(indexes[i]);
                    Object got = values.get(i - from);
                    if (!want.equals(got)) {
                        differing++;
                        if (first == null) {
                            first = KeyLoader.keyName(indexes[i], keys) + " is " + abbreviate(got) + " on " + node
                                    + ", expected " + abbreviate(want);
                        }
                    }
                }
            }
        }
        return first == null ? null : String.format(java.util.Locale.ROOT, "%,d of %,d keys differ: %s", differing,
                indexes.length, first);
    }

    /** {@code count} indexes spread evenly over {@code 0 .. keys-1}, starting at {@code offset}. */
    static int[] spread(int count, int keys, int offset) {
        int[] indexes = new int[Math.min(count, keys)];
        long step = keys / indexes.length;
        for (int i = 0; i < indexes.length; i++) {
            indexes[i] = (int) ((i * step + offset % Math.max(1, step)) % keys);
        }
        return indexes;
    }

    private static String abbreviate(Object value) {
        String s = String.valueOf(value);
        return s.length() <= 24 ? s : s.substring(0, 24) + "...";
    }
}
