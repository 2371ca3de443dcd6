package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.ServerTarget;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The hash and set commands through real client libraries (Lettuce and Jedis, RESP2 and
 * RESP3), the way applications call them: the same calls against redis-server and Converge
 * must give equal results (collections compared order-free where Redis's order is open), and
 * the random commands must give results of the right shape and membership.
 */
class HashSetClientLibrariesTest extends DataDifferentialTestBase {

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void lettuceSeesTheSameHashesAndSets(int protocol) {
        List<Object> expected = withLettuce(redis, protocol, this::lettuceWorkload);
        List<Object> actual = withLettuce(converge, protocol, this::lettuceWorkload);
        assertThat(actual).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void jedisSeesTheSameHashesAndSets(int protocol) {
        List<Object> expected = withJedis(redis, protocol, this::jedisWorkload);
        List<Object> actual = withJedis(converge, protocol, this::jedisWorkload);
        assertThat(actual).isEqualTo(expected);
    }

    private List<Object> lettuceWorkload(RedisCommands<String, String> c) {
        List<Object> r = new ArrayList<>();
        r.add(c.hset("h", Map.of("a", "1", "b", "2", "c", "3")));
        r.add(c.hset("h", "a", "10"));
        r.add(c.hsetnx("h", "a", "x"));
        r.add(c.hget("h", "a"));
        r.add(c.hmget("h", "a", "zz", "b").toString());
        r.add(c.hmset("h", Map.of("d", "4")));
        r.add(new TreeMap<>(c.hgetall("h")));
        r.add(new TreeSet<>(c.hkeys("h")));
        r.add(new TreeSet<>(c.hvals("h")));
        r.add(c.hlen("h"));
        r.add(c.hexists("h", "d"));
        r.add(c.hstrlen("h", "a"));
        r.add(c.hincrby("h", "n", 41));
        r.add(c.hincrby("h", "n", 1));
        r.add(c.hincrbyfloat("h", "f", 2.5));
        r.add(c.hincrbyfloat("h", "f", 0.25));
        r.add(c.hdel("h", "d", "zz"));
        r.add(new TreeMap<>(c.hgetall("nokey")));
        r.add(error(() -> c.hincrby("h", "f", 1)));
        r.add(error(() -> c.sadd("h", "x")));
        Map<String, String> scanned = new TreeMap<>();
        ScanIterator.hscan(c, "h", ScanArgs.Builder.limit(2)).forEachRemaining(kv -> scanned.put(kv.getKey(), kv.getValue()));
        r.add(scanned);
        Map<String, String> hash = c.hgetall("h");
        assertThat(hash).containsKey(c.hrandfield("h"));
        List<KeyValue<String, String>> picks = c.hrandfieldWithvalues("h", -10);
        assertThat(picks).hasSize(10).allSatisfy(kv -> assertThat(hash).containsEntry(kv.getKey(), kv.getValue()));
        assertThat(c.hrandfield("h", 3)).hasSize(3).doesNotHaveDuplicates();

        r.add(c.sadd("s", "a", "b", "c", "d"));
        r.add(c.sadd("t", "c", "d", "e"));
        r.add(c.srem("s", "a", "zz"));
        r.add(new TreeSet<>(c.smembers("s")));
        r.add(c.sismember("s", "b"));
        r.add(c.smismember("s", "b", "zz"));
        r.add(c.scard("s"));
        r.add(new TreeSet<>(c.sinter("s", "t")));
        r.add(new TreeSet<>(c.sunion("s", "t")));
        r.add(new TreeSet<>(c.sdiff("s", "t")));
        r.add(c.sinterstore("i", "s", "t"));
        r.add(c.sunionstore("u", "s", "t"));
        r.add(c.sdiffstore("d", "s", "t"));
        r.add(new TreeSet<>(c.smembers("u")));
        r.add(c.sintercard("s", "t"));
        r.add(c.sintercard(1, "s", "t"));
        r.add(c.smove("s", "t", "b"));
        r.add(new TreeSet<>(c.smembers("t")));
        Set<String> scannedMembers = new TreeSet<>();
        ScanIterator.sscan(c, "u", ScanArgs.Builder.limit(1)).forEachRemaining(scannedMembers::add);
        r.add(scannedMembers);
        Set<String> members = c.smembers("u");
        assertThat(members).contains(c.srandmember("u"));
        assertThat(c.srandmember("u", -7)).hasSize(7).allMatch(members::contains);
        Set<String> popped = new TreeSet<>(c.spop("u", 2));
        assertThat(popped).hasSize(2).allMatch(members::contains);
        r.add(c.scard("u"));
        popped.addAll(c.spop("u", 10));
        r.add(popped.equals(new TreeSet<>(members)));
        r.add(c.exists("u"));
        r.add(error(() -> c.spop("h")));
        return r;
    }

    private List<Object> jedisWorkload(Jedis j) {
        List<Object> r = new ArrayList<>();
        r.add(j.hset("h", Map.of("a", "1", "b", "2", "c", "3")));
        r.add(j.hset("h", "a", "10"));
        r.add(j.hsetnx("h", "a", "x"));
        r.add(j.hget("h", "a"));
        r.add(j.hmget("h", "a", "zz", "b"));
        r.add(j.hmset("h", Map.of("d", "4")));
        r.add(new TreeMap<>(j.hgetAll("h")));
        r.add(new TreeSet<>(j.hkeys("h")));
        r.add(new TreeSet<>(j.hvals("h")));
        r.add(j.hlen("h"));
        r.add(j.hexists("h", "d"));
        r.add(j.hstrlen("h", "a"));
        r.add(j.hincrBy("h", "n", 41));
        r.add(j.hincrByFloat("h", "f", 2.5));
        r.add(j.hdel("h", "d", "zz"));
        r.add(error(() -> j.hincrBy("h", "f", 1)));
        r.add(error(() -> j.sadd("h", "x")));
        Map<String, String> scanned = new TreeMap<>();
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            ScanResult<Map.Entry<String, String>> page = j.hscan("h", cursor, new ScanParams().count(2).match("*"));
            page.getResult().forEach(e -> scanned.put(e.getKey(), e.getValue()));
            cursor = page.getCursor();
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        r.add(scanned);
        Map<String, String> hash = j.hgetAll("h");
        assertThat(hash).containsKey(j.hrandfield("h"));
        List<Map.Entry<String, String>> picks = j.hrandfieldWithValues("h", 3);
        assertThat(picks).hasSize(3).allSatisfy(e -> assertThat(hash).containsEntry(e.getKey(), e.getValue()));
        assertThat(new HashSet<>(j.hrandfield("h", 4))).hasSize(4);

        r.add(j.sadd("s", "a", "b", "c", "d"));
        r.add(j.sadd("t", "c", "d", "e"));
        r.add(j.srem("s", "a", "zz"));
        r.add(new TreeSet<>(j.smembers("s")));
        r.add(j.sismember("s", "b"));
        r.add(j.smismember("s", "b", "zz"));
        r.add(j.scard("s"));
        r.add(new TreeSet<>(j.sinter("s", "t")));
        r.add(new TreeSet<>(j.sunion("s", "t")));
        r.add(new TreeSet<>(j.sdiff("s", "t")));
        r.add(j.sinterstore("i", "s", "t"));
        r.add(j.sunionstore("u", "s", "t"));
        r.add(j.sdiffstore("d", "s", "t"));
        r.add(j.sintercard("s", "t"));
        r.add(j.sintercard(1, "s", "t"));
        r.add(j.smove("s", "t", "b"));
        r.add(new TreeSet<>(j.smembers("t")));
        Set<String> scannedMembers = new TreeSet<>();
        cursor = ScanParams.SCAN_POINTER_START;
        do {
            ScanResult<String> page = j.sscan("u", cursor, new ScanParams().count(1));
            scannedMembers.addAll(page.getResult());
            cursor = page.getCursor();
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        r.add(scannedMembers);
        Set<String> members = j.smembers("u");
        assertThat(members).contains(j.srandmember("u"));
        assertThat(j.srandmember("u", -7)).hasSize(7).allMatch(members::contains);
        Set<String> popped = new TreeSet<>(j.spop("u", 2));
        assertThat(popped).hasSize(2).allMatch(members::contains);
        r.add(j.scard("u"));
        popped.addAll(j.spop("u", 10));
        r.add(popped.equals(new TreeSet<>(members)));
        r.add(j.exists("u"));
        r.add(error(() -> j.spop("h")));
        return r;
    }

    /** The error message a call fails with (the same exception type on both targets). */
    private static String error(Supplier<?> call) {
        try {
            return "no error: " + call.get();
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    private static List<Object> withLettuce(ServerTarget target, int protocol,
            java.util.function.Function<RedisCommands<String, String>, List<Object>> workload) {
        RedisClient client = RedisClient.create(RedisURI.create(target.host(), target.port()));
        client.setOptions(ClientOptions.builder()
                .protocolVersion(protocol == 3 ? ProtocolVersion.RESP3 : ProtocolVersion.RESP2).build());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().flushall();
            return workload.apply(connection.sync());
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private static List<Object> withJedis(ServerTarget target, int protocol,
            java.util.function.Function<Jedis, List<Object>> workload) {
        DefaultJedisClientConfig config = DefaultJedisClientConfig.builder()
                .protocol(protocol == 3 ? RedisProtocol.RESP3 : RedisProtocol.RESP2).build();
        try (Jedis jedis = new Jedis(new HostAndPort(target.host(), target.port()), config)) {
            jedis.flushAll();
            return workload.apply(jedis);
        }
    }
}
