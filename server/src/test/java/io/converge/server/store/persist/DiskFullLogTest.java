package io.converge.server.store.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.converge.crdt.CrdtCodec;
import io.converge.crdt.KeyState;
import io.converge.crdt.codec.CrdtReader;
import io.converge.server.store.MergeRefusedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log on a disk that fills up (or fails to fsync): it becomes <i>failing</i> with Redis's
 * MISCONF refusal, never makes anyone wait meanwhile, refuses merged deltas, and recovers by
 * itself when space returns, writing everything that waited in memory exactly once, in order.
 */
class DiskFullLogTest {

    private static final String MISCONF = "MISCONF Errors writing to the AOF file: " + SmallDisk.ENOSPC;

    @TempDir
    Path dir;

    private final SmallDisk disk = new SmallDisk();

    private DeltaLog open(FsyncPolicy policy, int capacity) throws IOException {
        LogDirectory logDir = new LogDirectory(dir);
        logDir.create();
        DeltaLog log = new DeltaLog(logDir, () -> policy, capacity, disk);
        log.open(1);
        return log;
    }

    private static byte[] key(String k) {
        return k.getBytes(StandardCharsets.UTF_8);
    }

    private static KeyState value(String v, long hlc) {
        return new KeyState().setString(v.getBytes(StandardCharsets.UTF_8), 0, hlc, 1);
    }

    /** The string values of the records of segment 1, in file order. */
    private List<String> values() throws IOException {
        List<String> out = new ArrayList<>();
        try (RecordReader r = RecordReader.open(new LogDirectory(dir).segment(1), RecordFormat.SEGMENT_MAGIC)) {
            RecordReader.Outcome o;
            while ((o = r.next()) == RecordReader.Outcome.RECORD) {
                CrdtReader in = new CrdtReader(r.payloadArray(), r.payloadOffset() + 1, r.payloadLength() - 1);
                in.readBytes();
                out.add(new String(CrdtCodec.decode(in).stringBytes(), StandardCharsets.UTF_8));
            }
            assertThat(o).isEqualTo(RecordReader.Outcome.END);
        }
        return out;
    }

    private static List<String> numbers(int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(Integer.toString(i));
        }
        return out;
    }

    @Test
    void aFullDiskMakesTheLogFailingUntilARetrySucceedsAndNothingIsLostOrDuplicated() throws Exception {
        DeltaLog log = open(FsyncPolicy.EVERYSEC, 1 << 16);
        for (int i = 0; i < 10; i++) {
            log.onDelta(key("k"), value(Integer.toString(i), i + 1));
        }
        log.awaitWritten(true);
        assertThat(log.failing()).isFalse();
        assertThat(log.refusal()).isNull();

        disk.leave(30); // the next write is short, the one after fails: a record torn across the failure
        for (int i = 10; i < 20; i++) {
            log.onDelta(key("k"), value(Integer.toString(i), i + 1));
        }
        assertThatThrownBy(() -> log.awaitWritten(true)).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining(SmallDisk.ENOSPC);
        assertThat(log.failing()).isTrue();
        assertThat(log.lastWriteFailed()).isTrue();
        assertThat(log.refusal()).isEqualTo(MISCONF);
        assertThat(log.failureReason()).isEqualTo(SmallDisk.ENOSPC);
        // Replies that acknowledge no write are let through at once; no one touches the file.
        long failedBefore = disk.failedWrites();
        log.awaitWritten(false);
        assertThat(disk.failedWrites()).isEqualTo(failedBefore);
        assertThatThrownBy(() -> log.awaitWritten(true)).isInstanceOf(UncheckedIOException.class);

        // The writer retries every second; every retry fails, but the failure is one episode.
        await().atMost(Duration.ofSeconds(10)).until(() -> disk.failedWrites() >= failedBefore + 2);
        assertThat(log.failureEpisodes()).isEqualTo(1);
        assertThat(log.bufferedBytes()).isPositive();

        disk.free();
        await().atMost(Duration.ofSeconds(5)).until(() -> !log.failing());
        assertThat(log.refusal()).isNull();
        assertThat(log.failureReason()).isNull();
        assertThat(log.bufferedBytes()).isZero();
        log.onDelta(key("k"), value("20", 21));
        log.awaitWritten(true);
        log.close();
        assertThat(values()).isEqualTo(numbers(0, 21));
    }

    @Test
    void appendersNeverWaitWhileTheLogIsFailingAndOneWaitingWhenItFailsIsReleased() throws Exception {
        DeltaLog log = open(FsyncPolicy.NO, 4096);
        // A slow disk: the writer's write hangs, both buffers fill, an appender waits (back-pressure).
        CountDownLatch stalled = disk.stallWrites();
        disk.fill();
        Thread appender = new Thread(() -> {
            for (int i = 0; i < 2000; i++) {
                log.onDelta(key("k"), value(Integer.toString(i), i + 1));
            }
        });
        appender.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> log.bufferFullWaits() > 0);
        assertThat(appender.isAlive()).isTrue();
        // The hanging write fails: the waiting appender goes on at once, and so does every later one.
        stalled.countDown();
        appender.join(TimeUnit.SECONDS.toMillis(5));
        assertThat(appender.isAlive()).as("appender still blocked").isFalse();
        assertThat(log.failing()).isTrue();
        long waits = log.bufferFullWaits();
        for (int i = 2000; i < 3000; i++) {
            log.onDelta(key("k"), value(Integer.toString(i), i + 1));
        }
        assertThat(log.bufferFullWaits()).isEqualTo(waits);

        disk.free();
        await().atMost(Duration.ofSeconds(5)).until(() -> !log.failing() && log.bufferedBytes() == 0);
        log.close();
        assertThat(values()).isEqualTo(numbers(0, 3000));
    }

    @Test
    void mergedDeltasAreRefusedWhileFailingAndAcceptedAgainAfterwards() throws Exception {
        DeltaLog log = open(FsyncPolicy.EVERYSEC, 1 << 16);
        log.appendMerged(key("m"), value("0", 1));
        disk.fill();
        log.onDelta(key("k"), value("1", 2));
        assertThatThrownBy(() -> log.awaitWritten(true)).isInstanceOf(UncheckedIOException.class);
        assertThatThrownBy(() -> log.appendMerged(key("m"), value("x", 3)))
                .isInstanceOf(MergeRefusedException.class).hasMessageContaining(SmallDisk.ENOSPC);
        assertThat(log.mergesRefused()).isEqualTo(1);
        disk.free();
        await().atMost(Duration.ofSeconds(5)).until(() -> !log.failing());
        log.appendMerged(key("m"), value("2", 4));
        log.awaitWritten(true);
        log.close();
        assertThat(values()).containsExactly("0", "1", "2");
    }

    @Test
    void aFailingFsyncRefusesWritesUnderAlwaysAndRecoversToo() throws Exception {
        DeltaLog log = open(FsyncPolicy.ALWAYS, 1 << 16);
        log.onDelta(key("k"), value("0", 1));
        log.awaitDurable(true);
        disk.failForces(new IOException("Input/output error"));
        log.onDelta(key("k"), value("1", 2));
        assertThatThrownBy(() -> log.awaitDurable(true)).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("Input/output error");
        assertThat(log.refusal()).isEqualTo("MISCONF Errors writing to the AOF file: Input/output error");
        long t0 = System.nanoTime();
        log.awaitDurable(false); // a read's replies: not held back
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(500);
        disk.failForces(null);
        await().atMost(Duration.ofSeconds(5)).until(() -> !log.failing());
        log.awaitDurable(true);
        assertThat(log.pendingFsyncBytes()).isZero();
        log.close();
        assertThat(values()).containsExactly("0", "1");
    }

    @Test
    void aSegmentThatCannotBeCreatedDuringARotationFailsTheLogAndIsCreatedOnceSpaceReturns() throws Exception {
        DeltaLog log = open(FsyncPolicy.EVERYSEC, 1 << 16);
        log.onDelta(key("k"), value("0", 1));
        log.awaitWritten(true);
        disk.fill();
        DeltaLog.Rotation rotation = log.rotate();
        log.onDelta(key("k"), value("1", 2));
        await().atMost(Duration.ofSeconds(5)).until(log::failing);
        assertThat(rotation.opened()).isNotDone();
        disk.free();
        rotation.opened().get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> !log.failing());
        log.awaitWritten(true);
        log.close();
        assertThat(values()).containsExactly("0");
        assertThat(log.segmentGeneration()).isEqualTo(2);
    }
}
