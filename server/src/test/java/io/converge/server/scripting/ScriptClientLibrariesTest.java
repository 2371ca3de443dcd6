package io.converge.server.scripting;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.ServerTarget;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;

/**
 * Scripts through Lettuce, Jedis and {@code redis-cli --eval}: the same program against
 * redis-server and Converge, every result (errors included) equal.
 */
class ScriptClientLibrariesTest extends DifferentialTestBase {
    private static final String RATE_LIMIT = """
            local n = redis.call('incr', KEYS[1])
            if n == 1 then redis.call('expire', KEYS[1], ARGV[1]) end
            return {n, redis.call('ttl', KEYS[1])}
            """;

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
        sameReply(2, "FLUSHALL");
        sameReply(2, "SCRIPT", "FLUSH");
        List<Object> expected = program.apply(redis);
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
                String sha = r.scriptLoad(RATE_LIMIT);
                out.add(sha);
                out.add(r.evalsha(sha, ScriptOutputType.MULTI, new String[] {"rl"}, "60"));
                out.add(r.evalsha(sha, ScriptOutputType.MULTI, new String[] {"rl"}, "60"));
                out.add(r.scriptExists(sha, "0000000000000000000000000000000000000000"));
                out.add(r.eval("return ARGV[1] .. KEYS[1]", ScriptOutputType.VALUE, new String[] {"k"}, "v"));
                out.add(r.eval("return redis.call('incrby', KEYS[1], ARGV[1])", ScriptOutputType.INTEGER,
                        new String[] {"n"}, "41"));
                out.add(r.eval("return {ok='fine'}", ScriptOutputType.STATUS));
                out.add(r.eval("return redis.call('exists', KEYS[1]) == 1", ScriptOutputType.BOOLEAN, "n"));
                out.add(r.evalReadOnly("return redis.call('get', KEYS[1])", ScriptOutputType.VALUE,
                        new String[] {"n"}));
                out.add(attempt(() -> r.eval("return redis.call('lpush', KEYS[1], 'x')", ScriptOutputType.INTEGER,
                        new String[] {"n"})));
                out.add(attempt(() -> r.evalsha("ffffffffffffffffffffffffffffffffffffffff", ScriptOutputType.VALUE)));
                out.add(r.scriptFlush());
                out.add(r.scriptExists(sha));
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
                String sha = j.scriptLoad(RATE_LIMIT);
                out.add(sha);
                out.add(j.evalsha(sha, List.of("rl"), List.of("60")));
                out.add(j.evalsha(sha, 1, "rl", "60"));
                out.add(j.scriptExists(sha));
                out.add(j.eval("return {1, 'two', {3}, redis.call('ping')}"));
                out.add(j.eval("return redis.call('hset', KEYS[1], 'f', ARGV[1])", List.of("h"), List.of("v")));
                out.add(j.eval("return cjson.encode(redis.call('hgetall', KEYS[1]))", List.of("h"), List.of()));
                out.add(attempt(() -> j.eval("error('from the script')")));
                out.add(attempt(() -> j.evalsha("ffffffffffffffffffffffffffffffffffffffff")));
                out.add(j.scriptFlush());
                out.add(j.scriptExists(sha));
                return out;
            }
        });
    }

    @Test
    void redisCliEval(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("rate.lua");
        Files.writeString(script, RATE_LIMIT);
        sameTranscript(target -> {
            List<Object> out = new ArrayList<>();
            out.add(redisCli(target, "--eval", script.toString(), "cli-rl", ",", "30"));
            out.add(redisCli(target, "--eval", script.toString(), "cli-rl", ",", "30"));
            out.add(redisCli(target, "EVAL", "return redis.call('ttl', KEYS[1]) > 0", "1", "cli-rl"));
            return out;
        });
    }

    private static String redisCli(ServerTarget target, String... args) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(target.port())));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return output;
        } catch (Exception e) {
            throw new IllegalStateException("redis-cli failed", e);
        }
    }
}
