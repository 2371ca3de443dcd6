package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.RespClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XREAD and XINFO STREAM against redis-server 7.0 and
 * Converge, RESP2 and RESP3: every option and error, explicit IDs, {@code ms-*}, exclusive
 * bounds, trims exact and approximate, empty streams that still exist, DEL then XADD, COPY,
 * RENAME, DUMP/RESTORE, TYPE and OBJECT ENCODING, and a randomized command stream with explicit
 * IDs. Auto IDs ({@code *}) differ between servers, so their replies are compared by shape.
 */
class StreamCommandsTest extends DataDifferentialTestBase {

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void xaddAndItsErrors(int protocol) {
        script(protocol,
                cmd("XADD", "s", "1-1", "a", "1"),
                cmd("XADD", "s", "1-1", "a", "1"),
                cmd("XADD", "s", "1-0", "a", "1"),
                cmd("XADD", "s", "0-0", "a", "1"),
                cmd("XADD", "new", "0-0", "a", "1"),
                cmd("EXISTS", "new"),
                cmd("XADD", "new", "0", "a", "1"),
                cmd("XADD", "new2", "0-*", "a", "1"),
                cmd("XADD", "s", "abc", "a", "1"),
                cmd("XADD", "s", "1-x", "a", "1"),
                cmd("XADD", "s", "-1-1", "a", "1"),
                cmd("XADD", "s", "18446744073709551616-0", "a", "1"),
                cmd("XADD", "s", "1-*", "a", "1"),
                cmd("XADD", "s", "1-*", "b", "2", "c", "3"),
                cmd("XADD", "s", "0-*", "a", "1"),
                cmd("XADD", "s", "5", "a", "1"),
                cmd("XADD", "s", "5-*", "a", "1"),
                cmd("XADD", "s", "6-*", "a", "1"),
                cmd("XADD", "s", "a"),
                cmd("XADD", "s", "7-0", "a"),
                cmd("XADD", "s", "7-0", "a", "1", "b"),
                cmd("XADD", "s", "nomkstream"),
                cmd("XADD", "s", "maxlen", "-1", "8-0", "a", "1"),
                cmd("XADD", "s", "maxlen", "x", "8-0", "a", "1"),
                cmd("XADD", "s", "limit", "10", "maxlen", "1", "8-0", "a", "1"),
                cmd("XADD", "s", "maxlen", "1", "minid", "1", "8-0", "a", "1"),
                cmd("XADD", "s", "maxlen", "1", "maxlen", "2", "8-0", "a", "1"),
                cmd("XADD", "s", "maxlen", "~", "1", "limit", "-1", "8-0", "a", "1"),
                cmd("XADD", "s", "minid", "x", "8-0", "a", "1"),
                cmd("XADD", "s", "foo", "8-0", "a", "1"),
                cmd("XADD", "nokey", "nomkstream", "1-1", "a", "1"),
                cmd("EXISTS", "nokey"),
                cmd("XADD", "s", "NOMKSTREAM", "8-0", "a", "1"),
                cmd("XADD", "s", "18446744073709551615-18446744073709551615", "a", "1"),
                cmd("XADD", "s", "18446744073709551615-*", "a", "1"),
                cmd("XADD", "s", "*", "a", "1"),
                cmd("XLEN", "s"),
                cmd("XRANGE", "s", "-", "+"),
                cmd("SET", "str", "x"),
                cmd("XADD", "str", "*", "a", "1"),
                cmd("XADD", "str", "nomkstream", "*", "a", "1"),
                cmd("TYPE", "s"),
                cmd("OBJECT", "ENCODING", "s"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void rangesAndCounts(int protocol) {
        List<String[]> c = new ArrayList<>();
        for (int i = 1; i <= 12; i++) {
            c.add(cmd("XADD", "s", i + "-" + (i % 3), "f" + i, "v" + i, "g", "w"));
        }
        c.addAll(List.of(
                cmd("XRANGE", "s", "-", "+"),
                cmd("XRANGE", "s", "-", "+", "COUNT", "3"),
                cmd("XRANGE", "s", "-", "+", "count", "0"),
                cmd("XRANGE", "s", "-", "+", "COUNT", "-1"),
                cmd("XRANGE", "s", "-", "+", "COUNT", "x"),
                cmd("XRANGE", "s", "-", "+", "COUNT"),
                cmd("XRANGE", "s", "-", "+", "foo", "1"),
                cmd("XRANGE", "s", "3", "5"),
                cmd("XRANGE", "s", "3-0", "5-0"),
                cmd("XRANGE", "s", "(3-0", "(5-2"),
                cmd("XRANGE", "s", "(3", "(5"),
                cmd("XRANGE", "s", "5", "3"),
                cmd("XRANGE", "s", "(-", "+"),
                cmd("XRANGE", "s", "(", "+"),
                cmd("XRANGE", "s", "-", "(+"),
                cmd("XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"),
                cmd("XRANGE", "s", "-", "(0-0"),
                cmd("XRANGE", "s", "x", "+"),
                cmd("XRANGE", "s", "-", "x"),
                cmd("XRANGE", "nokey", "-", "+"),
                cmd("XRANGE", "nokey", "x", "+"),
                cmd("XREVRANGE", "s", "+", "-"),
                cmd("XREVRANGE", "s", "+", "-", "COUNT", "2"),
                cmd("XREVRANGE", "s", "(8", "(2"),
                cmd("XREVRANGE", "s", "-", "+"),
                cmd("XREVRANGE", "s", "7", "7"),
                cmd("XLEN", "s"),
                cmd("XLEN", "nokey"),
                cmd("SET", "str", "x"),
                cmd("XRANGE", "str", "-", "+"),
                cmd("XLEN", "str")));
        script(protocol, c.toArray(new String[0][]));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void xdelXtrimAndEmptyStreams(int protocol) {
        List<String[]> c = new ArrayList<>();
        for (int i = 1; i <= 250; i++) {
            c.add(cmd("XADD", "s", i + "-0", "f", "v" + i));
        }
        c.addAll(List.of(
                cmd("XDEL", "s", "3-0", "4", "4-0", "999-0"),
                cmd("XDEL", "s", "x"),
                cmd("XDEL", "s", "1-0", "x"),
                cmd("XDEL", "nokey", "1-0", "x"),
                cmd("XLEN", "s"),
                cmd("XTRIM", "s"),
                cmd("XTRIM", "s", "foo", "1"),
                cmd("XTRIM", "s", "maxlen", "x"),
                cmd("XTRIM", "s", "maxlen", "=", "x"),
                cmd("XTRIM", "s", "maxlen", "-5"),
                cmd("XTRIM", "s", "maxlen", "240", "limit", "5"),
                cmd("XTRIM", "nokey", "foo"),
                cmd("XTRIM", "s", "maxlen", "~", "200"),
                cmd("XTRIM", "s", "maxlen", "=", "140"),
                cmd("XLEN", "s"),
                cmd("XTRIM", "s", "minid", "120"),
                cmd("XTRIM", "s", "minid", "=", "130-0"),
                cmd("XRANGE", "s", "-", "+", "COUNT", "2"),
                cmd("XTRIM", "s", "maxlen", "~", "0", "limit", "10"),
                cmd("XTRIM", "s", "maxlen", "0"),
                cmd("XLEN", "s"),
                cmd("EXISTS", "s"),
                cmd("TYPE", "s"),
                cmd("XINFO", "STREAM", "s"),
                cmd("XADD", "s", "250-0", "a", "1"),
                cmd("XADD", "s", "250-*", "a", "1"),
                cmd("XDEL", "s", "250-1"),
                cmd("XINFO", "STREAM", "s"),
                cmd("XADD", "z", "MAXLEN", "0", "5-0", "a", "1"),
                cmd("EXISTS", "z"),
                cmd("XLEN", "z"),
                cmd("XINFO", "STREAM", "z"),
                cmd("XADD", "z", "5-0", "a", "1"),
                cmd("DEL", "s"),
                cmd("EXISTS", "s"),
                cmd("XADD", "s", "1-1", "a", "1"),
                cmd("XINFO", "STREAM", "s"),
                cmd("XADD", "y", "MINID", "10", "5-0", "a", "1"),
                cmd("XLEN", "y")));
        script(protocol, c.toArray(new String[0][]));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void approximateTrimsRemoveWholeNodes(int protocol) {
        // Without XDELs Redis's nodes hold 100 entries each, counted from the first one.
        List<String[]> c = new ArrayList<>();
        for (int i = 1; i <= 250; i++) {
            c.add(cmd("XADD", "t", i + "-0", "f", "v"));
        }
        c.addAll(List.of(
                cmd("XTRIM", "t", "MAXLEN", "~", "200"),
                cmd("XTRIM", "t", "MAXLEN", "~", "0", "LIMIT", "10"),
                cmd("XTRIM", "t", "MAXLEN", "~", "100"),
                cmd("XLEN", "t"),
                cmd("XTRIM", "t", "MINID", "~", "240"),
                cmd("XRANGE", "t", "-", "+", "COUNT", "1"),
                cmd("XADD", "t", "MAXLEN", "~", "10", "300-0", "f", "v"),
                cmd("XLEN", "t"),
                cmd("XADD", "t", "MAXLEN", "~", "10", "LIMIT", "0", "301-0", "f", "v"),
                cmd("XLEN", "t"),
                cmd("XINFO", "STREAM", "t")));
        script(protocol, c.toArray(new String[0][]));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void xreadAndXinfo(int protocol) {
        script(protocol,
                cmd("XADD", "a", "1-1", "f", "1"),
                cmd("XADD", "a", "2-1", "f", "2", "g", "3"),
                cmd("XADD", "b", "3-1", "h", "4"),
                cmd("XREAD", "STREAMS", "a", "0"),
                cmd("XREAD", "STREAMS", "a", "b", "0", "0"),
                cmd("XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"),
                cmd("XREAD", "COUNT", "0", "STREAMS", "a", "b", "1-1", "0"),
                cmd("XREAD", "COUNT", "-3", "STREAMS", "a", "0"),
                cmd("XREAD", "count", "1", "count", "2", "streams", "a", "0"),
                cmd("XREAD", "STREAMS", "a", "b", "2-1", "3-1"),
                cmd("XREAD", "STREAMS", "a", "b", "$", "$"),
                cmd("XREAD", "STREAMS", "a", "nokey", "1", "$"),
                cmd("XREAD", "STREAMS", "a", "nokey", "0-0", "0"),
                cmd("XREAD", "STREAMS", "a"),
                cmd("XREAD", "STREAMS", "a", "b", "0"),
                cmd("XREAD", "STREAMS", "a", ">"),
                cmd("XREAD", "STREAMS", "a", "x"),
                cmd("XREAD", "STREAMS", "a", "-"),
                cmd("XREAD", "COUNT", "x", "STREAMS", "a", "0"),
                cmd("XREAD", "BLOCK", "-1", "STREAMS", "a", "0"),
                cmd("XREAD", "BLOCK", "x", "STREAMS", "a", "0"),
                cmd("XREAD", "GROUP", "g", "c", "STREAMS", "a", "0"),
                cmd("XREAD", "foo", "STREAMS", "a", "0"),
                cmd("XREAD", "COUNT", "1"),
                cmd("XREAD", "COUNT", "1", "a", "b"),
                cmd("SET", "str", "x"),
                cmd("XREAD", "STREAMS", "str", "0"),
                cmd("XINFO", "STREAM", "a"),
                cmd("XINFO", "STREAM", "a", "FULL"),
                cmd("XINFO", "STREAM", "a", "FULL", "COUNT", "1"),
                cmd("XINFO", "STREAM", "a", "FULL", "COUNT", "0"),
                cmd("XINFO", "STREAM", "a", "FULL", "COUNT", "-1"),
                cmd("XINFO", "STREAM", "a", "FULL", "COUNT", "x"),
                cmd("XINFO", "STREAM", "a", "foo"),
                cmd("XINFO", "STREAM", "a", "FULL", "x"),
                cmd("XINFO", "STREAM", "a", "FULL", "COUNT", "1", "x"),
                cmd("XINFO", "STREAM", "nokey"),
                cmd("XINFO", "STREAM", "str"),
                cmd("XINFO", "STREAM"),
                cmd("XINFO", "foo"),
                cmd("XINFO", "HELP"),
                cmd("XINFO"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void copiesRenamesAndDumps(int protocol) {
        script(protocol,
                cmd("XADD", "s", "1-1", "a", "1", "b", "2"),
                cmd("XADD", "s", "2-2", "c", "3"),
                cmd("XADD", "s", "3-3", "d", "4"),
                cmd("XDEL", "s", "3-3"),
                cmd("COPY", "s", "c"),
                cmd("XRANGE", "c", "-", "+"),
                cmd("XADD", "c", "3-3", "x", "y"),
                cmd("XADD", "c", "3-4", "x", "y"),
                cmd("RENAME", "s", "r"),
                cmd("XRANGE", "r", "-", "+"),
                cmd("XINFO", "STREAM", "r"),
                cmd("EXPIRE", "r", "100"),
                cmd("TTL", "r"),
                cmd("EXISTS", "s"));
        // DUMP payloads are each server's own: round-trip within Converge.
        try (RespClient c = connect(converge, protocol)) {
            c.call("FLUSHALL");
            c.call("XADD", "s", "1-1", "a", "1");
            c.call("XADD", "s", "2-0", "b", "2");
            c.call("XADD", "s", "9-0", "z", "9");
            c.call("XDEL", "s", "9-0");
            byte[] dump = ((RespClient.Bulk) c.call("DUMP", "s")).text().getBytes(StandardCharsets.ISO_8859_1);
            assertThat(c.call("RESTORE".getBytes(StandardCharsets.US_ASCII), "t".getBytes(StandardCharsets.US_ASCII),
                    "0".getBytes(StandardCharsets.US_ASCII), dump)).isEqualTo(new RespClient.Simple("OK"));
            assertThat(c.call("TYPE", "t")).isEqualTo(new RespClient.Simple("stream"));
            assertThat(c.call("XRANGE", "t", "-", "+")).isEqualTo(c.call("XRANGE", "s", "-", "+"));
            assertThat(String.valueOf(c.call("XADD", "t", "9-0", "x", "y"))).contains("equal or smaller");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void autoIdsHaveRedisShape(int protocol) {
        try (RespClient c = connect(converge, protocol)) {
            long before = System.currentTimeMillis();
            String id1 = ((RespClient.Bulk) c.call("XADD", "s", "*", "a", "1")).text();
            String id2 = ((RespClient.Bulk) c.call("XADD", "s", "*", "a", "2")).text();
            long ms1 = Long.parseLong(id1.split("-")[0]);
            assertThat(ms1).isBetween(before - 1000, System.currentTimeMillis() + 1000);
            assertThat(id1).matches("\\d+-0|\\d+-\\d{1,3}");
            assertThat(id2).isNotEqualTo(id1);
            c.call("XADD", "f", "99999999999999-5", "a", "1");
            assertThat(((RespClient.Bulk) c.call("XADD", "f", "*", "a", "1")).text()).isEqualTo("99999999999999-6");
        }
    }

    @Test
    void randomizedCommandStreamsWithExplicitIds() {
        Random rnd = new Random(42);
        for (int round = 0; round < 4; round++) {
            List<String[]> c = new ArrayList<>();
            long[] ms = {0, 0, 0};
            for (int i = 0; i < 300; i++) {
                int k = rnd.nextInt(3);
                String key = "k" + k;
                int op = rnd.nextInt(20);
                String id = rnd.nextInt(10) + "-" + rnd.nextInt(3);
                switch (op) {
                    case 0, 1, 2, 3, 4, 5 -> {
                        ms[k] += rnd.nextInt(3);
                        String explicit = rnd.nextInt(6) == 0 ? ms[k] + "-*" : ms[k] + "-" + rnd.nextInt(4);
                        List<String> a = new ArrayList<>(List.of("XADD", key));
                        if (rnd.nextInt(5) == 0) {
                            a.addAll(List.of("MAXLEN", rnd.nextBoolean() ? "=" : "~", "" + rnd.nextInt(8)));
                        }
                        a.add(explicit);
                        a.addAll(List.of("f", "v" + i));
                        c.add(a.toArray(new String[0]));
                    }
                    case 6 -> c.add(cmd("XDEL", key, ms[k] + "-" + rnd.nextInt(4), id));
                    case 7 -> c.add(cmd("XTRIM", key, "MAXLEN", "" + rnd.nextInt(6)));
                    case 8 -> c.add(cmd("XTRIM", key, "MINID", ms[k] / 2 + "-0"));
                    case 9 -> c.add(cmd("XRANGE", key, "-", "+"));
                    case 10 -> c.add(cmd("XREVRANGE", key, "+", "(" + id, "COUNT", "" + rnd.nextInt(4)));
                    case 11 -> c.add(cmd("XRANGE", key, "(" + id, "+", "COUNT", "3"));
                    case 12 -> c.add(cmd("XLEN", key));
                    case 13 -> c.add(cmd("XREAD", "COUNT", "" + rnd.nextInt(3), "STREAMS", "k0", "k1", "k2", id, "$", "0"));
                    case 14 -> c.add(cmd("XINFO", "STREAM", key));
                    case 15 -> {
                        if (rnd.nextInt(4) == 0) {
                            c.add(cmd("DEL", key));
                            ms[k] = 0;
                        } else {
                            c.add(cmd("EXISTS", key));
                        }
                    }
                    default -> c.add(cmd("XRANGE", key, ms[k] + "", "+"));
                }
            }
            script(2 + round % 2, c.toArray(new String[0][]));
            flushBoth();
        }
    }
}
