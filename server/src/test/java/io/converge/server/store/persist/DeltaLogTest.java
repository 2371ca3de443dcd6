package io.converge.server.store.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.crdt.CrdtCodec;
import io.converge.crdt.KeyState;
import io.converge.crdt.codec.CrdtReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log writer: ordering, bounded buffering, writes before replies, durability waits and
 * segment rotation.
 */
class DeltaLogTest {

    @TempDir
    Path dir;

    private static KeyState value(String v, long hlc) {
        return new KeyState().setString(v.getBytes(StandardCharsets.UTF_8), 0, hlc, 1);
    }

    /** (key, value) of every record in a segment, in file order. */
    private static List<String[]> read(Path segment) throws IOException {
        List<String[]> out = new ArrayList<>();
        try (RecordReader r = RecordReader.open(segment, RecordFormat.SEGMENT_MAGIC)) {
            RecordReader.Outcome o;
            while ((o = r.next()) == RecordReader.Outcome.RECORD) {
                assertThat(r.payloadArray()[r.payloadOffset()]).isEqualTo((byte) RecordFormat.TYPE_DELTA);
                CrdtReader in = new CrdtReader(r.payloadArray(), r.payloadOffset() + 1, r.payloadLength() - 1);
                String key = new String(in.readBytes(), StandardCharsets.UTF_8);
                KeyState state = CrdtCodec.decode(in);
                out.add(new String[] {key, new String(state.stringBytes(), StandardCharsets.UTF_8)});
            }
            assertThat(o).isEqualTo(RecordReader.Outcome.END);
        }
        return out;
    }

    @Test
    void concurrentAppendersThroughATinyBufferWaitInsteadOfQueueingAndLoseNothing() throws Exception {
        LogDirectory logDir = new LogDirectory(dir);
        logDir.create();
        DeltaLog log = new DeltaLog(logDir, () -> FsyncPolicy.NO, 4096);
        log.open(1);
        int threads = 4;
        int perThread = 5000;
        List<Thread> appenders = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String key = "thread-" + t;
            Thread th = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    log.onDelta(key.getBytes(StandardCharsets.UTF_8), value(Integer.toString(i), i + 1));
                }
            });
            appenders.add(th);
            th.start();
        }
        for (Thread th : appenders) {
            th.join();
        }
        log.close();
        // Two 4 KB buffers cannot hold 20000 records: appenders had to wait for the writer.
        assertThat(log.bufferFullWaits()).isPositive();
        List<String[]> records = read(logDir.segment(1));
        assertThat(records).hasSize(threads * perThread);
        Map<String, Integer> next = new HashMap<>();
        for (String[] r : records) {
            int expected = next.getOrDefault(r[0], 0);
            assertThat(Integer.parseInt(r[1])).as("order of %s", r[0]).isEqualTo(expected);
            next.put(r[0], expected + 1);
        }
    }

    @Test
    void awaitDurableReturnsOnceEverythingAppendedIsForced() throws IOException {
        LogDirectory logDir = new LogDirectory(dir);
        logDir.create();
        DeltaLog log = new DeltaLog(logDir, () -> FsyncPolicy.ALWAYS, 1 << 16);
        log.open(1);
        for (int i = 0; i < 100; i++) {
            log.onDelta("k".getBytes(StandardCharsets.UTF_8), value("v" + i, i + 1));
            log.awaitDurable();
            assertThat(log.pendingFsyncBytes()).isZero();
            assertThat(read(logDir.segment(1))).hasSize(i + 1);
        }
        log.close();
        assertThatThrownBy(() -> log.onDelta("k".getBytes(StandardCharsets.UTF_8), value("late", 1000)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void underEverysecAFlushRequestStillForces() throws IOException {
        LogDirectory logDir = new LogDirectory(dir);
        logDir.create();
        DeltaLog log = new DeltaLog(logDir, () -> FsyncPolicy.NO, 1 << 16);
        log.open(1);
        log.onDelta("k".getBytes(StandardCharsets.UTF_8), value("v", 1));
        log.awaitDurable(); // what Persistence.flush() does whatever the policy
        assertThat(log.pendingFsyncBytes()).isZero();
        log.close();
    }

    @Test
    void rotationSplitsTheStreamAtTheMomentItIsRequested() throws Exception {
        LogDirectory logDir = new LogDirectory(dir);
        logDir.create();
        DeltaLog log = new DeltaLog(logDir, () -> FsyncPolicy.EVERYSEC, 1 << 16);
        log.open(1);
        for (int i = 0; i < 50; i++) {
            log.onDelta("a".getBytes(StandardCharsets.UTF_8), value("before" + i, i + 1));
        }
        DeltaLog.Rotation rotation = log.rotate();
        for (int i = 0; i < 30; i++) {
            log.onDelta("a".getBytes(StandardCharsets.UTF_8), value("after" + i, 100 + i));
        }
        assertThat(rotation.generation()).isEqualTo(2);
        rotation.opened().get();
        log.close();
        List<String[]> first = read(logDir.segment(1));
        List<String[]> second = read(logDir.segment(2));
        assertThat(first).hasSize(50).allMatch(r -> r[1].startsWith("before"));
        assertThat(second).hasSize(30).allMatch(r -> r[1].startsWith("after"));
        assertThat(log.segmentGeneration()).isEqualTo(2);
    }

    /** Every record of segments {@code 1..lastGeneration}, in stream order. */
    private static List<String[]> readAll(LogDirectory logDir, long lastGeneration) throws IOException {
        List<String[]> out = new ArrayList<>();
        for (long g = 1; g <= lastGeneration; g++) {
            out.addAll(read(logDir.segment(g)));
        }
        return out;
    }

    /** Asserts that key {@code thread-t} holds exactly values 0..counts[t]-1, in order. */
    private static void assertExactlyOnceInOrder(List<String[]> records, int[] counts) {
        int[] next = new int[counts.length];
        for (String[] r : records) {
            int t = Integer.parseInt(r[0].substring("thread-".length()));
            assertThat(Integer.parseInt(r[1])).as("record of %s", r[0]).isEqualTo(next[t]);
            next[t]++;
        }
        assertThat(next).isEqualTo(counts);
    }

    @Test
    void awaitWrittenPutsEveryAppendedRecordInTheFileWithoutForcingIt() throws IOException {
        LogDirectory logDir = new LogDirectory(dir);
        logDir.create();
        // With "no" the writer never forces and, as nobody wakes it, sleeps up to a second: the
        // records below reach the file only because awaitWritten writes them on this thread.
        DeltaLog log = new DeltaLog(logDir, () -> FsyncPolicy.NO, 1 << 16);
        log.open(1);
        for (int i = 0; i < 100; i++) {
            log.onDelta("k".getBytes(StandardCharsets.UTF_8), value("v" + i, i + 1));
            if (i % 3 == 0) {
                log.onDelta("j".getBytes(StandardCharsets.UTF_8), value("w" + i, i + 1)); // two records, one write
            }
            log.awaitWritten();
            assertThat(log.bufferedBytes()).isZero();
            List<String[]> records = read(logDir.segment(1));
            assertThat(records.getLast()).containsExactly(i % 3 == 0 ? "j" : "k", i % 3 == 0 ? "w" + i : "v" + i);
            assertThat(records).hasSize(i + 1 + i / 3 + 1);
        }
        assertThat(log.pendingFsyncBytes()).as("written, not forced").isPositive();
        log.awaitWritten(); // nothing pending: returns at once
        log.close();
        assertThat(log.pendingFsyncBytes()).isZero();
        assertThat(read(logDir.segment(1))).hasSize(100 + 34);
    }

    @Test
    void awaitWrittenDuringAPendingRotationWaitsForTheWriterToSwitchSegments() throws Exception {
        LogDirectory logDir = new LogDirectory(dir);
        logDir.create();
        DeltaLog log = new DeltaLog(logDir, () -> FsyncPolicy.EVERYSEC, 1 << 16);
        log.open(1);
        for (int i = 0; i < 20; i++) {
            log.onDelta("a".getBytes(StandardCharsets.UTF_8), value("before" + i, i + 1));
        }
        DeltaLog.Rotation rotation = log.rotate();
        for (int i = 0; i < 10; i++) {
            log.onDelta("a".getBytes(StandardCharsets.UTF_8), value("after" + i, 100 + i));
        }
        log.awaitWritten();
        assertThat(rotation.opened()).isDone();
        assertThat(read(logDir.segment(1))).hasSize(20).allMatch(r -> r[1].startsWith("before"));
        assertThat(read(logDir.segment(2))).hasSize(10).allMatch(r -> r[1].startsWith("after"));
        log.close();
    }

    /**
     * Network threads write the buffer themselves while the writer rotates segments again and
     * again: every record a thread waited for is in the files at once (as after a kill -9: the log
     * is not closed), exactly once, in order across segments.
     */
    @Test
    void writesBeforeRepliesAndRotationsLoseNothingAndDuplicateNothing() throws Exception {
        LogDirectory logDir = new LogDirectory(dir);
        logDir.create();
        DeltaLog log = new DeltaLog(logDir, () -> FsyncPolicy.EVERYSEC, 8192);
        log.open(1);
        int threads = 4;
        int perThread = 20_000;
        AtomicReference<Throwable> error = new AtomicReference<>();
        List<Thread> clients = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            byte[] key = ("thread-" + t).getBytes(StandardCharsets.UTF_8);
            Thread th = new Thread(() -> {
                try {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    int i = 0;
                    while (i < perThread) {
                        int pipeline = Math.min(perThread - i, 1 + random.nextInt(8)); // a batch of commands
                        for (int k = 0; k < pipeline; k++, i++) {
                            log.onDelta(key, value(Integer.toString(i), i + 1));
                        }
                        log.awaitWritten(); // before the batch's replies
                    }
                } catch (Throwable e) {
                    error.set(e);
                }
            });
            clients.add(th);
            th.start();
        }
        int rotations = 0;
        while (clients.stream().anyMatch(Thread::isAlive)) {
            log.rotate().opened().get(10, TimeUnit.SECONDS);
            rotations++;
            Thread.sleep(1);
        }
        for (Thread th : clients) {
            th.join();
        }
        assertThat(error.get()).isNull();
        assertThat(rotations).isPositive();
        long last = log.segmentGeneration();
        assertThat(last).isEqualTo(1 + rotations);
        int[] counts = new int[threads];
        Arrays.fill(counts, perThread);
        assertExactlyOnceInOrder(readAll(logDir, last), counts); // before close: what a crash leaves
        log.close();
        assertExactlyOnceInOrder(readAll(logDir, last), counts);
    }

    /** close() while threads append, wait for writes and a rotation is pending: nobody hangs, nothing is lost. */
    @Test
    void closeNeverLeavesAWaitingThreadBlocked() throws Exception {
        LogDirectory logDir = new LogDirectory(dir);
        logDir.create();
        DeltaLog log = new DeltaLog(logDir, () -> FsyncPolicy.EVERYSEC, 4096);
        log.open(1);
        int threads = 4;
        int[] appended = new int[threads];
        AtomicBoolean unexpected = new AtomicBoolean();
        List<Thread> clients = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int index = t;
            byte[] key = ("thread-" + t).getBytes(StandardCharsets.UTF_8);
            Thread th = new Thread(() -> {
                try {
                    for (int i = 0; ; i++) {
                        log.onDelta(key, value(Integer.toString(i), i + 1));
                        appended[index] = i + 1;
                        if (i % 4 == 3) {
                            log.awaitWritten();
                        }
                    }
                } catch (IllegalStateException closed) {
                    // appended after close, or waited while it closed: what callers see at shutdown
                } catch (Throwable e) {
                    unexpected.set(true);
                }
            });
            clients.add(th);
            th.start();
        }
        Thread.sleep(50);
        log.rotate(); // pending when close() starts: the writer performs it while closing
        log.close();
        for (Thread th : clients) {
            th.join(TimeUnit.SECONDS.toMillis(10));
            assertThat(th.isAlive()).as("thread still blocked after close").isFalse();
        }
        assertThat(unexpected).isFalse();
        assertExactlyOnceInOrder(readAll(logDir, 2), appended);
    }
}
