package io.converge.server.store.persist;

import io.converge.crdt.CrdtCodec;
import io.converge.crdt.KeyState;
import io.converge.server.store.StorageEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only log of local write deltas: a {@link StorageEngine.DeltaListener} that frames
 * each delta as a record ({@link RecordFormat}) into an in-memory buffer, and one writer thread
 * that moves the buffer to the current segment file and forces it to disk per
 * {@link FsyncPolicy}.
 *
 * <p><b>The event loop never touches the file.</b> {@link #onDelta} runs on a network thread under
 * the key's lock: it encodes the delta (outside any log lock), then, under the buffer lock, copies
 * the record into the active buffer and computes its checksums. The writer thread swaps the
 * active buffer with its own (double buffering), so appends continue while it writes. Order per
 * key is the order of the appends, which the key lock already serialises.
 *
 * <p><b>Back-pressure.</b> Each buffer holds {@code capacity} bytes. When the active one is full
 * because the writer is behind (slow disk, long fsync), {@link #onDelta} waits until the writer
 * takes it. Memory stays bounded at two buffers (a single record larger than a buffer gets a
 * buffer of its own size).
 *
 * <p><b>Durability.</b> Positions count record bytes since the log was opened: {@code appended}
 * (in the buffer), {@code written} (handed to the file) and {@code durable} (forced). With
 * {@code always} the writer forces after every batch it writes, and {@link #awaitDurable} (called
 * by the network layer before it sends a batch of replies) waits until {@code durable} reaches the
 * {@code appended} position it read on entry: a group commit, since one force covers everything
 * every thread appended meanwhile. With {@code everysec} the writer forces at most once a second;
 * with {@code no}, only at rotation and close.
 *
 * <p><b>Rotation.</b> {@link #rotate} fixes a position in the byte stream, under the buffer lock:
 * every record appended before it goes to the current segment, every later one to a new segment.
 * The writer cuts its batch at that position, forces and closes the old segment, and creates the
 * new one (header forced, directory fsynced) before writing on.
 *
 * <p><b>Failures.</b> If writing or forcing fails (disk full, I/O error) the writer keeps the batch,
 * records the error ({@link #lastWriteFailed()}), logs it and retries every second; appends fill
 * the other buffer and then wait (back-pressure), and {@link #awaitDurable} throws so no reply
 * acknowledges a write that is not on disk.
 */
final class DeltaLog implements StorageEngine.DeltaListener {
    private static final Logger log = LoggerFactory.getLogger(DeltaLog.class);
    private static final long SECOND_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * A requested switch to a new segment at {@code position} of the byte stream; {@code opened}
     * completes with {@link #totalBytesWritten()} as it was just before the new segment was created.
     */
    record Rotation(long position, long generation, CompletableFuture<Long> opened) {}

    private final LogDirectory directory;
    private final Supplier<FsyncPolicy> policy;
    private final int capacity;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition dataReady = lock.newCondition();
    private final Condition spaceFreed = lock.newCondition();
    private final Condition durableAdvanced = lock.newCondition();
    private final CRC32C crc = new CRC32C();

    // Guarded by lock.
    private byte[] active;
    private int activeLength;
    private byte[] writing;
    private Rotation pendingRotation;
    private long nextGeneration;
    private boolean syncRequested;
    private boolean closing;
    private boolean closed;
    private long records;
    private long bufferFullWaits;

    private volatile long appendedPosition;
    private volatile long writtenPosition;
    private volatile long durablePosition;
    private volatile long segmentGeneration;
    private volatile long segmentBytes;
    private volatile long totalBytesWritten;
    private volatile IOException failure;
    private volatile boolean lastWriteOk = true;
    private volatile long delayedFsyncs;

    // Writer thread only.
    private FileChannel segment;
    private long lastForceNanos;
    private Thread writer;

    /** A log writing to {@code directory} with buffers of {@code capacity} bytes. */
    DeltaLog(LogDirectory directory, Supplier<FsyncPolicy> policy, int capacity) {
        this.directory = directory;
        this.policy = policy;
        this.capacity = capacity;
        this.active = new byte[capacity];
        this.writing = new byte[capacity];
    }

    /** Creates segment {@code generation} and starts the writer thread. */
    void open(long generation) throws IOException {
        segment = createSegment(generation);
        segmentGeneration = generation;
        nextGeneration = generation + 1;
        lastForceNanos = System.nanoTime();
        writer = new Thread(this::writerLoop, "converge-aof-writer");
        writer.setDaemon(true);
        writer.start();
    }

    // ------------------------------------------------------------------ appending

    /** Appends a local write's delta (network thread, key lock held). */
    @Override
    public void onDelta(byte[] key, KeyState delta) {
        append(key, CrdtCodec.encode(delta));
    }

    /** Appends a delta record for {@code key} whose CRDT encoding is {@code body}. */
    void append(byte[] key, byte[] body) {
        long payloadLength = 1L + RecordFormat.varIntSize(key.length) + key.length + body.length;
        if (payloadLength > RecordFormat.MAX_PAYLOAD) {
            throw new IllegalArgumentException("delta of " + payloadLength + " bytes is too large for the log");
        }
        int recordLength = RecordFormat.HEADER + (int) payloadLength;
        lock.lock();
        try {
            while (activeLength > 0 && activeLength + recordLength > capacity && !closed) {
                bufferFullWaits++;
                spaceFreed.awaitUninterruptibly();
            }
            if (closing || closed) {
                throw new IllegalStateException("the append-only log is closed");
            }
            if (activeLength + recordLength > active.length) {
                active = Arrays.copyOf(active, activeLength + recordLength); // one oversized record
            }
            if (activeLength == 0) {
                dataReady.signal();
            }
            byte[] buf = active;
            int at = activeLength;
            int p = at + RecordFormat.HEADER;
            buf[p++] = (byte) RecordFormat.TYPE_DELTA;
            p = RecordFormat.putVarInt(buf, p, key.length);
            System.arraycopy(key, 0, buf, p, key.length);
            p += key.length;
            System.arraycopy(body, 0, buf, p, body.length);
            RecordFormat.sealRecord(buf, at, (int) payloadLength, crc);
            activeLength = at + recordLength;
            appendedPosition = appendedPosition + recordLength;
            records++;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ durability

    /**
     * Waits until everything appended before the call is forced to disk. Throws
     * {@link UncheckedIOException} if the log cannot be written (the caller must then not
     * acknowledge), {@link IllegalStateException} if the log was closed first.
     */
    void awaitDurable() {
        long target = appendedPosition;
        if (durablePosition >= target) {
            return;
        }
        lock.lock();
        try {
            syncRequested = true;
            dataReady.signal();
            while (durablePosition < target) {
                IOException f = failure;
                if (f != null) {
                    throw new UncheckedIOException("the append-only log cannot be written: " + f.getMessage(), f);
                }
                if (closed) {
                    throw new IllegalStateException("the append-only log was closed before the write was durable");
                }
                try {
                    durableAdvanced.await(100, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the append-only log", e);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Requests a new segment: records appended from now on go to segment {@link Rotation#generation()};
     * {@link Rotation#opened()} completes once it exists and the previous one is forced and closed.
     * A rotation already pending is returned instead of a second one.
     */
    Rotation rotate() {
        lock.lock();
        try {
            if (closing || closed) {
                throw new IllegalStateException("the append-only log is closed");
            }
            if (pendingRotation == null) {
                pendingRotation = new Rotation(appendedPosition, nextGeneration++, new CompletableFuture<>());
                dataReady.signal();
            }
            return pendingRotation;
        } finally {
            lock.unlock();
        }
    }

    /** Writes and forces everything, stops the writer, closes the segment. Idempotent. */
    void close() {
        Thread w;
        lock.lock();
        try {
            if (closing) {
                w = null;
            } else {
                closing = true;
                dataReady.signal();
                w = writer;
            }
        } finally {
            lock.unlock();
        }
        if (w != null) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ the writer thread

    private void writerLoop() {
        while (true) {
            byte[] batch;
            int length;
            long batchStart;
            Rotation rotation;
            boolean stop;
            boolean sync;
            lock.lock();
            try {
                while (activeLength == 0 && pendingRotation == null && !closing && !syncRequested && !forceDue()) {
                    try {
                        dataReady.awaitNanos(waitNanos());
                    } catch (InterruptedException e) {
                        // Only close() stops the writer.
                    }
                }
                batch = active;
                length = activeLength;
                active = writing.length > capacity ? new byte[capacity] : writing;
                writing = batch;
                activeLength = 0;
                batchStart = writtenPosition;
                rotation = pendingRotation;
                pendingRotation = null;
                sync = syncRequested;
                syncRequested = false;
                stop = closing;
                spaceFreed.signalAll();
            } finally {
                lock.unlock();
            }
            writeBatch(batch, length, batchStart, rotation, stop || sync, stop);
            if (stop) {
                finish();
                return;
            }
        }
    }

    /** Writes one batch (cut at a rotation), then forces per the policy; retries until it succeeds. */
    private void writeBatch(byte[] batch, int length, long batchStart, Rotation rotation, boolean forceNow,
                            boolean stopping) {
        int done = 0;
        int cut = rotation == null ? length : (int) (rotation.position() - batchStart);
        boolean rotated = rotation == null;
        int attempts = 0;
        while (true) {
            try {
                done = writeRange(batch, done, cut);
                if (!rotated) {
                    switchSegment(rotation);
                    rotated = true;
                }
                done = writeRange(batch, done, length);
                forcePerPolicy(forceNow);
                if (!lastWriteOk) {
                    log.warn("append-only log writes succeed again");
                }
                failure = null;
                lastWriteOk = true;
                return;
            } catch (IOException e) {
                failure = e;
                lastWriteOk = false;
                attempts++;
                if (attempts == 1 || attempts % 60 == 0) {
                    log.error("cannot write the append-only log {} (attempt {}, retrying every second): {}",
                            directory.segment(segmentGeneration), attempts, e.toString());
                }
                if (stopping && attempts >= 3) {
                    log.error("giving up on {} bytes of the append-only log at shutdown", length - done);
                    if (!rotated) {
                        rotation.opened().completeExceptionally(e);
                    }
                    return;
                }
                sleepQuietly(1000);
            }
        }
    }

    /** Writes {@code batch[from, to)} to the segment; returns {@code to}. */
    private int writeRange(byte[] batch, int from, int to) throws IOException {
        int at = from;
        while (at < to) {
            int n = segment.write(ByteBuffer.wrap(batch, at, to - at));
            at += n;
            writtenPosition += n;
            segmentBytes += n;
            totalBytesWritten += n;
        }
        return at;
    }

    private void switchSegment(Rotation rotation) throws IOException {
        if (segment != null) {
            segment.force(false);
            markDurable(writtenPosition);
            segment.close();
            segment = null;
        }
        segment = createSegment(rotation.generation());
        segmentGeneration = rotation.generation();
        rotation.opened().complete(totalBytesWritten - RecordFormat.FILE_HEADER);
    }

    private void forcePerPolicy(boolean forceNow) throws IOException {
        long written = writtenPosition;
        if (written == durablePosition) {
            return;
        }
        FsyncPolicy p = policy.get();
        long now = System.nanoTime();
        boolean force = forceNow || p == FsyncPolicy.ALWAYS || syncWanted()
                || (p == FsyncPolicy.EVERYSEC && now - lastForceNanos >= SECOND_NANOS);
        if (!force) {
            return;
        }
        if (p == FsyncPolicy.EVERYSEC && now - lastForceNanos >= 2 * SECOND_NANOS) {
            delayedFsyncs++;
        }
        segment.force(false);
        lastForceNanos = System.nanoTime();
        markDurable(written);
    }

    private boolean syncWanted() {
        lock.lock();
        try {
            boolean wanted = syncRequested;
            syncRequested = false;
            return wanted;
        } finally {
            lock.unlock();
        }
    }

    private void markDurable(long position) {
        lock.lock();
        try {
            if (position > durablePosition) {
                durablePosition = position;
            }
            durableAdvanced.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Whether an everysec force is due (lock held). */
    private boolean forceDue() {
        return writtenPosition != durablePosition && policy.get() == FsyncPolicy.EVERYSEC
                && System.nanoTime() - lastForceNanos >= SECOND_NANOS;
    }

    private long waitNanos() {
        if (writtenPosition != durablePosition && policy.get() == FsyncPolicy.EVERYSEC) {
            return Math.max(1, SECOND_NANOS - (System.nanoTime() - lastForceNanos));
        }
        return SECOND_NANOS;
    }

    private void finish() {
        try {
            if (segment != null) {
                segment.force(false);
                markDurable(writtenPosition);
                segment.close();
            }
        } catch (IOException e) {
            log.error("cannot close the append-only log cleanly: {}", e.toString());
        }
        lock.lock();
        try {
            closed = true;
            spaceFreed.signalAll();
            durableAdvanced.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Creates (or recreates, after a failed attempt) the segment file with its header, forced and linked durably. */
    private FileChannel createSegment(long generation) throws IOException {
        FileChannel ch = FileChannel.open(directory.segment(generation), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        try {
            ByteBuffer header = ByteBuffer.wrap(RecordFormat.fileHeader(RecordFormat.SEGMENT_MAGIC, generation));
            while (header.hasRemaining()) {
                ch.write(header);
            }
            ch.force(true);
            LogDirectory.fsyncDirectory(directory.path());
            totalBytesWritten += RecordFormat.FILE_HEADER;
            segmentBytes = RecordFormat.FILE_HEADER;
            return ch;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            // close() does not interrupt; nothing else should
        }
    }

    // ------------------------------------------------------------------ statistics

    /** Generation of the segment being written. */
    long segmentGeneration() {
        return segmentGeneration;
    }

    /** Bytes of the segment being written. */
    long segmentBytes() {
        return segmentBytes;
    }

    /** Bytes written to segment files since the log was opened (headers included). */
    long totalBytesWritten() {
        return totalBytesWritten;
    }

    /** Bytes appended but not yet handed to the file. */
    long bufferedBytes() {
        return appendedPosition - writtenPosition;
    }

    /** Bytes appended but not yet forced to disk. */
    long pendingFsyncBytes() {
        return appendedPosition - durablePosition;
    }

    /** Records appended since the log was opened. */
    long records() {
        return records;
    }

    /** Times an append waited because both buffers were full. */
    long bufferFullWaits() {
        return bufferFullWaits;
    }

    /** everysec forces that came two or more seconds after the previous one (Redis's aof_delayed_fsync). */
    long delayedFsyncs() {
        return delayedFsyncs;
    }

    /** Whether the last write or force failed (INFO aof_last_write_status:err). */
    boolean lastWriteFailed() {
        return !lastWriteOk;
    }
}
