package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.ServerTarget;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PFADD, PFCOUNT and PFMERGE against redis-server 7.0 and Converge, RESP2 and RESP3: replies,
 * error texts and exact counts at many cardinalities (including binary elements of every length
 * class of the hash); HLL strings carried both ways (GET from one, SET into the other, sparse and
 * dense, cached or not, corrupt); the string commands on an HLL; COPY, TTLs, OBJECT ENCODING.
 */
class HyperLogLogCommandsTest extends DataDifferentialTestBase {

    private static final String NOT_AN_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value.";
    private static final String CORRUPT = "INVALIDOBJ Corrupted HLL object detected";

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void repliesOfPfaddPfcountAndPfmerge(int protocol) {
        List<Object> r = script(protocol,
                cmd("PFADD", "h", "a", "b", "c"),
                cmd("PFADD", "h", "a"),
                cmd("PFADD", "h", "c", "b", "a", "a"),
                cmd("PFADD", "h"),
                cmd("PFADD", "h", "d", "a"),
                cmd("PFCOUNT", "h"),
                cmd("PFADD", "empty"),
                cmd("EXISTS", "empty"),
                cmd("PFCOUNT", "empty"),
                cmd("PFADD", "empty"),
                cmd("PFCOUNT", "nokey"),
                cmd("PFCOUNT", "nokey", "nokey2"),
                cmd("PFCOUNT", "h", "nokey"),
                cmd("PFCOUNT", "h", "h"),
                cmd("PFADD", "g", "c", "d", "e", "f", ""),
                cmd("PFCOUNT", "h", "g"),
                cmd("PFCOUNT", "g", "h", "empty"),
                cmd("PFMERGE", "m", "h", "g", "nokey"),
                cmd("PFCOUNT", "m"),
                cmd("PFMERGE", "m"),
                cmd("PFMERGE", "m", "m"),
                cmd("PFCOUNT", "m"),
                cmd("PFMERGE", "h", "g"),
                cmd("PFCOUNT", "h"),
                cmd("PFMERGE", "fresh"),
                cmd("EXISTS", "fresh"),
                cmd("PFCOUNT", "fresh"),
                cmd("PFMERGE", "fresh2", "nokey"),
                cmd("PFCOUNT", "fresh2"),
                cmd("TYPE", "h"),
                cmd("OBJECT", "ENCODING", "h"),
                cmd("DEL", "h"),
                cmd("PFCOUNT", "h"),
                cmd("PFADD", "h", "z"),
                cmd("PFCOUNT", "h"),
                cmd("PFADD"),
                cmd("PFCOUNT"),
                cmd("PFMERGE"),
                cmd("DBSIZE"));
        assertThat(r.get(0)).isEqualTo(1L);
        assertThat(r.get(5)).isEqualTo(4L);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void wrongTypesAndStringsThatAreNotHlls(int protocol) {
        script(protocol,
                cmd("SADD", "set", "m"),
                cmd("SET", "str", "hello"),
                cmd("SET", "num", "1234567890123456"),
                cmd("SET", "short", "HYLL"),
                cmd("SET", "badenc", "HYLL\u0002\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000"),
                cmd("SET", "baddense", "HYLL\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000xyz"),
                cmd("PFADD", "h", "a"),
                cmd("PFADD", "set", "a"),
                cmd("PFADD", "set"),
                cmd("PFADD", "str", "a"),
                cmd("PFADD", "str"),
                cmd("PFADD", "num", "a"),
                cmd("PFADD", "short", "a"),
                cmd("PFADD", "badenc", "a"),
                cmd("PFADD", "baddense", "a"),
                cmd("PFCOUNT", "set"),
                cmd("PFCOUNT", "str"),
                cmd("PFCOUNT", "num"),
                cmd("PFCOUNT", "h", "set"),
                cmd("PFCOUNT", "str", "set"),
                cmd("PFCOUNT", "set", "str"),
                cmd("PFCOUNT", "nokey", "badenc"),
                cmd("PFMERGE", "set", "h"),
                cmd("PFMERGE", "h", "set"),
                cmd("PFMERGE", "str", "h"),
                cmd("PFMERGE", "h", "nokey", "str", "set"),
                cmd("PFMERGE", "dest", "h", "baddense"),
                cmd("EXISTS", "dest"),
                cmd("PFCOUNT", "h"),
                cmd("GET", "str"),
                cmd("TYPE", "str"),
                cmd("SMEMBERS", "set"),
                cmd("SADD", "h", "x"),
                cmd("LPUSH", "h", "x"),
                cmd("HSET", "h", "f", "v"),
                cmd("INCR", "h"),
                cmd("INCRBY", "h", "2"),
                cmd("DECR", "h"),
                cmd("INCRBYFLOAT", "h", "1.5"),
                cmd("INCRBY", "h", "x"),
                cmd("PFCOUNT", "h"));
    }

    /** Exact counts for every cardinality up to 300, then in steps up to 120000, of ASCII elements. */
    @Test
    void countsEqualRedisAtEveryCardinality() {
        List<String[]> commands = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            commands.add(cmd("PFADD", "c", "element:" + i));
            commands.add(cmd("PFCOUNT", "c"));
        }
        int next = 300;
        while (next < 120_000) {
            int batch = next < 20_000 ? 997 : 4999;
            String[] add = new String[2 + batch];
            add[0] = "PFADD";
            add[1] = "c";
            for (int i = 0; i < batch; i++) {
                add[2 + i] = "element:" + (next + i);
            }
            next += batch;
            commands.add(add);
            commands.add(cmd("PFCOUNT", "c"));
        }
        List<Object> replies = script(2, commands.toArray(new String[0][]));
        long last = (Long) replies.get(replies.size() - 1);
        assertThat(last).isBetween(115_000L, 125_000L);
    }

    /** Binary elements of every length 0..40 (each tail length of the hash), random bytes, several keys. */
    @Test
    void countsOfBinaryElementsAndUnionsEqualRedis() {
        Random random = new Random(0x5eed_11L);
        List<byte[][]> commands = new ArrayList<>();
        for (int round = 0; round < 60; round++) {
            int n = 1 + random.nextInt(round < 30 ? 20 : 400);
            byte[][] add = new byte[2 + n][];
            add[0] = bytes("PFADD");
            add[1] = bytes("b" + random.nextInt(4));
            for (int i = 0; i < n; i++) {
                byte[] e = new byte[random.nextInt(41)];
                random.nextBytes(e);
                add[2 + i] = e;
            }
            commands.add(add);
            commands.add(new byte[][] {bytes("PFCOUNT"), add[1]});
            commands.add(new byte[][] {bytes("PFCOUNT"), bytes("b0"), bytes("b1"), bytes("b2"), bytes("b3")});
            if (round % 10 == 9) {
                commands.add(new byte[][] {bytes("PFMERGE"), bytes("u" + round), bytes("b0"), bytes("b2")});
                commands.add(new byte[][] {bytes("PFCOUNT"), bytes("u" + round)});
                commands.add(new byte[][] {bytes("PFCOUNT"), bytes("u" + round), bytes("b1"), bytes("b3")});
            }
        }
        assertThat(runBytes(converge, commands)).isEqualTo(runBytes(redis, commands));
    }

    /**
     * A dense HLL never counted on redis-server reads, byte for byte, like Converge's (Redis's
     * dense layout with the cached cardinality marked stale); STRLEN, GETRANGE, APPEND and
     * SETRANGE treat it as the string it is.
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void aDenseHllReadsAsTheSameBytes(int protocol) {
        String[] add = new String[2 + 5000];
        add[0] = "PFADD";
        add[1] = "d";
        for (int i = 0; i < 5000; i++) {
            add[2 + i] = "dense:" + i;
        }
        List<Object> r = script(protocol,
                add,
                cmd("GET", "d"),
                cmd("STRLEN", "d"),
                cmd("GETRANGE", "d", "0", "3"),
                cmd("GETRANGE", "d", "16", "200"),
                // (Redis writes the count it computes into the string: GET before PFCOUNT)
                cmd("COPY", "d", "d2"),
                cmd("TYPE", "d2"),
                cmd("GET", "d2"),
                cmd("RENAME", "d2", "d3"),
                cmd("SET", "d3", "plain", "GET"),
                cmd("GET", "d3"),
                cmd("COPY", "d", "d2"),
                cmd("PFCOUNT", "d2"),
                cmd("COPY", "d", "d4"),
                cmd("APPEND", "d4", "x"),
                cmd("STRLEN", "d4"),
                cmd("PFCOUNT", "d4"),
                cmd("PFADD", "d4", "y"),
                cmd("COPY", "d", "d5"),
                // a valid cached cardinality of 0: Redis trusts the cache, and so must Converge
                cmd("SETRANGE", "d5", "15", "\u0000"),
                cmd("PFCOUNT", "d5"),
                cmd("PFCOUNT", "d5", "d5"),
                cmd("COPY", "d", "d6"),
                // the dense registers read as sparse opcodes: whatever Redis makes of them
                cmd("SETRANGE", "d6", "4", "\u0001"),
                cmd("PFCOUNT", "d6"),
                cmd("PFCOUNT", "d6", "nokey"),
                cmd("PFMERGE", "d7", "d6"),
                cmd("GETDEL", "d"),
                cmd("EXISTS", "d"));
        assertThat(((Bulk) r.get(1)).text()).hasSize(12304);
    }

    /**
     * HLL strings carried between the two servers: GET from Redis (sparse, dense, cached, not),
     * SET into Converge, then PFCOUNT, PFADD and PFMERGE there equal Redis on the same string;
     * and GET from Converge, SET into Redis, counts the same.
     */
    @Test
    void hllStringsTravelBothWays() {
        List<byte[]> fromRedis = new ArrayList<>();
        try (RespClient c = connect(redis, 2)) {
            c.call("FLUSHALL");
            for (int n : new int[] {0, 1, 3, 100, 1000, 2500, 20_000}) {
                String key = "r" + n;
                c.call("PFADD", key);
                addRange(c, key, "src" + n + ":", n);
                fromRedis.add(bulkBytes(c.call("GET", key)));
                c.call("PFCOUNT", key); // the cache is now valid
                fromRedis.add(bulkBytes(c.call("GET", key)));
            }
        }
        assertThat(fromRedis.get(2)[4]).as("a small HLL is sparse in Redis").isEqualTo((byte) 1);
        assertThat(fromRedis.get(12)[4]).as("a large one dense").isEqualTo((byte) 0);
        List<byte[][]> commands = new ArrayList<>();
        for (int i = 0; i < fromRedis.size(); i++) {
            String key = "s" + i;
            byte[] value = fromRedis.get(i);
            commands.add(new byte[][] {bytes("SET"), bytes(key), value, bytes("EX"), bytes("1000")});
            commands.add(new byte[][] {bytes("PFCOUNT"), bytes(key)});
            commands.add(new byte[][] {bytes("PFCOUNT"), bytes(key), bytes("nokey")});
            commands.add(new byte[][] {bytes("PFADD"), bytes(key)});
            commands.add(new byte[][] {bytes("PFCOUNT"), bytes(key)});
            commands.add(new byte[][] {bytes("PFADD"), bytes(key), bytes("src0:0"), bytes("fresh" + i)});
            commands.add(new byte[][] {bytes("PFADD"), bytes(key), bytes("fresh" + i)});
            commands.add(new byte[][] {bytes("PFCOUNT"), bytes(key)});
            commands.add(new byte[][] {bytes("TTL"), bytes(key)});
            commands.add(new byte[][] {bytes("TYPE"), bytes(key)});
            String plain = "p" + i;
            commands.add(new byte[][] {bytes("SET"), bytes(plain), value});
            commands.add(new byte[][] {bytes("PFMERGE"), bytes("merged"), bytes(plain)});
            commands.add(new byte[][] {bytes("PFCOUNT"), bytes("merged")});
            commands.add(new byte[][] {bytes("PFMERGE"), bytes(plain), bytes("s0")});
            commands.add(new byte[][] {bytes("PFCOUNT"), bytes(plain)});
        }
        commands.add(new byte[][] {bytes("PFCOUNT"), bytes("s0"), bytes("s5"), bytes("s9"), bytes("s13")});
        assertThat(runBytes(converge, commands)).isEqualTo(runBytes(redis, commands));

        // Converge's bytes counted by Redis, for sparse-born and dense-born HLLs
        try (RespClient c = connect(converge, 2); RespClient r = connect(redis, 2)) {
            for (int n : new int[] {0, 1, 7, 1000, 30_000}) {
                String key = "c" + n;
                c.call("PFADD", key);
                addRange(c, key, "conv" + n + ":", n);
                byte[] bytes = bulkBytes(c.call("GET", key));
                assertThat(bytes).hasSize(12304);
                r.call(bytes("SET"), bytes(key), bytes);
                assertThat(r.call("PFCOUNT", key)).as("%d elements", n).isEqualTo(c.call("PFCOUNT", key));
                assertThat(r.call("PFADD", key, "extra")).isEqualTo(c.call("PFADD", key, "extra"));
                assertThat(r.call("PFCOUNT", key)).isEqualTo(c.call("PFCOUNT", key));
            }
        }
    }

    /** Sparse strings whose opcodes do not cover 16384 registers: INVALIDOBJ where Redis answers it. */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void corruptSparseStrings(int protocol) {
        byte[] headerOnly = HexFormat.of().parseHex("48594c4c010000000000000000000080");
        byte[] tooMany = HexFormat.of().parseHex("48594c4c0100000000000000000000807fff00");
        byte[] cached = HexFormat.of().parseHex("48594c4c010000002a00000000000000");
        byte[] cutXzero = HexFormat.of().parseHex("48594c4c0100000000000000000000807f");
        List<byte[][]> commands = new ArrayList<>();
        byte[][] values = {headerOnly, tooMany, cached, cutXzero};
        for (int i = 0; i < values.length; i++) {
            byte[] key = bytes("x" + i);
            commands.add(new byte[][] {bytes("SET"), key, values[i]});
            commands.add(new byte[][] {bytes("PFCOUNT"), key});
            commands.add(new byte[][] {bytes("PFCOUNT"), key, bytes("nokey")});
            commands.add(new byte[][] {bytes("PFCOUNT"), bytes("nokey"), key});
            commands.add(new byte[][] {bytes("PFADD"), key});
            commands.add(new byte[][] {bytes("PFMERGE"), bytes("dst"), key});
            commands.add(new byte[][] {bytes("PFMERGE"), key});
            commands.add(new byte[][] {bytes("EXISTS"), bytes("dst")});
            commands.add(new byte[][] {bytes("GET"), key});
        }
        // with no register covered, PFADD of an element is refused by Redis too
        commands.add(new byte[][] {bytes("PFADD"), bytes("x0"), bytes("a")});
        commands.add(new byte[][] {bytes("PFADD"), bytes("x2"), bytes("a")});
        commands.add(new byte[][] {bytes("PFADD"), bytes("ok"), bytes("a")});
        commands.add(new byte[][] {bytes("PFMERGE"), bytes("ok"), bytes("nokey"), bytes("x1")});
        commands.add(new byte[][] {bytes("PFCOUNT"), bytes("ok"), bytes("x0")});
        List<Object> expected = runBytes(redis, protocol, commands);
        assertThat(runBytes(converge, protocol, commands)).isEqualTo(expected);
        assertThat(expected).contains(new Err(CORRUPT), 42L);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void ttlsAreKeptAndSetOverwrites(int protocol) {
        script(protocol,
                cmd("PFADD", "t", "a"),
                cmd("EXPIRE", "t", "1000"),
                cmd("PFADD", "t", "b"),
                cmd("PFMERGE", "t", "nokey"),
                cmd("TTL", "t"),
                cmd("SET", "t", "v"),
                cmd("TTL", "t"),
                cmd("GET", "t"),
                cmd("PFADD", "t", "a"),
                cmd("PFADD", "u", "a"),
                cmd("SET", "u", "v", "KEEPTTL"),
                cmd("PFADD", "u", "a"),
                cmd("PFADD", "w", "a", "b"),
                cmd("EXPIRE", "w", "500"),
                cmd("PFADD", "w", "c"),
                cmd("TTL", "w"),
                cmd("PFCOUNT", "w"));
    }

    @Test
    void commandInfoMatchesRedis() {
        for (String name : new String[] {"pfadd", "pfcount", "pfmerge"}) {
            script(2, cmd("COMMAND", "INFO", name));
            script(3, cmd("COMMAND", "INFO", name));
        }
    }

    /** DUMP and RESTORE (Converge's own payload) keep an HLL's registers. */
    @Test
    void dumpAndRestoreKeepTheRegisters() {
        try (RespClient c = connect(converge, 2)) {
            c.call("FLUSHALL");
            addRange(c, "h", "dr:", 3000);
            Object count = c.call("PFCOUNT", "h");
            byte[] payload = bulkBytes(c.call("DUMP", "h"));
            assertThat(c.call(bytes("RESTORE"), bytes("h2"), bytes("0"), payload)).isEqualTo(new RespClient.Simple("OK"));
            assertThat(c.call("PFCOUNT", "h2")).isEqualTo(count);
            assertThat(c.call("TYPE", "h2")).isEqualTo(new RespClient.Simple("string"));
            assertThat(bulkBytes(c.call("GET", "h2"))).isEqualTo(bulkBytes(c.call("GET", "h")));
            assertThat(c.call("MEMORY", "USAGE", "h2")).isInstanceOf(Long.class);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void addRange(RespClient c, String key, String prefix, int n) {
        for (int from = 0; from < n; from += 1000) {
            int to = Math.min(n, from + 1000);
            String[] add = new String[2 + to - from];
            add[0] = "PFADD";
            add[1] = key;
            for (int i = from; i < to; i++) {
                add[2 + i - from] = prefix + i;
            }
            c.call(add);
        }
    }

    private static List<Object> runBytes(ServerTarget target, List<byte[][]> commands) {
        return runBytes(target, 2, commands);
    }

    private static List<Object> runBytes(ServerTarget target, int protocol, List<byte[][]> commands) {
        try (RespClient c = connect(target, protocol)) {
            c.call("FLUSHALL");
            List<Object> replies = new ArrayList<>();
            for (byte[][] command : commands) {
                replies.add(c.call(command));
            }
            return replies;
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bulkBytes(Object reply) {
        return ((Bulk) reply).text().getBytes(StandardCharsets.ISO_8859_1);
    }
}
