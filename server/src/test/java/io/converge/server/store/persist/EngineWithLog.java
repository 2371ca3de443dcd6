package io.converge.server.store.persist;

import io.converge.crdt.KeyState;
import io.converge.crdt.PhysicalClock;
import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.EngineSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A real {@link EmbeddedEngine} with {@link Persistence} over a data directory, as a node has
 * them, for tests. {@link #states()} is the engine's whole CRDT state, keyed by the key's bytes
 * as ISO-8859-1 text (one char per byte), for comparing two engines.
 */
final class EngineWithLog implements AutoCloseable {
    /** A settable wall clock. */
    static final class ManualClock implements PhysicalClock {
        final AtomicLong ms;

        ManualClock(long start) {
            ms = new AtomicLong(start);
        }

        @Override
        public long millis() {
            return ms.get();
        }

        void advance(long delta) {
            ms.addAndGet(delta);
        }
    }

    final EmbeddedEngine engine;
    final Persistence persistence;

    private EngineWithLog(EmbeddedEngine engine, Persistence persistence) {
        this.engine = engine;
        this.persistence = persistence;
    }

    /** Builds an engine (node id 1, clock of {@code settings}) and starts its persistence. */
    static EngineWithLog start(PersistenceSettings settings) throws IOException {
        EmbeddedEngine engine = new EmbeddedEngine(EngineSettings.of(1, settings.clock()).withStripes(16));
        Persistence p = Persistence.create(settings, engine, engine.clock(), StateSource.of(engine));
        p.start();
        return new EngineWithLog(engine, p);
    }

    /** Every state the engine holds (copies), by key. */
    TreeMap<String, KeyState> states() {
        return statesOf(engine);
    }

    static TreeMap<String, KeyState> statesOf(EmbeddedEngine engine) {
        TreeMap<String, KeyState> out = new TreeMap<>();
        for (int p = 0; p < engine.partitions(); p++) {
            engine.forEachState(p, (k, s) -> out.put(new String(k, StandardCharsets.ISO_8859_1), s.copy()));
        }
        return out;
    }

    /**
     * {@code states} with tombstone GC applied as a single replica would at a horizon past every
     * stamp ({@code KeyState.gc}), dropping what becomes garbage. Two engines whose states are
     * equal this way hold the same data and behave the same from now on; they may differ only in
     * delete records that one of them has already collected (see docs/persistence.md: replaying a
     * delta that is also in the snapshot brings back its delete record).
     */
    static TreeMap<String, KeyState> collected(TreeMap<String, KeyState> states, long horizonHlc) {
        TreeMap<String, KeyState> out = new TreeMap<>();
        states.forEach((k, s) -> {
            KeyState c = s.copy();
            c.gc(horizonHlc);
            if (!c.isGarbage()) {
                out.put(k, c);
            }
        });
        return out;
    }

    /** The visible states only (existing keys), by key. */
    TreeMap<String, KeyState> visibleStates() {
        TreeMap<String, KeyState> out = states();
        out.values().removeIf(s -> !s.exists());
        return out;
    }

    @Override
    public void close() {
        persistence.close();
        engine.close();
    }

    /** Copies a data directory as it is on disk right now: what a crash (kill -9) leaves. */
    static Path crashImage(Path dataDir) {
        try {
            Path copy = Files.createTempDirectory("converge-crash");
            try (Stream<Path> files = Files.walk(dataDir)) {
                for (Path f : files.sorted().toList()) {
                    Path target = copy.resolve(dataDir.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(f, target);
                    }
                }
            }
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes a directory tree. */
    static void delete(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(files.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The segment files of a data directory, oldest first. */
    static List<Path> segments(Path dataDir) throws IOException {
        return new ArrayList<>(new LogDirectory(dataDir).segments().values());
    }

    /** The snapshot files of a data directory, oldest first. */
    static List<Path> snapshots(Path dataDir) throws IOException {
        return new ArrayList<>(new LogDirectory(dataDir).snapshots().values());
    }
}
