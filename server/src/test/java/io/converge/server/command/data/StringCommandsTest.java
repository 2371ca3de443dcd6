package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.RespClient.Simple;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Strings and counters, raw RESP2 and RESP3, against redis-server and Converge: replies must be equal. */
class StringCommandsTest extends DataDifferentialTestBase {

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void getAndSet(int protocol) {
        List<Object> r = script(protocol,
                cmd("GET", "k"),
                cmd("SET", "k", "v"),
                cmd("GET", "k"),
                cmd("SET", "k", ""),
                cmd("GET", "k"),
                cmd("SET", "bin", "\u0000\r\n\u00ff"),
                cmd("GET", "bin"),
                cmd("SET", "k", "v2", "XX"),
                cmd("SET", "missing", "v", "XX"),
                cmd("GET", "missing"),
                cmd("SET", "k", "v3", "NX"),
                cmd("SET", "n", "1", "nx"),
                cmd("SET", "k", "v4", "GET"),
                cmd("SET", "fresh", "v", "GET"),
                cmd("SET", "k", "v5", "NX", "GET"),
                cmd("SET", "absent", "v", "XX", "GET"),
                cmd("SET", "k", "v6", "NX", "NX"),
                cmd("SET", "k", "v7", "GET", "GET"),
                cmd("GET", "k"),
                cmd("SET", "k"),
                cmd("GET"),
                cmd("GET", "a", "b"));
        assertThat(r.get(2)).isEqualTo(new Bulk("v"));
        assertThat(r.get(12)).isEqualTo(new Bulk("v2"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void setOptionSyntax(int protocol) {
        script(protocol,
                cmd("SET", "k", "v", "NX", "XX"),
                cmd("SET", "k", "v", "XX", "NX"),
                cmd("SET", "k", "v", "EX", "1", "PX", "1"),
                cmd("SET", "k", "v", "PX", "1", "EX", "1"),
                cmd("SET", "k", "v", "EX", "1", "EXAT", "1"),
                cmd("SET", "k", "v", "PXAT", "1", "EXAT", "1"),
                cmd("SET", "k", "v", "KEEPTTL", "EX", "1"),
                cmd("SET", "k", "v", "EX", "1", "KEEPTTL"),
                cmd("SET", "k", "v", "PERSIST"),
                cmd("SET", "k", "v", "EX"),
                cmd("SET", "k", "v", "foo"),
                cmd("SET", "k", "v", "EX", "abc"),
                cmd("SET", "k", "v", "EX", "0"),
                cmd("SET", "k", "v", "EX", "-1"),
                cmd("SET", "k", "v", "PX", "0"),
                cmd("SET", "k", "v", "EXAT", "0"),
                cmd("SET", "k", "v", "PXAT", "-5"),
                cmd("SET", "k", "v", "EX", "9999999999999999"),
                cmd("SET", "k", "v", "EX", "9223372036854775"),
                cmd("SET", "k", "v", "PX", "9223372036854775807"),
                cmd("SET", "k", "v", "EX", "9223372036854775808"),
                cmd("EXISTS", "k"),
                cmd("SET", "k", "v", "ex", "100", "ex", "200"),
                cmd("TTL", "k"),
                cmd("SET", "k", "v", "px", "100000", "KEEPTTL"),
                cmd("SET", "k", "v", "KEEPTTL"),
                cmd("TTL", "k"),
                cmd("SET", "k", "v"),
                cmd("TTL", "k"),
                cmd("SET", "k", "v", "EXAT", "4102444800"),
                cmd("EXPIRETIME", "k"),
                cmd("SET", "k", "v", "PXAT", "4102444800123"),
                cmd("PEXPIRETIME", "k"),
                cmd("SET", "k", "v", "PXAT", "1"),
                cmd("GET", "k"),
                cmd("EXISTS", "k"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void setVariants(int protocol) {
        script(protocol,
                cmd("SETNX", "k", "a"),
                cmd("SETNX", "k", "b"),
                cmd("GET", "k"),
                cmd("SETEX", "k", "100", "c"),
                cmd("TTL", "k"),
                cmd("GET", "k"),
                cmd("SETEX", "k", "0", "c"),
                cmd("SETEX", "k", "-1", "c"),
                cmd("SETEX", "k", "x", "c"),
                cmd("SETEX", "k", "9223372036854775807", "c"),
                cmd("PSETEX", "k", "100000", "d"),
                cmd("TTL", "k"),
                cmd("PSETEX", "k", "0", "d"),
                cmd("PSETEX", "k", "9223372036854775807", "d"),
                cmd("GETSET", "k", "e"),
                cmd("TTL", "k"),
                cmd("GETSET", "new", "f"),
                cmd("GET", "new"),
                cmd("GETDEL", "new"),
                cmd("GETDEL", "new"),
                cmd("EXISTS", "new"),
                cmd("ZADD", "set", "1", "m"),
                cmd("GET", "set"),
                cmd("GETSET", "set", "x"),
                cmd("GETDEL", "set"),
                cmd("SET", "set", "x", "GET"),
                cmd("SETNX", "set", "x"),
                cmd("SET", "set", "x", "NX"),
                cmd("TYPE", "set"),
                cmd("SET", "set", "now-a-string"),
                cmd("TYPE", "set"),
                cmd("GET", "set"),
                cmd("SETEX", "k"),
                cmd("SETNX", "k"),
                cmd("GETSET", "k"),
                cmd("GETDEL", "k", "x"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void getex(int protocol) {
        script(protocol,
                cmd("GETEX", "missing"),
                cmd("GETEX", "missing", "EX", "0"),
                cmd("GETEX", "missing", "FOO"),
                cmd("SET", "k", "v"),
                cmd("GETEX", "k"),
                cmd("GETEX", "k", "EX", "100"),
                cmd("TTL", "k"),
                cmd("GETEX", "k", "PX", "200000"),
                cmd("TTL", "k"),
                cmd("GETEX", "k", "EXAT", "4102444800"),
                cmd("EXPIRETIME", "k"),
                cmd("GETEX", "k", "PXAT", "4102444800999"),
                cmd("PEXPIRETIME", "k"),
                cmd("GETEX", "k", "PERSIST"),
                cmd("TTL", "k"),
                cmd("GETEX", "k", "PERSIST", "EX", "1"),
                cmd("GETEX", "k", "EX", "1", "PERSIST"),
                cmd("GETEX", "k", "EX", "1", "PX", "1"),
                cmd("GETEX", "k", "KEEPTTL"),
                cmd("GETEX", "k", "NX"),
                cmd("GETEX", "k", "GET"),
                cmd("GETEX", "k", "EX"),
                cmd("GETEX", "k", "EX", "0"),
                cmd("GETEX", "k", "EX", "-3"),
                cmd("GETEX", "k", "EX", "x"),
                cmd("GETEX", "k", "EXAT", "1"),
                cmd("EXISTS", "k"),
                cmd("SET", "k", "v"),
                cmd("GETEX", "k", "PXAT", "1"),
                cmd("GET", "k"),
                cmd("ZADD", "h", "1", "f"),
                cmd("GETEX", "h"),
                cmd("GETEX", "h", "EX", "0"),
                cmd("GETEX"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void multiKey(int protocol) {
        script(protocol,
                cmd("MSET", "a", "1", "b", "2", "c", "3"),
                cmd("MGET", "a", "b", "c", "nope"),
                cmd("MSET", "a", "1", "b"),
                cmd("MSET", "a"),
                cmd("MSET", "a", "x", "a", "y"),
                cmd("GET", "a"),
                cmd("ZADD", "s", "1", "m"),
                cmd("MGET", "s", "a", "s"),
                cmd("MSETNX", "a", "1", "z", "2"),
                cmd("EXISTS", "z"),
                cmd("MSETNX", "y", "1", "z", "2"),
                cmd("MGET", "y", "z"),
                cmd("MSETNX", "q", "1", "q", "2"),
                cmd("GET", "q"),
                cmd("MSETNX", "s", "1"),
                cmd("MSETNX", "a", "1", "b"),
                cmd("SET", "t", "v", "EX", "100"),
                cmd("MSET", "t", "w"),
                cmd("TTL", "t"),
                cmd("MGET"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void manyKeysWithDuplicates(int protocol) {
        java.util.List<String> mset = new java.util.ArrayList<>(List.of("MSET"));
        java.util.List<String> mget = new java.util.ArrayList<>(List.of("MGET"));
        java.util.List<String> del = new java.util.ArrayList<>(List.of("DEL"));
        for (int i = 0; i < 40; i++) {
            mset.add("many:" + (i % 25));
            mset.add("v" + i);
            mget.add("many:" + (i % 30));
            del.add("many:" + (i % 27));
        }
        script(protocol,
                mset.toArray(new String[0]),
                mget.toArray(new String[0]),
                cmd("DBSIZE"),
                del.toArray(new String[0]),
                cmd("DBSIZE"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void appendStrlenGetrangeSetrange(int protocol) {
        script(protocol,
                cmd("APPEND", "k", "hello"),
                cmd("APPEND", "k", " world"),
                cmd("GET", "k"),
                cmd("APPEND", "k", ""),
                cmd("APPEND", "empty", ""),
                cmd("EXISTS", "empty"),
                cmd("STRLEN", "k"),
                cmd("STRLEN", "nope"),
                cmd("SET", "t", "v", "EX", "100"),
                cmd("APPEND", "t", "w"),
                cmd("TTL", "t"),
                cmd("GETRANGE", "k", "0", "4"),
                cmd("GETRANGE", "k", "-5", "-1"),
                cmd("GETRANGE", "k", "-1", "-5"),
                cmd("GETRANGE", "k", "0", "-1"),
                cmd("GETRANGE", "k", "6", "100"),
                cmd("GETRANGE", "k", "100", "200"),
                cmd("GETRANGE", "k", "-100", "2"),
                cmd("GETRANGE", "k", "5", "3"),
                cmd("GETRANGE", "k", "0", "0"),
                cmd("GETRANGE", "k", "-100", "-100"),
                cmd("GETRANGE", "nope", "0", "-1"),
                cmd("GETRANGE", "k", "a", "1"),
                cmd("GETRANGE", "k", "0", "9223372036854775808"),
                cmd("GETRANGE", "k", "0"),
                cmd("SET", "e", ""),
                cmd("GETRANGE", "e", "0", "-1"),
                cmd("SET", "num", "12345"),
                cmd("GETRANGE", "num", "1", "2"),
                cmd("SETRANGE", "k", "6", "WORLD"),
                cmd("GET", "k"),
                cmd("SETRANGE", "k", "20", "!"),
                cmd("GET", "k"),
                cmd("SETRANGE", "k", "0", ""),
                cmd("SETRANGE", "new", "3", "abc"),
                cmd("GET", "new"),
                cmd("SETRANGE", "none", "5", ""),
                cmd("EXISTS", "none"),
                cmd("SETRANGE", "k", "-1", "x"),
                cmd("SETRANGE", "k", "x", "x"),
                cmd("SETRANGE", "k", "536870912", "x"),
                cmd("SETRANGE", "k", "536870911", ""),
                cmd("SETRANGE", "nokey", "536870912", "x"),
                cmd("SETRANGE", "t", "0", "W"),
                cmd("TTL", "t"),
                cmd("ZADD", "h", "1", "f"),
                cmd("APPEND", "h", "x"),
                cmd("STRLEN", "h"),
                cmd("GETRANGE", "h", "0", "1"),
                cmd("SETRANGE", "h", "0", "x"),
                cmd("SETRANGE", "h", "0", ""),
                cmd("SETRANGE", "h", "-1", "x"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void counters(int protocol) {
        script(protocol,
                cmd("INCR", "c"),
                cmd("INCR", "c"),
                cmd("DECR", "c"),
                cmd("INCRBY", "c", "10"),
                cmd("DECRBY", "c", "3"),
                cmd("DECRBY", "c", "-3"),
                cmd("GET", "c"),
                cmd("DECR", "neg"),
                cmd("INCRBY", "c", "abc"),
                cmd("INCRBY", "c", "1.5"),
                cmd("INCRBY", "c", " 1"),
                cmd("INCRBY", "c", "+1"),
                cmd("INCRBY", "c", "01"),
                cmd("SET", "big", "9223372036854775806"),
                cmd("INCR", "big"),
                cmd("INCR", "big"),
                cmd("GET", "big"),
                cmd("SET", "small", "-9223372036854775807"),
                cmd("DECR", "small"),
                cmd("DECR", "small"),
                cmd("DECRBY", "small", "-9223372036854775808"),
                cmd("DECRBY", "x", "-9223372036854775808"),
                cmd("INCRBY", "x", "-9223372036854775808"),
                cmd("INCRBY", "x", "9223372036854775808"),
                cmd("SET", "s", "abc"),
                cmd("INCR", "s"),
                cmd("SET", "s", " 1"),
                cmd("INCR", "s"),
                cmd("SET", "s", "1 "),
                cmd("INCR", "s"),
                cmd("SET", "s", "1.0"),
                cmd("INCR", "s"),
                cmd("SET", "s", "007"),
                cmd("INCR", "s"),
                cmd("SET", "t", "5", "EX", "100"),
                cmd("INCR", "t"),
                cmd("TTL", "t"),
                cmd("SET", "c", "41"),
                cmd("INCR", "c"),
                cmd("APPEND", "c", "0"),
                cmd("INCR", "c"),
                cmd("GET", "c"),
                cmd("ZADD", "h", "1", "f"),
                cmd("INCR", "h"),
                cmd("INCRBY", "h", "abc"),
                cmd("DECRBY", "h", "-9223372036854775808"),
                cmd("INCR"),
                cmd("INCRBY", "c"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void incrbyfloat(int protocol) {
        script(protocol,
                cmd("INCRBYFLOAT", "f", "10.5"),
                cmd("INCRBYFLOAT", "f", "0.1"),
                cmd("INCRBYFLOAT", "f", "-5"),
                cmd("GET", "f"),
                cmd("INCRBYFLOAT", "e", "5.0e3"),
                cmd("INCRBYFLOAT", "e", "2.5E-1"),
                cmd("INCRBYFLOAT", "e", "-1e1"),
                cmd("GET", "e"),
                cmd("INCRBYFLOAT", "g", "3"),
                cmd("INCRBYFLOAT", "g", "-3"),
                cmd("GET", "g"),
                cmd("SET", "i", "7"),
                cmd("INCRBYFLOAT", "i", "0.25"),
                cmd("INCR", "i"),
                cmd("INCRBYFLOAT", "f", "abc"),
                cmd("INCRBYFLOAT", "f", "nan"),
                cmd("INCRBYFLOAT", "f", "inf"),
                cmd("INCRBYFLOAT", "f", "-inf"),
                cmd("INCRBYFLOAT", "f", ""),
                cmd("INCRBYFLOAT", "f", " 1"),
                cmd("SET", "s", "abc"),
                cmd("INCRBYFLOAT", "s", "1"),
                cmd("INCRBYFLOAT", "s", "inf"),
                cmd("SET", "s", "inf"),
                cmd("INCRBYFLOAT", "s", "1"),
                cmd("INCRBYFLOAT", "nokey", "x"),
                cmd("EXISTS", "nokey"),
                cmd("SET", "t", "1", "EX", "100"),
                cmd("INCRBYFLOAT", "t", "1.5"),
                cmd("TTL", "t"),
                cmd("ZADD", "h", "1", "f"),
                cmd("INCRBYFLOAT", "h", "1"),
                cmd("INCRBYFLOAT", "h", "x"),
                cmd("INCRBYFLOAT", "f"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void wrongTypeAndArity(int protocol) {
        List<Object> r = script(protocol,
                cmd("ZADD", "h", "1", "f"),
                cmd("GET", "h"),
                cmd("SET", "h", "v", "GET"),
                cmd("SET", "h", "v"),
                cmd("GET", "h"),
                cmd("HSET", "hash", "f", "v"),
                cmd("SADD", "set", "m"),
                cmd("GET", "hash"),
                cmd("GET", "set"),
                cmd("INCR", "hash"),
                cmd("INCRBYFLOAT", "set", "1"),
                cmd("APPEND", "set", "x"),
                cmd("GETEX", "hash", "PERSIST"),
                cmd("GETDEL", "set"),
                cmd("MGET", "hash", "set", "h"),
                cmd("SETRANGE", "hash", "1", "x"),
                cmd("SET", "hash", "str", "GET"),
                cmd("SET", "set", "str"),
                cmd("TYPE", "set"),
                cmd("MSET"),
                cmd("MSETNX"),
                cmd("APPEND", "k"),
                cmd("STRLEN"),
                cmd("SETRANGE", "k", "0"),
                cmd("INCRBYFLOAT", "k", "1", "2"));
        assertThat(r.get(1)).isEqualTo(new Err("WRONGTYPE Operation against a key holding the wrong kind of value"));
        assertThat(r.get(3)).isEqualTo(new Simple("OK"));
    }
}
