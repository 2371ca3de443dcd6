package io.converge.server.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class ReplyWriterTest {

    private static String write(int protocol, Consumer<ReplyWriter> body) {
        ReplyWriter w = new ReplyWriter(UnpooledByteBufAllocator.DEFAULT, null);
        w.protocol(protocol);
        body.accept(w);
        ByteBuf b = w.takeBuffer();
        if (b == null) {
            return "";
        }
        try {
            return b.toString(StandardCharsets.ISO_8859_1);
        } finally {
            b.release();
        }
    }

    @Test
    void scalarsInBothProtocols() {
        for (int p : new int[] {2, 3}) {
            assertThat(write(p, ReplyWriter::ok)).isEqualTo("+OK\r\n");
            assertThat(write(p, w -> w.simple("PONG"))).isEqualTo("+PONG\r\n");
            assertThat(write(p, w -> w.integer(0))).isEqualTo(":0\r\n");
            assertThat(write(p, w -> w.integer(-42))).isEqualTo(":-42\r\n");
            assertThat(write(p, w -> w.integer(Long.MIN_VALUE))).isEqualTo(":-9223372036854775808\r\n");
            assertThat(write(p, w -> w.integer(123456789012L))).isEqualTo(":123456789012\r\n");
            assertThat(write(p, w -> w.bulk("h\u00e9"))).isEqualTo("$3\r\nh\u00c3\u00a9\r\n");
            assertThat(write(p, w -> w.bulk(new byte[0]))).isEqualTo("$0\r\n\r\n");
            assertThat(write(p, w -> w.bulk(-17L))).isEqualTo("$3\r\n-17\r\n");
            assertThat(write(p, w -> w.error("ERR bad\r\nthing"))).isEqualTo("-ERR bad  thing\r\n");
            assertThat(write(p, w -> w.arrayHeader(2000))).isEqualTo("*2000\r\n");
        }
    }

    @Test
    void resp3TypesAndTheirResp2Downgrades() {
        assertThat(write(3, ReplyWriter::nullBulk)).isEqualTo("_\r\n");
        assertThat(write(2, ReplyWriter::nullBulk)).isEqualTo("$-1\r\n");
        assertThat(write(3, ReplyWriter::nullArray)).isEqualTo("_\r\n");
        assertThat(write(2, ReplyWriter::nullArray)).isEqualTo("*-1\r\n");
        assertThat(write(3, w -> w.mapHeader(2))).isEqualTo("%2\r\n");
        assertThat(write(2, w -> w.mapHeader(2))).isEqualTo("*4\r\n");
        assertThat(write(3, w -> w.setHeader(3))).isEqualTo("~3\r\n");
        assertThat(write(2, w -> w.setHeader(3))).isEqualTo("*3\r\n");
        assertThat(write(3, w -> w.pushHeader(3))).isEqualTo(">3\r\n");
        assertThat(write(2, w -> w.pushHeader(3))).isEqualTo("*3\r\n");
        assertThat(write(3, w -> w.doubleValue(1.5))).isEqualTo(",1.5\r\n");
        assertThat(write(2, w -> w.doubleValue(1.5))).isEqualTo("$3\r\n1.5\r\n");
        assertThat(write(3, w -> w.doubleValue(Double.NEGATIVE_INFINITY))).isEqualTo(",-inf\r\n");
        assertThat(write(2, w -> w.doubleValue(Double.POSITIVE_INFINITY))).isEqualTo("$3\r\ninf\r\n");
        assertThat(write(3, w -> w.bool(true))).isEqualTo("#t\r\n");
        assertThat(write(2, w -> w.bool(false))).isEqualTo(":0\r\n");
        assertThat(write(3, w -> w.bigNumber("12345678901234567890"))).isEqualTo("(12345678901234567890\r\n");
        assertThat(write(2, w -> w.bigNumber("12345678901234567890"))).isEqualTo("$20\r\n12345678901234567890\r\n");
        assertThat(write(3, w -> w.verbatim("hi"))).isEqualTo("=6\r\ntxt:hi\r\n");
        assertThat(write(2, w -> w.verbatim("hi"))).isEqualTo("$2\r\nhi\r\n");
    }

    @Test
    void deferredLengthsNestAndRollbackDiscards() {
        String out = write(3, w -> {
            int outer = w.beginDeferred();
            int inner = w.beginDeferred();
            w.bulk("a");
            w.bulk("b");
            w.endDeferredMap(inner, 1);
            for (int i = 0; i < 1500; i++) {
                w.integer(i);
            }
            w.endDeferredArray(outer, 1501);
        });
        assertThat(out).startsWith("*1501\r\n%1\r\n$1\r\na\r\n$1\r\nb\r\n:0\r\n:1\r\n").endsWith(":1499\r\n");
        assertThat(write(2, w -> {
            w.ok();
            int mark = w.mark();
            w.arrayHeader(3);
            w.bulk("partial");
            w.rollback(mark);
            w.error("ERR failed");
        })).isEqualTo("+OK\r\n-ERR failed\r\n");
    }

    @Test
    void errorsAreReportedToTheListener() {
        List<String> seen = new ArrayList<>();
        ReplyWriter w = new ReplyWriter(UnpooledByteBufAllocator.DEFAULT,
                (msg, len) -> seen.add(new String(msg, 0, len, StandardCharsets.US_ASCII)));
        w.error("WRONGTYPE x");
        w.ok();
        assertThat(seen).containsExactly("WRONGTYPE x");
        assertThat(w.errorsWritten()).isEqualTo(1);
        w.takeBuffer().release();
    }
}
