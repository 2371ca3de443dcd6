package io.converge.server.store.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.converge.server.ConvergeNode;
import io.converge.server.NodeLauncher;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.testing.RedisServerFixture;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.Simple;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk-full behaviour on a real, small file system: a tmpfs of a few MB that a filler file
 * fills up. Needs root (to mount); skipped otherwise, as in most CI. Checks a real node end to
 * end across a restart, and compares its refusals with redis-server's for a failing AOF on an
 * equally full tmpfs.
 */
class TmpfsDiskFullTest {
    private static final String BIG = "x".repeat(20_000);

    @TempDir
    Path base;

    private final List<Path> mounts = new ArrayList<>();

    /** Mounts a tmpfs of {@code mb} MB (skipping the test if that is not possible here). */
    private Path mountTmpfs(String name, int mb) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
        Path dir = Files.createDirectories(base.resolve(name));
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + mb + "m", "tmpfs", dir.toString())
                .redirectErrorStream(true).start();
        boolean done = p.waitFor(10, TimeUnit.SECONDS);
        assumeTrue(done && p.exitValue() == 0, "cannot mount a tmpfs: " + new String(p.getInputStream().readAllBytes()));
        mounts.add(dir);
        return dir;
    }

    @AfterEach
    void unmount() throws Exception {
        for (Path dir : mounts) {
            new ProcessBuilder("umount", "-l", dir.toString()).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Writes zeros into {@code file} until the file system is full. */
    private static void fill(Path file) {
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException e) {
            // full
        }
    }

    private static String persistenceField(RespClient c, String field) {
        for (String line : ((Bulk) c.call("INFO", "persistence")).text().split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1);
            }
        }
        return null;
    }

    /** Fills the file system under {@code dir} and makes the server's next log write fail. */
    private static void breakLog(Path dir, int port) {
        fill(dir.resolve("filler"));
        try (RespClient w = new RespClient("127.0.0.1", port)) {
            w.call("SET", "trigger", BIG); // Redis answers OK; Converge closes the connection
        } catch (UncheckedIOException e) {
            // closed without a reply
        }
        try (RespClient c = new RespClient("127.0.0.1", port)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> "err".equals(persistenceField(c, "aof_last_write_status")));
        }
    }

    @Test
    void aNodeOnAFullTmpfsRefusesWritesServesReadsRecoversAndKeepsItsData() throws Exception {
        Path dataDir = mountTmpfs("node", 4);
        ConvergeConfig config = ConvergeConfig.builder().port(0).dataDir(dataDir).set("appendfsync", "everysec").build();
        ConvergeNode node = NodeLauncher.start(config);
        try (RespClient c = new RespClient("127.0.0.1", node.port())) {
            assertThat(c.call("SET", "before", "1")).isEqualTo(new Simple("OK"));
            breakLog(dataDir, node.port());
            assertThat(c.call("SET", "during", BIG))
                    .isEqualTo(new RespClient.Err("MISCONF Errors writing to the AOF file: No space left on device"));
            assertThat(c.call("GET", "before")).isEqualTo(new Bulk("1"));
            Files.delete(dataDir.resolve("filler"));
            await().atMost(Duration.ofSeconds(10)).until(() -> new Simple("OK").equals(c.call("SET", "after", BIG)));
            assertThat(persistenceField(c, "aof_last_write_status")).isEqualTo("ok");
        } finally {
            node.close();
        }
        ConvergeNode again = NodeLauncher.start(config);
        try (RespClient c = new RespClient("127.0.0.1", again.port())) {
            assertThat(c.call("GET", "before")).isEqualTo(new Bulk("1"));
            assertThat(c.call("GET", "after")).isEqualTo(new Bulk(BIG));
            assertThat(c.call("GET", "trigger")).isEqualTo(new Bulk(BIG)); // not acknowledged, written on recovery
            assertThat(c.call("EXISTS", "during")).isEqualTo(0L);
        } finally {
            again.close();
        }
    }

    /** The exchange compared between the two servers once their logs fail. */
    private static List<Object> refusals(int port) {
        List<Object> out = new ArrayList<>();
        try (RespClient c = new RespClient("127.0.0.1", port); RespClient tx = new RespClient("127.0.0.1", port)) {
            out.add(c.call("SET", "a", "1"));
            out.add(c.call("GET", "k"));
            out.add(c.call("PING"));
            out.add(c.call("ECHO", "e"));
            out.add(c.call("INCR", "n"));
            out.add(c.call("DEL", "k"));
            out.add(c.call("MULTI"));
            out.add(c.call("SET", "x", "1"));
            out.add(c.call("GET", "k"));
            out.add(c.call("EXEC"));
            out.add(c.call("MULTI"));
            out.add(c.call("GET", "k"));
            out.add(c.call("EXEC"));
            out.add(persistenceField(c, "aof_last_write_status"));
        }
        return out;
    }

    @Test
    void refusalsMatchRedisWithAFailingAof() throws Exception {
        Path redisDir = mountTmpfs("redis", 2);
        Path convergeDir = mountTmpfs("converge", 2);
        assumeTrue(new ProcessBuilder("redis-server", "--version").start().waitFor() == 0, "redis-server not installed");
        RedisServerFixture redis = RedisServerFixture.start("--appendonly", "yes", "--dir", redisDir.toString());
        ConvergeNode node = NodeLauncher.start(ConvergeConfig.builder().port(0).dataDir(convergeDir).build());
        try {
            List<List<Object>> results = new ArrayList<>();
            for (int port : new int[] {redis.port(), node.port()}) {
                try (RespClient c = new RespClient("127.0.0.1", port); RespClient queued = new RespClient("127.0.0.1", port)) {
                    assertThat(c.call("SET", "k", "v")).isEqualTo(new Simple("OK"));
                    queued.call("MULTI");
                    queued.call("SET", "q", "1");
                    breakLog(port == redis.port() ? redisDir : convergeDir, port);
                    List<Object> r = refusals(port);
                    r.add(queued.call("EXEC"));
                    r.add(queued.call("EXEC"));
                    results.add(r);
                }
            }
            assertThat(results.get(1)).isEqualTo(results.get(0));
            assertThat(results.get(0).get(0)).isEqualTo(
                    new RespClient.Err("MISCONF Errors writing to the AOF file: No space left on device"));
        } finally {
            node.close();
            redis.close();
        }
    }
}
