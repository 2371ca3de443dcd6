package io.converge.server.store.persist;

import io.converge.crdt.PhysicalClock;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.config.LiveConfig;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What {@link Persistence} is built from. The suppliers are read on use, so values changed with
 * CONFIG SET (appendfsync, the rewrite thresholds, the load options) apply at once.
 *
 * @param dataDir            the node's data directory (the log lives in {@code dataDir/appendonly})
 * @param appendOnly         whether writes are logged (the HLC high-water mark is kept either way)
 * @param fsync              {@code appendfsync}
 * @param rewritePercentage  {@code auto-aof-rewrite-percentage}: rewrite when the log grew by this
 *                           percentage of the last snapshot's size; 0 disables automatic rewrites
 * @param rewriteMinSize     {@code auto-aof-rewrite-min-size}: no automatic rewrite below this total size
 * @param loadTruncated      {@code aof-load-truncated}: accept (and cut off) a torn tail at start
 * @param loadSkipCorrupt    {@code aof-load-skip-corrupt}: skip damaged records at start instead of refusing
 * @param bufferBytes        size of each of the two log buffers (appends wait when both are full)
 * @param clock              wall clock for the high-water mark
 * @param files              how segments and snapshots are opened ({@link LogFiles#SYSTEM}; tests
 *                           inject failing disks)
 */
public record PersistenceSettings(Path dataDir, boolean appendOnly, Supplier<FsyncPolicy> fsync,
                                  IntSupplier rewritePercentage, LongSupplier rewriteMinSize,
                                  BooleanSupplier loadTruncated, BooleanSupplier loadSkipCorrupt,
                                  int bufferBytes, PhysicalClock clock, LogFiles files) {

    /** Default size of each log buffer. */
    public static final int DEFAULT_BUFFER_BYTES = 4 << 20;

    /** Validates. */
    public PersistenceSettings {
        if (bufferBytes < 4096) {
            throw new IllegalArgumentException("bufferBytes must be >= 4096: " + bufferBytes);
        }
        if (files == null) {
            files = LogFiles.SYSTEM;
        }
    }

    /** Settings from the node's live configuration. */
    public static PersistenceSettings fromConfig(LiveConfig config) {
        ConvergeConfig c = config.current();
        return new PersistenceSettings(c.effectiveDataDir(), c.appendonly(),
                () -> FsyncPolicy.parse(config.current().appendfsync()),
                () -> config.current().autoAofRewritePercentage(),
                () -> config.current().autoAofRewriteMinSize(),
                () -> config.current().aofLoadTruncated(),
                () -> config.current().aofLoadSkipCorrupt(),
                DEFAULT_BUFFER_BYTES, PhysicalClock.SYSTEM, LogFiles.SYSTEM);
    }

    /**
     * Settings for tests and tools: logging on, {@code policy}, Redis's rewrite defaults (100%,
     * 64 MB), torn tails accepted, damage refused.
     */
    public static PersistenceSettings of(Path dataDir, FsyncPolicy policy) {
        return new PersistenceSettings(dataDir, true, () -> policy, () -> 100, () -> 64L << 20, () -> true,
                () -> false, DEFAULT_BUFFER_BYTES, PhysicalClock.SYSTEM, LogFiles.SYSTEM);
    }

    /** A copy with another fsync policy. */
    public PersistenceSettings withFsync(FsyncPolicy policy) {
        return new PersistenceSettings(dataDir, appendOnly, () -> policy, rewritePercentage, rewriteMinSize,
                loadTruncated, loadSkipCorrupt, bufferBytes, clock, files);
    }

    /** A copy with other automatic-rewrite thresholds. */
    public PersistenceSettings withRewrite(int percentage, long minSize) {
        return new PersistenceSettings(dataDir, appendOnly, fsync, () -> percentage, () -> minSize,
                loadTruncated, loadSkipCorrupt, bufferBytes, clock, files);
    }

    /** A copy with other load options. */
    public PersistenceSettings withLoadOptions(boolean truncated, boolean skipCorrupt) {
        return new PersistenceSettings(dataDir, appendOnly, fsync, rewritePercentage, rewriteMinSize,
                () -> truncated, () -> skipCorrupt, bufferBytes, clock, files);
    }

    /** A copy with logging on or off. */
    public PersistenceSettings withAppendOnly(boolean on) {
        return new PersistenceSettings(dataDir, on, fsync, rewritePercentage, rewriteMinSize,
                loadTruncated, loadSkipCorrupt, bufferBytes, clock, files);
    }

    /** A copy with another buffer size. */
    public PersistenceSettings withBufferBytes(int bytes) {
        return new PersistenceSettings(dataDir, appendOnly, fsync, rewritePercentage, rewriteMinSize,
                loadTruncated, loadSkipCorrupt, bytes, clock, files);
    }

    /** A copy with another wall clock. */
    public PersistenceSettings withClock(PhysicalClock physical) {
        return new PersistenceSettings(dataDir, appendOnly, fsync, rewritePercentage, rewriteMinSize,
                loadTruncated, loadSkipCorrupt, bufferBytes, physical, files);
    }

    /** A copy that opens the log's files through {@code opener} (tests: a disk that fails on demand). */
    public PersistenceSettings withFiles(LogFiles opener) {
        return new PersistenceSettings(dataDir, appendOnly, fsync, rewritePercentage, rewriteMinSize,
                loadTruncated, loadSkipCorrupt, bufferBytes, clock, opener);
    }
}
