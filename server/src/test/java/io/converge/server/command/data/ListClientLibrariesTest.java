package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.ServerTarget;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.LMPopArgs;
import io.lettuce.core.LMoveArgs;
import io.lettuce.core.LPosArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
import redis.clients.jedis.args.ListDirection;
import redis.clients.jedis.args.ListPosition;
import redis.clients.jedis.params.LPosParams;

/**
 * List commands, blocking pops included, through Lettuce and Jedis (RESP2 and RESP3): the same
 * program against redis-server and Converge, every result (errors included) equal.
 */
class ListClientLibrariesTest extends DataDifferentialTestBase {
    private ClientResources resources;

    @BeforeAll
    void startResources() {
        resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1).build();
    }

    @AfterAll
    void stopResources() {
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    private void sameTranscript(Function<ServerTarget, List<Object>> program) {
        List<Object> expected = program.apply(redis);
        flushBoth();
        List<Object> actual = program.apply(converge);
        assertThat(actual.stream().map(String::valueOf).toList())
                .isEqualTo(expected.stream().map(String::valueOf).toList());
    }

    private static Object attempt(Callable<?> call) {
        try {
            return call.call();
        } catch (Exception e) {
            return "error: " + e.getMessage();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void lettuce(int protocol) {
        sameTranscript(target -> {
            RedisClient client = RedisClient.create(resources, RedisURI.create("127.0.0.1", target.port()));
            client.setOptions(ClientOptions.builder()
                    .protocolVersion(protocol == 3 ? ProtocolVersion.RESP3 : ProtocolVersion.RESP2).build());
            try (StatefulRedisConnection<String, String> conn = client.connect()) {
                conn.setTimeout(Duration.ofSeconds(5));
                RedisCommands<String, String> r = conn.sync();
                List<Object> out = new ArrayList<>();
                out.add(r.rpush("l", "a", "b", "c"));
                out.add(r.lpush("l", "z"));
                out.add(r.lrange("l", 0, -1));
                out.add(r.lindex("l", -1));
                out.add(r.linsert("l", true, "b", "before-b"));
                out.add(r.lpos("l", "c"));
                out.add(r.lpos("l", "a", 2, LPosArgs.Builder.rank(1)));
                out.add(r.lset("l", 0, "Z"));
                out.add(r.lrem("l", 0, "a"));
                out.add(r.ltrim("l", 0, 2));
                out.add(r.lrange("l", 0, -1));
                out.add(r.lmove("l", "m", LMoveArgs.Builder.leftRight()));
                out.add(r.rpoplpush("l", "m"));
                out.add(r.lmpop(LMPopArgs.Builder.left().count(5), "none", "m"));
                out.add(r.blpop(1, "l"));
                out.add(r.brpop(0.05, "none"));
                out.add(r.blmove("none", "m", LMoveArgs.Builder.leftLeft(), 0.05));
                out.add(r.rpush("q", "1", "2", "3"));
                out.add(r.blmpop(1, LMPopArgs.Builder.right().count(2), "q"));
                out.add(r.lpop("q", 5));
                out.add(r.llen("q"));
                out.add(attempt(() -> r.lset("q", 0, "x")));
                r.set("str", "v");
                out.add(attempt(() -> r.lpush("str", "x")));
                return out;
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void jedis(int protocol) {
        sameTranscript(target -> {
            DefaultJedisClientConfig config = DefaultJedisClientConfig.builder()
                    .protocol(protocol == 3 ? RedisProtocol.RESP3 : RedisProtocol.RESP2).timeoutMillis(5000).build();
            try (Jedis j = new Jedis(new HostAndPort("127.0.0.1", target.port()), config)) {
                List<Object> out = new ArrayList<>();
                out.add(j.rpush("l", "a", "b", "c", "b"));
                out.add(j.lpushx("l", "h"));
                out.add(j.rpushx("none", "x"));
                out.add(j.lrange("l", 1, -2));
                out.add(j.linsert("l", ListPosition.AFTER, "c", "after-c"));
                out.add(j.lpos("l", "b", LPosParams.lPosParams().rank(-1)));
                out.add(j.lpos("l", "b", LPosParams.lPosParams().maxlen(2), 0));
                out.add(j.lrem("l", -1, "b"));
                out.add(j.lpop("l", 2));
                out.add(j.rpop("l"));
                out.add(j.lmove("l", "n", ListDirection.RIGHT, ListDirection.LEFT));
                out.add(j.blpop(1, "none", "n"));
                out.add(j.brpop(0.05, "none"));
                out.add(j.blmove("l", "n", ListDirection.LEFT, ListDirection.LEFT, 0.05));
                out.add(j.brpoplpush("none", "n", 1));
                Transaction t = j.multi();
                t.rpush("tx", "1", "2");
                t.blpop(0, "tx");
                t.blpop(0, "empty");
                t.lrange("tx", 0, -1);
                out.add(t.exec());
                out.add(j.llen("l"));
                return out;
            }
        });
    }
}
