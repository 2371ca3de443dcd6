package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.RespClient.Null;
import io.converge.server.testing.RespClient.RespDouble;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sorted-set commands, raw RESP, against a real redis-server and a Converge node in RESP2
 * and RESP3: every reply (values, reply types, error texts) must be equal. Each test uses its own
 * keys (suffixed with the protocol) so the tests do not depend on each other.
 */
class SortedSetCommandsTest extends DifferentialTestBase {

    private ZSetTwins twins(int protocol) {
        return new ZSetTwins(redis, converge, protocol);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zaddAddsUpdatesAndCounts(int protocol) {
        String k = "zadd:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            assertThat(t.check("ZADD", k, "1", "a", "2", "b", "3", "c")).isEqualTo(3L);
            assertThat(t.check("ZADD", k, "1", "a")).isEqualTo(0L);
            assertThat(t.check("ZADD", k, "5", "a", "6", "d")).isEqualTo(1L);
            assertThat(t.check("ZADD", k, "CH", "5", "a", "7", "b", "8", "e")).isEqualTo(2L);
            t.check("ZADD", k, "ch", "7", "b");
            t.check("ZADD", k, "1", "x", "2", "x", "3", "x");
            t.check("ZRANGE", k, "0", "-1", "WITHSCORES");
            t.check("ZCARD", k);
            // Same member twice with the same score in one command, and mixed-case options.
            t.check("ZADD", k, "Ch", "9", "y", "9", "y");
            t.check("ZRANGE", k, "0", "-1", "WITHSCORES");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zaddConditionalOptions(int protocol) {
        String k = "zaddopt:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", k, "10", "a", "20", "b");
            assertThat(t.check("ZADD", k, "NX", "1", "a", "30", "c")).isEqualTo(1L);
            assertThat(t.check("ZADD", k, "XX", "1", "a", "40", "d")).isEqualTo(0L);
            t.check("ZADD", k, "XX", "CH", "2", "a", "40", "d");
            t.check("ZADD", k, "GT", "CH", "1", "a", "25", "b", "50", "e");
            t.check("ZADD", k, "LT", "CH", "100", "a", "5", "b", "60", "f");
            t.check("ZADD", k, "XX", "GT", "CH", "3", "a", "99", "b", "1", "zz");
            t.check("ZADD", k, "GT", "LT", "1", "a");
            t.check("ZADD", k, "NX", "GT", "1", "a");
            t.check("ZADD", k, "NX", "LT", "1", "a");
            t.check("ZADD", k, "NX", "XX", "1", "a");
            t.check("ZADD", k, "xx", "nx", "gt", "1", "a");
            t.check("ZRANGE", k, "0", "-1", "WITHSCORES");
            // XX on a missing key creates nothing.
            assertThat(t.check("ZADD", k + ":missing", "XX", "1", "a")).isEqualTo(0L);
            t.check("ZCARD", k + ":missing");
            t.check("ZADD", k + ":missing", "XX", "INCR", "1", "a");
            t.check("ZCARD", k + ":missing");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zaddIncr(int protocol) {
        String k = "zaddincr:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            assertThat(t.check("ZADD", k, "INCR", "1.5", "a")).isIn(new Bulk("1.5"), new RespDouble("1.5"));
            t.check("ZADD", k, "INCR", "2", "a");
            t.check("ZADD", k, "INCR", "-10", "a");
            t.check("ZADD", k, "NX", "INCR", "1", "a");
            t.check("ZADD", k, "NX", "INCR", "1", "b");
            t.check("ZADD", k, "XX", "INCR", "1", "c");
            t.check("ZADD", k, "XX", "INCR", "1", "b");
            t.check("ZADD", k, "GT", "INCR", "-1", "a");
            t.check("ZADD", k, "GT", "INCR", "1", "a");
            t.check("ZADD", k, "LT", "INCR", "1", "a");
            t.check("ZADD", k, "LT", "INCR", "-1", "a");
            t.check("ZADD", k, "GT", "INCR", "0", "a");
            t.check("ZADD", k, "INCR", "0", "a");
            t.check("ZADD", k, "CH", "INCR", "5", "new");
            t.check("ZADD", k, "INCR", "1", "a", "2", "b");
            t.check("ZADD", k, "INCR", "inf", "inf");
            t.check("ZADD", k, "INCR", "-inf", "inf");
            t.check("ZADD", k, "INCR", "+inf", "inf");
            t.check("ZSCORE", k, "inf");
            t.check("ZRANGE", k, "0", "-1", "WITHSCORES");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zincrbyAtTheDoubleLimits(int protocol) {
        String k = "zincrlimits:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZINCRBY", k, "1e308", "a");
            t.check("ZINCRBY", k, "1e308", "a");
            t.check("ZINCRBY", k, "-inf", "a");
            t.check("ZINCRBY", k, "inf", "a");
            t.check("ZINCRBY", k, "1e309", "a");
            t.check("ZINCRBY", k, "nan", "a");
            t.check("ZADD", k, "INCR", "1.7976931348623157e308", "b");
            t.check("ZADD", k, "INCR", "1e308", "b");
            t.check("ZADD", k, "INCR", "-1.7976931348623157e308", "c");
            t.check("ZINCRBY", k, "-1.7976931348623157e308", "c");
            t.check("ZINCRBY", k, "inf", "c");
            t.check("ZINCRBY", k, "4.9e-324", "d");
            t.check("ZINCRBY", k, "-4.9e-324", "d");
            t.check("ZINCRBY", k, "2.5e-324", "e");
            t.check("ZINCRBY", k, "1.7976931348623157e308", "f");
            t.check("ZINCRBY", k, "-1.7976931348623157e308", "f");
            for (int i = 0; i < 30; i++) {
                t.check("ZINCRBY", k, "0.1", "g");
                t.check("ZINCRBY", k, "1e307", "h");
            }
            t.check("ZRANGE", k, "0", "-1", "WITHSCORES");
            t.check("ZSCORE", k, "a");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zaddScoreParsingAndFormatting(int protocol) {
        String k = "zaddfloat:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            String[] scores = {"0", "-0", "1.5", "0.1", "1e20", "1.5e-7", "-3.25", "inf", "-inf", "+inf", "Infinity",
                "-INFINITY", "123456789012345678", "0x10", "0x1.8p1", "-0x.8", "1.", ".5", "4.9e-324", "1e308",
                "2.2250738585072014e-308", "0.30000000000000004", "100", "+5", "1E3", "007"};
            for (int i = 0; i < scores.length; i++) {
                t.check("ZADD", k, scores[i], "m" + i);
                t.check("ZSCORE", k, "m" + i);
            }
            String[] invalid = {"", " 1", "1 ", "nan", "NaN", "-nan", "abc", "1e400", "-1e400", "1e-400", "1e", "0x",
                "1.2.3", "infinit", "--1", "1f", "1d", "0x1p", "\u00001"};
            for (String bad : invalid) {
                assertThat(t.check("ZADD", k, bad, "bad")).isEqualTo(new Err("ERR value is not a valid float"));
            }
            t.check("ZRANGE", k, "0", "-1", "WITHSCORES");
            t.check("ZCARD", k);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zaddErrors(int protocol) {
        String k = "zadderr:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", k);
            t.check("ZADD", k, "1");
            t.check("ZADD", k, "NX", "1");
            t.check("ZADD", k, "1", "a", "2");
            t.check("ZADD", k, "NX", "XX", "GT");
            t.check("ZADD", k, "FOO", "1", "a");
            t.check("ZADD", k, "1", "a", "x", "b");
            t.check("ZCARD", k);
            t.check("SET", k + ":str", "v");
            assertThat(t.check("ZADD", k + ":str", "1", "a"))
                    .isEqualTo(new Err("WRONGTYPE Operation against a key holding the wrong kind of value"));
            // Option and float errors come before the type check.
            t.check("ZADD", k + ":str", "NX", "XX", "1", "a");
            t.check("ZADD", k + ":str", "x", "a");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zincrby(int protocol) {
        String k = "zincrby:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZINCRBY", k, "1", "a");
            t.check("ZINCRBY", k, "2.5", "a");
            t.check("ZINCRBY", k, "-0.5", "a");
            t.check("ZINCRBY", k, "0.1", "b");
            t.check("ZINCRBY", k, "-inf", "c");
            assertThat(t.check("ZINCRBY", k, "+inf", "c")).isEqualTo(new Err("ERR resulting score is not a number (NaN)"));
            t.check("ZSCORE", k, "c");
            t.check("ZINCRBY", k, "nan", "a");
            t.check("ZINCRBY", k, "x", "a");
            t.check("ZINCRBY", k, "nx", "a");
            t.check("ZINCRBY", k, "incr", "a");
            t.check("ZINCRBY", k, "1");
            t.check("ZINCRBY", k, "1", "a", "b");
            t.check("ZRANGE", k, "0", "-1", "WITHSCORES");
            t.check("SET", k + ":str", "v");
            t.check("ZINCRBY", k + ":str", "1", "a");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zremAndEmptiedKeys(int protocol) {
        String k = "zrem:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", k, "1", "a", "2", "b", "3", "c");
            assertThat(t.check("ZREM", k, "a", "x", "a")).isEqualTo(1L);
            t.check("ZREM", k, "x");
            t.check("ZREM", k + ":missing", "a");
            t.check("ZRANGE", k, "0", "-1");
            assertThat(t.check("ZREM", k, "b", "c")).isEqualTo(2L);
            assertThat(t.check("EXISTS", k)).isEqualTo(0L);
            t.check("TYPE", k);
            t.check("ZCARD", k);
            t.check("ZREM", k);
            t.check("SET", k + ":str", "v");
            t.check("ZREM", k + ":str", "a");
            // The key can be re-created after being emptied.
            t.check("ZADD", k, "4", "d");
            t.check("ZRANGE", k, "0", "-1", "WITHSCORES");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void pointReads(int protocol) {
        String k = "reads:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", k, "1", "a", "2.5", "b", "-inf", "c", "inf", "d", "0.1", "e");
            for (String m : List.of("a", "b", "c", "d", "e", "nope")) {
                t.check("ZSCORE", k, m);
                t.check("ZRANK", k, m);
                t.check("ZREVRANK", k, m);
            }
            assertThat(t.check("ZSCORE", k, "nope")).isIn(Null.BULK, Null.RESP3);
            t.check("ZMSCORE", k, "a", "nope", "b", "c", "d", "e");
            t.check("ZMSCORE", k + ":missing", "a", "b");
            t.check("ZSCORE", k + ":missing", "a");
            t.check("ZRANK", k + ":missing", "a");
            t.check("ZREVRANK", k + ":missing", "a");
            t.check("ZCARD", k);
            t.check("ZCARD", k + ":missing");
            t.check("ZSCORE", k);
            t.check("ZMSCORE", k);
            t.check("ZCARD");
            t.check("ZCARD", k, "x");
            t.check("ZRANK", k);
            t.check("ZRANK", k, "a", "b", "c");
            t.check("SET", k + ":str", "v");
            for (String cmd : List.of("ZSCORE", "ZRANK", "ZREVRANK", "ZMSCORE")) {
                t.check(cmd, k + ":str", "a");
            }
            t.check("ZCARD", k + ":str");
        }
    }

    /** Redis 7.2's WITHSCORE (the redis-server 7.0 here rejects it, so the replies are spelled out). */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zrankWithScore(int protocol) {
        String k = "rankscore:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", k, "1.5", "a", "2", "b");
            Object score = protocol == 3 ? new RespDouble("1.5") : new Bulk("1.5");
            assertThat(t.converge.call("ZRANK", k, "a", "WITHSCORE")).isEqualTo(List.of(0L, score));
            assertThat(t.converge.call("ZREVRANK", k, "a", "withscore")).isEqualTo(List.of(1L, score));
            assertThat(t.converge.call("ZRANK", k, "nope", "WITHSCORE")).isEqualTo(protocol == 3 ? Null.RESP3 : Null.ARRAY);
            assertThat(t.converge.call("ZRANK", k + ":missing", "a", "WITHSCORE")).isEqualTo(protocol == 3 ? Null.RESP3 : Null.ARRAY);
            assertThat(t.converge.call("ZRANK", k, "a", "WITHSCORES")).isEqualTo(new Err("ERR syntax error"));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zcountAndScoreBounds(int protocol) {
        String k = "zcount:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", k, "-inf", "n", "0", "z", "1", "a", "2", "b", "2", "b2", "3", "c", "inf", "p");
            String[][] ranges = {{"-inf", "+inf"}, {"1", "2"}, {"(1", "2"}, {"1", "(2"}, {"(1", "(2"}, {"2", "1"},
                {"(2", "2"}, {"2", "2"}, {"inf", "inf"}, {"-inf", "-inf"}, {"(-inf", "(inf"}, {"", ""}, {"(", "1"},
                {" 1", "2"}, {"0x1", "0x2"}, {"1e400", "inf"}, {"-1e400", "0"}, {"1.5", "2.5"}, {"-INF", "Infinity"},
                {"1\u0000zzz", "2"}};
            for (String[] r : ranges) {
                t.check("ZCOUNT", k, r[0], r[1]);
                t.check("ZRANGEBYSCORE", k, r[0], r[1], "WITHSCORES");
                t.check("ZREVRANGEBYSCORE", k, r[1], r[0]);
            }
            String[] invalid = {"a", "(a", "((1", "1 ", "nan", "(nan", " ", "1e", "[1"};
            for (String bad : invalid) {
                assertThat(t.check("ZCOUNT", k, bad, "2")).isEqualTo(new Err("ERR min or max is not a float"));
                t.check("ZCOUNT", k, "1", bad);
            }
            t.check("ZCOUNT", k + ":missing", "1", "2");
            t.check("ZCOUNT", k + ":missing", "x", "2");
            t.check("ZCOUNT", k, "1");
            t.check("SET", k + ":str", "v");
            t.check("ZCOUNT", k + ":str", "1", "2");
            t.check("ZCOUNT", k + ":str", "x", "2");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void lexRanges(int protocol) {
        String k = "lex:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", k, "0", "a", "0", "aa", "0", "ab", "0", "b", "0", "c", "0", "d", "0", "", "0", "\u00e9");
            String[][] ranges = {{"-", "+"}, {"[a", "[b"}, {"(a", "[b"}, {"[a", "(b"}, {"(a", "(b"}, {"[b", "[a"},
                {"+", "-"}, {"-", "-"}, {"+", "+"}, {"[", "[a"}, {"(", "+"}, {"[aa", "[aa"}, {"(aa", "[aa"},
                {"-", "[c"}, {"(c", "+"}, {"[\u00e9", "+"}, {"+\u0000x", "+"}};
            for (String[] r : ranges) {
                t.check("ZLEXCOUNT", k, r[0], r[1]);
                t.check("ZRANGEBYLEX", k, r[0], r[1]);
                t.check("ZREVRANGEBYLEX", k, r[1], r[0]);
                t.check("ZRANGE", k, r[0], r[1], "BYLEX");
                t.check("ZRANGE", k, r[1], r[0], "BYLEX", "REV");
            }
            String[] invalid = {"a", "", "+a", "-a", "!"};
            for (String bad : invalid) {
                assertThat(t.check("ZLEXCOUNT", k, bad, "+")).isEqualTo(new Err("ERR min or max not valid string range item"));
                t.check("ZRANGEBYLEX", k, "-", bad);
                t.check("ZREMRANGEBYLEX", k, bad, "+");
            }
            t.check("ZRANGEBYLEX", k, "-", "+", "LIMIT", "1", "3");
            t.check("ZRANGEBYLEX", k, "-", "+", "LIMIT", "2", "-1");
            t.check("ZRANGEBYLEX", k, "-", "+", "LIMIT", "-1", "2");
            t.check("ZRANGEBYLEX", k, "-", "+", "LIMIT", "7", "5");
            t.check("ZRANGEBYLEX", k, "-", "+", "LIMIT", "8", "5");
            t.check("ZREVRANGEBYLEX", k, "+", "-", "LIMIT", "1", "3");
            t.check("ZRANGEBYLEX", k, "-", "+", "WITHSCORES");
            t.check("ZRANGE", k, "-", "+", "BYLEX", "WITHSCORES");
            t.check("ZRANGEBYLEX", k, "-", "+", "LIMIT", "1");
            t.check("ZRANGEBYLEX", k, "-", "+", "BYSCORE");
            t.check("ZRANGEBYLEX", k, "-", "+", "REV");
            t.check("ZLEXCOUNT", k + ":missing", "-", "+");
            t.check("ZRANGEBYLEX", k + ":missing", "-", "+");
            t.check("SET", k + ":str", "v");
            t.check("ZLEXCOUNT", k + ":str", "-", "+");
            t.check("ZRANGEBYLEX", k + ":str", "-", "+");
            t.check("ZLEXCOUNT", k + ":str", "x", "+");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zrangeByRank(int protocol) {
        String k = "zrange:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", k, "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
            String[][] spans = {{"0", "-1"}, {"0", "0"}, {"1", "3"}, {"-2", "-1"}, {"-100", "100"}, {"3", "1"},
                {"5", "10"}, {"-1", "-5"}, {"4", "4"}, {"-9223372036854775808", "9223372036854775807"}};
            for (String[] s : spans) {
                t.check("ZRANGE", k, s[0], s[1]);
                t.check("ZRANGE", k, s[0], s[1], "WITHSCORES");
                t.check("ZRANGE", k, s[0], s[1], "REV", "withscores");
                t.check("ZREVRANGE", k, s[0], s[1]);
                t.check("ZREVRANGE", k, s[0], s[1], "WITHSCORES");
            }
            t.check("ZRANGE", k, "a", "1");
            t.check("ZRANGE", k, "0", "1.5");
            t.check("ZRANGE", k + ":missing", "0", "-1");
            t.check("ZRANGE", k + ":missing", "0", "-1", "WITHSCORES");
            t.check("ZREVRANGE", k, "0", "-1", "REV");
            t.check("ZREVRANGE", k, "0", "-1", "BYSCORE");
            t.check("ZREVRANGE", k, "0", "-1", "LIMIT", "0", "1");
            t.check("ZRANGE", k, "0");
            t.check("ZREVRANGE", k, "0");
            t.check("SET", k + ":str", "v");
            t.check("ZRANGE", k + ":str", "0", "-1");
            t.check("ZREVRANGE", k + ":str", "0", "-1");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zrangeOptions(int protocol) {
        String k = "zrangeopt:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", k, "1", "a", "2", "b", "2", "bb", "3", "c", "4", "d", "5", "e", "0.5", "h");
            t.check("ZRANGE", k, "2", "4", "BYSCORE");
            t.check("ZRANGE", k, "(2", "+inf", "BYSCORE", "WITHSCORES");
            t.check("ZRANGE", k, "+inf", "(2", "BYSCORE", "REV", "WITHSCORES");
            t.check("ZRANGE", k, "4", "2", "REV", "BYSCORE");
            t.check("ZRANGE", k, "-inf", "+inf", "BYSCORE", "LIMIT", "1", "3");
            t.check("ZRANGE", k, "-inf", "+inf", "BYSCORE", "LIMIT", "1", "3", "REV", "WITHSCORES");
            t.check("ZRANGE", k, "-inf", "+inf", "BYSCORE", "LIMIT", "0", "0");
            t.check("ZRANGE", k, "-inf", "+inf", "BYSCORE", "LIMIT", "0", "-5");
            t.check("ZRANGE", k, "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "5");
            t.check("ZRANGE", k, "-inf", "+inf", "BYSCORE", "LIMIT", "6", "5");
            t.check("ZRANGE", k, "-inf", "+inf", "BYSCORE", "LIMIT", "7", "5");
            t.check("ZRANGE", k, "-inf", "+inf", "BYSCORE", "LIMIT", "9223372036854775807", "5");
            t.check("ZRANGE", k, "-inf", "+inf", "BYSCORE", "LIMIT", "2", "9223372036854775807");
            t.check("ZRANGE", k, "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2", "LIMIT", "0", "1");
            t.check("ZRANGE", k, "0", "-1", "LIMIT", "0", "1");
            // Redis tells a missing LIMIT by count == -1, so this one is accepted.
            t.check("ZRANGE", k, "0", "-1", "LIMIT", "0", "-1");
            t.check("ZRANGE", k, "0", "-1", "LIMIT", "x", "1");
            t.check("ZRANGE", k, "0", "-1", "LIMIT", "0");
            t.check("ZRANGE", k, "-", "+", "BYLEX", "WITHSCORES");
            t.check("ZRANGE", k, "0", "1", "BYSCORE", "BYLEX");
            t.check("ZRANGE", k, "0", "1", "BYSCORE", "BYSCORE");
            t.check("ZRANGE", k, "0", "1", "REV", "REV");
            t.check("ZRANGE", k, "0", "1", "WITHSCORES", "WITHSCORES");
            t.check("ZRANGE", k, "0", "1", "FOO");
            t.check("ZRANGE", k, "a", "1", "BYSCORE");
            t.check("ZRANGE", k, "a", "1", "BYLEX");
            t.check("ZRANGE", k, "a", "1");
            t.check("ZRANGEBYSCORE", k, "1", "3", "LIMIT", "1", "1", "WITHSCORES");
            t.check("ZRANGEBYSCORE", k, "1", "3", "REV");
            t.check("ZRANGEBYSCORE", k, "1", "3", "BYLEX");
            t.check("ZRANGEBYSCORE", k, "1", "3", "BYSCORE");
            t.check("ZREVRANGEBYSCORE", k, "3", "1", "LIMIT", "1", "2", "WITHSCORES");
            t.check("ZREVRANGEBYSCORE", k, "1", "3");
            t.check("ZRANGEBYSCORE", k, "x", "3");
            t.check("ZRANGEBYSCORE", k + ":missing", "x", "3");
            t.check("ZRANGEBYSCORE", k + ":missing", "1", "3", "LIMIT", "0", "1");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zremrange(int protocol) {
        String k = "zremrange:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            String[] fill = {"ZADD", k, "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"};
            t.check(fill);
            t.check("ZREMRANGEBYRANK", k, "1", "2");
            t.check("ZREMRANGEBYRANK", k, "-1", "-1");
            t.check("ZREMRANGEBYRANK", k, "5", "10");
            t.check("ZREMRANGEBYRANK", k, "2", "1");
            t.check("ZRANGE", k, "0", "-1", "WITHSCORES");
            t.check("ZREMRANGEBYSCORE", k, "(1", "4");
            t.check("ZREMRANGEBYSCORE", k, "10", "1");
            t.check("ZRANGE", k, "0", "-1", "WITHSCORES");
            t.check("ZREMRANGEBYRANK", k, "0", "-1");
            t.check("EXISTS", k);
            t.check(fill);
            t.check("ZREMRANGEBYSCORE", k, "-inf", "+inf");
            t.check("EXISTS", k);
            t.check("ZADD", k, "0", "a", "0", "b", "0", "c", "0", "d");
            t.check("ZREMRANGEBYLEX", k, "(a", "[c");
            t.check("ZRANGE", k, "0", "-1");
            t.check("ZREMRANGEBYLEX", k, "-", "+");
            t.check("EXISTS", k);
            t.check("ZREMRANGEBYRANK", k, "x", "1");
            t.check("ZREMRANGEBYRANK", k, "0", "1.5");
            t.check("ZREMRANGEBYSCORE", k, "x", "1");
            t.check("ZREMRANGEBYLEX", k, "x", "+");
            t.check("ZREMRANGEBYRANK", k + ":missing", "0", "-1");
            t.check("ZREMRANGEBYSCORE", k + ":missing", "-inf", "inf");
            t.check("ZREMRANGEBYLEX", k + ":missing", "-", "+");
            t.check("ZREMRANGEBYRANK", k, "0");
            t.check("SET", k + ":str", "v");
            t.check("ZREMRANGEBYRANK", k + ":str", "0", "-1");
            t.check("ZREMRANGEBYSCORE", k + ":str", "0", "1");
            t.check("ZREMRANGEBYLEX", k + ":str", "-", "+");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zpop(int protocol) {
        String k = "zpop:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", k, "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "0.1", "f");
            t.check("ZPOPMIN", k);
            t.check("ZPOPMAX", k);
            t.check("ZPOPMIN", k, "2");
            t.check("ZPOPMAX", k, "1");
            t.check("ZPOPMIN", k, "0");
            t.check("ZPOPMIN", k, "-1");
            t.check("ZPOPMIN", k, "x");
            t.check("ZPOPMIN", k, "1", "2");
            t.check("ZPOPMAX", k, "100");
            t.check("EXISTS", k);
            t.check("ZPOPMIN", k);
            t.check("ZPOPMIN", k, "3");
            t.check("ZPOPMAX", k + ":missing", "0");
            t.check("ZPOPMAX", k + ":missing", "-1");
            t.check("ZPOPMIN");
            t.check("SET", k + ":str", "v");
            t.check("ZPOPMIN", k + ":str");
            t.check("ZPOPMAX", k + ":str", "0");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zrandmemberDeterministicCases(int protocol) {
        String k = "zrand:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", k, "1", "a", "2", "b", "3", "c");
            t.check("ZRANDMEMBER", k + ":missing");
            t.check("ZRANDMEMBER", k + ":missing", "5");
            t.check("ZRANDMEMBER", k + ":missing", "-5", "WITHSCORES");
            t.check("ZRANDMEMBER", k, "0");
            t.check("ZRANDMEMBER", k, "0", "WITHSCORES");
            // A count reaching the size returns the whole set, from the highest score down.
            t.check("ZRANDMEMBER", k, "3");
            t.check("ZRANDMEMBER", k, "10", "WITHSCORES");
            t.check("ZRANDMEMBER", k, "x");
            t.check("ZRANDMEMBER", k, "1.5");
            t.check("ZRANDMEMBER", k, "1", "WITHSCORE");
            t.check("ZRANDMEMBER", k, "1", "WITHSCORES", "x");
            t.check("ZRANDMEMBER", k, "-9223372036854775808");
            t.check("ZRANDMEMBER", k, "9223372036854775807", "WITHSCORES");
            t.check("ZRANDMEMBER", k, "-9223372036854775807", "WITHSCORES");
            t.check("ZRANDMEMBER", k, "4611686018427387904", "WITHSCORES");
            t.check("SET", k + ":str", "v");
            t.check("ZRANDMEMBER", k + ":str");
            t.check("ZRANDMEMBER", k + ":str", "1");
            t.check("ZRANDMEMBER", k + ":str", "x");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zscanSmallSets(int protocol) {
        String k = "zscan:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", k, "1", "apple", "2.5", "banana", "-inf", "cherry", "0.1", "avocado", "inf", "apricot");
            t.check("ZSCAN", k, "0");
            t.check("ZSCAN", k, "0", "MATCH", "a*");
            t.check("ZSCAN", k, "0", "MATCH", "*an*", "COUNT", "1");
            t.check("ZSCAN", k, "0", "match", "*");
            t.check("ZSCAN", k, "0", "MATCH", "[ab]?*");
            t.check("ZSCAN", k, "0", "MATCH", "nothing");
            t.check("ZSCAN", k, "7", "COUNT", "2");
            t.check("ZSCAN", k, "");
            t.check("ZSCAN", k, "-1");
            t.check("ZSCAN", k, "+5");
            t.check("ZSCAN", k, "x");
            t.check("ZSCAN", k, " 0");
            t.check("ZSCAN", k, "18446744073709551616");
            t.check("ZSCAN", k, "0", "COUNT", "0");
            t.check("ZSCAN", k, "0", "COUNT", "x");
            t.check("ZSCAN", k, "0", "COUNT");
            t.check("ZSCAN", k, "0", "TYPE", "zset");
            t.check("ZSCAN", k, "0", "FOO", "bar");
            t.check("ZSCAN", k + ":missing", "0");
            t.check("ZSCAN", k + ":missing", "0", "FOO");
            t.check("ZSCAN", k + ":missing", "x");
            t.check("ZSCAN", k);
            t.check("SET", k + ":str", "v");
            t.check("ZSCAN", k + ":str", "0");
            t.check("ZSCAN", k + ":str", "0", "FOO");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zunionstoreAndZinterstore(int protocol) {
        String p = "zstore:" + protocol + ":";
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", p + "a", "1", "x", "2", "y", "3", "z", "0.1", "w");
            t.check("ZADD", p + "b", "10", "y", "20", "z", "30", "v", "0.2", "w");
            t.check("ZADD", p + "c", "inf", "x", "-inf", "y", "5", "z");
            String[][] calls = {
                {"2", p + "a", p + "b"},
                {"2", p + "a", p + "b", "WEIGHTS", "2", "0.5"},
                {"2", p + "a", p + "b", "AGGREGATE", "MIN"},
                {"2", p + "a", p + "b", "AGGREGATE", "max", "WEIGHTS", "-1", "3"},
                {"3", p + "a", p + "b", p + "c"},
                {"3", p + "a", p + "b", p + "c", "WEIGHTS", "0", "1", "1"},
                {"3", p + "a", p + "b", p + "c", "WEIGHTS", "1", "1", "0", "AGGREGATE", "MIN"},
                {"2", p + "c", p + "c", "WEIGHTS", "1", "-1"},
                {"2", p + "a", p + "missing"},
                {"1", p + "missing"},
                {"1", p + "a", "WEIGHTS", "inf"},
                {"3", p + "a", p + "a", p + "a", "WEIGHTS", "0.1", "0.2", "0.3"},
                {"1", p + "c", "WEIGHTS", "-0"},
            };
            for (String[] call : calls) {
                for (String cmd : List.of("ZUNIONSTORE", "ZINTERSTORE")) {
                    t.check(concat(new String[] {cmd, p + "dst"}, call));
                    t.check("ZRANGE", p + "dst", "0", "-1", "WITHSCORES");
                    t.check("EXISTS", p + "dst");
                }
            }
            // The destination may be an input, and any type is overwritten.
            t.check("ZUNIONSTORE", p + "a", "2", p + "a", p + "b");
            t.check("ZRANGE", p + "a", "0", "-1", "WITHSCORES");
            t.check("SET", p + "str", "v");
            t.check("ZINTERSTORE", p + "str", "1", p + "b");
            t.check("TYPE", p + "str");
            t.check("ZRANGE", p + "str", "0", "-1", "WITHSCORES");
            t.check("ZINTERSTORE", p + "str", "1", p + "missing");
            t.check("EXISTS", p + "str");
        }
    }

    /** Plain sets are accepted as inputs, each member with score 1. */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zstoreWithSetInputs(int protocol) {
        String p = "zstoreset:" + protocol + ":";
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", p + "a", "1", "x", "2", "y", "3", "z", "0.1", "w");
            t.check("SADD", p + "s", "x", "z", "q");
            t.check("SADD", p + "t", "z", "q", "r", "s");
            String[][] calls = {
                {"2", p + "a", p + "s"},
                {"2", p + "s", p + "a", "WEIGHTS", "3", "1", "AGGREGATE", "SUM"},
                {"2", p + "s", p + "t", "AGGREGATE", "MAX"},
                {"3", p + "s", p + "t", p + "a", "WEIGHTS", "0.5", "inf", "2"},
            };
            for (String[] call : calls) {
                for (String cmd : List.of("ZUNIONSTORE", "ZINTERSTORE")) {
                    t.check(concat(new String[] {cmd, p + "dst"}, call));
                    t.check("ZRANGE", p + "dst", "0", "-1", "WITHSCORES");
                }
            }
            // A set destination is overwritten like any other type.
            t.check("ZUNIONSTORE", p + "s", "1", p + "a");
            t.check("TYPE", p + "s");
            t.check("ZRANGE", p + "s", "0", "-1", "WITHSCORES");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zunionstoreErrors(int protocol) {
        String p = "zstoreerr:" + protocol + ":";
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", p + "a", "1", "x");
            t.check("SET", p + "str", "v");
            for (String cmd : List.of("ZUNIONSTORE", "ZINTERSTORE")) {
                t.check(cmd, p + "d", "0", p + "a");
                t.check(cmd, p + "d", "-1", p + "a");
                t.check(cmd, p + "d", "x", p + "a");
                t.check(cmd, p + "d", "2", p + "a");
                t.check(cmd, p + "d", "1");
                t.check(cmd, p + "d", "1", p + "a", "WEIGHTS");
                t.check(cmd, p + "d", "1", p + "a", "WEIGHTS", "x");
                t.check(cmd, p + "d", "1", p + "a", "WEIGHTS", "nan");
                t.check(cmd, p + "d", "1", p + "a", "WEIGHTS", "1", "2");
                t.check(cmd, p + "d", "1", p + "a", "AGGREGATE", "AVG");
                t.check(cmd, p + "d", "1", p + "a", "AGGREGATE");
                t.check(cmd, p + "d", "1", p + "a", "WITHSCORES");
                t.check(cmd, p + "d", "1", p + "a", "FOO");
                t.check(cmd, p + "d", "2", p + "a", p + "str");
                t.check(cmd, p + "d", "2", p + "a", p + "str", "WEIGHTS", "x", "y");
                t.check(cmd, p + "d", "1", p + "str", "FOO");
                t.check("EXISTS", p + "d");
            }
        }
    }

    /**
     * COMMAND INFO (arity, flags, key positions, categories, tips, key specs) as Redis 7.0, except
     * ZRANK/ZREVRANK (arity -3, Redis 7.2's WITHSCORE) and ZUNIONSTORE/ZINTERSTORE (movable keys,
     * not declared; see SortedSetStoreCommands).
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void commandInfo(int protocol) {
        try (ZSetTwins t = twins(protocol)) {
            for (String cmd : List.of("zadd", "zincrby", "zrem", "zscore", "zmscore", "zcard", "zcount", "zlexcount",
                    "zrange", "zrangebyscore", "zrevrangebyscore", "zrangebylex", "zrevrangebylex", "zrevrange",
                    "zremrangebyrank", "zremrangebyscore", "zremrangebylex", "zpopmin", "zpopmax", "zrandmember",
                    "zscan")) {
                t.check("COMMAND", "INFO", cmd);
            }
            t.check("COMMAND", "GETKEYS", "ZADD", "k", "1", "m");
            t.check("COMMAND", "GETKEYS", "ZRANGE", "k", "0", "-1");
        }
    }

    /** Sorted-set commands inside MULTI/EXEC, and WATCH seeing their writes. */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void transactions(int protocol) {
        String k = "multi:" + protocol + ":";
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", k + "a", "1", "x", "2", "y");
            t.check("MULTI");
            t.check("ZADD", k + "b", "5", "y", "6", "z");
            t.check("ZUNIONSTORE", k + "u", "2", k + "a", k + "b");
            t.check("ZINTERSTORE", k + "i", "2", k + "a", k + "b", "AGGREGATE", "MIN");
            t.check("ZRANGE", k + "u", "0", "-1", "WITHSCORES");
            t.check("ZPOPMIN", k + "i");
            t.check("ZADD", k + "a", "NX", "XX", "1", "x");
            t.check("EXEC");
            t.check("WATCH", k + "a");
            try (ZSetTwins other = twins(protocol)) {
                other.check("ZINCRBY", k + "a", "1", "x");
            }
            t.check("MULTI");
            t.check("ZCARD", k + "a");
            t.check("EXEC");
        }
    }

    /** Reads count as keyspace hits or misses, writes do not, as in Redis (INFO stats compared as differences). */
    @ParameterizedTest
    @ValueSource(ints = {2})
    void keyspaceHitsAndMisses(int protocol) {
        String k = "stats:" + protocol;
        try (ZSetTwins t = twins(protocol)) {
            long[] redisBefore = hitsAndMisses(t.redis.call("INFO", "stats"));
            long[] convergeBefore = hitsAndMisses(t.converge.call("INFO", "stats"));
            String[][] commands = {
                {"ZADD", k, "1", "a"}, {"ZADD", k + ":m", "XX", "1", "a"}, {"ZINCRBY", k, "1", "a"},
                {"ZREM", k + ":m", "a"}, {"ZREM", k, "zz"}, {"ZPOPMIN", k + ":m"}, {"ZREMRANGEBYRANK", k + ":m", "0", "1"},
                {"ZSCORE", k, "a"}, {"ZSCORE", k + ":m", "a"}, {"ZCARD", k}, {"ZRANGE", k, "0", "-1"},
                {"ZRANGEBYSCORE", k + ":m", "0", "1"}, {"ZRANK", k, "a"}, {"ZRANDMEMBER", k}, {"ZSCAN", k, "0"},
                {"ZUNIONSTORE", k + ":d", "2", k, k + ":m"}, {"ZCOUNT", k, "0", "1"}, {"ZLEXCOUNT", k + ":m", "-", "+"},
                {"ZUNION", "2", k, k + ":m"}, {"ZINTER", "1", k, "WITHSCORES"}, {"ZDIFF", "2", k + ":m", k},
                {"ZINTERCARD", "2", k, k + ":m", "LIMIT", "1"}, {"ZDIFFSTORE", k + ":d2", "2", k, k + ":m"},
                {"ZDIFFSTORE", k + ":d", "1", k},
            };
            for (String[] c : commands) {
                t.check(c);
            }
            long[] redisAfter = hitsAndMisses(t.redis.call("INFO", "stats"));
            long[] convergeAfter = hitsAndMisses(t.converge.call("INFO", "stats"));
            assertThat(new long[] {convergeAfter[0] - convergeBefore[0], convergeAfter[1] - convergeBefore[1]})
                    .isEqualTo(new long[] {redisAfter[0] - redisBefore[0], redisAfter[1] - redisBefore[1]});
        }
    }

    private static long[] hitsAndMisses(Object info) {
        String text = info instanceof Bulk b ? b.text() : String.valueOf(info);
        long hits = -1;
        long misses = -1;
        for (String line : text.split("\r\n")) {
            if (line.startsWith("keyspace_hits:")) {
                hits = Long.parseLong(line.substring(14));
            } else if (line.startsWith("keyspace_misses:")) {
                misses = Long.parseLong(line.substring(16));
            }
        }
        return new long[] {hits, misses};
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
