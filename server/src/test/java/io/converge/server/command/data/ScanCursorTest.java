package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.ServerTarget;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SCAN-family cursors are read as Redis reads them (strtoul over a C string): parsing stops at
 * the first NUL byte, so {@code "5\0x"} is cursor 5 and {@code "\0"} is cursor 0.
 */
class ScanCursorTest extends DataDifferentialTestBase {
    private static final String[] CURSORS = {"0\0x", "\0", "\0abc", "", "-\0", "+\0", " 5\0", "5 \0",
        "18446744073709551616\0", "x\0", "1x\0"};

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void cursorEndsAtTheFirstNul(int protocol) {
        List<Object> expected = scans(redis, protocol);
        assertThat(scans(converge, protocol)).isEqualTo(expected);
        assertThat(expected.get(0)).isEqualTo(List.of(new Bulk("0"), List.of(new Bulk("k"))));
    }

    /** A cursor with bytes after a NUL answers as the cursor before the NUL, on each server. */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void bytesAfterNulAreIgnored(int protocol) {
        for (ServerTarget t : List.of(redis, converge)) {
            try (RespClient c = connect(t, protocol)) {
                setUp(c);
                for (String command : new String[] {"SSCAN s", "HSCAN h", "ZSCAN z", "SCAN"}) {
                    assertThat(c.call(scan(command, "5\0x"))).as(t.name() + " " + command)
                            .isEqualTo(c.call(scan(command, "5")));
                }
            }
        }
    }

    private static List<Object> scans(ServerTarget t, int protocol) {
        List<Object> out = new ArrayList<>();
        try (RespClient c = connect(t, protocol)) {
            setUp(c);
            for (String cursor : CURSORS) {
                out.add(c.call(scan("SCAN", cursor, "MATCH", "k", "COUNT", "1000")));
                out.add(c.call(scan("SSCAN s", cursor)));
                out.add(c.call(scan("HSCAN h", cursor)));
                out.add(c.call(scan("ZSCAN z", cursor)));
            }
        }
        return out;
    }

    private static void setUp(RespClient c) {
        c.call("SET", "k", "v");
        c.call("SADD", "s", "a");
        c.call("HSET", "h", "f", "v");
        c.call("ZADD", "z", "1", "m");
    }

    /** The command words of {@code command}, then the cursor and {@code rest}, as binary arguments. */
    private static byte[][] scan(String command, String cursor, String... rest) {
        String[] words = command.split(" ");
        byte[][] args = new byte[words.length + 1 + rest.length][];
        int i = 0;
        for (String w : words) {
            args[i++] = w.getBytes(StandardCharsets.UTF_8);
        }
        args[i++] = cursor.getBytes(StandardCharsets.UTF_8);
        for (String r : rest) {
            args[i++] = r.getBytes(StandardCharsets.UTF_8);
        }
        return args;
    }
}
