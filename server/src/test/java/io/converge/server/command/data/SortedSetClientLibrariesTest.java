package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.ServerTarget;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScoredValueScanCursor;
import io.lettuce.core.ZAddArgs;
import io.lettuce.core.ZStoreArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.ZAddParams;
import redis.clients.jedis.params.ZParams;
import redis.clients.jedis.params.ZRangeParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.resps.Tuple;

/**
 * The sorted-set commands through the Lettuce and Jedis client libraries, in RESP2 and RESP3:
 * the same script of calls runs against redis-server and against Converge, and every decoded
 * result (values, nulls, doubles, scored values, errors) must be the same.
 */
class SortedSetClientLibrariesTest extends DifferentialTestBase {

    /** Records each step's decoded result (or its error message) under a label. */
    private static final class Script {
        final List<String> results = new ArrayList<>();

        void step(String label, Supplier<?> call) {
            Object result;
            try {
                result = call.get();
            } catch (RuntimeException e) {
                result = "error: " + e.getMessage();
            }
            results.add(label + " -> " + render(result));
        }

        private static String render(Object o) {
            if (o instanceof ScoredValue<?> sv) {
                return sv.hasValue() ? sv.getValue() + "=" + sv.getScore() : "empty";
            }
            if (o instanceof Tuple t) {
                return t.getElement() + "=" + t.getScore();
            }
            if (o instanceof List<?> list) {
                List<String> items = new ArrayList<>();
                for (Object item : list) {
                    items.add(render(item));
                }
                return items.toString();
            }
            return String.valueOf(o);
        }
    }

    // ------------------------------------------------------------------ Lettuce

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void lettuce(int protocol) {
        String p = "lettuce:" + protocol + ":";
        assertThat(runLettuce(converge, protocol, p)).isEqualTo(runLettuce(redis, protocol, p));
    }

    private static List<String> runLettuce(ServerTarget target, int protocol, String p) {
        RedisClient client = RedisClient.create(RedisURI.create(target.host(), target.port()));
        client.setOptions(ClientOptions.builder()
                .protocolVersion(protocol == 3 ? ProtocolVersion.RESP3 : ProtocolVersion.RESP2).build());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> r = connection.sync();
            Script s = new Script();
            String k = p + "k";
            String lex = p + "lex";
            s.step("zadd", () -> r.zadd(k, ScoredValue.just(1, "a"), ScoredValue.just(2.5, "b"), ScoredValue.just(3, "c")));
            s.step("zadd nx ch", () -> r.zadd(k, ZAddArgs.Builder.nx().ch(), ScoredValue.just(9, "a"), ScoredValue.just(4, "d")));
            s.step("zadd xx gt ch", () -> r.zadd(k, ZAddArgs.Builder.xx().gt().ch(), 10, "b"));
            s.step("zadd lt", () -> r.zadd(k, ZAddArgs.Builder.lt(), 0.5, "a"));
            s.step("zaddincr", () -> r.zaddincr(k, 0.25, "a"));
            s.step("zaddincr xx missing", () -> r.zaddincr(k, ZAddArgs.Builder.xx(), 1, "nope"));
            s.step("zaddincr nan", () -> {
                r.zadd(k, Double.POSITIVE_INFINITY, "inf");
                return r.zaddincr(k, Double.NEGATIVE_INFINITY, "inf");
            });
            s.step("zincrby", () -> r.zincrby(k, 0.1, "e"));
            s.step("zscore", () -> r.zscore(k, "e"));
            s.step("zscore missing", () -> r.zscore(k, "nope"));
            s.step("zmscore", () -> r.zmscore(k, "a", "nope", "b"));
            s.step("zcard", () -> r.zcard(k));
            s.step("zcount", () -> r.zcount(k, Range.create(1, 4)));
            s.step("zcount exclusive", () -> r.zcount(k, Range.from(Range.Boundary.excluding(0.75), Range.Boundary.unbounded())));
            s.step("zrank", () -> r.zrank(k, "c"));
            s.step("zrevrank", () -> r.zrevrank(k, "c"));
            s.step("zrank missing", () -> r.zrank(k, "nope"));
            s.step("zrange", () -> r.zrange(k, 0, -1));
            s.step("zrangeWithScores", () -> r.zrangeWithScores(k, 1, -2));
            s.step("zrevrangeWithScores", () -> r.zrevrangeWithScores(k, 0, 2));
            s.step("zrangebyscore limit", () -> r.zrangebyscore(k, Range.create(0, 100), Limit.create(1, 2)));
            s.step("zrangebyscoreWithScores", () -> r.zrangebyscoreWithScores(k, Range.create(0.75, 4)));
            s.step("zrevrangebyscoreWithScores", () -> r.zrevrangebyscoreWithScores(k, Range.create(0, 4), Limit.create(0, 2)));
            s.step("zadd lex", () -> r.zadd(lex, 0.0, "alpha", 0.0, "beta", 0.0, "gamma", 0.0, "delta"));
            s.step("zrangebylex", () -> r.zrangebylex(lex, Range.create("b", "g")));
            s.step("zrangebylex limit", () -> r.zrangebylex(lex, Range.unbounded(), Limit.create(1, 2)));
            s.step("zrevrangebylex", () -> r.zrevrangebylex(lex, Range.from(Range.Boundary.excluding("alpha"), Range.Boundary.unbounded())));
            s.step("zlexcount", () -> r.zlexcount(lex, Range.create("alpha", "delta")));
            s.step("zremrangebylex", () -> r.zremrangebylex(lex, Range.create("beta", "delta")));
            s.step("zrange lex", () -> r.zrange(lex, 0, -1));
            s.step("zpopmin", () -> r.zpopmin(k));
            s.step("zpopmax 2", () -> r.zpopmax(k, 2));
            s.step("zpopmin empty", () -> r.zpopmin(p + "missing"));
            s.step("zadd more", () -> r.zadd(k, 1.0, "x", 2.0, "y", 3.0, "z"));
            s.step("zrandmember all", () -> r.zrandmember(k, 100));
            s.step("zrandmemberWithScores all", () -> r.zrandmemberWithScores(k, 100));
            s.step("zrandmember missing", () -> r.zrandmember(p + "missing"));
            s.step("zscan", () -> {
                ScoredValueScanCursor<String> c = r.zscan(k);
                return c.getCursor() + " " + c.isFinished() + " " + Script.render(c.getValues());
            });
            s.step("zscan match", () -> r.zscan(k, ScanCursor.INITIAL, ScanArgs.Builder.matches("[xy]")).getValues()
                    .stream().map(Script::render).toList());
            s.step("zremrangebyscore", () -> r.zremrangebyscore(k, Range.create(2, 3)));
            s.step("zremrangebyrank", () -> r.zremrangebyrank(k, 0, 0));
            s.step("zadd o", () -> r.zadd(p + "o", 5.0, "x", 6.0, "q", 7.0, "e"));
            s.step("zunionstore", () -> r.zunionstore(p + "u", ZStoreArgs.Builder.weights(2, 0.5).max(), k, p + "o"));
            s.step("zrangeWithScores u", () -> r.zrangeWithScores(p + "u", 0, -1));
            s.step("zinterstore", () -> r.zinterstore(p + "i", ZStoreArgs.Builder.sum(), k, p + "o"));
            s.step("zrangeWithScores i", () -> r.zrangeWithScores(p + "i", 0, -1));
            s.step("zrem", () -> r.zrem(k, "e", "nope"));
            s.step("zrange k", () -> r.zrangeWithScores(k, 0, -1));
            s.step("wrongtype", () -> {
                r.set(p + "str", "v");
                return r.zadd(p + "str", 1, "a");
            });
            return s.results;
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    // ------------------------------------------------------------------ Jedis

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void jedis(int protocol) {
        String p = "jedis:" + protocol + ":";
        assertThat(runJedis(converge, protocol, p)).isEqualTo(runJedis(redis, protocol, p));
    }

    private static List<String> runJedis(ServerTarget target, int protocol, String p) {
        DefaultJedisClientConfig config = DefaultJedisClientConfig.builder()
                .protocol(protocol == 3 ? RedisProtocol.RESP3 : RedisProtocol.RESP2).build();
        try (Jedis j = new Jedis(target.host(), target.port(), config)) {
            Script s = new Script();
            String k = p + "k";
            String lex = p + "lex";
            Map<String, Double> members = new LinkedHashMap<>();
            members.put("a", 1.0);
            members.put("b", 2.5);
            members.put("c", 3.0);
            s.step("zadd", () -> j.zadd(k, members));
            s.step("zadd nx ch", () -> j.zadd(k, Map.of("a", 9.0, "d", 4.0), ZAddParams.zAddParams().nx().ch()));
            s.step("zadd xx gt ch", () -> j.zadd(k, 10, "b", ZAddParams.zAddParams().xx().gt().ch()));
            s.step("zaddIncr", () -> j.zaddIncr(k, 0.25, "a", ZAddParams.zAddParams()));
            s.step("zaddIncr nx existing", () -> j.zaddIncr(k, 1, "a", ZAddParams.zAddParams().nx()));
            s.step("zincrby", () -> j.zincrby(k, 0.1, "e"));
            s.step("zincrby nan", () -> {
                j.zadd(k, Double.POSITIVE_INFINITY, "inf");
                return j.zincrby(k, Double.NEGATIVE_INFINITY, "inf");
            });
            s.step("zscore", () -> j.zscore(k, "e"));
            s.step("zscore missing", () -> j.zscore(k, "nope"));
            s.step("zmscore", () -> j.zmscore(k, "a", "nope", "inf"));
            s.step("zcard", () -> j.zcard(k));
            s.step("zcount", () -> j.zcount(k, "(1", "+inf"));
            s.step("zrank", () -> j.zrank(k, "c"));
            s.step("zrevrank", () -> j.zrevrank(k, "c"));
            s.step("zrank missing", () -> j.zrank(k, "nope"));
            s.step("zrange", () -> j.zrange(k, 0, -1));
            s.step("zrangeWithScores", () -> j.zrangeWithScores(k, 0, -1));
            s.step("zrevrangeWithScores", () -> j.zrevrangeWithScores(k, 1, 3));
            s.step("zrange byscore rev limit", () -> j.zrange(k, ZRangeParams.zrangeByScoreParams(10, 0).rev().limit(1, 2)));
            s.step("zrangeWithScores byscore", () -> j.zrangeWithScores(k, ZRangeParams.zrangeByScoreParams(1, 4)));
            s.step("zrangeByScore limit", () -> j.zrangeByScore(k, "-inf", "+inf", 1, 3));
            s.step("zrevrangeByScoreWithScores", () -> j.zrevrangeByScoreWithScores(k, "+inf", "(2"));
            s.step("zadd lex", () -> j.zadd(lex, Map.of("alpha", 0.0, "beta", 0.0, "gamma", 0.0, "delta", 0.0)));
            s.step("zrangeByLex", () -> j.zrangeByLex(lex, "[b", "[g"));
            s.step("zrevrangeByLex limit", () -> j.zrevrangeByLex(lex, "+", "-", 1, 2));
            s.step("zrange bylex", () -> j.zrange(lex, ZRangeParams.zrangeByLexParams("(alpha", "+")));
            s.step("zlexcount", () -> j.zlexcount(lex, "-", "(delta"));
            s.step("zremrangeByLex", () -> j.zremrangeByLex(lex, "[beta", "[delta"));
            s.step("zpopmin", () -> j.zpopmin(k));
            s.step("zpopmax 2", () -> j.zpopmax(k, 2));
            s.step("zpopmin missing", () -> j.zpopmin(p + "missing"));
            s.step("zrandmember all", () -> j.zrandmember(k, 50));
            s.step("zrandmemberWithScores all", () -> j.zrandmemberWithScores(k, 50));
            s.step("zrandmember missing", () -> j.zrandmember(p + "missing"));
            s.step("zscan", () -> {
                ScanResult<Tuple> r = j.zscan(k, "0", new ScanParams().count(5));
                return r.getCursor() + " " + Script.render(r.getResult());
            });
            s.step("zremrangeByScore", () -> j.zremrangeByScore(k, "-inf", "(1"));
            s.step("zremrangeByRank", () -> j.zremrangeByRank(k, -1, -1));
            s.step("zadd o", () -> j.zadd(p + "o", Map.of("a", 5.0, "q", 6.0, "e", 7.0)));
            s.step("zunionstore", () -> j.zunionstore(p + "u", new ZParams().weights(2, 3).aggregate(ZParams.Aggregate.MIN), k, p + "o"));
            s.step("zrangeWithScores u", () -> j.zrangeWithScores(p + "u", 0, -1));
            s.step("zinterstore", () -> j.zinterstore(p + "i", k, p + "o"));
            s.step("zrangeWithScores i", () -> j.zrangeWithScores(p + "i", 0, -1));
            s.step("zrem", () -> j.zrem(k, "a", "nope"));
            s.step("final", () -> new TreeMap<>(Map.of("k", Script.render(j.zrangeWithScores(k, 0, -1)))));
            s.step("wrongtype", () -> {
                j.set(p + "str", "v");
                return j.zcard(p + "str");
            });
            return s.results;
        }
    }

    /** Jedis's zrankWithScore uses Redis 7.2's WITHSCORE, checked against Converge alone. */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void jedisZrankWithScore(int protocol) {
        DefaultJedisClientConfig config = DefaultJedisClientConfig.builder()
                .protocol(protocol == 3 ? RedisProtocol.RESP3 : RedisProtocol.RESP2).build();
        try (Jedis j = new Jedis(converge.host(), converge.port(), config)) {
            String k = "jedisrank:" + protocol;
            j.zadd(k, Map.of("a", 1.5, "b", 2.0));
            assertThat(j.zrankWithScore(k, "b").getKey()).isEqualTo(1L);
            assertThat(j.zrankWithScore(k, "b").getValue()).isEqualTo(2.0);
            assertThat(j.zrankWithScore(k, "nope")).isNull();
        }
    }
}
