package io.converge.bench.sidebyside;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.IntFunction;

/**
 * Loads N small string keys into a server as fast as one connection allows: pipelined SETs
 * written in large buffered batches while a second thread reads and checks the replies.
 *
 * <p>Key i is {@code key:} followed by i zero-padded to at least 7 digits
 * ({@code key:0000000} .. {@code key:0999999} for a million keys); its value is {@code val} then
 * i in decimal, 4 to 10 bytes (or what the caller gives). Reading on its own thread means the
 * writer never waits for replies and a server that stops reading while its replies pile up cannot
 * deadlock us.
 */
public final class KeyLoader {
    private static final byte[] SET = "SET".getBytes(StandardCharsets.US_ASCII);
    private static final int MIN_KEY_DIGITS = 7;

    /**
     * What a load did.
     *
     * @param sent       SETs sent (fewer than asked when loading stopped at the first error)
     * @param errors     error replies received
     * @param firstError the first error reply or I/O failure, or null
     * @param elapsed    from first write to last reply
     */
    public record LoadResult(int sent, int errors, String firstError, Duration elapsed) {
        /** Whether every SET succeeded. */
        public boolean isOk() {
            return errors == 0 && firstError == null;
        }
    }

    private KeyLoader() {}

    /** The name of key {@code index} in a load of {@code keys} keys. */
    public static String keyName(int index, int keys) {
        return new String(keyBytes(index, keyDigits(keys)), StandardCharsets.US_ASCII);
    }

    /** The value of key {@code index}. */
    public static String value(int index) {
        return "val" + index;
    }

    /** Loads {@code keys} keys through {@code server}, values as {@link #value} says. */
    public static LoadResult load(ServerProcess server, int keys) throws IOException {
        try (RespConnection connection = server.connect(Duration.ofSeconds(60))) {
            return load(connection, keys, index -> value(index).getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** Loads {@code keys} keys over {@code connection}, the value of key i being {@code values.apply(i)}. */
    public static LoadResult load(RespConnection connection, int keys, IntFunction<byte[]> values) throws IOException {
        long start = System.nanoTime();
        ReplyChecker checker = new ReplyChecker(connection, keys);
        Thread reader = new Thread(checker, "key-loader-replies");
        reader.setDaemon(true);
        reader.start();
        int digits = keyDigits(keys);
        byte[] key = keyBytes(0, digits);
        int sent = 0;
        try {
            // Stop at the first error: a server that rejects SET would reject all of them.
            while (sent < keys && checker.failure == null) {
                writeDigits(key, sent, digits);
                connection.writeCommand(SET, key, values.apply(sent));
                sent++;
            }
            connection.flush();
        } catch (IOException e) {
            checker.fail("writing failed after some keys: " + e);
        }
        if (checker.failure != null) {
            connection.abort(); // stop the reader waiting for replies to SETs never sent
        }
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while loading keys", e);
        }
        return new LoadResult(sent, checker.errors, checker.failure, Duration.ofNanos(System.nanoTime() - start));
    }

    /** Reads the replies of a load, counting error replies and remembering the first problem. */
    private static final class ReplyChecker implements Runnable {
        private final RespConnection connection;
        private final int expected;
        private int errors;
        private volatile String failure;

        ReplyChecker(RespConnection connection, int expected) {
            this.connection = connection;
            this.expected = expected;
        }

        @Override
        public void run() {
            try {
                for (int i = 0; i < expected; i++) {
                    Object reply = connection.readReply();
                    if (reply instanceof RespConnection.ErrorReply error) {
                        if (errors++ == 0) {
                            fail("SET answered -" + error.message());
                        }
                    }
                }
            } catch (IOException e) {
                fail("reading replies failed: " + e);
            }
        }

        void fail(String message) {
            if (failure == null) {
                failure = message;
            }
        }
    }

    private static int keyDigits(int keys) {
        return Math.max(MIN_KEY_DIGITS, Integer.toString(Math.max(0, keys - 1)).length());
    }

    private static byte[] keyBytes(int index, int digits) {
        byte[] key = new byte[4 + digits];
        key[0] = 'k';
        key[1] = 'e';
        key[2] = 'y';
        key[3] = ':';
        writeDigits(key, index, digits);
        return key;
    }

    /** Writes {@code index} zero-padded into the last {@code digits} bytes of {@code key}. */
    private static void writeDigits(byte[] key, int index, int digits) {
        for (int pos = key.length - 1, n = index; pos >= key.length - digits; pos--, n /= 10) {
            key[pos] = (byte) ('0' + n % 10);
        }
    }
}
