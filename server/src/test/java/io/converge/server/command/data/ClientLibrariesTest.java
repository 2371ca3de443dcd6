package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.ServerTarget;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.ExpireArgs;
import io.lettuce.core.GetExArgs;
import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.args.ExpiryOption;
import redis.clients.jedis.params.GetExParams;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Key and string commands through the real client libraries (Lettuce and Jedis, RESP2 and
 * RESP3): the same program runs against redis-server and Converge and every result, errors
 * included, must be equal — what users of those libraries rely on.
 */
class ClientLibrariesTest extends DataDifferentialTestBase {
    private ClientResources resources;

    @BeforeAll
    void startResources() {
        resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1).build();
    }

    @AfterAll
    void stopResources() {
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    /** Runs {@code program} against both servers and asserts equal transcripts. */
    private void sameTranscript(Function<ServerTarget, List<Object>> program) {
        List<Object> expected = program.apply(redis);
        flushBoth();
        List<Object> actual = program.apply(converge);
        List<String> diffs = new ArrayList<>();
        for (int i = 0; i < Math.max(expected.size(), actual.size()); i++) {
            Object e = i < expected.size() ? expected.get(i) : "<missing>";
            Object a = i < actual.size() ? actual.get(i) : "<missing>";
            if (!String.valueOf(e).equals(String.valueOf(a))) {
                diffs.add("#" + i + " redis: " + e + " | converge: " + a);
            }
        }
        assertThat(diffs).as("results that differ").isEmpty();
    }

    /** The call's result, or its error message (client libraries throw on error replies). */
    private static Object attempt(Callable<?> call) {
        try {
            return call.call();
        } catch (Exception e) {
            return "error: " + e.getMessage();
        }
    }

    // ------------------------------------------------------------------ Lettuce

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void lettuce(int protocol) {
        sameTranscript(target -> {
            RedisClient client = RedisClient.create(resources, RedisURI.create("127.0.0.1", target.port()));
            client.setOptions(ClientOptions.builder()
                    .protocolVersion(protocol == 3 ? ProtocolVersion.RESP3 : ProtocolVersion.RESP2).build());
            try (StatefulRedisConnection<String, String> conn = client.connect()) {
                conn.setTimeout(Duration.ofSeconds(5));
                return lettuceProgram(conn.sync());
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        });
    }

    private static List<Object> lettuceProgram(RedisCommands<String, String> r) {
        List<Object> out = new ArrayList<>();
        out.add(r.set("s", "hello"));
        out.add(r.get("s"));
        out.add(r.get("missing"));
        out.add(r.set("s", "x", SetArgs.Builder.nx()));
        out.add(r.set("n", "x", SetArgs.Builder.xx()));
        out.add(r.set("t", "v", SetArgs.Builder.ex(100)));
        out.add(r.ttl("t"));
        out.add(r.set("t", "w", SetArgs.Builder.keepttl()));
        out.add(r.ttl("t"));
        out.add(r.setGet("s", "world"));
        out.add(r.setGet("fresh", "v"));
        out.add(attempt(() -> r.set("t", "v", SetArgs.Builder.ex(0))));
        out.add(r.setnx("s", "no"));
        out.add(r.setex("e", 50, "v"));
        out.add(r.ttl("e"));
        out.add(r.psetex("p", 60_000, "v"));
        out.add(r.ttl("p"));
        out.add(r.getset("s", "again"));
        out.add(r.getdel("s"));
        out.add(r.exists("s"));
        out.add(r.getex("e", GetExArgs.Builder.persist()));
        out.add(r.ttl("e"));
        out.add(r.getex("e", GetExArgs.Builder.exAt(4102444800L)));
        out.add(r.expiretime("e"));
        Map<String, String> values = new LinkedHashMap<>();
        values.put("m1", "1");
        values.put("m2", "2");
        out.add(r.mset(values));
        out.add(r.msetnx(Map.of("m1", "x", "m3", "y")));
        List<String> mget = new ArrayList<>();
        for (KeyValue<String, String> kv : r.mget("m1", "m2", "m3", "missing")) {
            mget.add(kv.toString());
        }
        out.add(mget);
        out.add(r.append("m1", "23"));
        out.add(r.strlen("m1"));
        out.add(r.getrange("m1", 0, -2));
        out.add(r.setrange("m1", 5, "x"));
        out.add(r.get("m1"));
        out.add(r.incr("c"));
        out.add(r.incrby("c", 41));
        out.add(r.decr("c"));
        out.add(r.decrby("c", 10));
        out.add(r.incrbyfloat("f", 1.5));
        out.add(r.incrbyfloat("f", -0.25));
        out.add(attempt(() -> r.incr("m1")));
        out.add(r.expire("c", 100, ExpireArgs.Builder.nx()));
        out.add(r.expire("c", 50, ExpireArgs.Builder.gt()));
        out.add(r.expire("c", 50, ExpireArgs.Builder.lt()));
        out.add(r.ttl("c"));
        out.add(r.pexpireat("c", 4102444800123L));
        out.add(r.pexpiretime("c"));
        out.add(r.persist("c"));
        out.add(r.ttl("c"));
        out.add(r.type("c"));
        out.add(r.type("missing"));
        out.add(r.touch("c", "m1", "missing"));
        out.add(r.rename("c", "c2"));
        out.add(attempt(() -> r.rename("nokey", "x")));
        out.add(r.renamenx("c2", "m1"));
        out.add(new TreeSet<>(r.keys("m*")));
        TreeSet<String> scanned = new TreeSet<>();
        KeyScanCursor<String> cursor = r.scan(KeyScanArgs.Builder.limit(3).match("*"));
        scanned.addAll(cursor.getKeys());
        while (!cursor.isFinished()) {
            cursor = r.scan(ScanCursor.of(cursor.getCursor()), KeyScanArgs.Builder.limit(3));
            scanned.addAll(cursor.getKeys());
        }
        out.add(scanned);
        out.add(r.dbsize());
        out.add(r.del("m1", "m2", "missing"));
        out.add(r.unlink("m3"));
        r.multi();
        r.set("tx", "1");
        r.incr("tx");
        r.get("tx");
        TransactionResult tx = r.exec();
        out.add(tx.wasDiscarded());
        out.add(new ArrayList<>(tx.stream().toList()));
        out.add(r.flushall());
        out.add(r.randomkey());
        out.add(r.dbsize());
        return out;
    }

    // ------------------------------------------------------------------ Jedis

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void jedis(int protocol) {
        sameTranscript(target -> {
            DefaultJedisClientConfig config = DefaultJedisClientConfig.builder()
                    .protocol(protocol == 3 ? RedisProtocol.RESP3 : RedisProtocol.RESP2).timeoutMillis(5000).build();
            try (Jedis j = new Jedis(new HostAndPort("127.0.0.1", target.port()), config)) {
                return jedisProgram(j);
            }
        });
    }

    private static List<Object> jedisProgram(Jedis j) {
        List<Object> out = new ArrayList<>();
        out.add(j.set("s", "hello"));
        out.add(j.get("s"));
        out.add(j.get("missing"));
        out.add(j.set("s", "x", SetParams.setParams().nx()));
        out.add(j.set("t", "v", SetParams.setParams().px(100_000)));
        out.add(j.ttl("t"));
        out.add(j.set("t", "v", SetParams.setParams().exAt(4102444800L)));
        out.add(j.expireTime("t"));
        out.add(j.setGet("s", "world", SetParams.setParams().xx()));
        out.add(attempt(() -> j.set("t", "v", SetParams.setParams().ex(-1))));
        out.add(j.setnx("s", "no"));
        out.add(j.setex("e", 50, "v"));
        out.add(j.psetex("p", 60_000, "v"));
        out.add(j.ttl("p"));
        out.add(j.getSet("s", "again"));
        out.add(j.getDel("s"));
        out.add(j.getDel("s"));
        out.add(j.getEx("e", GetExParams.getExParams().ex(500)));
        out.add(j.ttl("e"));
        out.add(j.getEx("e", GetExParams.getExParams().pxAt(4102444800999L)));
        out.add(j.pexpireTime("e"));
        out.add(j.mset("a", "1", "b", "2"));
        out.add(j.msetnx("a", "9", "z", "9"));
        out.add(j.mget("a", "b", "z"));
        out.add(j.append("a", "0"));
        out.add(j.strlen("a"));
        out.add(j.getrange("a", -1, -1));
        out.add(j.setrange("b", 3, "x"));
        out.add(j.get("b").replace('\0', '0'));
        out.add(j.incr("a"));
        out.add(j.incrBy("a", -20));
        out.add(j.decrBy("a", 1));
        out.add(j.decr("a"));
        out.add(j.incrByFloat("f", 2.5));
        out.add(attempt(() -> j.incrBy("b", 1)));
        out.add(attempt(() -> j.incrByFloat("b", 1)));
        out.add(j.expire("a", 100, ExpiryOption.XX));
        out.add(j.expire("a", 100, ExpiryOption.NX));
        out.add(j.pexpire("a", 1_000_000, ExpiryOption.GT));
        out.add(j.ttl("a"));
        out.add(j.expireAt("a", 4102444800L));
        out.add(j.expireTime("a"));
        out.add(j.persist("a"));
        out.add(j.ttl("a"));
        out.add(j.ttl("missing"));
        out.add(j.exists("a", "b", "missing"));
        out.add(j.type("a"));
        out.add(j.rename("a", "a2"));
        out.add(j.renamenx("a2", "b"));
        out.add(attempt(() -> j.renamenx("nokey", "b")));
        out.add(new TreeSet<>(j.keys("*")));
        TreeSet<String> scanned = new TreeSet<>();
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            ScanResult<String> page = j.scan(cursor, new ScanParams().count(2).match("*"), "string");
            scanned.addAll(page.getResult());
            cursor = page.getCursor();
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        out.add(scanned);
        out.add(j.dbSize());
        j.watch("w");
        Transaction t = j.multi();
        t.set("w", "1");
        t.incr("w");
        out.add(t.exec());
        out.add(j.del("a2", "b", "missing"));
        out.add(j.unlink("w"));
        out.add(j.flushAll());
        out.add(j.dbSize());
        out.add(j.randomKey());
        return out;
    }
}
