package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.ServerTarget;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.lettuce.core.protocol.ProtocolVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.commands.ProtocolCommand;

/**
 * The same client-library scenarios through Lettuce and Jedis, in RESP2 and RESP3, against
 * redis-server and Converge; the observable results (values and error messages) must be equal.
 */
class ClientLibrariesDifferentialTest extends DifferentialTestBase {

    /** Runs {@code scenario} on both targets and asserts equal results. */
    private List<Object> sameWith(ScenarioRunner scenario) {
        List<Object> expected = scenario.run(redis);
        List<Object> actual = scenario.run(converge);
        assertThat(actual).as("converge vs redis").isEqualTo(expected);
        return actual;
    }

    @FunctionalInterface
    private interface ScenarioRunner {
        List<Object> run(ServerTarget target);
    }

    /** The value, or "ERROR: message" if the call threw. */
    private static Object attempt(Callable<Object> call) {
        try {
            return call.call();
        } catch (Exception e) {
            Throwable t = e;
            while (t.getCause() != null && t.getMessage() == null) {
                t = t.getCause();
            }
            return "ERROR: " + t.getMessage();
        }
    }

    /** Replaces byte arrays (raw replies) by strings so results compare by value. */
    private static List<Object> readable(List<Object> values) {
        List<Object> out = new ArrayList<>();
        for (Object v : values) {
            out.add(v instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : v);
        }
        return out;
    }

    private static final ProtocolKeyword NOSUCH = new ProtocolKeyword() {
        @Override
        public byte[] getBytes() {
            return "NOSUCHCOMMAND".getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public String name() {
            return "NOSUCHCOMMAND";
        }
    };

    @ParameterizedTest
    @ValueSource(strings = {"RESP2", "RESP3"})
    void lettuce(String protocol) {
        List<Object> results = sameWith(target -> {
            RedisClient client = RedisClient.create(RedisURI.builder().withHost(target.host()).withPort(target.port())
                    .withTimeout(Duration.ofSeconds(10)).build());
            client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.valueOf(protocol)).build());
            try (StatefulRedisConnection<String, String> conn = client.connect()) {
                RedisCommands<String, String> sync = conn.sync();
                List<Object> r = new ArrayList<>();
                r.add(sync.ping());
                r.add(sync.echo("hello"));
                r.add(sync.clientGetname());
                r.add(sync.clientSetname("lettuce-app"));
                r.add(sync.clientGetname());
                r.add(sync.clientId() > 0);
                r.add(sync.select(0));
                r.add(attempt(() -> sync.select(3)));
                r.add(sync.time().size());
                r.add(sync.configGet("timeout"));
                r.add(sync.clientList().contains("name=lettuce-app"));
                r.add(sync.info("server").contains("redis_version:"));
                r.add(attempt(() -> sync.dispatch(NOSUCH, new StatusOutput<>(StringCodec.UTF8),
                        new CommandArgs<>(StringCodec.UTF8).add("a"))));
                r.add(sync.multi());
                sync.ping();
                sync.echo("in-tx");
                TransactionResult tx = sync.exec();
                r.add(tx.wasDiscarded());
                r.add(new ArrayList<>(tx.stream().toList()));
                r.add(sync.ping());
                return r;
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        });
        assertThat(results.get(0)).isEqualTo("PONG");
        assertThat(results.get(4)).isEqualTo("lettuce-app");
    }

    @ParameterizedTest
    @ValueSource(strings = {"RESP2", "RESP3"})
    void jedis(String protocol) {
        ProtocolCommand nosuch = () -> "NOSUCHCOMMAND".getBytes(StandardCharsets.US_ASCII);
        List<Object> results = sameWith(target -> {
            DefaultJedisClientConfig config = DefaultJedisClientConfig.builder()
                    .protocol(RedisProtocol.valueOf(protocol)).timeoutMillis(10_000).build();
            try (Jedis jedis = new Jedis(new HostAndPort(target.host(), target.port()), config)) {
                List<Object> r = new ArrayList<>();
                r.add(jedis.ping());
                r.add(jedis.ping("message"));
                r.add(jedis.echo("hi"));
                r.add(jedis.clientSetname("jedis-app"));
                r.add(jedis.clientGetname());
                r.add(jedis.select(0));
                r.add(attempt(() -> jedis.select(1)));
                r.add(attempt(() -> jedis.sendCommand(nosuch, "x", "y")));
                r.add(jedis.time().size());
                Pipeline p = jedis.pipelined();
                for (int i = 0; i < 200; i++) {
                    p.sendCommand(Protocol.Command.ECHO, "p" + i);
                    if (i % 50 == 0) {
                        p.sendCommand(Protocol.Command.PING, new String[0]);
                    }
                }
                r.add(readable(p.syncAndReturnAll()));
                Transaction t = jedis.multi();
                t.sendCommand(Protocol.Command.PING, new String[0]);
                t.sendCommand(Protocol.Command.ECHO, "tx");
                r.add(readable(t.exec()));
                r.add(jedis.ping());
                return r;
            }
        });
        assertThat(results.get(0)).isEqualTo("PONG");
        assertThat(results.get(4)).isEqualTo("jedis-app");
    }
}
