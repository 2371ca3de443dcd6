package io.converge.server.store.persist;

import io.converge.crdt.CrdtCodec;
import io.converge.crdt.KeyState;
import io.converge.server.store.MergeRefusedException;
import io.converge.server.store.StorageEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
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
 * Appends wait only while the log works: see <i>Failures</i>.
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
 * buffer, the log is <i>failing</i> ({@link #failing()}, logged once when it starts and once when
 * it ends) and the writer retries every second; the first pass that writes and forces everything
 * ends the failure, so writes resume by themselves when space returns. While failing:
 * <ul>
 *   <li>the node refuses write commands before they run ({@link #refusal()}: Redis's
 *       {@code MISCONF} text), so local appends are only those of writes that were already
 *       running when the failure began;</li>
 *   <li>no appender ever waits: back-pressure applies only to a working log, and a waiting
 *       appender is woken when the failure begins. A buffer that is full then grows instead. This
 *       stays bounded because new writes are refused, merged deltas from peers are refused
 *       ({@link #appendMerged} throws {@link MergeRefusedException}: not acknowledged, the peer
 *       resends) and the engine postpones expiry purges;</li>
 *   <li>{@link #awaitWritten} and {@link #awaitDurable} never touch the file: for replies that
 *       acknowledge writes (and for peers' acknowledgements) they throw, so nothing is acknowledged
 *       that is not where the policy promises; for replies that acknowledge no write they return
 *       at once, so reads keep being served.</li>
 * </ul>
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
    private final LogFiles files;

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
    private long mergesRefused;

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

    // The failure state as operators see it; changed under failureLock (see recordFailure).
    private final Object failureLock = new Object();
    private volatile String refusal;
    private volatile String failureReason;
    private volatile long failingSinceNanos;
    private volatile long failureEpisodes;
    /** Counts recorded failures, so the writer never clears one recorded after its pass began. */
    private volatile long failureCount;

    // Writer thread only.
    private long lastForceNanos;
    private Thread writer;

    /** A log writing to {@code directory} with buffers of {@code capacity} bytes. */
    DeltaLog(LogDirectory directory, Supplier<FsyncPolicy> policy, int capacity) {
        this(directory, policy, capacity, LogFiles.SYSTEM);
    }

    /** A log writing to {@code directory}, opening its segments through {@code files}. */
    DeltaLog(LogDirectory directory, Supplier<FsyncPolicy> policy, int capacity, LogFiles files) {
        this.directory = directory;
        this.policy = policy;
        this.capacity = capacity;
        this.files = files;
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

    /**
     * Appends a local write's delta (network thread, key lock held). Never refused for a failing
     * log: the write has happened in memory, and its reply waits for the record (see the class
     * comment for why this stays bounded).
     */
    @Override
    public void onDelta(byte[] key, KeyState delta) {
        byte[] body = CrdtCodec.encode(delta);
        append(key, body, 0, body.length, false);
    }

    /**
     * Appends a delta merged from a peer, before the engine changes the key's state. Throws
     * {@link MergeRefusedException} while the log is failing: the caller then changes nothing and
     * acknowledges nothing, and the peer resends later.
     */
    void appendMerged(byte[] key, KeyState delta) {
        if (failing()) {
            refuseMerge(); // before encoding: while failing, every peer batch lands here
        }
        byte[] body = CrdtCodec.encode(delta);
        append(key, body, 0, body.length, true);
    }

    /**
     * {@link #appendMerged(byte[], KeyState)} of a delta whose CRDT encoding is
     * {@code encoding[offset..]} (as it arrived): records those bytes, without encoding again.
     */
    void appendMerged(byte[] key, byte[] encoding, int offset) {
        appendMerged(key, encoding, offset, encoding.length - offset);
    }

    /** {@link #appendMerged(byte[], byte[], int)} of the encoding {@code encoding[offset..offset + length)}. */
    void appendMerged(byte[] key, byte[] encoding, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > encoding.length) {
            throw new IndexOutOfBoundsException("encoding range " + offset + "+" + length + " of " + encoding.length);
        }
        append(key, encoding, offset, length, true);
    }

    /** Appends a delta record for {@code key} whose CRDT encoding is {@code body} (a local write's). */
    void append(byte[] key, byte[] body) {
        append(key, body, 0, body.length, false);
    }

    private void append(byte[] key, byte[] body, int offset, int length, boolean refuseWhileFailing) {
        long payloadLength = 1L + RecordFormat.varIntSize(key.length) + key.length + length;
        if (payloadLength > RecordFormat.MAX_PAYLOAD) {
            throw new IllegalArgumentException("delta of " + payloadLength + " bytes is too large for the log");
        }
        int recordLength = RecordFormat.HEADER + (int) payloadLength;
        lock.lock();
        try {
            // Back-pressure only while the log works: a failing log never makes anyone wait
            // (recordFailure wakes those waiting when the failure begins).
            while (activeLength > 0 && activeLength + recordLength > capacity && !closed && !failing()) {
                bufferFullWaits++;
                spaceFreed.awaitUninterruptibly();
            }
            if (closing || closed) {
                throw new IllegalStateException("the append-only log is closed");
            }
            if (refuseWhileFailing && failing()) {
                refuseMerge();
            }
            long need = (long) activeLength + recordLength;
            if (need > active.length) {
                // One record larger than a buffer (exact size), or records appended while the
                // log is failing (grows by half: bounded, since new writes are refused then).
                long grown = activeLength == 0 ? need : Math.max(need, active.length + (long) active.length / 2);
                if (need > Integer.MAX_VALUE - 8) {
                    throw new IllegalStateException("the append-only log's buffer cannot grow past 2 GB");
                }
                active = Arrays.copyOf(active, (int) Math.min(grown, Integer.MAX_VALUE - 8));
            }
            int before = activeLength;
            byte[] buf = active;
            int at = activeLength;
            int p = at + RecordFormat.HEADER;
            buf[p++] = (byte) RecordFormat.TYPE_DELTA;
            p = RecordFormat.putVarInt(buf, p, key.length);
            System.arraycopy(key, 0, buf, p, key.length);
            p += key.length;
            System.arraycopy(body, offset, buf, p, length);
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

    /** Counts and throws the refusal of a merged delta (while failing). */
    private void refuseMerge() {
        lock.lock();
        try {
            mergesRefused++;
        } finally {
            lock.unlock();
        }
        throw new MergeRefusedException("the append-only log cannot be written: " + failureReason);
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
        awaitWritten(true);
    }

    /**
     * {@link #awaitWritten()} for a batch of replies; {@code acknowledgesWrites} tells whether
     * they acknowledge writes. While writing fails, replies that acknowledge none return at once
     * (reads are served; they may show writes that were running when the failure began, which are
     * written when the disk recovers), and the others throw at once: neither touches the file.
     */
    void awaitWritten(boolean acknowledgesWrites) {
        long target = appendedPosition;
        if (writtenPosition >= target) {
            return;
        }
        if (writeFailure != null) {
            failedWait(acknowledgesWrites, writeFailure);
            return;
        }
        fileLock.lock();
        try {
            while (writtenPosition < target) {
                IOException f = writeFailure;
                if (f != null) {
                    failedWait(acknowledgesWrites, f);
                    return;
                }
                if (fileClosed) {
                    throw new IllegalStateException("the append-only log was closed before the write reached it");
                }
                boolean done;
                try {
                    done = writePending(false);
                } catch (IOException e) {
                    recordFailure(e, false);
                    failedWait(acknowledgesWrites, e);
                    return;
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

    /** Throws for a wait that acknowledges writes; returns for one that does not. */
    private void failedWait(boolean acknowledgesWrites, IOException failure) {
        if (acknowledgesWrites) {
            throw new UncheckedIOException("the append-only log cannot be written: " + reasonOf(failure), failure);
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
        awaitDurable(true);
    }

    /**
     * {@link #awaitDurable()} for a batch of replies ({@code appendfsync always}): as
     * {@link #awaitWritten(boolean)}, replies that acknowledge no write return at once while the
     * log is failing, the others throw at once.
     */
    void awaitDurable(boolean acknowledgesWrites) {
        long target = appendedPosition;
        if (durablePosition >= target) {
            return;
        }
        IOException early = writeFailure != null ? writeFailure : forceFailure;
        if (early != null) {
            failedWait(acknowledgesWrites, early);
            return;
        }
        lock.lock();
        try {
            syncRequested = true;
            dataReady.signal();
            while (durablePosition < target) {
                IOException f = writeFailure != null ? writeFailure : forceFailure;
                if (f != null) {
                    failedWait(acknowledgesWrites, f);
                    return;
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
                failedAttempts++; // logged by recordFailure, once per failure
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

    /**
     * One pass of the writer: write everything appended, then force per the policy (at once
     * when retrying after a failure). A pass that succeeds ends a failure.
     */
    private void writeAndForce(boolean forceNow) throws IOException {
        long failuresBefore = failureCount;
        fileLock.lock();
        try {
            writePending(true);
        } catch (IOException e) {
            recordFailure(e, false);
            throw e;
        } finally {
            writtenAdvanced.signalAll();
            fileLock.unlock();
        }
        try {
            forcePerPolicy(forceNow);
        } catch (IOException e) {
            recordFailure(e, true);
            throw e;
        }
        clearFailure(failuresBefore);
    }

    // ------------------------------------------------------------------ failure state

    /**
     * Records a failed write or force. When the log starts failing: logs it (once for the whole
     * failure, not per retry), publishes the refusal for write commands, and wakes appenders
     * waiting for buffer space so none stays blocked. Callers may hold the file lock.
     */
    private void recordFailure(IOException e, boolean force) {
        boolean began;
        synchronized (failureLock) {
            began = !failing();
            String reason = reasonOf(e);
            String before = failureReason;
            if (force) {
                forceFailure = e;
            } else {
                writeFailure = e;
            }
            failureCount++;
            failureReason = reason;
            refusal = "MISCONF Errors writing to the AOF file: " + reason;
            if (began) {
                failingSinceNanos = System.nanoTime();
                failureEpisodes++;
                log.error("Error {} the append-only log {}: {}. Write commands are refused (MISCONF) and peers' "
                                + "deltas are not acknowledged until it works again; reads are served. Retrying every "
                                + "second; {} bytes wait in memory.", force ? "fsyncing" : "writing",
                        directory.segment(segmentGeneration), reason, bufferedBytes());
            } else if (!reason.equals(before)) {
                log.error("The append-only log still cannot be written, now: {}", reason);
            }
        }
        if (began) {
            lock.lock();
            try {
                spaceFreed.signalAll();
                durableAdvanced.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Ends a failure after a writer pass wrote and forced everything (unless another failure was
     * recorded after the pass began, {@code failuresBefore}); logs the recovery once.
     */
    private void clearFailure(long failuresBefore) {
        if (writeFailure == null && forceFailure == null) {
            return;
        }
        synchronized (failureLock) {
            if (failureCount != failuresBefore) {
                return; // a network thread's write failed meanwhile: the next pass decides
            }
            writeFailure = null;
            forceFailure = null;
            refusal = null;
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - failingSinceNanos);
            failingSinceNanos = 0;
            failureReason = null;
            log.warn("Append-only log write error looks solved after {} s: write commands are accepted again, "
                    + "and what waited in memory is written.", seconds);
        }
    }

    /** The reason of an I/O failure as the operating system words it ("No space left on device"). */
    static String reasonOf(IOException e) {
        String reason = e instanceof FileSystemException fs && fs.getReason() != null ? fs.getReason() : e.getMessage();
        if (reason == null || reason.isBlank()) {
            reason = e.getClass().getSimpleName();
        }
        return reason.replace('\r', ' ').replace('\n', ' ');
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
        FileChannel ch = files.open(directory.segment(generation), StandardOpenOption.CREATE,
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
        return failing();
    }

    /** Whether the log is failing: the last write or force failed and no retry has succeeded yet. */
    boolean failing() {
        return writeFailure != null || forceFailure != null;
    }

    /** The error text write commands are refused with while the log is failing (Redis's MISCONF), else null. */
    String refusal() {
        return refusal;
    }

    /** The operating system's reason for the current failure, or null. */
    String failureReason() {
        return failureReason;
    }

    /** Seconds the current failure has lasted (0 when the log works). */
    long failingSeconds() {
        long since = failingSinceNanos;
        return since == 0 ? 0 : TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - since);
    }

    /** How many times the log started failing since it was opened. */
    long failureEpisodes() {
        return failureEpisodes;
    }

    /** Peer deltas refused because the log was failing. */
    long mergesRefused() {
        return mergesRefused;
    }
}
