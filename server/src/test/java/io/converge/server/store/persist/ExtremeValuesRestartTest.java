package io.converge.server.store.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.ConvergeNode;
import io.converge.server.NodeLauncher;
import io.converge.server.config.ConvergeConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol.Command;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.SafeEncoder;

/**
 * Values at the edges of the number ranges (INCRBYFLOAT 1e4932 and friends) survive a restart
 * from the append-only log and from a snapshot: whatever a node accepts, its own log decodes.
 */
class ExtremeValuesRestartTest {

    /** The longest float Redis accepts with the most decimal places (5119 chars). */
    private static final String FINEST = "4." + "1".repeat(5110) + "e-4951";
    private static final String LONG_MANTISSA = "1." + "3".repeat(5000);

    @TempDir
    Path dir;

    private ConvergeNode start() throws Exception {
        return NodeLauncher.start(ConvergeConfig.builder().port(0).dataDir(dir).set("appendfsync", "always").build());
    }

    /** Sends a command; returns the reply as text, or the error's text. */
    private static String call(Jedis j, Command command, String... args) {
        try {
            Object reply = j.sendCommand(command, args);
            return reply instanceof byte[] b ? SafeEncoder.encode(b) : String.valueOf(reply);
        } catch (JedisDataException e) {
            return e.getMessage();
        }
    }

    /** Everything the test wrote, read back: the same list before and after each restart. */
    private static List<String> readAll(Jedis j) {
        List<String> out = new ArrayList<>();
        for (String key : List.of("f:max", "f:min", "f:fine", "f:long", "f:tiny", "f:steps", "i:max", "i:min")) {
            out.add(key + "=" + j.get(key));
        }
        out.add("hash=" + new java.util.TreeMap<>(j.hgetAll("h")));
        out.add("zset=" + j.zrangeWithScores("z", 0, -1));
        return out;
    }

    @Test
    void extremeCountersSurviveRestartsFromTheLogAndFromASnapshot() throws Exception {
        List<String> written;
        ConvergeNode node = start();
        try (Jedis j = new Jedis("127.0.0.1", node.port())) {
            assertThat(call(j, Command.INCRBYFLOAT, "f:max", "1e4932")).isEqualTo("1" + "0".repeat(4932));
            call(j, Command.INCRBYFLOAT, "f:min", "-1.18973149535723176504e4932");
            j.set("f:fine", FINEST);
            assertThat(call(j, Command.INCRBYFLOAT, "f:fine", "1.18e4932")).startsWith("118");
            call(j, Command.INCRBYFLOAT, "f:long", LONG_MANTISSA);
            call(j, Command.INCRBYFLOAT, "f:long", LONG_MANTISSA);
            assertThat(call(j, Command.INCRBYFLOAT, "f:tiny", "1e-4950")).isEqualTo("0");
            for (int i = 0; i < 20; i++) {
                call(j, Command.INCRBYFLOAT, "f:steps", "5e4930");
            }
            assertThat(call(j, Command.INCRBYFLOAT, "f:steps", "1e4932")).contains("NaN or Infinity");
            j.incrBy("i:max", Long.MAX_VALUE);
            j.decrBy("i:min", Long.MAX_VALUE);
            j.decr("i:min");
            call(j, Command.HINCRBYFLOAT, "h", "max", "1e4932");
            j.hset("h", "fine", FINEST);
            call(j, Command.HINCRBYFLOAT, "h", "fine", "-1.18e4932");
            j.hincrBy("h", "int", Long.MIN_VALUE);
            j.zincrby("z", 1e308, "inf");
            j.zincrby("z", 1e308, "inf");
            call(j, Command.ZADD, "z", "INCR", "-1.7976931348623157e308", "low");
            call(j, Command.ZINCRBY, "z", "4.9e-324", "tiny");
            written = readAll(j);
            assertThat(written).contains("f:steps=1" + "0".repeat(4932), "i:min=" + Long.MIN_VALUE);
        } finally {
            node.close();
        }

        node = start(); // from the append-only log
        try (Jedis j = new Jedis("127.0.0.1", node.port())) {
            assertThat(readAll(j)).isEqualTo(written);
            j.bgrewriteaof();
            await().atMost(Duration.ofSeconds(20)).until(() -> j.info("persistence").contains("aof_rewrites:1"));
        } finally {
            node.close();
        }

        node = start(); // from the snapshot
        try (Jedis j = new Jedis("127.0.0.1", node.port())) {
            assertThat(readAll(j)).isEqualTo(written);
            assertThat(j.info("persistence")).doesNotContain("aof_loaded_snapshot_keys:0\r");
            // The counters carry on where they were.
            assertThat(call(j, Command.INCRBYFLOAT, "f:max", "-1e4932")).isEqualTo("0");
            assertThat(call(j, Command.HINCRBYFLOAT, "h", "max", "1e4932")).contains("NaN or Infinity");
            assertThat(j.get("f:long")).isEqualTo("2.66666666666666666");
        } finally {
            node.close();
        }
    }
}
