package io.converge.server.store.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.ConvergeNode;
import io.converge.server.command.PersistenceCommands;
import io.converge.server.command.data.DataCommandFamilies;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.StorageEngine;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.RespClient.Null;
import io.converge.server.testing.RespClient.Simple;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A whole node whose log's disk fills up (injected through {@link SmallDisk}, so it runs
 * anywhere): write commands are refused with Redis's MISCONF before they run, reads and
 * administration keep working, the single network thread never blocks, writes resume by
 * themselves when space returns, and everything acknowledged survives a restart.
 */
class DiskFullNodeTest {
    private static final String MISCONF = "MISCONF Errors writing to the AOF file: No space left on device";

    @TempDir
    Path dir;

    /** Starts a node as NodeLauncher builds it, its log on {@code disk}, one network thread. */
    private ConvergeNode start(SmallDisk disk, String fsync, int bufferBytes) throws Exception {
        ConvergeConfig config = ConvergeConfig.builder().port(0).dataDir(dir).set("appendfsync", fsync)
                .set("io-threads", "1").build();
        ConvergeNode.Builder builder = ConvergeNode.builder(config);
        builder.engine(services -> {
            EmbeddedEngine engine = EmbeddedEngine.forNode(services.config(), services.nodeId(), services.info());
            Persistence p = Persistence.attach(engine, services.config(), services.info(),
                    s -> s.withFiles(disk).withBufferBytes(bufferBytes));
            PersistenceCommands.register(services.commands(), p);
            return engine;
        });
        builder.commands(services -> DataCommandFamilies.register(services, (StorageEngine) services.engine()));
        return builder.start();
    }

    private static Map<String, String> info(RespClient c) {
        Map<String, String> out = new HashMap<>();
        String text = ((Bulk) c.call("INFO", "persistence")).text();
        for (String line : text.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                out.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"everysec", "always", "no"})
    void writesAreRefusedWhileTheDiskIsFullReadsAreServedAndWritesResumeWhenSpaceReturns(String fsync)
            throws Exception {
        SmallDisk disk = new SmallDisk();
        ConvergeNode node = start(disk, fsync, PersistenceSettings.DEFAULT_BUFFER_BYTES);
        try (RespClient c = new RespClient("127.0.0.1", node.port());
             RespClient tx = new RespClient("127.0.0.1", node.port())) {
            assertThat(c.call("SET", "a", "1")).isEqualTo(new Simple("OK"));
            assertThat(c.call("SET", "b", "2")).isEqualTo(new Simple("OK"));
            assertThat(tx.call("MULTI")).isEqualTo(new Simple("OK"));
            assertThat(tx.call("SET", "q", "1")).isEqualTo(new Simple("QUEUED"));

            disk.fill();
            // The first write after the disk filled ran before the failure was known: its reply
            // cannot acknowledge it, so its connection is closed without one.
            try (RespClient w = new RespClient("127.0.0.1", node.port())) {
                w.send(RespClient.encode("SET", "c", "3"));
                assertThat(w.readUntilClosedOrIdle(5000)).isEqualTo("<CLOSED>");
            }

            // From now on writes are refused before they run, with Redis's words.
            assertThat(c.call("SET", "d", "4")).isEqualTo(new Err(MISCONF));
            assertThat(c.call("INCR", "n")).isEqualTo(new Err(MISCONF));
            assertThat(c.call("DEL", "a")).isEqualTo(new Err(MISCONF));
            assertThat(c.call("EXPIRE", "a", "100")).isEqualTo(new Err(MISCONF));
            assertThat(c.call("FLUSHALL")).isEqualTo(new Err(MISCONF));
            assertThat(c.call("PING")).isEqualTo(new Err(MISCONF)); // as Redis: health checks notice
            // Reads and administration keep working.
            assertThat(c.call("GET", "a")).isEqualTo(new Bulk("1"));
            assertThat(c.call("GET", "d")).isEqualTo(Null.BULK);
            assertThat(c.call("GET", "c")).isEqualTo(new Bulk("3")); // ran in memory; written once space returns
            assertThat(c.call("ECHO", "hi")).isEqualTo(new Bulk("hi"));
            assertThat(c.call("EXISTS", "a", "b")).isEqualTo(2L);
            assertThat(c.call("CONFIG", "GET", "appendonly")).isEqualTo(List.of(new Bulk("appendonly"), new Bulk("yes")));
            Map<String, String> info = info(c);
            assertThat(info).containsEntry("aof_last_write_status", "err")
                    .containsEntry("aof_write_error", SmallDisk.ENOSPC).containsEntry("aof_write_error_episodes", "1");
            // Transactions: a write queued now is refused and EXEC aborts; one queued before the
            // failure makes EXEC abort with the reason; reads-only transactions run.
            assertThat(c.call("MULTI")).isEqualTo(new Simple("OK"));
            assertThat(c.call("SET", "x", "1")).isEqualTo(new Err(MISCONF));
            assertThat(c.call("GET", "a")).isEqualTo(new Simple("QUEUED"));
            assertThat(c.call("EXEC")).isEqualTo(new Err("EXECABORT Transaction discarded because of previous errors."));
            assertThat(c.call("MULTI")).isEqualTo(new Simple("OK"));
            assertThat(c.call("GET", "a")).isEqualTo(new Simple("QUEUED"));
            assertThat(c.call("EXEC")).isEqualTo(List.of(new Bulk("1")));
            assertThat(tx.call("EXEC")).isEqualTo(new Err("EXECABORT Transaction discarded because of: " + MISCONF));
            assertThat(tx.call("EXEC")).isEqualTo(new Err("ERR EXEC without MULTI"));
            // A rewrite cannot succeed now: it fails instead of hanging.
            assertThat(c.call("BGREWRITEAOF")).isEqualTo(new Simple("Background append only file rewriting started"));
            await().atMost(Duration.ofSeconds(10)).until(() -> "err".equals(info(c).get("aof_last_bgrewrite_status"))
                    && "0".equals(info(c).get("aof_rewrite_in_progress")));

            // Space returns: the writer's retry succeeds and writes are accepted again by themselves.
            disk.free();
            await().atMost(Duration.ofSeconds(10)).until(() -> c.call("SET", "e", "5").equals(new Simple("OK")));
            assertThat(c.call("PING")).isEqualTo(new Simple("PONG"));
            assertThat(c.call("BGREWRITEAOF")).isEqualTo(new Simple("Background append only file rewriting started"));
            await().atMost(Duration.ofSeconds(10)).until(() -> "ok".equals(info(c).get("aof_last_bgrewrite_status")));
            assertThat(c.call("SET", "f", "6")).isEqualTo(new Simple("OK"));
            info = info(c);
            assertThat(info).containsEntry("aof_last_write_status", "ok").containsEntry("aof_write_error", "")
                    .containsEntry("aof_buffer_length", "0");
        } finally {
            node.close();
        }

        ConvergeNode again = start(new SmallDisk(), fsync, PersistenceSettings.DEFAULT_BUFFER_BYTES);
        try (RespClient c = new RespClient("127.0.0.1", again.port())) {
            for (String[] kv : new String[][] {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"e", "5"}, {"f", "6"}}) {
                assertThat(c.call("GET", kv[0])).as(kv[0]).isEqualTo(new Bulk(kv[1]));
            }
            for (String absent : new String[] {"d", "x", "q", "n"}) {
                assertThat(c.call("GET", absent)).as(absent).isEqualTo(Null.BULK);
            }
        } finally {
            again.close();
        }
    }

    @Test
    void theNetworkThreadKeepsServingReadsWhileWritersHammerAFullDisk() throws Exception {
        SmallDisk disk = new SmallDisk();
        // Tiny buffers and one network thread: before this change, appends waited for buffer space
        // on the network thread once the disk was full, and the whole node froze.
        ConvergeNode node = start(disk, "everysec", 4096);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong refused = new AtomicLong();
        String big = "v".repeat(2000);
        Thread hammer = new Thread(() -> {
            while (!stop.get()) {
                try (RespClient w = new RespClient("127.0.0.1", node.port())) {
                    // Pipelined batches, so some writes are always running when the disk fills.
                    StringBuilder batch = new StringBuilder();
                    for (int i = 0; i < 50; i++) {
                        batch.append(new String(RespClient.encode("SET", "k" + i, big), java.nio.charset.StandardCharsets.ISO_8859_1));
                    }
                    while (!stop.get()) {
                        w.send(batch.toString());
                        for (Object r : w.read(50)) {
                            if (r instanceof Err e && e.text().equals(MISCONF)) {
                                refused.incrementAndGet();
                            }
                        }
                    }
                } catch (UncheckedIOException e) {
                    // closed without replies (writes running when the disk filled): reconnect
                }
            }
        });
        try (RespClient r = new RespClient("127.0.0.1", node.port())) {
            assertThat(r.call("SET", "a", "1")).isEqualTo(new Simple("OK"));
            hammer.start();
            Thread.sleep(200);
            disk.fill();
            long worstNanos = 0;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                assertThat(r.call("GET", "a")).isEqualTo(new Bulk("1"));
                worstNanos = Math.max(worstNanos, System.nanoTime() - t0);
            }
            assertThat(refused.get()).as("writes refused").isPositive();
            assertThat(TimeUnit.NANOSECONDS.toMillis(worstNanos)).as("slowest read (ms)").isLessThan(1000);
            assertThat(info(r)).containsEntry("aof_last_write_status", "err");

            disk.free();
            await().atMost(Duration.ofSeconds(10)).until(() -> r.call("SET", "after", "yes").equals(new Simple("OK")));
            stop.set(true);
            hammer.join(TimeUnit.SECONDS.toMillis(10));
            assertThat(hammer.isAlive()).isFalse();
            await().atMost(Duration.ofSeconds(5)).until(() -> "0".equals(info(r).get("aof_buffer_length")));
        } finally {
            stop.set(true);
            node.close();
        }
        ConvergeNode again = start(new SmallDisk(), "everysec", 4096);
        try (RespClient c = new RespClient("127.0.0.1", again.port())) {
            assertThat(c.call("GET", "a")).isEqualTo(new Bulk("1"));
            assertThat(c.call("GET", "after")).isEqualTo(new Bulk("yes"));
        } finally {
            again.close();
        }
    }
}
