package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.RespClient.RespMap;
import io.converge.server.testing.ServerTarget;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hash commands against redis-server and Converge, raw RESP2 and RESP3: equal replies (after
 * canonical ordering where Redis leaves the order open), error texts included; properties of
 * the random commands; full HSCAN iterations.
 */
class HashCommandsTest extends HashSetTestBase {

    private static final String WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void setAndGetFields(int protocol) {
        check(protocol,
                cmd("HSET", "h", "a", "1"),
                cmd("HSET", "h", "a", "2", "b", "x", "c", ""),
                cmd("HSET", "h", "d", "1", "d", "2"),
                cmd("HGET", "h", "a"),
                cmd("HGET", "h", "d"),
                cmd("HGET", "h", "c"),
                cmd("HGET", "h", "nope"),
                cmd("HGET", "nokey", "a"),
                cmd("HMGET", "h", "a", "nope", "b", "a"),
                cmd("HMGET", "nokey", "a", "b"),
                cmd("HMSET", "h", "e", "5", "a", "3"),
                cmd("HGET", "h", "a"),
                cmd("HSETNX", "h", "a", "9"),
                cmd("HSETNX", "h", "f", "6"),
                cmd("HSETNX", "fresh", "f", "6"),
                cmd("HGETALL", "fresh"),
                cmd("HLEN", "h"),
                cmd("HLEN", "nokey"),
                cmd("HEXISTS", "h", "a"),
                cmd("HEXISTS", "h", "nope"),
                cmd("HEXISTS", "nokey", "a"),
                cmd("HSTRLEN", "h", "b"),
                cmd("HSTRLEN", "h", "c"),
                cmd("HSTRLEN", "h", "nope"),
                cmd("HSTRLEN", "nokey", "a"),
                cmd("HSET", "h", "", "empty field"),
                cmd("HGET", "h", ""),
                cmd("HSET", "h", "bin\u0000\r\nfield", "v\u0000\r\n\u00e9"),
                cmd("HGET", "h", "bin\u0000\r\nfield"),
                cmd("HSTRLEN", "h", "bin\u0000\r\nfield"),
                cmd("HGETALL", "h"),
                cmd("HKEYS", "h"),
                cmd("HVALS", "h"),
                cmd("HGETALL", "nokey"),
                cmd("HKEYS", "nokey"),
                cmd("HVALS", "nokey"),
                cmd("TYPE", "h"),
                cmd("EXISTS", "h"));
    }

    @Test
    void nonUtf8FieldsAndValues() {
        byte[] field = {(byte) 0xff, 0, (byte) 0x80, 'f'};
        byte[] value = {(byte) 0xc3, (byte) 0x28, 0, (byte) 0xfe};
        List<Object> replies = new ArrayList<>();
        for (ServerTarget t : List.of(redis, converge)) {
            try (RespClient c = new RespClient(t)) {
                List<Object> r = new ArrayList<>();
                r.add(c.call(bytes("HSET"), bytes("bin"), field, value));
                r.add(c.call(bytes("HGET"), bytes("bin"), field));
                r.add(c.call(bytes("HGETALL"), bytes("bin")));
                r.add(c.call(bytes("HSTRLEN"), bytes("bin"), field));
                replies.add(r);
            }
        }
        assertThat(replies.get(1)).isEqualTo(replies.get(0));
        assertThat(((List<?>) replies.get(1)).get(1)).isEqualTo(new Bulk(new String(value, StandardCharsets.ISO_8859_1)));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void arityErrors(int protocol) {
        check(protocol,
                cmd("HSET", "h"),
                cmd("HSET", "h", "a"),
                cmd("HSET", "h", "a", "1", "b"),
                cmd("HMSET", "h", "a"),
                cmd("HMSET", "h", "a", "1", "b"),
                cmd("EXISTS", "h"),
                cmd("HSETNX", "h", "a"),
                cmd("HSETNX", "h", "a", "1", "2"),
                cmd("HGET", "h"),
                cmd("HGET", "h", "a", "b"),
                cmd("HMGET", "h"),
                cmd("HDEL", "h"),
                cmd("HGETALL"),
                cmd("HGETALL", "h", "x"),
                cmd("HKEYS"),
                cmd("HVALS", "h", "x"),
                cmd("HLEN"),
                cmd("HEXISTS", "h"),
                cmd("HINCRBY", "h", "a"),
                cmd("HINCRBYFLOAT", "h", "a", "1", "2"),
                cmd("HSTRLEN", "h"),
                cmd("HSCAN", "h"),
                cmd("HRANDFIELD"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void wrongType(int protocol) {
        List<Object> replies = check(protocol,
                cmd("SET", "s", "x"),
                cmd("HSET", "s", "a", "1"),
                cmd("HMSET", "s", "a", "1"),
                cmd("HSETNX", "s", "a", "1"),
                cmd("HGET", "s", "a"),
                cmd("HMGET", "s", "a"),
                cmd("HDEL", "s", "a"),
                cmd("HGETALL", "s"),
                cmd("HKEYS", "s"),
                cmd("HVALS", "s"),
                cmd("HLEN", "s"),
                cmd("HEXISTS", "s", "a"),
                cmd("HINCRBY", "s", "a", "1"),
                cmd("HINCRBYFLOAT", "s", "a", "1"),
                cmd("HSTRLEN", "s", "a"),
                cmd("HSCAN", "s", "0"),
                cmd("HRANDFIELD", "s"),
                cmd("HRANDFIELD", "s", "2"),
                cmd("GET", "s"),
                cmd("SADD", "set", "m"),
                cmd("HGET", "set", "m"),
                cmd("HSET", "set", "a", "1"));
        assertThat(replies.get(1)).isEqualTo(new Err(WRONGTYPE));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void deletingTheLastFieldDeletesTheKey(int protocol) {
        check(protocol,
                cmd("HSET", "h", "a", "1", "b", "2", "c", "3"),
                cmd("HDEL", "h", "a", "nope", "a"),
                cmd("HDEL", "nokey", "a"),
                cmd("HLEN", "h"),
                cmd("HDEL", "h", "b", "c"),
                cmd("EXISTS", "h"),
                cmd("TYPE", "h"),
                cmd("HLEN", "h"),
                cmd("HGETALL", "h"),
                cmd("DBSIZE"),
                cmd("HSET", "h", "z", "26"),
                cmd("HGETALL", "h"),
                // A TTL dies with the key: re-creating the hash starts without one.
                cmd("EXPIRE", "h", "100"),
                cmd("HDEL", "h", "z"),
                cmd("EXISTS", "h"),
                cmd("HSET", "h", "y", "25"),
                cmd("TTL", "h"),
                // Deleting the whole key, then writing again.
                cmd("DEL", "h"),
                cmd("HGET", "h", "y"),
                cmd("HSET", "h", "y", "1"),
                cmd("HGETALL", "h"),
                // A hash over a key of another type after DEL.
                cmd("SET", "s", "x"),
                cmd("DEL", "s"),
                cmd("HSET", "s", "f", "v"),
                cmd("TYPE", "s"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void hincrby(int protocol) {
        check(protocol,
                cmd("HINCRBY", "h", "n", "5"),
                cmd("HINCRBY", "h", "n", "-7"),
                cmd("HINCRBY", "h", "n", "0"),
                cmd("HGET", "h", "n"),
                cmd("HINCRBY", "h", "new", "-9223372036854775808"),
                cmd("HINCRBY", "h", "new", "-1"),
                cmd("HSET", "h", "max", "9223372036854775807"),
                cmd("HINCRBY", "h", "max", "1"),
                cmd("HINCRBY", "h", "max", "-1"),
                cmd("HSET", "h", "f", "1.5", "s", "abc", "sp", " 1", "lead", "01", "empty", ""),
                cmd("HINCRBY", "h", "f", "1"),
                cmd("HINCRBY", "h", "s", "1"),
                cmd("HINCRBY", "h", "sp", "1"),
                cmd("HINCRBY", "h", "lead", "1"),
                cmd("HINCRBY", "h", "empty", "1"),
                cmd("HINCRBY", "h", "n", "x"),
                cmd("HINCRBY", "h", "n", "1.0"),
                cmd("HINCRBY", "h", "n", "9223372036854775808"),
                cmd("HINCRBY", "h", "n", ""),
                cmd("HINCRBY", "nokey", "n", "x"),
                cmd("EXISTS", "nokey"),
                cmd("HINCRBY", "h", "n", "+1"),
                cmd("HGETALL", "h"),
                // After a counter, a plain HSET replaces the value.
                cmd("HSET", "h", "n", "text"),
                cmd("HGET", "h", "n"),
                cmd("HINCRBY", "h", "n", "1"),
                cmd("HSET", "h", "n", "10"),
                cmd("HINCRBY", "h", "n", "1"),
                cmd("HSTRLEN", "h", "n"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void hincrbyfloatAtTheLongDoubleLimits(int protocol) {
        List<String[]> commands = new java.util.ArrayList<>(List.of(
                cmd("HINCRBYFLOAT", "h", "a", "1e4932"),
                cmd("HGET", "h", "a"),
                cmd("HSTRLEN", "h", "a"),
                cmd("HINCRBYFLOAT", "h", "a", "1e4932"),
                cmd("HINCRBYFLOAT", "h", "a", "1.8e4931"),
                cmd("HINCRBYFLOAT", "h", "a", "1e4930"),
                cmd("HINCRBYFLOAT", "h", "a", "-1.18e4932"),
                cmd("HINCRBYFLOAT", "h", "b", "-1.18e4932"),
                cmd("HINCRBYFLOAT", "h", "b", "-1e4931"),
                cmd("HINCRBYFLOAT", "h", "b", "1.18e4932"),
                cmd("HINCRBYFLOAT", "h", "c", "1.2e4932"),
                cmd("HINCRBYFLOAT", "h", "c", "1.18973149535723176506e4932"),
                cmd("HINCRBYFLOAT", "h", "c", "1.18973149535723176504e4932"),
                cmd("HINCRBYFLOAT", "h", "c", "inf"),
                cmd("HINCRBYFLOAT", "h", "f", "1e-4950"),
                cmd("HINCRBYFLOAT", "h", "f", "1e-4951"),
                cmd("HINCRBYFLOAT", "h", "f", "1.8226e-4951"),
                cmd("HSET", "h", "g", "2e4932", "i", StringCommandsTest.FINEST_FLOAT, "k",
                        StringCommandsTest.TOO_LONG_FLOAT),
                cmd("HINCRBYFLOAT", "h", "g", "1"),
                cmd("HINCRBYFLOAT", "h", "i", "1.18e4932"),
                cmd("HINCRBYFLOAT", "h", "i", "-1.18e4932"),
                cmd("HINCRBYFLOAT", "h", "j", StringCommandsTest.LONG_MANTISSA),
                cmd("HINCRBYFLOAT", "h", "j", StringCommandsTest.LONG_MANTISSA),
                cmd("HINCRBYFLOAT", "h", "j", StringCommandsTest.TOO_LONG_FLOAT),
                cmd("HINCRBYFLOAT", "h", "k", "1")));
        for (int i = 0; i < 30; i++) {
            commands.add(cmd("HINCRBYFLOAT", "h", "m", "0.1"));
            commands.add(cmd("HINCRBYFLOAT", "h", "n", "-4e4930"));
        }
        commands.add(cmd("HMGET", "h", "a", "b", "c", "f", "g", "m"));
        scriptNumbers(protocol, commands.toArray(new String[0][]));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void hincrbyAtThe64BitLimits(int protocol) {
        check(protocol,
                cmd("HSET", "h", "i", "9223372036854775807", "j", "-9223372036854775808"),
                cmd("HINCRBY", "h", "i", "1"),
                cmd("HINCRBY", "h", "i", "-9223372036854775808"),
                cmd("HINCRBY", "h", "j", "-1"),
                cmd("HINCRBY", "h", "j", "9223372036854775807"),
                cmd("HINCRBY", "h", "k", "-9223372036854775808"),
                cmd("HINCRBY", "h", "k", "-1"),
                cmd("HINCRBY", "h", "k", "9223372036854775808"),
                cmd("HSET", "h", "big", "9223372036854775808"),
                cmd("HINCRBY", "h", "big", "1"),
                cmd("HMGET", "h", "i", "j", "k", "big"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void hincrbyfloat(int protocol) {
        check(protocol,
                cmd("HINCRBYFLOAT", "h", "f", "10.5"),
                cmd("HINCRBYFLOAT", "h", "f", "0.1"),
                cmd("HINCRBYFLOAT", "h", "f", "-5"),
                cmd("HINCRBYFLOAT", "h", "z", "0.1"),
                cmd("HINCRBYFLOAT", "h", "z", "0.2"),
                cmd("HINCRBYFLOAT", "h", "e", "5.0e3"),
                cmd("HINCRBYFLOAT", "h", "e", "2.5e-1"),
                cmd("HINCRBYFLOAT", "h", "e", "-5000.25"),
                cmd("HINCRBYFLOAT", "h", "e", "1E2"),
                cmd("HINCRBYFLOAT", "h", "i", "3"),
                cmd("HSET", "h", "int", "17"),
                cmd("HINCRBYFLOAT", "h", "int", "1.25"),
                cmd("HINCRBYFLOAT", "h", "int", "-0.25"),
                cmd("HINCRBY", "h", "int", "1"),
                cmd("HINCRBYFLOAT", "h", "neg", "-0.0"),
                cmd("HINCRBYFLOAT", "h", "neg", "-1.5"),
                cmd("HINCRBYFLOAT", "h", "plus", "+1.5"),
                cmd("HINCRBYFLOAT", "h", "dot", ".5"),
                cmd("HINCRBYFLOAT", "h", "dot", "5."),
                cmd("HINCRBYFLOAT", "h", "f", "inf"),
                cmd("HINCRBYFLOAT", "h", "f", "-infinity"),
                cmd("HINCRBYFLOAT", "h", "f", "nan"),
                cmd("HINCRBYFLOAT", "h", "f", "abc"),
                cmd("HINCRBYFLOAT", "h", "f", ""),
                cmd("HINCRBYFLOAT", "h", "f", " 1"),
                cmd("HINCRBYFLOAT", "h", "f", "1 "),
                cmd("HINCRBYFLOAT", "h", "f", "1e5000"),
                cmd("HSET", "h", "s", "abc", "huge", "1e4932"),
                cmd("HINCRBYFLOAT", "h", "s", "1"),
                cmd("HINCRBYFLOAT", "h", "huge", "1e4932"),
                cmd("HGET", "h", "huge"),
                cmd("HINCRBYFLOAT", "nokey", "f", "abc"),
                cmd("EXISTS", "nokey"),
                cmd("HGETALL", "h"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void hscanOfASmallHash(int protocol) {
        check(protocol,
                cmd("HSET", "h", "a1", "1", "a2", "2", "b1", "3", "b2", "4", "c", "5"),
                cmd("HSCAN", "h", "0"),
                cmd("HSCAN", "h", "0", "COUNT", "2"),
                cmd("HSCAN", "h", "0", "MATCH", "a*"),
                cmd("HSCAN", "h", "0", "match", "*1", "count", "1"),
                cmd("HSCAN", "h", "0", "MATCH", "*"),
                cmd("HSCAN", "h", "0", "MATCH", "zz*"),
                cmd("HSCAN", "h", "0", "MATCH", "[ab]?"),
                cmd("HSCAN", "h", "0", "COUNT", "5", "MATCH", "b*", "COUNT", "100"),
                cmd("HSCAN", "h", ""),
                cmd("HSCAN", "h", "00"),
                cmd("HSCAN", "h", "+0"),
                cmd("HSCAN", "nokey", "0"),
                cmd("HSCAN", "nokey", "0", "COUNT", "0"),
                cmd("HSCAN", "nokey", "x"),
                cmd("HSCAN", "h", "x"),
                cmd("HSCAN", "h", "-"),
                cmd("HSCAN", "h", " 0"),
                cmd("HSCAN", "h", "0 "),
                cmd("HSCAN", "h", "18446744073709551616"),
                cmd("HSCAN", "h", "0", "COUNT", "0"),
                cmd("HSCAN", "h", "0", "COUNT", "-1"),
                cmd("HSCAN", "h", "0", "COUNT", "x"),
                cmd("HSCAN", "h", "0", "COUNT"),
                cmd("HSCAN", "h", "0", "MATCH"),
                cmd("HSCAN", "h", "0", "TYPE", "string"),
                cmd("HSCAN", "h", "0", "FOO", "bar"));
    }

    @Test
    void hscanOfALargeHashVisitsEveryField() {
        for (ServerTarget t : List.of(redis, converge)) {
            try (RespClient c = new RespClient(t)) {
                List<String> args = new ArrayList<>(List.of("HSET", "big"));
                for (int i = 0; i < 1500; i++) {
                    args.add("field:" + i);
                    args.add("value:" + i);
                }
                c.call(args.toArray(new String[0]));
                List<String> items = scanAll(c, "HSCAN", "big");
                Map<String, String> seen = new HashMap<>();
                for (int i = 0; i < items.size(); i += 2) {
                    seen.put(items.get(i), items.get(i + 1));
                }
                assertThat(seen).as(t.name()).hasSize(1500).containsEntry("field:7", "value:7");
                if (!t.isRedis()) {
                    assertThat(items).as("Converge returns each field exactly once").hasSize(3000);
                }
                List<String> matched = scanAll(c, "HSCAN", "big", "MATCH", "field:1*", "COUNT", "50");
                Set<String> fields = new HashSet<>();
                for (int i = 0; i < matched.size(); i += 2) {
                    fields.add(matched.get(i));
                }
                assertThat(fields).as(t.name()).hasSize(1 + 10 + 100 + 500).allMatch(f -> f.startsWith("field:1"));
                c.call("DEL", "big");
            }
        }
    }

    @Test
    void hscanReturnsFieldsPresentThroughoutDespiteConcurrentChanges() {
        for (ServerTarget t : List.of(redis, converge)) {
            try (RespClient c = new RespClient(t); RespClient writer = new RespClient(t)) {
                List<String> args = new ArrayList<>(List.of("HSET", "moving"));
                for (int i = 0; i < 1000; i++) {
                    args.add("stable:" + i);
                    args.add("v");
                }
                c.call(args.toArray(new String[0]));
                Set<String> seen = new HashSet<>();
                String cursor = "0";
                int step = 0;
                do {
                    List<?> reply = (List<?>) c.call("HSCAN", "moving", cursor, "COUNT", "20");
                    cursor = ((Bulk) reply.get(0)).text();
                    List<?> items = (List<?>) reply.get(1);
                    for (int i = 0; i < items.size(); i += 2) {
                        seen.add(((Bulk) items.get(i)).text());
                    }
                    // Between calls, another client adds and removes transient fields.
                    writer.call("HSET", "moving", "transient:" + step, "v");
                    writer.call("HDEL", "moving", "transient:" + (step - 3));
                    step++;
                } while (!cursor.equals("0"));
                for (int i = 0; i < 1000; i++) {
                    assertThat(seen).as(t.name()).contains("stable:" + i);
                }
                c.call("DEL", "moving");
            }
        }
    }

    @Test
    void hscanNoValuesReturnsOnlyFields() {
        // NOVALUES arrived in Redis 7.4; the reference redis-server (7.0) answers a syntax error.
        try (RespClient c = new RespClient(converge)) {
            c.call("HSET", "h", "a", "1", "b", "2");
            List<?> reply = (List<?>) c.call("HSCAN", "h", "0", "NOVALUES");
            assertThat(reply.get(0)).isEqualTo(new Bulk("0"));
            assertThat(UnorderedReplies.sortItems(reply.get(1))).isEqualTo(List.of(new Bulk("a"), new Bulk("b")));
            List<?> matched = (List<?>) c.call("HSCAN", "h", "0", "novalues", "MATCH", "b");
            assertThat(matched.get(1)).isEqualTo(List.of(new Bulk("b")));
            List<String> args = new ArrayList<>(List.of("HSET", "big"));
            for (int i = 0; i < 500; i++) {
                args.add("f" + i);
                args.add("v" + i);
            }
            c.call(args.toArray(new String[0]));
            List<String> fields = scanAll(c, "HSCAN", "big", "NOVALUES", "COUNT", "7");
            assertThat(new HashSet<>(fields)).hasSize(500).allMatch(f -> f.startsWith("f"));
            assertThat(c.call("SSCAN", "h", "0", "NOVALUES")).isInstanceOf(Err.class);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void hrandfieldDeterministicCases(int protocol) {
        check(protocol,
                cmd("HRANDFIELD", "nokey"),
                cmd("HRANDFIELD", "nokey", "3"),
                cmd("HRANDFIELD", "nokey", "-3"),
                cmd("HRANDFIELD", "nokey", "3", "WITHVALUES"),
                cmd("HRANDFIELD", "nokey", "-9223372036854775807"),
                cmd("HSET", "h", "a", "1", "b", "2", "c", "3"),
                cmd("HRANDFIELD", "h", "0"),
                cmd("HRANDFIELD", "h", "0", "WITHVALUES"),
                cmd("HRANDFIELD", "h", "3"),
                cmd("HRANDFIELD", "h", "100"),
                cmd("HRANDFIELD", "h", "3", "WITHVALUES"),
                cmd("HRANDFIELD", "h", "9223372036854775807"),
                cmd("HRANDFIELD", "h", "4", "withvalues"),
                cmd("HRANDFIELD", "h", "x"),
                cmd("HRANDFIELD", "nokey", "x"),
                cmd("HRANDFIELD", "h", "1.5"),
                cmd("HRANDFIELD", "h", "-9223372036854775808"),
                cmd("HRANDFIELD", "h", "1", "x"),
                cmd("HRANDFIELD", "h", "1", "WITHVALUES", "x"),
                cmd("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"),
                cmd("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"),
                cmd("HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"),
                cmd("HSET", "one", "only", "v"),
                cmd("HRANDFIELD", "one"),
                cmd("HRANDFIELD", "one", "-3"),
                cmd("HRANDFIELD", "one", "-2", "WITHVALUES"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void hrandfieldPicksAreFieldsOfTheHash(int protocol) {
        for (ServerTarget t : List.of(redis, converge)) {
            try (RespClient c = connect(t, protocol)) {
                Map<String, String> hash = new HashMap<>();
                List<String> args = new ArrayList<>(List.of("HSET", "r"));
                for (int i = 0; i < 300; i++) {
                    hash.put("f" + i, "v" + i);
                    args.add("f" + i);
                    args.add("v" + i);
                }
                c.call(args.toArray(new String[0]));
                assertThat(hash).as(t.name()).containsKey(text(c.call("HRANDFIELD", "r")));
                for (int count : new int[] {1, 5, 150, 299}) {
                    List<String> picked = texts(c.call("HRANDFIELD", "r", Integer.toString(count)));
                    assertThat(picked).as("%s count %d", t.name(), count).hasSize(count).doesNotHaveDuplicates();
                    assertThat(hash.keySet()).containsAll(picked);
                }
                List<String> repeated = texts(c.call("HRANDFIELD", "r", "-1000"));
                assertThat(repeated).as(t.name()).hasSize(1000);
                assertThat(hash.keySet()).containsAll(repeated);
                assertThat(new HashSet<>(repeated).size()).as("repeats allowed, spread").isGreaterThan(100);
                for (String count : new String[] {"7", "-40"}) {
                    Object reply = c.call("HRANDFIELD", "r", count, "WITHVALUES");
                    List<?> items = (List<?>) reply;
                    int n = Math.abs(Integer.parseInt(count));
                    List<String> fields = new ArrayList<>();
                    if (protocol == 3) {
                        assertThat(items).as(t.name()).hasSize(n);
                        for (Object pair : items) {
                            List<String> p = texts(pair);
                            assertThat(p).hasSize(2);
                            assertThat(hash).containsEntry(p.get(0), p.get(1));
                            fields.add(p.get(0));
                        }
                    } else {
                        assertThat(items).as(t.name()).hasSize(2 * n);
                        List<String> flat = texts(reply);
                        for (int i = 0; i < flat.size(); i += 2) {
                            assertThat(hash).containsEntry(flat.get(i), flat.get(i + 1));
                            fields.add(flat.get(i));
                        }
                    }
                    if (n == 7) {
                        assertThat(fields).doesNotHaveDuplicates();
                    }
                }
                c.call("DEL", "r");
            }
        }
    }

    @Test
    void hrandfieldRefusesAbsurdRepeatedCounts() {
        // Redis would try to build a reply of 2^62 elements; Converge answers an error instead.
        try (RespClient c = new RespClient(converge)) {
            c.call("HSET", "h", "a", "1");
            assertThat(c.call("HRANDFIELD", "h", "-4611686018427387903")).isInstanceOf(Err.class);
            assertThat(c.call("HRANDFIELD", "h", "-3")).isEqualTo(List.of(new Bulk("a"), new Bulk("a"), new Bulk("a")));
        }
    }

    @Test
    void commandInfoMatchesRedis() {
        sameCommandInfo("hset", "hsetnx", "hget", "hmget", "hmset", "hdel", "hgetall", "hkeys", "hvals", "hlen",
                "hexists", "hincrby", "hincrbyfloat", "hstrlen", "hscan", "hrandfield");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void replyTypes(int protocol) {
        List<Object> replies = check(protocol,
                cmd("HSET", "h", "a", "1"),
                cmd("HGETALL", "h"),
                cmd("HMGET", "h", "nope"),
                cmd("HINCRBYFLOAT", "h", "f", "1.5"));
        if (protocol == 3) {
            assertThat(replies.get(1)).isInstanceOf(RespMap.class);
        }
    }

    @Test
    void hashCommandsInsideMultiExec() {
        check(2,
                cmd("MULTI"),
                cmd("HSET", "h", "a", "1"),
                cmd("HINCRBY", "h", "a", "2"),
                cmd("HGET", "h", "a"),
                cmd("HINCRBY", "h", "a", "x"),
                cmd("HSET", "h", "a"),
                cmd("EXEC"),
                cmd("MULTI"),
                cmd("HSET", "h", "b", "1"),
                cmd("HINCRBY", "h", "b", "x1"),
                cmd("HLEN", "h"),
                cmd("EXEC"));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> texts(Object reply) {
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) reply) {
            out.add(((Bulk) o).text());
        }
        return out;
    }
}
