package io.converge.server.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestDecoderTest {
    private static final long MAX_BULK = 512L * 1024 * 1024;

    private static ByteBuf buf(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    private static List<String> strings(byte[][] args) {
        List<String> out = new ArrayList<>();
        for (byte[] a : args) {
            out.add(new String(a, StandardCharsets.ISO_8859_1));
        }
        return out;
    }

    /** Decodes everything available, as the connection does. */
    private static List<List<String>> decodeAll(RequestDecoder d, ByteBuf in) {
        List<List<String>> out = new ArrayList<>();
        while (true) {
            byte[][] args = d.decode(in, MAX_BULK, false);
            if (args == null) {
                return out;
            }
            if (args == RequestDecoder.PROTOCOL_ERROR) {
                out.add(List.of("ERROR", new String(d.errorMessage(), StandardCharsets.ISO_8859_1)));
                return out;
            }
            out.add(strings(args));
        }
    }

    @Test
    void multibulkAndInlinePipelined() {
        RequestDecoder d = new RequestDecoder();
        ByteBuf in = buf("*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\nPING\r\n*0\r\n\r\nset k \"a b\"\n*1\r\n$0\r\n\r\n");
        assertThat(decodeAll(d, in)).containsExactly(
                List.of("ECHO", "hello"), List.of("PING"), List.of("set", "k", "a b"), List.of(""));
        assertThat(in.isReadable()).isFalse();
    }

    @Test
    void byteByByteDeliveryGivesTheSameCommands() {
        String wire = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\n0123456789\r\nECHO 'q'\r\n";
        RequestDecoder d = new RequestDecoder();
        ByteBuf in = Unpooled.buffer();
        List<List<String>> got = new ArrayList<>();
        for (byte b : wire.getBytes(StandardCharsets.ISO_8859_1)) {
            in.writeByte(b);
            got.addAll(decodeAll(d, in));
            in.discardReadBytes();
        }
        assertThat(got).containsExactly(List.of("SET", "key", "0123456789"), List.of("ECHO", "q"));
    }

    @Test
    void largeBulkIsCollectedOutsideTheInputAndGrowsWithTheData() {
        RequestDecoder d = new RequestDecoder();
        int size = 5_000_000;
        ByteBuf in = buf("*2\r\n$4\r\nECHO\r\n$" + size + "\r\n");
        assertThat(d.decode(in, MAX_BULK, false)).isNull();
        long echo = 4 + RequestDecoder.ARG_OVERHEAD_BYTES; // the argument decoded already
        assertThat(d.pendingBytes()).isEqualTo(echo);
        byte[] chunk = new byte[100_000];
        Arrays.fill(chunk, (byte) 'z');
        int sent = 0;
        byte[][] result = null;
        while (sent < size) {
            in.clear().writeBytes(chunk, 0, Math.min(chunk.length, size - sent));
            sent += Math.min(chunk.length, size - sent);
            result = d.decode(in, MAX_BULK, false);
            assertThat(in.isReadable()).as("bulk bytes are consumed from the input as they arrive").isFalse();
            if (sent < size) {
                assertThat(result).isNull();
                assertThat(d.pendingBytes()).isEqualTo(echo + sent);
            }
        }
        assertThat(result).isNull(); // the CRLF is still missing
        in.clear().writeBytes("\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
        result = d.decode(in, MAX_BULK, false);
        assertThat(result).hasNumberOfRows(2);
        assertThat(result[1]).hasSize(size);
        assertThat(strings(d.decode(in, MAX_BULK, false))).containsExactly("PING");
    }

    @Test
    void theArgumentsOfAnUnfinishedRequestCountAsPendingUntilItCompletes() {
        RequestDecoder d = new RequestDecoder();
        ByteBuf in = buf("*2147483647\r\n");
        assertThat(d.decode(in, MAX_BULK, false)).isNull();
        for (int i = 1; i <= 10_000; i++) {
            in.clear().writeBytes("$1\r\na\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(d.decode(in, MAX_BULK, false)).isNull();
        }
        assertThat(d.pendingBytes()).isEqualTo(10_000L * (1 + RequestDecoder.ARG_OVERHEAD_BYTES));
        RequestDecoder small = new RequestDecoder();
        assertThat(strings(small.decode(buf("*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n"), MAX_BULK, false)))
                .containsExactly("ECHO", "hi");
        assertThat(small.pendingBytes()).as("nothing pending once the request is complete").isZero();
    }

    @Test
    void announcingAHugeBulkAllocatesLittle() {
        RequestDecoder d = new RequestDecoder();
        ByteBuf in = buf("*1\r\n$500000000\r\nabc");
        assertThat(d.decode(in, MAX_BULK, false)).isNull();
        assertThat(d.pendingBytes()).isEqualTo(3);
    }

    @Test
    void redisProtocolErrors() {
        assertThat(error("*01\r\n")).isEqualTo("ERR Protocol error: invalid multibulk length");
        assertThat(error("*2147483648\r\n")).isEqualTo("ERR Protocol error: invalid multibulk length");
        assertThat(error("*1\r\n$-1\r\n")).isEqualTo("ERR Protocol error: invalid bulk length");
        assertThat(error("*1\r\n$536870913\r\n")).isEqualTo("ERR Protocol error: invalid bulk length");
        assertThat(error("*1\r\nfoo\r\n")).isEqualTo("ERR Protocol error: expected '$', got 'f'");
        assertThat(error("ECHO \"x\r\n")).isEqualTo("ERR Protocol error: unbalanced quotes in request");
        assertThat(error("x".repeat(70_000))).isEqualTo("ERR Protocol error: too big inline request");
        assertThat(error("*" + "1".repeat(70_000))).isEqualTo("ERR Protocol error: too big mbulk count string");
        assertThat(error("*1\r\n$" + "1".repeat(70_000))).isEqualTo("ERR Protocol error: too big bulk count string");
    }

    @Test
    void unauthenticatedLimits() {
        RequestDecoder d = new RequestDecoder();
        assertThat(d.decode(buf("*11\r\n"), MAX_BULK, true)).isSameAs(RequestDecoder.PROTOCOL_ERROR);
        assertThat(new String(d.errorMessage(), StandardCharsets.US_ASCII))
                .isEqualTo("ERR Protocol error: unauthenticated multibulk length");
        RequestDecoder d2 = new RequestDecoder();
        assertThat(d2.decode(buf("*1\r\n$16385\r\n"), MAX_BULK, true)).isSameAs(RequestDecoder.PROTOCOL_ERROR);
        assertThat(new String(d2.errorMessage(), StandardCharsets.US_ASCII))
                .isEqualTo("ERR Protocol error: unauthenticated bulk length");
        assertThat(new RequestDecoder().decode(buf("*10\r\n"), MAX_BULK, true)).isNull();
    }

    @Test
    void nulByteBeforeTheLineEndMeansWaitingLikeRedis() {
        assertThat(new RequestDecoder().decode(buf("PING\0\r\n"), MAX_BULK, false)).isNull();
    }

    private static String error(String wire) {
        RequestDecoder d = new RequestDecoder();
        List<List<String>> out = decodeAll(d, buf(wire));
        assertThat(out).isNotEmpty();
        List<String> last = out.get(out.size() - 1);
        assertThat(last.get(0)).isEqualTo("ERROR");
        return last.get(1);
    }
}
