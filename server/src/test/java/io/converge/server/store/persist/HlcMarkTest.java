package io.converge.server.store.persist;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.crdt.Hlc;
import io.converge.crdt.HybridLogicalClock;
import io.converge.crdt.KeyState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HLC high-water mark: a restarted node never stamps at or below what it stamped before. */
class HlcMarkTest {
    private static final long T0 = 1_750_000_000_000L;
    private static final long ONE_HOUR = 3_600_000L;
    private static final byte[] KEY = "k".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private final List<Path> images = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        images.forEach(EngineWithLog::delete);
    }

    private static void set(EngineWithLog node, String value) {
        node.engine.withKey(KEY, a -> {
            a.written(a.forWrite().setString(value.getBytes(StandardCharsets.UTF_8), 0, a.stamp(), a.node()));
            return null;
        });
    }

    private static String get(EngineWithLog node) {
        return node.engine.withKey(KEY, a -> new String(a.live().stringBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void afterACrashTheClockStartsAboveEverythingIssuedEvenWithTheWallClockAnHourBehind() throws IOException {
        EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);
        long lastIssued = 0;
        Path image;
        try (EngineWithLog node = EngineWithLog.start(PersistenceSettings.of(dir, FsyncPolicy.EVERYSEC).withClock(clock))) {
            set(node, "before");
            // Timestamps that never reach the log (reads of the clock, stamps sent to peers...)
            // must be covered too: the mark is stored before the clock issues beyond it.
            for (int i = 0; i < 5000; i++) {
                lastIssued = node.engine.clock().now();
                if (i % 7 == 0) {
                    clock.advance(3);
                }
            }
            image = EngineWithLog.crashImage(dir); // no clean shutdown
            images.add(image);
        }
        EngineWithLog.ManualClock behind = new EngineWithLog.ManualClock(T0 - ONE_HOUR);
        try (EngineWithLog node = EngineWithLog.start(PersistenceSettings.of(image, FsyncPolicy.EVERYSEC).withClock(behind))) {
            long first = node.engine.clock().now();
            assertThat(first).isGreaterThan(lastIssued);
            // The reservation lead keeps the jump small: at most LEAD_MS past the last stamp.
            assertThat(Hlc.physical(first) - Hlc.physical(lastIssued)).isLessThanOrEqualTo(HlcMark.LEAD_MS + 1);
            // A write after the restart wins over the write before it (last writer wins by HLC).
            set(node, "after");
            assertThat(get(node)).isEqualTo("after");
        }
        try (EngineWithLog node = EngineWithLog.start(PersistenceSettings.of(image, FsyncPolicy.EVERYSEC).withClock(behind))) {
            assertThat(get(node)).isEqualTo("after");
        }
    }

    @Test
    void aCleanShutdownStoresTheExactLastStamp() throws IOException {
        EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);
        PersistenceSettings settings = PersistenceSettings.of(dir, FsyncPolicy.EVERYSEC).withClock(clock);
        long lastIssued;
        try (EngineWithLog node = EngineWithLog.start(settings)) {
            set(node, "x");
            lastIssued = node.engine.clock().now();
        }
        try (HlcMark mark = HlcMark.open(dir, clock)) {
            assertThat(mark.stored()).isGreaterThan(lastIssued);
            assertThat(Hlc.physical(mark.stored())).isEqualTo(Hlc.physical(lastIssued));
        }
        EngineWithLog.ManualClock behind = new EngineWithLog.ManualClock(T0 - ONE_HOUR);
        try (EngineWithLog node = EngineWithLog.start(settings.withClock(behind))) {
            assertThat(node.engine.clock().now()).isGreaterThan(lastIssued);
        }
    }

    @Test
    void theMarkIsOnDiskBeforeTheClockIssuesBeyondIt() throws IOException {
        EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);
        HybridLogicalClock hlc = new HybridLogicalClock(clock);
        try (HlcMark mark = HlcMark.open(dir, clock)) {
            mark.attach(hlc, 0);
            for (int i = 0; i < 400; i++) {
                clock.advance(i % 3 == 0 ? 97 : 1); // sometimes past the reservation window
                long issued = hlc.now();
                try (HlcMark onDisk = HlcMark.open(dir, clock)) {
                    assertThat(onDisk.stored()).as("stamp %d", i).isGreaterThanOrEqualTo(issued);
                }
            }
            assertThat(mark.writes()).isGreaterThan(1);
        }
    }

    @Test
    void theMarkIsKeptWithAppendOnlyNo() throws IOException {
        EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);
        PersistenceSettings settings = PersistenceSettings.of(dir, FsyncPolicy.EVERYSEC).withClock(clock)
                .withAppendOnly(false);
        long lastIssued;
        try (EngineWithLog node = EngineWithLog.start(settings)) {
            set(node, "x");
            lastIssued = node.engine.clock().now();
        }
        assertThat(EngineWithLog.segments(dir)).isEmpty();
        try (EngineWithLog node = EngineWithLog.start(settings.withClock(new EngineWithLog.ManualClock(T0 - ONE_HOUR)))) {
            KeyState none = node.engine.withKey(KEY, a -> a.live());
            assertThat(none).isNull(); // nothing was logged
            assertThat(node.engine.clock().now()).isGreaterThan(lastIssued);
        }
    }

    @Test
    void aTornSlotFallsBackToThePreviousMark() throws IOException {
        EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);
        try (HlcMark mark = HlcMark.open(dir, clock)) {
            mark.store(Hlc.pack(T0, 0), false);      // sequence 1: slot 1
            mark.store(Hlc.pack(T0 + 10, 0), false); // sequence 2: slot 0
        }
        // Damage the slot written last (sequence 2, slot 0).
        RecoveryTest.flipByte(dir.resolve(HlcMark.FILE), 14);
        try (HlcMark mark = HlcMark.open(dir, clock)) {
            assertThat(mark.stored()).isEqualTo(Hlc.pack(T0, 0));
        }
    }

    @Test
    void theLogFloorsTheClockWhenTheMarkFileIsGone() throws IOException {
        EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);
        PersistenceSettings settings = PersistenceSettings.of(dir, FsyncPolicy.EVERYSEC).withClock(clock);
        long written;
        try (EngineWithLog node = EngineWithLog.start(settings)) {
            set(node, "x");
            written = node.engine.withKey(KEY, a -> a.live().lastWriteHlc());
        }
        java.nio.file.Files.delete(dir.resolve(HlcMark.FILE));
        try (EngineWithLog node = EngineWithLog.start(settings.withClock(new EngineWithLog.ManualClock(T0 - ONE_HOUR)))) {
            KeyState state = node.engine.stateCopy(KEY);
            assertThat(state.lastWriteHlc()).isEqualTo(written);
            assertThat(node.engine.clock().now()).isGreaterThan(written);
        }
    }
}
