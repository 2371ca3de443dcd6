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
 * each delta as a record ({@link RecordFormat}) into an in-memory buffer, which the network threads
 * (before their replies) and a writer thread move to the current segment file; the writer thread
 * also forces the file per {@link FsyncPolicy} and switches segments.
 *
 * <p><b>Appending.</b> {@link #onDelta} runs on a network thread under the key's lock: it encodes
 * the delta (outside any log lock), then, under the buffer lock, copies the record into the active
 * buffer and computes its checksums. Order per key is the order of the appends, which the key lock
 * already serialises.
 *
 * <p><b>Writing: before any reply.</b> A reply must never acknowledge a write that a crash of the
 * process (kill -9) could lose, whatever the fsync policy. So before the network layer sends a
 * batch of replies it calls {@link #awaitWritten} (or {@link #awaitDurable} with {@code always}):
 * if anything appended so far is still in memory, the calling thread itself takes the active
 * buffer and writes it to the segment: one write(2) per batch of replies, covering every record
 * any thread appended meanwhile, as Redis writes its AOF buffer before it sends replies. The
 * written bytes are in the operating system's page cache and survive the process. The writer thread
 * takes the buffer too: at once when it is half full, and otherwise when it finds records waiting
 * as it wakes (see {@code awaitWork}), for records no reply waits for (expiry, merged deltas).
 *
 * <p><b>Two locks.</b> The buffer lock guards the active buffer and is held only to copy a record
 * in or to swap buffers. The file lock guards the segment channel, the buffer being written
 * ({@code batch}, the other half of the double buffer) and the written position; whoever holds it
 * writes. Writing therefore never blocks appends, appends never wait for the disk unless both
 * buffers are full, and writes reach the file in stream order. The file lock is taken before the
 * buffer lock, never the other way round.
 *
 * <p><b>Back-pressure.</b> Each buffer holds {@code capacity} bytes. When the active one is full
 * because writing is behind (slow disk), {@link #onDelta} waits until it is taken. Memory stays
 * bounded at two buffers (a single record larger than a buffer gets a buffer of its own size).
 *
 * <p><b>Durability.</b> Positions count record bytes since the log was opened: {@code appended}
 * (in the buffer), {@code written} (handed to the file) and {@code durable} (forced). Only the
 * writer thread forces, outside the file lock, so network threads keep writing during an fsync.
 * With {@code always} the writer forces after every pass and {@link #awaitDurable} waits until
 * {@code durable} reaches the {@code appended} position it read on entry: a group commit, since
 * one force covers everything every thread appended meanwhile. With {@code everysec} the writer
 * forces at most once a second; with {@code no}, only at rotation and close.
 *
 * <p><b>Rotation.</b> {@link #rotate} fixes a position in the byte stream, under the buffer lock:
 * every record appended before it goes to the current segment, every later one to a new segment.
 * Only the writer thread switches segments: while a rotation is pending, network threads do not
 * take the buffer (they wait for the writer). The writer cuts its batch at the position, forces
 * and closes the old segment, and creates the new one (header forced, directory fsynced) before
 * writing on.
 *
 * <p><b>Failures.</b> If writing or forcing fails (disk full, I/O error) the bytes stay in their
 * buffer, the error is recorded ({@link #lastWriteFailed()}) and logged, and the writer retries
 * every second; appends fill the other buffer and then wait (back-pressure). Meanwhile
 * {@link #awaitWritten} (when something is unwritten) and {@link #awaitDurable} (when something is
 * not forced) throw, so no reply acknowledges a write that is not where the policy promises.
 */
final class DeltaLog implements StorageEngine.DeltaListener {
    private static final Logger log = LoggerFactory.getLogger(DeltaLog.class);
    private static final long SECOND_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How often a busy writer takes the buffer. */
    private static final long POLL_MS = 1;
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(POLL_MS);
    /** Waits for the writer are cut into slices this long, to notice failures and close. */
    private static final long WAIT_SLICE_MS = 100;

    /**
     * A requested switch to a new segment at {@code position} of the byte stream; {@code opened}
     * completes with {@link #totalBytesWritten()} as it was just before the new segment was created.
     */
    record Rotation(long position, long generation, CompletableFuture<Long> opened) {}

    private final LogDirectory directory;
    private final Supplier<FsyncPolicy> policy;
    private final int capacity;
    private final int highWater;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition dataReady = lock.newCondition();
    private final Condition spaceFreed = lock.newCondition();
    private final Condition durableAdvanced = lock.newCondition();
    private final CRC32C crc = new CRC32C();

    private final ReentrantLock fileLock = new ReentrantLock();
    private final Condition writtenAdvanced = fileLock.newCondition();

    // Guarded by lock.
    private byte[] active;
    private int activeLength;
    private Rotation pendingRotation;
    private long nextGeneration;
    private boolean syncRequested;
    private boolean closing;
    private boolean closed;
    private long records;
    private long bufferFullWaits;

    // Guarded by fileLock (segment is also read by the writer thread without it: only the writer
    // thread replaces it). Bytes [batchDone, batchLength) of batch are not written yet (after a
    // failed write); batch[0] is at stream position batchStart; batchRotation, if set, cuts it.
    private FileChannel segment;
    private byte[] batch;
    private int batchLength;
    private int batchDone;
    private long batchStart;
    private Rotation batchRotation;
    private boolean fileClosed;

    private volatile long appendedPosition;
    private volatile long writtenPosition;
    private volatile long durablePosition;
    private volatile long segmentGeneration;
    private volatile long segmentBytes;
    private volatile long totalBytesWritten;
    private volatile IOException writeFailure;
    private volatile IOException forceFailure;
    private volatile long delayedFsyncs;

    // Writer thread only.
    private long lastForceNanos;
    private Thread writer;

    /** A log writing to {@code directory} with buffers of {@code capacity} bytes. */
    DeltaLog(LogDirectory directory, Supplier<FsyncPolicy> policy, int capacity) {
        this.directory = directory;
        this.policy = policy;
        this.capacity = capacity;
        this.highWater = capacity / 2;
        this.active = new byte[capacity];
        this.batch = new byte[capacity];
    }

    /** Creates segment {@code generation} and starts the writer thread. */
    void open(long generation) throws IOException {
        fileLock.lock();
        try {
            segment = createSegment(generation);
        } finally {
            fileLock.unlock();
        }
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
            int before = activeLength;
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
            if (before < highWater && activeLength >= highWater) {
                dataReady.signal(); // take it before appends have to wait
            }
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ waiting before replies

    /**
     * Makes sure everything appended before the call is written to the segment file (handed to
     * the operating system, not necessarily forced), writing it on the calling thread if needed.
     * Called before replies are sent with {@code everysec} and {@code no}. Throws
     * {@link UncheckedIOException} if the log cannot be written (the caller must then not
     * acknowledge), {@link IllegalStateException} if the log was closed first.
     */
    void awaitWritten() {
        long target = appendedPosition;
        if (writtenPosition >= target) {
            return;
        }
        fileLock.lock();
        try {
            while (writtenPosition < target) {
                IOException f = writeFailure;
                if (f != null) {
                    throw new UncheckedIOException("the append-only log cannot be written: " + f.getMessage(), f);
                }
                if (fileClosed) {
                    throw new IllegalStateException("the append-only log was closed before the write reached it");
                }
                boolean done;
                try {
                    done = writePending(false);
                } catch (IOException e) {
                    writeFailure = e;
                    log.error("cannot write the append-only log {} (the writer retries every second): {}",
                            directory.segment(segmentGeneration), e.toString());
                    throw new UncheckedIOException("the append-only log cannot be written: " + e.getMessage(), e);
                }
                if (!done) {
                    // A rotation is pending; rotate() woke the writer, which switches segments.
                    awaitWriter();
                }
            }
        } finally {
            fileLock.unlock();
        }
    }

    /** Waits (file lock held) for the writer thread to write (after a rotation). */
    private void awaitWriter() {
        try {
            writtenAdvanced.await(WAIT_SLICE_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the append-only log", e);
        }
    }

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
                IOException f = writeFailure != null ? writeFailure : forceFailure;
                if (f != null) {
                    throw new UncheckedIOException("the append-only log cannot be written: " + f.getMessage(), f);
                }
                if (closed) {
                    throw new IllegalStateException("the append-only log was closed before the write was durable");
                }
                try {
                    durableAdvanced.await(WAIT_SLICE_MS, TimeUnit.MILLISECONDS);
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

    // ------------------------------------------------------------------ writing (file lock held)

    /**
     * Writes what is left of the current batch, then takes the active buffer (swapping in the
     * written one) and writes it. Returns false, having written nothing past the rotation
     * position, if a rotation is pending and {@code mayRotate} is false (only the writer thread
     * rotates). When it returns true, everything appended before the call is written.
     */
    private boolean writePending(boolean mayRotate) throws IOException {
        if (!writeBatch(mayRotate)) {
            return false;
        }
        lock.lock();
        try {
            if (pendingRotation != null && !mayRotate) {
                return false;
            }
            if (activeLength == 0 && pendingRotation == null) {
                return true;
            }
            byte[] spare = batch;
            batch = active;
            batchLength = activeLength;
            batchDone = 0;
            batchStart = writtenPosition;
            batchRotation = pendingRotation;
            pendingRotation = null;
            active = spare.length > capacity ? new byte[capacity] : spare;
            activeLength = 0;
            spaceFreed.signalAll();
        } finally {
            lock.unlock();
        }
        return writeBatch(mayRotate);
    }

    /** Writes the rest of the batch, switching segments at its rotation position if it has one. */
    private boolean writeBatch(boolean mayRotate) throws IOException {
        Rotation rotation = batchRotation;
        if (rotation != null) {
            if (!mayRotate) {
                return false;
            }
            writeRange((int) (rotation.position() - batchStart));
            switchSegment(rotation);
            batchRotation = null;
        }
        writeRange(batchLength);
        return true;
    }

    /** Writes {@code batch[batchDone, to)} to the segment. */
    private void writeRange(int to) throws IOException {
        while (batchDone < to) {
            int n = segment.write(ByteBuffer.wrap(batch, batchDone, to - batchDone));
            batchDone += n;
            writtenPosition += n;
            segmentBytes += n;
            totalBytesWritten += n;
        }
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

    // ------------------------------------------------------------------ the writer thread

    private void writerLoop() {
        int failedAttempts = 0;
        while (true) {
            boolean stop;
            boolean sync;
            lock.lock();
            try {
                if (failedAttempts == 0) {
                    awaitWork();
                }
                sync = syncRequested;
                syncRequested = false;
                stop = closing;
            } finally {
                lock.unlock();
            }
            try {
                writeAndForce(stop || sync || failedAttempts > 0);
                failedAttempts = 0;
            } catch (IOException e) {
                failedAttempts++;
                if (failedAttempts == 1 || failedAttempts % 60 == 0) {
                    log.error("cannot write the append-only log {} (attempt {}, retrying every second): {}",
                            directory.segment(segmentGeneration), failedAttempts, e.toString());
                }
                if (stop && failedAttempts >= 3) {
                    log.error("giving up on {} bytes of the append-only log at shutdown", bufferedBytes());
                    abandonRotations(e);
                    finish();
                    return;
                }
                sleepQuietly(1000);
                continue;
            }
            if (stop) {
                finish();
                return;
            }
        }
    }

    /** One pass of the writer: write everything appended, then force per the policy. */
    private void writeAndForce(boolean forceNow) throws IOException {
        boolean failedBefore = lastWriteFailed();
        fileLock.lock();
        try {
            writePending(true);
            writeFailure = null;
        } catch (IOException e) {
            writeFailure = e;
            throw e;
        } finally {
            writtenAdvanced.signalAll();
            fileLock.unlock();
        }
        try {
            forcePerPolicy(forceNow);
            forceFailure = null;
        } catch (IOException e) {
            forceFailure = e;
            throw e;
        }
        if (failedBefore) {
            log.warn("append-only log writes succeed again");
        }
    }

    /**
     * Forces the segment if the policy (or a request) wants it. Runs without the file lock, so
     * network threads keep writing meanwhile; the force covers at least what was written when it
     * began. Only this thread replaces {@code segment}, so it cannot change underneath.
     */
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

    /**
     * Waits (lock held) until there is something to do. Appenders do not wake the writer for each
     * record, nor for the first one after a quiet spell: network threads write the buffer
     * themselves before their replies ({@link #awaitWritten}), and a wake-up there would cost a
     * system call on the event loop and a context switch for the writer (measured: about 10% of
     * SET throughput). So the writer takes records it finds waiting {@value #POLL_MS} ms after it
     * wakes; with an empty buffer it sleeps until the next everysec fsync is due, or at most a
     * second. A half-full buffer, a sync request ({@link #awaitDurable}), a rotation, close, or a
     * failed write to retry end the wait at once.
     */
    private void awaitWork() {
        long deadline = System.nanoTime() + POLL_NANOS;
        while (pendingRotation == null && !closing && !syncRequested && !forceDue() && activeLength < highWater
                && writeFailure == null) {
            long now = System.nanoTime();
            try {
                if (activeLength > 0) {
                    if (now - deadline >= 0) {
                        return;
                    }
                    dataReady.awaitNanos(deadline - now);
                } else {
                    dataReady.awaitNanos(waitNanos());
                }
            } catch (InterruptedException e) {
                // Only close() stops the writer.
            }
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

    /** At shutdown, after giving up on a failing disk: fails the rotations that cannot happen. */
    private void abandonRotations(IOException cause) {
        fileLock.lock();
        try {
            if (batchRotation != null) {
                batchRotation.opened().completeExceptionally(cause);
            }
            lock.lock();
            try {
                if (pendingRotation != null) {
                    pendingRotation.opened().completeExceptionally(cause);
                }
            } finally {
                lock.unlock();
            }
        } finally {
            fileLock.unlock();
        }
    }

    private void finish() {
        fileLock.lock();
        try {
            if (segment != null) {
                segment.force(false);
                markDurable(writtenPosition);
                segment.close();
            }
        } catch (IOException e) {
            log.error("cannot close the append-only log cleanly: {}", e.toString());
        } finally {
            segment = null;
            fileClosed = true;
            writtenAdvanced.signalAll();
            fileLock.unlock();
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
        return writeFailure != null || forceFailure != null;
    }
}
