package io.converge.server.store.persist;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The real thing: a node process ({@code converge server --data-dir D}) is killed with SIGKILL
 * while a client writes, restarted on the same directory, and every write it had acknowledged is
 * there ({@code appendfsync always}).
 */
class PersistenceProcessTest {

    @TempDir
    Path dir;

    @TempDir
    Path logs;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stop() {
        processes.forEach(Process::destroyForcibly);
    }

    private Process startNode(int port, String... extra) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "io.converge.server.Main",
                "server", "--port", Integer.toString(port), "--data-dir", dir.toString()));
        cmd.addAll(List.of(extra));
        Path out = Files.createTempFile(logs, "converge-node", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        processes.add(p);
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!p.isAlive()) {
                throw new AssertionError("node exited: " + Files.readString(out));
            }
            try (Jedis j = new Jedis("127.0.0.1", port)) {
                return "PONG".equals(j.ping());
            } catch (JedisException e) {
                return false;
            }
        });
        return p;
    }

    @Test
    void killDashNineLosesNoAcknowledgedWrite() throws Exception {
        int port = FreePorts.find();
        Process node = startNode(port, "--set", "appendfsync=always");
        List<Integer> acknowledged = new ArrayList<>();
        AtomicBoolean failed = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            try (Jedis j = new Jedis("127.0.0.1", port)) {
                for (int i = 0; ; i++) {
                    j.set("key:" + i, "value:" + i);
                    if (i % 5 == 0) {
                        j.hset("hash", "f" + i, "v" + i);
                        j.sadd("set", "m" + i);
                        j.zadd("zset", i, "m" + i);
                        j.incr("counter");
                    }
                    synchronized (acknowledged) {
                        acknowledged.add(i);
                    }
                }
            } catch (JedisException e) {
                failed.set(true); // the node was killed mid-write
            }
        });
        writer.start();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            synchronized (acknowledged) {
                return acknowledged.size() >= 300;
            }
        });
        node.destroyForcibly().waitFor();
        writer.join();
        assertThat(failed).isTrue();
        List<Integer> acked;
        synchronized (acknowledged) {
            acked = new ArrayList<>(acknowledged);
        }

        startNode(port);
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            int counted = 0;
            for (int i : acked) {
                assertThat(j.get("key:" + i)).as("key:%d", i).isEqualTo("value:" + i);
                if (i % 5 == 0) {
                    assertThat(j.hget("hash", "f" + i)).isEqualTo("v" + i);
                    assertThat(j.sismember("set", "m" + i)).isTrue();
                    assertThat(j.zscore("zset", "m" + i)).isEqualTo((double) i);
                    counted++;
                }
            }
            // The write in flight when the node died may or may not have been logged.
            long counter = Long.parseLong(j.get("counter"));
            assertThat(counter).isBetween((long) counted, counted + 1L);
            assertThat(j.info("persistence")).contains("aof_enabled:1");
        }
    }
}
