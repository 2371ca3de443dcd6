package io.converge.server.store.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.converge.server.ConvergeNode;
import io.converge.server.NodeLauncher;
import io.converge.server.config.ConvergeConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * A whole node (as {@code converge server} builds it) keeps its data across a restart, answers
 * the persistence parts of INFO, CONFIG and BGREWRITEAOF.
 */
class PersistentNodeTest {

    @TempDir
    Path dir;

    private ConvergeNode start(String... settings) throws Exception {
        ConvergeConfig.Builder b = ConvergeConfig.builder().port(0).dataDir(dir);
        for (int i = 0; i < settings.length; i += 2) {
            b.set(settings[i], settings[i + 1]);
        }
        return NodeLauncher.start(b.build());
    }

    private static Map<String, String> info(Jedis j) {
        Map<String, String> out = new java.util.HashMap<>();
        for (String line : j.info("persistence").split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                out.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return out;
    }

    @Test
    void everyTypeSurvivesARestartAndARewrite() throws Exception {
        ConvergeNode node = start("appendfsync", "always");
        try (Jedis j = new Jedis("127.0.0.1", node.port())) {
            for (int i = 0; i < 200; i++) {
                j.set("s" + i, "v" + i);
            }
            j.incrBy("counter", 41);
            j.incr("counter");
            j.hset("h", Map.of("a", "1", "b", "2"));
            j.hdel("h", "b");
            j.sadd("set", "x", "y", "z");
            j.srem("set", "y");
            j.zadd("z", Map.of("one", 1.0, "two", 2.0));
            j.zincrby("z", 5, "one");
            j.set("gone", "x");
            j.del("gone");
            j.setex("ttl", 1000, "t");
            assertThat(j.bgrewriteaof()).isEqualTo("Background append only file rewriting started");
            await().atMost(Duration.ofSeconds(20)).until(() -> "1".equals(info(j).get("aof_rewrites")));
            j.set("after-rewrite", "yes");
            Map<String, String> info = info(j);
            assertThat(info).containsEntry("aof_enabled", "1").containsEntry("aof_last_write_status", "ok")
                    .containsEntry("aof_last_bgrewrite_status", "ok").containsEntry("aof_fsync", "always")
                    .containsEntry("loading", "0");
            assertThat(Long.parseLong(info.get("aof_current_size"))).isGreaterThanOrEqualTo(
                    Long.parseLong(info.get("aof_base_size")));
            assertThat(j.configGet("appendonly")).containsEntry("appendonly", "yes");
            assertThat(j.configGet("appendfsync")).containsEntry("appendfsync", "always");
        } finally {
            node.close();
        }

        node = start();
        try (Jedis j = new Jedis("127.0.0.1", node.port())) {
            for (int i = 0; i < 200; i++) {
                assertThat(j.get("s" + i)).isEqualTo("v" + i);
            }
            assertThat(j.get("counter")).isEqualTo("42");
            assertThat(j.hgetAll("h")).isEqualTo(Map.of("a", "1"));
            assertThat(j.smembers("set")).isEqualTo(Set.of("x", "z"));
            assertThat(j.zrangeWithScores("z", 0, -1)).extracting(t -> t.getElement() + "=" + t.getScore())
                    .containsExactly("two=2.0", "one=6.0");
            assertThat(j.exists("gone")).isFalse();
            assertThat(j.ttl("ttl")).isBetween(990L, 1000L);
            assertThat(j.get("after-rewrite")).isEqualTo("yes");
            assertThat(j.dbSize()).isEqualTo(206);
            Map<String, String> info = info(j);
            assertThat(Long.parseLong(info.get("aof_loaded_snapshot_keys"))).isPositive();
            assertThat(info).containsEntry("aof_fsync", "everysec");
        } finally {
            node.close();
        }
    }

    @Test
    void saveBgsaveAndLastsaveWorkOnTheLogsSnapshot() throws Exception {
        ConvergeNode node = start();
        try (Jedis j = new Jedis("127.0.0.1", node.port())) {
            long started = j.lastsave();
            assertThat(started).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(60L));
            j.set("k", "v1");
            Thread.sleep(1_100); // LASTSAVE counts seconds
            assertThat(j.save()).isEqualTo("OK");
            long saved = j.lastsave();
            assertThat(saved).isGreaterThan(started);
            assertThat(info(j)).containsEntry("aof_rewrites", "1");
            assertThat(j.bgsave()).isEqualTo("Background saving started");
            await().atMost(Duration.ofSeconds(10)).until(() -> info(j).get("aof_rewrites").equals("2"));
            assertThat(j.sendCommand(redis.clients.jedis.Protocol.Command.BGSAVE, "SCHEDULE"))
                    .isIn("Background saving started".getBytes(), "Background saving scheduled".getBytes());
            await().atMost(Duration.ofSeconds(10)).until(() -> info(j).get("aof_rewrites").equals("3"));
            assertThatThrownBy(() -> j.sendCommand(redis.clients.jedis.Protocol.Command.BGSAVE, "now"))
                    .isInstanceOf(JedisDataException.class).hasMessage("ERR syntax error");
        } finally {
            node.close();
        }
        ConvergeNode again = start();
        try (Jedis j = new Jedis("127.0.0.1", again.port())) {
            assertThat(j.get("k")).isEqualTo("v1");
        } finally {
            again.close();
        }
    }

    @Test
    void appendonlyNoKeepsNothingButTheClockMark() throws Exception {
        ConvergeNode node = start("appendonly", "no");
        try (Jedis j = new Jedis("127.0.0.1", node.port())) {
            j.set("k", "v");
            assertThat(j.configGet("appendonly")).containsEntry("appendonly", "no");
            assertThat(info(j)).containsEntry("aof_enabled", "0");
            assertThatThrownBy(j::bgrewriteaof).isInstanceOf(JedisDataException.class)
                    .hasMessageContaining("Append only file is disabled");
            assertThatThrownBy(j::bgsave).isInstanceOf(JedisDataException.class)
                    .hasMessageContaining("nothing to save");
        } finally {
            node.close();
        }
        assertThat(dir.resolve(HlcMark.FILE)).exists();
        assertThat(dir.resolve(LogDirectory.NAME)).doesNotExist();
        node = start("appendonly", "no");
        try (Jedis j = new Jedis("127.0.0.1", node.port())) {
            assertThat(j.get("k")).isNull();
        } finally {
            node.close();
        }
    }

    @Test
    void aDataDirectoryServesOneNodeAtATime() throws Exception {
        ConvergeNode node = start();
        try {
            assertThatThrownBy(this::start).hasMessageContaining("is in use by another Converge node");
            try (Jedis j = new Jedis("127.0.0.1", node.port())) {
                j.set("still", "serving");
            }
        } finally {
            node.close();
        }
        node = start(); // released on close
        try (Jedis j = new Jedis("127.0.0.1", node.port())) {
            assertThat(j.get("still")).isEqualTo("serving");
        } finally {
            node.close();
        }
    }

    @Test
    void aDamagedLogStopsTheNodeFromStartingWithAClearMessage() throws Exception {
        ConvergeNode node = start();
        try (Jedis j = new Jedis("127.0.0.1", node.port())) {
            for (int i = 0; i < 50; i++) {
                j.set("k" + i, "v" + i);
            }
        } finally {
            node.close();
        }
        Path segment = EngineWithLog.segments(dir).getFirst();
        RecoveryTest.flipByte(segment, 200);
        assertThatThrownBy(this::start).isInstanceOf(LogCorruptException.class)
                .hasMessageContaining(segment.toString()).hasMessageContaining("aof-load-skip-corrupt");
        node = start("aof-load-skip-corrupt", "yes");
        try (Jedis j = new Jedis("127.0.0.1", node.port())) {
            assertThat(j.dbSize()).isEqualTo(49); // the one damaged record is skipped
            assertThat(j.get("k49")).isEqualTo("v49");
            assertThat(j.configGet("aof-load-skip-corrupt")).containsEntry("aof-load-skip-corrupt", "yes");
            await().atMost(Duration.ofSeconds(20)).until(() -> "1".equals(info(j).get("aof_rewrites")));
        } finally {
            node.close();
        }
        List<Path> left = EngineWithLog.segments(dir);
        assertThat(left).doesNotContain(segment); // replaced by the rewrite that followed the skip
    }
}
