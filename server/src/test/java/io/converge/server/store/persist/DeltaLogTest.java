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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log writer: ordering, bounded buffering, durability waits and segment rotation. */
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
}
