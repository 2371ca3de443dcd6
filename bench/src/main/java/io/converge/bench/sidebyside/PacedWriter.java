package io.converge.bench.sidebyside;

import java.io.IOException;
import java.time.Duration;
import java.util.function.IntFunction;

/**
 * Sends a fixed number of commands over one connection spread evenly over a duration: every
 * few milliseconds it writes, pipelined, the commands that are due by then, while a second thread
 * reads and checks the replies (so the writer never waits for the server).
 */
public final class PacedWriter {
    /** How often the writer wakes up to send what is due. */
    private static final long SLICE_NANOS = 2_000_000;

    /** Checks one reply. */
    @FunctionalInterface
    public interface ReplyCheck {
        /** Whether {@code reply} is the expected answer to command {@code n}. */
        boolean ok(int n, Object reply);
    }

    /**
     * What a paced write did.
     *
     * @param sent       commands sent
     * @param errors     replies that were not the expected ones
     * @param firstError the first unexpected reply or I/O failure, or null
     * @param elapsed    from the first write to the last reply
     */
    public record Result(int sent, int errors, String firstError, Duration elapsed) {
        /** Whether every command got its expected reply. */
        public boolean isOk() {
            return errors == 0 && firstError == null;
        }
    }

    private PacedWriter() {}

    /**
     * Sends {@code commands.apply(0 .. count-1)} over {@code connection} within {@code duration},
     * checking each reply with {@code check}; returns once every reply has been read.
     */
    public static Result send(RespConnection connection, int count, Duration duration, IntFunction<byte[][]> commands,
                              ReplyCheck check) throws IOException {
        long start = System.nanoTime();
        Replies replies = new Replies(connection, count, check);
        Thread reader = new Thread(replies, "paced-writer-replies");
        reader.setDaemon(true);
        reader.start();
        int sent = 0;
        try {
            long total = duration.toNanos();
            while (sent < count && replies.failure == null) {
                long elapsed = System.nanoTime() - start;
                int due = elapsed >= total ? count : (int) Math.min(count, (long) ((double) count * elapsed / total) + 1);
                while (sent < due) {
                    connection.writeCommand(commands.apply(sent));
                    sent++;
                }
                connection.flush();
                if (sent < count) {
                    long nextSlice = Math.min(SLICE_NANOS, total - (System.nanoTime() - start));
                    if (nextSlice > 0) {
                        Thread.sleep(nextSlice / 1_000_000, (int) (nextSlice % 1_000_000));
                    }
                }
            }
        } catch (IOException e) {
            replies.fail("writing failed after " + sent + " commands: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connection.abort();
            throw new IOException("interrupted while writing", e);
        }
        if (sent < count) {
            connection.abort(); // stop the reader waiting for replies to commands never sent
        }
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for replies", e);
        }
        return new Result(sent, replies.errors, replies.failure, Duration.ofNanos(System.nanoTime() - start));
    }

    /** Reads and checks the replies. */
    private static final class Replies implements Runnable {
        private final RespConnection connection;
        private final int expected;
        private final ReplyCheck check;
        private int errors;
        private volatile String failure;

        Replies(RespConnection connection, int expected, ReplyCheck check) {
            this.connection = connection;
            this.expected = expected;
            this.check = check;
        }

        @Override
        public void run() {
            try {
                for (int i = 0; i < expected; i++) {
                    Object reply = connection.readReply();
                    if (!check.ok(i, reply) && errors++ == 0) {
                        fail("command " + i + " answered " + (reply instanceof RespConnection.ErrorReply e
                                ? "-" + e.message() : String.valueOf(reply)));
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
}
