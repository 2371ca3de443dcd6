package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.ConvergeFixture;
import io.converge.server.testing.RespClient;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.util.ResourceLeakDetector;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * Feeds the node malformed, truncated, oversized and random input over raw TCP (fixed seed, so a
 * failure reproduces) and checks that it never crashes or hangs: each connection either gets
 * answers, is closed, or waits for the rest of a truncated request; another client is served
 * throughout; no connection is leaked; Netty reports no buffer leak (paranoid detection).
 */
class ProtocolFuzzTest {
    private static final long SEED = 0xC0FFEE_2024L;
    private static final int CASES = 1000;

    @Test
    @Timeout(60)
    void randomAndMalformedInputNeverBreaksTheNode() throws Exception {
        ResourceLeakDetector.Level previous = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        // Netty reports leaked buffers through its logger when they are garbage collected.
        Logger leakLogger = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
        ListAppender<ILoggingEvent> leaks = new ListAppender<>();
        leaks.start();
        leakLogger.addAppender(leaks);
        long started = System.nanoTime();
        try (ConvergeFixture node = ConvergeFixture.start(c -> c
                .set("proto-max-bulk-len", "1mb")
                .set("client-query-buffer-limit", "2mb"));
             RespClient watcher = new RespClient(node)) {
            Random random = new Random(SEED);
            int closedByServer = 0;
            int answered = 0;
            for (int i = 0; i < CASES; i++) {
                byte[] input = generate(random, i);
                Outcome outcome = exchange(node.port(), input);
                if (outcome.closed) {
                    closedByServer++;
                }
                if (outcome.bytes > 0) {
                    answered++;
                }
                if (i % 100 == 0) {
                    assertThat(watcher.call("PING")).as("node still serves after case %d", i)
                            .isEqualTo(new RespClient.Simple("PONG"));
                }
            }
            assertThat(watcher.call("ECHO", "still here")).isEqualTo(new RespClient.Bulk("still here"));
            assertThat(closedByServer).as("protocol errors close connections").isGreaterThan(100);
            assertThat(answered).as("valid parts of inputs get replies").isGreaterThan(100);
            // Every fuzz connection is gone; only the watcher remains.
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> node.node().services().clients().count() == 1);
            for (int k = 0; k < 3; k++) {
                System.gc();
                for (int j = 0; j < 50; j++) {
                    watcher.call("ECHO", "allocate to trigger leak reports " + j);
                }
            }
        } finally {
            ResourceLeakDetector.setLevel(previous);
            leakLogger.detachAppender(leaks);
        }
        assertThat(leaks.list).as("Netty buffer leak reports").isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
    }

    private record Outcome(int bytes, boolean closed) {}

    /** Sends {@code input}, half-reads the answer for a short while, then closes from our side. */
    private static Outcome exchange(int port, byte[] input) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(10);
            OutputStream out = s.getOutputStream();
            try {
                out.write(input);
                out.flush();
            } catch (IOException e) {
                return new Outcome(0, true); // the server closed while we were still writing
            }
            InputStream in = s.getInputStream();
            byte[] buf = new byte[65536];
            int total = 0;
            long deadline = System.nanoTime() + 40_000_000L;
            while (System.nanoTime() < deadline) {
                try {
                    int n = in.read(buf);
                    if (n < 0) {
                        return new Outcome(total, true);
                    }
                    total += n;
                } catch (SocketTimeoutException e) {
                    if (total > 0) {
                        break;
                    }
                } catch (IOException e) {
                    return new Outcome(total, true);
                }
            }
            return new Outcome(total, false);
        }
    }

    /** One fuzz input; the kind rotates so every family of malformation is covered many times. */
    private static byte[] generate(Random r, int i) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        switch (i % 10) {
            case 0 -> { // pure random bytes
                byte[] x = new byte[1 + r.nextInt(300)];
                r.nextBytes(x);
                b.writeBytes(x);
            }
            case 1 -> { // valid command truncated at a random point
                byte[] cmd = RespClient.encode("ECHO", "x".repeat(r.nextInt(100)));
                b.write(cmd, 0, r.nextInt(cmd.length));
            }
            case 2 -> { // valid pipeline with one byte flipped
                for (int k = 0; k < 1 + r.nextInt(5); k++) {
                    b.writeBytes(RespClient.encode("PING"));
                    b.writeBytes(RespClient.encode("ECHO", "v" + k));
                }
                byte[] x = b.toByteArray();
                x[r.nextInt(x.length)] = (byte) r.nextInt(256);
                b.reset();
                b.writeBytes(x);
            }
            case 3 -> ascii(b, "*" + randomNumber(r) + "\r\n"); // odd multibulk counts
            case 4 -> ascii(b, "*2\r\n$4\r\nECHO\r\n$" + randomNumber(r) + "\r\n" + "y".repeat(r.nextInt(50)));
            case 5 -> ascii(b, "*1\r\n$" + (1024 * 1024 + 1 + r.nextInt(1000)) + "\r\n"); // over proto-max-bulk-len
            case 6 -> { // inline with quotes and escapes
                String[] parts = {"PING", "ECHO", "\"", "'", "\\x4", "\\", " ", "\t", "a", "\"b c\"", "'d'"};
                StringBuilder sb = new StringBuilder();
                for (int k = 0; k < 1 + r.nextInt(8); k++) {
                    sb.append(parts[r.nextInt(parts.length)]);
                }
                ascii(b, sb + (r.nextBoolean() ? "\r\n" : "\n"));
            }
            case 7 -> { // long header lines without terminator
                ascii(b, (r.nextBoolean() ? "*" : "") + "9".repeat(65_000 + r.nextInt(2000)));
            }
            case 8 -> { // a large but valid bulk, sometimes cut short
                int len = 40_000 + r.nextInt(100_000);
                byte[] cmd = RespClient.encode("ECHO".getBytes(StandardCharsets.US_ASCII), new byte[len]);
                b.write(cmd, 0, r.nextBoolean() ? cmd.length : r.nextInt(cmd.length));
            }
            default -> { // RESP types a client must not send
                String[] prefixes = {"+OK\r\n", ":1\r\n", "$3\r\nfoo\r\n", "%1\r\n", "_\r\n", ",1.5\r\n", "*1\r\n:5\r\n"};
                ascii(b, prefixes[r.nextInt(prefixes.length)]);
            }
        }
        return b.toByteArray();
    }

    private static String randomNumber(Random r) {
        String[] odd = {"-1", "0", "01", "+1", "x", "", "99999999999999999999", "2147483648", "-0", " 3",
                Integer.toString(r.nextInt(20))};
        return odd[r.nextInt(odd.length)];
    }

    private static void ascii(ByteArrayOutputStream b, String s) {
        b.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
    }
}
