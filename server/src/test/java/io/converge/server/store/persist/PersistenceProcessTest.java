package io.converge.server.store.persist;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The real thing: a node process ({@code converge server --data-dir D}) is killed with SIGKILL
 * while clients write, restarted on the same directory, and every write it had acknowledged is
 * there, whatever {@code appendfsync} says: the policy only decides what a machine crash may lose.
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

    /**
     * {@code everysec} and {@code no}: the node is killed while one client writes as fast as it
     * can one command at a time and another in pipelines of 100. A reply leaves only once its write
     * is in the log file (the OS has it, so the dead process cannot lose it), hence every
     * acknowledged write is there after the restart.
     */
    @ParameterizedTest
    @ValueSource(strings = {"everysec", "no"})
    void killDashNineLosesNoAcknowledgedWriteWithoutFsyncEither(String fsync) throws Exception {
        int port = FreePorts.find();
        Process node = startNode(port, "--set", "appendfsync=" + fsync);
        AtomicInteger plainAcked = new AtomicInteger(); // plain:0 .. plain:n-1 acknowledged
        AtomicInteger pipelinedAcked = new AtomicInteger(); // piped:0 .. piped:n-1 acknowledged
        AtomicReference<Throwable> plainEnd = new AtomicReference<>();
        AtomicReference<Throwable> pipelinedEnd = new AtomicReference<>();
        int pipeline = 100;
        Thread plain = new Thread(() -> {
            try (Jedis j = new Jedis("127.0.0.1", port)) {
                for (int i = 0; ; i++) {
                    j.set("plain:" + i, "v" + i);
                    plainAcked.set(i + 1);
                }
            } catch (Throwable e) {
                plainEnd.set(e);
            }
        });
        Thread pipelined = new Thread(() -> {
            try (Jedis j = new Jedis("127.0.0.1", port)) {
                for (int batch = 0; ; batch++) {
                    Pipeline p = j.pipelined();
                    for (int k = 0; k < pipeline; k++) {
                        int i = batch * pipeline + k;
                        p.set("piped:" + i, "v" + i);
                        p.sadd("piped-set", "m" + i);
                    }
                    p.sync(); // every reply of the batch was received
                    pipelinedAcked.set((batch + 1) * pipeline);
                }
            } catch (Throwable e) {
                pipelinedEnd.set(e);
            }
        });
        plain.start();
        pipelined.start();
        Awaitility.await().atMost(Duration.ofSeconds(60))
                .until(() -> plainAcked.get() >= 500 && pipelinedAcked.get() >= 5000);
        Thread.sleep(ThreadLocalRandom.current().nextInt(200));
        node.destroyForcibly().waitFor();
        plain.join();
        pipelined.join();
        // Both clients stopped because the connection died, not because of an error reply.
        assertThat(plainEnd.get()).isInstanceOf(JedisConnectionException.class);
        assertThat(pipelinedEnd.get()).isInstanceOf(JedisConnectionException.class);

        startNode(port);
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            assertPresent(j, "plain:", plainAcked.get());
            assertPresent(j, "piped:", pipelinedAcked.get());
            Set<String> missing = new HashSet<>();
            for (int i = 0; i < pipelinedAcked.get(); i++) {
                missing.add("m" + i);
            }
            missing.removeAll(j.smembers("piped-set"));
            assertThat(missing).as("acknowledged SADDs missing from piped-set").isEmpty();
        }
    }

    /** Asserts that keys {@code prefix0 .. prefix(count-1)} hold {@code v0 ..} (read in pipelines). */
    private static void assertPresent(Jedis j, String prefix, int count) {
        for (int from = 0; from < count; from += 1000) {
            int to = Math.min(count, from + 1000);
            Pipeline p = j.pipelined();
            List<Response<String>> values = new ArrayList<>(to - from);
            for (int i = from; i < to; i++) {
                values.add(p.get(prefix + i));
            }
            p.sync();
            for (int i = from; i < to; i++) {
                assertThat(values.get(i - from).get()).as("%s%d of %d acknowledged", prefix, i, count)
                        .isEqualTo("v" + i);
            }
        }
    }
}
