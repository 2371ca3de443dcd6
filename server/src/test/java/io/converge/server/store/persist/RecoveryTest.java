package io.converge.server.store.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.crdt.KeyState;
import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.EngineSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery of the embedded engine from its log: after a clean shutdown, after a crash at any
 * byte (torn tails), and with damage in the middle (refused, or skipped on request).
 */
class RecoveryTest {
    private static final long T0 = 1_750_000_000_000L;

    @TempDir
    Path dir;

    private final List<Path> extraDirs = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        extraDirs.forEach(EngineWithLog::delete);
    }

    /** A delta as the engine reported it. */
    record Logged(byte[] key, KeyState delta) {}

    /** Runs {@code ops} random writes on a fresh node in {@code dataDir}; returns the deltas reported, in order. */
    private static List<Logged> writeRandomly(EngineWithLog node, EngineWithLog.ManualClock clock, long seed, int ops,
                                              boolean awaitEach) {
        List<Logged> logged = new ArrayList<>();
        node.engine.addDeltaListener((k, d) -> logged.add(new Logged(k.clone(), d.copy())));
        RandomWrites writes = new RandomWrites(seed, 30);
        for (int i = 0; i < ops; i++) {
            writes.apply(node.engine);
            clock.advance(1);
            if (awaitEach) {
                node.persistence.awaitDurable();
            }
        }
        return logged;
    }

    /**
     * The state of an engine that merged the first {@code count} deltas (what replaying them must
     * give). Its clock is past every stamp, as a recovered node's is (its floor is the high-water
     * mark), so it collects the same tombstones.
     */
    private static TreeMap<String, KeyState> replayed(List<Logged> deltas, int count, List<Integer> except) {
        EmbeddedEngine engine = new EmbeddedEngine(EngineSettings.of(1, () -> T0 + 86_400_000L).withStripes(16));
        for (int i = 0; i < count; i++) {
            if (!except.contains(i)) {
                engine.merge(deltas.get(i).key(), deltas.get(i).delta());
            }
        }
        TreeMap<String, KeyState> states = EngineWithLog.statesOf(engine);
        engine.close();
        return states;
    }

    /** End offsets of every record of a segment file. */
    private static List<Long> recordEnds(Path segment) throws IOException {
        List<Long> ends = new ArrayList<>();
        try (RecordReader r = RecordReader.open(segment, RecordFormat.SEGMENT_MAGIC)) {
            while (r.next() == RecordReader.Outcome.RECORD) {
                ends.add(r.position());
            }
        }
        return ends;
    }

    private Path newDataDir() throws IOException {
        Path d = Files.createTempDirectory("converge-recovery");
        extraDirs.add(d);
        return d;
    }

    @Test
    void cleanShutdownRestoresEveryStateExactly() throws IOException {
        EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);
        PersistenceSettings settings = PersistenceSettings.of(dir, FsyncPolicy.EVERYSEC).withClock(clock);
        TreeMap<String, KeyState> live;
        try (EngineWithLog node = EngineWithLog.start(settings)) {
            List<Logged> logged = writeRandomly(node, clock, 1, 3000, false);
            live = node.states();
            assertThat(logged).hasSizeGreaterThan(1000);
            // Merging the reported deltas gives the live state: the log has everything it needs.
            assertThat(replayed(logged, logged.size(), List.of())).isEqualTo(live);
        }
        assertThat(live.values()).anyMatch(KeyState::exists);
        try (EngineWithLog again = EngineWithLog.start(settings)) {
            assertThat(again.states()).isEqualTo(live);
            assertThat(again.persistence.loaded().truncatedBytes()).isZero();
            assertThat(again.persistence.loaded().records()).isPositive();
        }
    }

    @Test
    void crashAtAnyByteRecoversExactlyAPrefixOfTheWrites() throws IOException {
        EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);
        PersistenceSettings settings = PersistenceSettings.of(dir, FsyncPolicy.ALWAYS).withClock(clock);
        List<Logged> logged;
        try (EngineWithLog node = EngineWithLog.start(settings)) {
            logged = writeRandomly(node, clock, 2, 400, true);
        }
        Path segment = EngineWithLog.segments(dir).getFirst();
        List<Long> ends = recordEnds(segment);
        assertThat(ends).hasSize(logged.size());
        byte[] whole = Files.readAllBytes(segment);
        Random random = new Random(3);
        for (int trial = 0; trial < 30; trial++) {
            int cut = trial == 0 ? whole.length : RecordFormat.FILE_HEADER + random.nextInt(whole.length - RecordFormat.FILE_HEADER);
            Path image = newDataDir();
            Path copy = new LogDirectory(image).segment(1);
            Files.createDirectories(copy.getParent());
            Files.write(copy, java.util.Arrays.copyOf(whole, cut));
            int complete = 0;
            while (complete < ends.size() && ends.get(complete) <= cut) {
                complete++;
            }
            long recordEnd = complete == 0 ? RecordFormat.FILE_HEADER : ends.get(complete - 1);
            try (EngineWithLog recovered = EngineWithLog.start(PersistenceSettings.of(image, FsyncPolicy.ALWAYS)
                    .withClock(clock))) {
                assertThat(recovered.states()).as("cut at byte %d of %d", cut, whole.length)
                        .isEqualTo(replayed(logged, complete, List.of()));
                assertThat(recovered.persistence.loaded().truncatedBytes()).isEqualTo(cut - recordEnd);
            }
            // The torn tail was cut off: the file now ends at the last complete record, and
            // a second start finds nothing to cut.
            assertThat(Files.size(copy)).isEqualTo(recordEnd);
            try (EngineWithLog again = EngineWithLog.start(PersistenceSettings.of(image, FsyncPolicy.ALWAYS))) {
                assertThat(again.persistence.loaded().truncatedBytes()).isZero();
                assertThat(again.states()).isEqualTo(replayed(logged, complete, List.of()));
            }
            EngineWithLog.delete(image);
        }
    }

    @Test
    void withAlwaysACrashRightAfterTheAcknowledgementKeepsEveryAcknowledgedWrite() throws IOException {
        EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);
        PersistenceSettings settings = PersistenceSettings.of(dir, FsyncPolicy.ALWAYS).withClock(clock);
        try (EngineWithLog node = EngineWithLog.start(settings)) {
            List<Logged> logged = new ArrayList<>();
            node.engine.addDeltaListener((k, d) -> logged.add(new Logged(k.clone(), d.copy())));
            RandomWrites writes = new RandomWrites(4, 20);
            for (int round = 0; round < 5; round++) {
                for (int i = 0; i < 60; i++) {
                    writes.apply(node.engine);
                    clock.advance(1);
                }
                node.persistence.awaitDurable(); // the replies of these writes may now be sent
                int acknowledged = logged.size();
                Path image = EngineWithLog.crashImage(dir);
                extraDirs.add(image);
                try (EngineWithLog recovered = EngineWithLog.start(PersistenceSettings.of(image, FsyncPolicy.ALWAYS)
                        .withClock(clock))) {
                    assertThat(recovered.persistence.loaded().records()).isEqualTo(acknowledged);
                    assertThat(recovered.states()).isEqualTo(replayed(logged, acknowledged, List.of()));
                }
            }
        }
    }

    @Test
    void damageInTheMiddleIsRefusedWithItsPlaceThenSkippedOnRequest() throws IOException {
        EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);
        PersistenceSettings settings = PersistenceSettings.of(dir, FsyncPolicy.EVERYSEC).withClock(clock);
        List<Logged> logged;
        try (EngineWithLog node = EngineWithLog.start(settings)) {
            logged = writeRandomly(node, clock, 5, 300, false);
        }
        Path segment = EngineWithLog.segments(dir).getFirst();
        List<Long> ends = recordEnds(segment);
        int victim = ends.size() / 2;
        long start = ends.get(victim - 1);
        flipByte(segment, start + RecordFormat.HEADER + 3); // inside the payload

        assertThatThrownBy(() -> EngineWithLog.start(settings))
                .isInstanceOf(LogCorruptException.class)
                .hasMessageContaining(segment.toString())
                .hasMessageContaining("at byte " + start)
                .hasMessageContaining("checksum mismatch")
                .hasMessageContaining("aof-load-skip-corrupt")
                .satisfies(e -> assertThat(((LogCorruptException) e).offset()).isEqualTo(start));

        PersistenceSettings skipping = settings.withLoadOptions(true, true);
        try (EngineWithLog node = EngineWithLog.start(skipping)) {
            assertThat(node.states()).isEqualTo(replayed(logged, logged.size(), List.of(victim)));
            assertThat(node.persistence.loaded().skippedBytes()).isEqualTo(ends.get(victim) - start);
            assertThat(node.persistence.loaded().damaged()).isTrue();
            // A rewrite replaces the damaged file, so the next start needs no special option.
            org.awaitility.Awaitility.await().until(() -> node.persistence.rewrites() == 1);
        }
        assertThat(Files.exists(segment)).isFalse();
        try (EngineWithLog node = EngineWithLog.start(settings)) {
            assertThat(node.states()).isEqualTo(replayed(logged, logged.size(), List.of(victim)));
        }
    }

    @Test
    void aDamagedLengthFieldIsDamageNotAnEndOfFile() throws IOException {
        EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);
        PersistenceSettings settings = PersistenceSettings.of(dir, FsyncPolicy.EVERYSEC).withClock(clock);
        List<Logged> logged;
        try (EngineWithLog node = EngineWithLog.start(settings)) {
            logged = writeRandomly(node, clock, 6, 200, false);
        }
        Path segment = EngineWithLog.segments(dir).getFirst();
        List<Long> ends = recordEnds(segment);
        int victim = 10;
        long start = ends.get(victim - 1);
        flipByte(segment, start); // the high byte of the length: the record would reach past the end
        assertThatThrownBy(() -> EngineWithLog.start(settings))
                .isInstanceOf(LogCorruptException.class)
                .hasMessageContaining("record header checksum mismatch")
                .hasMessageContaining("intact records follow at byte " + ends.get(victim));
        try (EngineWithLog node = EngineWithLog.start(settings.withLoadOptions(true, true))) {
            assertThat(node.states()).isEqualTo(replayed(logged, logged.size(), List.of(victim)));
        }
    }

    @Test
    void tornTailIsCutOffByDefaultAndRefusedWithAofLoadTruncatedNo() throws IOException {
        EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);
        PersistenceSettings settings = PersistenceSettings.of(dir, FsyncPolicy.EVERYSEC).withClock(clock);
        List<Logged> logged;
        try (EngineWithLog node = EngineWithLog.start(settings)) {
            logged = writeRandomly(node, clock, 7, 100, false);
        }
        Path segment = EngineWithLog.segments(dir).getFirst();
        // The machine lost power while the file grew: the new blocks read back as zeros.
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.allocate(4096));
        }
        long before = Files.size(segment);
        assertThatThrownBy(() -> EngineWithLog.start(settings.withLoadOptions(false, false)))
                .isInstanceOf(LogCorruptException.class)
                .hasMessageContaining("aof-load-truncated");
        assertThat(Files.size(segment)).isEqualTo(before);
        try (EngineWithLog node = EngineWithLog.start(settings)) {
            assertThat(node.persistence.loaded().truncatedBytes()).isEqualTo(4096);
            assertThat(node.states()).isEqualTo(replayed(logged, logged.size(), List.of()));
        }
        assertThat(Files.size(segment)).isEqualTo(before - 4096);
    }

    @Test
    void tornTailOfAnEarlierSegmentOrAMissingSegmentIsDamage() throws IOException {
        EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);
        PersistenceSettings settings = PersistenceSettings.of(dir, FsyncPolicy.EVERYSEC).withClock(clock);
        List<Logged> logged = new ArrayList<>();
        for (int run = 0; run < 3; run++) { // every start opens a new segment
            try (EngineWithLog node = EngineWithLog.start(settings)) {
                logged.addAll(writeRandomly(node, clock, 10 + run, 50, false));
            }
        }
        List<Path> segments = EngineWithLog.segments(dir);
        assertThat(segments).hasSize(3);
        Path first = segments.getFirst();
        long size = Files.size(first);
        try (FileChannel ch = FileChannel.open(first, StandardOpenOption.WRITE)) {
            ch.truncate(size - 3);
        }
        assertThatThrownBy(() -> EngineWithLog.start(settings))
                .isInstanceOf(LogCorruptException.class)
                .hasMessageContaining(first.toString())
                .hasMessageContaining("not the last one");

        Files.delete(segments.get(1));
        assertThatThrownBy(() -> EngineWithLog.start(settings.withLoadOptions(true, false)))
                .isInstanceOf(LogCorruptException.class)
                .hasMessageContaining(new LogDirectory(dir).segment(2).getFileName() + " is missing");
        TreeMap<String, KeyState> loaded;
        try (EngineWithLog node = EngineWithLog.start(settings.withLoadOptions(true, true))) {
            loaded = node.states();
            assertThat(loaded).isNotEmpty();
            org.awaitility.Awaitility.await().until(() -> node.persistence.rewrites() == 1);
        }
        // The rewrite replaced the damaged files: they load without special options.
        try (EngineWithLog node = EngineWithLog.start(settings)) {
            assertThat(node.states()).isEqualTo(loaded);
        }
    }

    @Test
    void damagedSnapshotIsRefused() throws IOException {
        EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);
        PersistenceSettings settings = PersistenceSettings.of(dir, FsyncPolicy.EVERYSEC).withClock(clock);
        TreeMap<String, KeyState> live;
        try (EngineWithLog node = EngineWithLog.start(settings)) {
            writeRandomly(node, clock, 8, 300, false);
            assertThat(node.persistence.rewriteNow()).isTrue();
            live = node.states();
        }
        Path snapshot = EngineWithLog.snapshots(dir).getFirst();
        flipByte(snapshot, Files.size(snapshot) / 2);
        assertThatThrownBy(() -> EngineWithLog.start(settings))
                .isInstanceOf(LogCorruptException.class)
                .hasMessageContaining(snapshot.toString());
        try (EngineWithLog node = EngineWithLog.start(settings.withLoadOptions(true, true))) {
            assertThat(node.persistence.loaded().skippedBytes()).isPositive();
            assertThat(node.states().size()).isLessThan(live.size());
        }
    }

    static void flipByte(Path file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.flip();
            byte v = b.get();
            ch.write(ByteBuffer.wrap(new byte[] {(byte) (v ^ 0x5A)}), offset);
        }
    }
}
