package io.converge.server.store.persist;

import io.converge.crdt.CrdtCodec;
import io.converge.crdt.KeyState;
import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.server.store.StorageEngine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the log directory into an engine at start: the latest complete snapshot, then every
 * segment from the snapshot's generation on, each record joined with {@link StorageEngine#merge}
 * (deltas merged this way are not reported as new local writes, so nothing is logged twice).
 *
 * <p><b>What is tolerated.</b> A torn tail of the <em>last</em> segment (the process or machine
 * stopped mid-append; no intact record follows) is cut off and loading continues, unless
 * {@code aof-load-truncated no}; it is logged either way. Damage with intact records after it,
 * an undecodable record, a torn tail in an earlier segment, a missing segment or a damaged
 * snapshot stop the start with a {@link LogCorruptException} naming the file and offset, unless
 * {@code aof-load-skip-corrupt yes}: then the damaged bytes are skipped, the intact records on
 * both sides are loaded, and {@link Result#damaged()} asks for a rewrite so that the damaged file
 * is replaced. Skipping is sound for CRDT state: the result is the join of the deltas that were
 * read, as if the lost ones had never arrived (replicas can still send them).
 *
 * <p>Leftovers of interrupted work are cleaned up: unfinished snapshots ({@code .tmp}) and the
 * segments and snapshots older than the latest snapshot (a crash between finishing a snapshot and
 * deleting what it replaces).
 */
final class LogRecovery {
    private static final Logger log = LoggerFactory.getLogger(LogRecovery.class);

    private static final String SKIP_ADVICE = "Refusing to start: set aof-load-skip-corrupt yes to load the intact "
            + "records and skip the damaged bytes (a rewrite then replaces the file), or move the file away";
    private static final String TRUNCATED_ADVICE = "Refusing to start because aof-load-truncated is no: set it to yes "
            + "to cut the unfinished record off and load the rest";

    /**
     * What loading found.
     *
     * @param snapshotGeneration generation of the snapshot loaded, or 0 if none
     * @param nextGeneration generation for the next segment
     * @param snapshotKeys key states loaded from the snapshot
     * @param records delta records replayed from segments
     * @param maxStamp largest last-write stamp seen (a floor for the clock if the mark is missing)
     * @param truncatedBytes bytes of torn tails cut off
     * @param skippedBytes bytes of damage skipped (aof-load-skip-corrupt)
     * @param damaged whether damage was skipped (a rewrite should replace the files)
     * @param baseBytes size of the snapshot loaded
     * @param logBytes size of the segments replayed (after cutting torn tails)
     * @param segments number of segments replayed
     */
    record Result(long snapshotGeneration, long nextGeneration, long snapshotKeys, long records, long maxStamp,
                  long truncatedBytes, long skippedBytes, boolean damaged, long baseBytes, long logBytes, int segments) {}

    private final LogDirectory directory;
    private final StorageEngine engine;
    private final boolean loadTruncated;
    private final boolean skipCorrupt;

    private long maxStamp;
    private long truncatedBytes;
    private long skippedBytes;
    private boolean damaged;

    LogRecovery(LogDirectory directory, StorageEngine engine, boolean loadTruncated, boolean skipCorrupt) {
        this.directory = directory;
        this.engine = engine;
        this.loadTruncated = loadTruncated;
        this.skipCorrupt = skipCorrupt;
    }

    /** Loads everything; throws {@link LogCorruptException} for damage that is not tolerated. */
    Result run() throws IOException {
        for (Path temp : directory.temporaryFiles()) {
            log.info("removing unfinished snapshot {}", temp);
            Files.deleteIfExists(temp);
        }
        TreeMap<Long, Path> snapshots = directory.snapshots();
        TreeMap<Long, Path> segments = directory.segments();
        long base = snapshots.isEmpty() ? 0 : snapshots.lastKey();

        long snapshotKeys = 0;
        long baseBytes = 0;
        if (base > 0) {
            Path snap = snapshots.get(base);
            baseBytes = Files.size(snap);
            snapshotKeys = loadSnapshot(snap, base);
        }

        NavigableMap<Long, Path> replay = segments.tailMap(base, true);
        checkContiguous(replay, base);
        long records = 0;
        long logBytes = 0;
        Map.Entry<Long, Path> last = replay.lastEntry();
        for (Map.Entry<Long, Path> e : replay.entrySet()) {
            boolean isLast = e == last || e.getKey().equals(last.getKey());
            records += replaySegment(e.getValue(), e.getKey(), isLast);
            if (Files.exists(e.getValue())) {
                logBytes += Files.size(e.getValue());
            }
        }

        removeSuperseded(snapshots, segments, base);
        // The next segment continues the sequence after the snapshot, so that there is never a gap.
        long next = replay.isEmpty() ? Math.max(base, 1) : replay.lastKey() + 1;
        return new Result(base, next, snapshotKeys, records, maxStamp, truncatedBytes, skippedBytes, damaged,
                baseBytes, logBytes, replay.size());
    }

    private long loadSnapshot(Path file, long generation) throws IOException {
        long keys = 0;
        boolean ended = false;
        try (RecordReader r = RecordReader.open(file, RecordFormat.SNAPSHOT_MAGIC)) {
            while (true) {
                RecordReader.Outcome o = r.next();
                if (o == RecordReader.Outcome.END) {
                    break;
                }
                if (o != RecordReader.Outcome.RECORD) {
                    // A snapshot is forced before it gets its name: no tear is legitimate.
                    damage(r, file, o == RecordReader.Outcome.TRUNCATED ? -1 : r.resumeOffset());
                    continue;
                }
                checkGeneration(r, file, generation);
                if (ended) {
                    damageAt(file, r.recordStart(), "records after the end of the snapshot", r.position(), r);
                    continue;
                }
                byte[] p = r.payloadArray();
                int type = p[r.payloadOffset()];
                if (type == RecordFormat.TYPE_SNAPSHOT_END) {
                    long count = readEnd(r, file);
                    if (count != keys && !skipCorrupt) {
                        throw new LogCorruptException(file, r.recordStart(), "snapshot ends after " + keys
                                + " keys but says it holds " + count, SKIP_ADVICE);
                    }
                    ended = true;
                } else if (type == RecordFormat.TYPE_STATE) {
                    if (applyRecord(r, file)) {
                        keys++;
                    }
                } else {
                    damageAt(file, r.recordStart(), "unknown record type " + type, r.position(), r);
                }
            }
        }
        if (!ended) {
            if (!skipCorrupt) {
                throw new LogCorruptException(file, -1, "the snapshot has no end record (incomplete)", SKIP_ADVICE);
            }
            log.warn("snapshot {} has no end record; loaded the {} keys it holds", file, keys);
            damaged = true;
        }
        log.info("loaded {} keys from snapshot {}", keys, file);
        return keys;
    }

    private long replaySegment(Path file, long generation, boolean isLast) throws IOException {
        long records = 0;
        long cutAt = -1;
        try (RecordReader r = RecordReader.open(file, RecordFormat.SEGMENT_MAGIC)) {
            while (true) {
                RecordReader.Outcome o = r.next();
                if (o == RecordReader.Outcome.END) {
                    break;
                }
                if (o == RecordReader.Outcome.TRUNCATED) {
                    long torn = r.size() - r.failureOffset();
                    if (!isLast && !skipCorrupt) {
                        throw new LogCorruptException(file, r.failureOffset(), r.problem() + " (" + torn
                                + " bytes at the end of a segment that is not the last one)", SKIP_ADVICE);
                    }
                    if (isLast && !loadTruncated) {
                        throw new LogCorruptException(file, r.failureOffset(), r.problem() + " (" + torn
                                + " bytes at the end of the log)", TRUNCATED_ADVICE);
                    }
                    log.warn("!!! Warning: short read while loading the append only file {} !!! {} at byte {}: "
                                    + "cutting {} bytes off the end (the last write before a crash was incomplete)",
                            file, r.problem(), r.failureOffset(), torn);
                    truncatedBytes += torn;
                    cutAt = r.failureOffset();
                    break;
                }
                if (o == RecordReader.Outcome.CORRUPT) {
                    damage(r, file, r.resumeOffset());
                    continue;
                }
                checkGeneration(r, file, generation);
                byte[] p = r.payloadArray();
                int type = p[r.payloadOffset()];
                if (type != RecordFormat.TYPE_DELTA) {
                    damageAt(file, r.recordStart(), "unknown record type " + type, r.position(), r);
                    continue;
                }
                if (applyRecord(r, file)) {
                    records++;
                }
            }
        }
        if (cutAt >= 0) {
            cut(file, cutAt, generation);
        }
        log.info("replayed {} deltas from {}", records, file);
        return records;
    }

    /** Decodes a DELTA or STATE record and merges it; false if it was damaged and skipped. */
    private boolean applyRecord(RecordReader r, Path file) throws IOException {
        byte[] key;
        KeyState state;
        try {
            CrdtReader in = new CrdtReader(r.payloadArray(), r.payloadOffset() + 1, r.payloadLength() - 1);
            key = in.readBytes();
            state = CrdtCodec.decode(in);
            in.expectEnd();
        } catch (CrdtCodecException e) {
            damageAt(file, r.recordStart(), "record with intact checksums does not decode (" + e.getMessage()
                    + "); written by a newer version?", r.position(), r);
            return false;
        }
        long stamp = state.lastWriteHlc();
        if (stamp > maxStamp) {
            maxStamp = stamp;
        }
        engine.merge(key, state);
        return true;
    }

    private long readEnd(RecordReader r, Path file) throws IOException {
        try {
            CrdtReader in = new CrdtReader(r.payloadArray(), r.payloadOffset() + 1, r.payloadLength() - 1);
            long count = in.readVarLong();
            in.expectEnd();
            return count;
        } catch (CrdtCodecException e) {
            throw new LogCorruptException(file, r.recordStart(), "unreadable snapshot end record", SKIP_ADVICE);
        }
    }

    private void checkGeneration(RecordReader r, Path file, long generation) throws IOException {
        if (r.generation() >= 0 && r.generation() != generation && !skipCorrupt) {
            throw new LogCorruptException(file, 0, "the file header says generation " + r.generation()
                    + " but the name says " + generation, SKIP_ADVICE);
        }
    }

    /** Damage found by the reader: fail, or skip to {@code resume} (-1: the rest of the file). */
    private void damage(RecordReader r, Path file, long resume) throws IOException {
        damageAt(file, r.failureOffset(), r.problem() + (resume >= 0 ? " (intact records follow at byte " + resume + ")"
                : ""), resume, r);
    }

    private void damageAt(Path file, long offset, String problem, long resume, RecordReader r) throws IOException {
        if (!skipCorrupt) {
            throw new LogCorruptException(file, offset, problem, SKIP_ADVICE);
        }
        long end = resume < 0 ? r.size() : resume;
        long skipped = Math.max(0, end - offset);
        log.warn("skipping {} damaged bytes of {} at byte {} ({}) because aof-load-skip-corrupt is yes",
                skipped, file, offset, problem);
        skippedBytes += skipped;
        damaged = true;
        r.skipTo(resume);
    }

    private void checkContiguous(NavigableMap<Long, Path> replay, long base) throws IOException {
        long expected = base > 0 ? base : (replay.isEmpty() ? 0 : replay.firstKey());
        for (long gen : replay.keySet()) {
            if (gen != expected) {
                String problem = "log segment " + directory.segment(expected).getFileName() + " is missing";
                if (!skipCorrupt) {
                    throw new LogCorruptException(directory.path(), -1, problem, SKIP_ADVICE);
                }
                log.warn("{}; loading the others because aof-load-skip-corrupt is yes", problem);
                damaged = true;
            }
            expected = gen + 1;
        }
    }

    /**
     * Cuts a torn tail off and forces the change. A segment whose header never fully made it to
     * disk becomes an empty segment with a proper header, so the generations stay contiguous.
     */
    private static void cut(Path file, long at, long generation) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            if (at < RecordFormat.FILE_HEADER) {
                ch.truncate(0);
                ByteBuffer header = ByteBuffer.wrap(
                        RecordFormat.fileHeader(RecordFormat.SEGMENT_MAGIC, generation));
                long pos = 0;
                while (header.hasRemaining()) {
                    pos += ch.write(header, pos);
                }
            } else {
                ch.truncate(at);
            }
            ch.force(true);
        }
    }

    private void removeSuperseded(TreeMap<Long, Path> snapshots, TreeMap<Long, Path> segments, long base)
            throws IOException {
        if (base == 0) {
            return;
        }
        boolean removed = false;
        for (Path p : snapshots.headMap(base, false).values()) {
            Files.deleteIfExists(p);
            removed = true;
        }
        for (Path p : segments.headMap(base, false).values()) {
            Files.deleteIfExists(p);
            removed = true;
        }
        if (removed) {
            LogDirectory.fsyncDirectory(directory.path());
        }
    }
}
