package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Simple;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The wire protocol, byte for byte against redis-server: inline commands, pipelining, split
 * packets and every protocol error (which is answered and then closes the connection).
 */
class ProtocolDifferentialTest extends DifferentialTestBase {

    @ParameterizedTest
    @ValueSource(strings = {
        "PING\r\n",
        "ping\n",
        "\r\n\r\n  \r\nPING\r\n",
        "ECHO \"a b\"\r\n",
        "ECHO 'it''s'\r\n",
        "ECHO 'it\\'s'\r\n",
        "ECHO \"\\x41\\x4a\\n\\t\\\\\\\"\"\r\n",
        "ECHO \"\\xZZ\"\r\n",
        "ECHO a\"b c\"d\r\n",
        "ECHO \"unbalanced\r\nPING\r\n",
        "ECHO 'unbalanced\r\n",
        "ECHO \"closed\"glued\r\n",
        "ECHO   spaced   \t\r\n",
        "FOO \"x y\" 'z'\r\n",
        "*1\r\n$4\r\nPING\r\n",
        "*1\r\n$4\r\nPINGxx*1\r\n$4\r\nping\r\n",
        "*-5\r\nPING\r\n",
        "*0\r\n*1\r\n$4\r\nPING\r\n",
        "*01\r\n",
        "*x\r\n",
        "*1\r\n$-1\r\n",
        "*1\r\n$600000000\r\n",
        "*1\r\n$abc\r\n",
        "*1\r\nfoo\r\n",
        "*2\r\n$4\r\nECHO\r\n:1\r\n",
        "*1\r\n\r\n",
        "*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n*1\r\n$4\r\nPING\r\n",
        "*3\r\n$4\r\nECHO\r\n",
        "PING\r\n*1\r\n$3\r\nfoo\r\n*x\r\nPING\r\n",
        "*1\r\n$4\r\nPING",
        "PING\0\r\n",
    })
    void rawExchangesMatchRedis(String raw) {
        sameRawExchange(raw);
    }

    @Test
    void oversizedHeadersAndInlineRequests() {
        sameRawExchange("x".repeat(70_000));
        sameRawExchange("*" + "1".repeat(70_000));
        sameRawExchange("*1\r\n$" + "1".repeat(70_000));
        sameRawExchange("PING " + "a".repeat(60_000) + "\r\n");
        sameRawExchange("*2147483648\r\n");
        sameRawExchange("*1\r\n$536870913\r\n");
    }

    @Test
    void pipelinedRepliesComeInOrder() {
        StringBuilder raw = new StringBuilder();
        int n = 500;
        for (int i = 0; i < n; i++) {
            switch (i % 5) {
                case 0 -> raw.append("PING\r\n");
                case 1 -> raw.append(new String(RespClient.encode("ECHO", "v" + i), StandardCharsets.ISO_8859_1));
                case 2 -> raw.append("NOSUCH ").append(i).append("\r\n");
                case 3 -> raw.append(new String(RespClient.encode("SELECT", Integer.toString(i % 2)), StandardCharsets.ISO_8859_1));
                default -> raw.append("ECHO\r\n");
            }
        }
        List<Object> replies = same(2, c -> {
            c.send(raw.toString());
            return c.read(n);
        });
        assertThat(replies.get(0)).isEqualTo(new Simple("PONG"));
        assertThat(replies.get(1)).isEqualTo(new RespClient.Bulk("v1"));
    }

    @Test
    void requestsSplitAcrossPacketsAndLargeBulks() throws Exception {
        byte[] big = new byte[300_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) ('a' + i % 26);
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(RespClient.encode("PING".getBytes(), "hello".getBytes()));
        all.writeBytes(RespClient.encode("ECHO".getBytes(), big));
        all.writeBytes("ECHO inline\r\n".getBytes(StandardCharsets.US_ASCII));
        byte[] bytes = all.toByteArray();
        List<Object> replies = same(2, c -> {
            // Dribble the request in small, irregular slices.
            int pos = 0;
            int step = 1;
            while (pos < bytes.length) {
                int len = Math.min(step, bytes.length - pos);
                byte[] slice = new byte[len];
                System.arraycopy(bytes, pos, slice, 0, len);
                c.send(slice);
                pos += len;
                step = step < 20 ? step + 1 : step * 3;
            }
            return c.read(3);
        });
        assertThat(((RespClient.Bulk) replies.get(1)).text()).hasSize(big.length);
    }

    @Test
    void unauthenticatedClientsGetTheSameLimitsAsRedis() {
        // Without a password nobody is "unauthenticated": large multibulks are fine.
        List<String> args = new ArrayList<>(List.of("NOSUCH"));
        for (int i = 0; i < 20; i++) {
            args.add("a");
        }
        sameReply(2, args.toArray(new String[0]));
    }
}
