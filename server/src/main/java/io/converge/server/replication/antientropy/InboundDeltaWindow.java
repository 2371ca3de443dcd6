package io.converge.server.replication.antientropy;

import java.util.Arrays;

/**
 * Receiver-side bookkeeping for the deltas of one sending peer: which sequence numbers have
 * arrived, so duplicates are recognised (and counted) without touching the store, and what
 * cumulative acknowledgement to send back.
 *
 * <p>{@link #ackedSeq()} is the highest {@code s} such that every delta {@code <= s} has been
 * received (or skipped, see below). Deltas above it that arrive out of order are remembered in
 * a bitmap covering the next {@link #WINDOW} sequence numbers, so a reordered batch is applied
 * at once and not resent; deltas beyond the bitmap are refused (the sender resends them).
 *
 * <p>A batch's {@code baseSeq} tells the receiver that the sender no longer holds anything
 * below it (acknowledged earlier, or dropped on overflow, in which case the sender has flagged
 * a full sync); the window then jumps forward so it never waits for deltas that will not come.
 * A batch from a newer sender incarnation (the sender restarted) resets the window; a batch
 * from an older one is stale and ignored entirely.
 *
 * <p>Thread-safe.
 */
public final class InboundDeltaWindow {

    /** How far above {@link #ackedSeq()} out-of-order deltas are remembered. */
    public static final int WINDOW = 1 << 16;

    private static final long NO_INCARNATION = Long.MIN_VALUE;

    private final long[] received = new long[WINDOW / 64];
    private long incarnation = NO_INCARNATION;
    private long contiguous;

    private long accepted;
    private long duplicates;
    private long beyondWindow;
    private long staleBatches;

    /**
     * Starts processing a batch; returns {@code false} if it comes from an older incarnation of
     * the sender and must be ignored (no ack either).
     */
    public synchronized boolean beginBatch(long batchIncarnation, long baseSeq) {
        if (batchIncarnation < incarnation) {
            staleBatches++;
            return false;
        }
        if (batchIncarnation > incarnation) {
            incarnation = batchIncarnation;
            contiguous = 0;
            Arrays.fill(received, 0L);
        }
        if (baseSeq - 1 > contiguous) {
            skipTo(baseSeq - 1);
        }
        return true;
    }

    /** Whether delta {@code seq} would be accepted as new (records and counts nothing). */
    public synchronized boolean isNew(long seq) {
        return seq > contiguous && seq - contiguous <= WINDOW && !isMarked(seq);
    }

    /**
     * Records delta {@code seq} of the current batch; returns {@code true} if it is new and must
     * be applied, {@code false} for a duplicate or a delta beyond the window.
     */
    public synchronized boolean accept(long seq) {
        if (seq <= contiguous) {
            duplicates++;
            return false;
        }
        if (seq - contiguous > WINDOW) {
            beyondWindow++;
            return false;
        }
        if (isMarked(seq)) {
            duplicates++;
            return false;
        }
        accepted++;
        if (seq == contiguous + 1) {
            contiguous = seq;
            advance();
        } else {
            mark(seq);
        }
        return true;
    }

    /** The cumulative acknowledgement to send: every delta up to this one is in. */
    public synchronized long ackedSeq() {
        return contiguous;
    }

    /** The sender incarnation currently tracked ({@code Long.MIN_VALUE} before the first batch). */
    public synchronized long incarnation() {
        return incarnation;
    }

    /** Deltas accepted as new. */
    public synchronized long accepted() {
        return accepted;
    }

    /** Deltas recognised as already received. */
    public synchronized long duplicates() {
        return duplicates;
    }

    /** Deltas refused for being too far ahead. */
    public synchronized long beyondWindow() {
        return beyondWindow;
    }

    /** Batches ignored because they came from an older sender incarnation. */
    public synchronized long staleBatches() {
        return staleBatches;
    }

    private void skipTo(long newContiguous) {
        if (newContiguous - contiguous >= WINDOW) {
            Arrays.fill(received, 0L);
        } else {
            for (long s = contiguous + 1; s <= newContiguous; s++) {
                unmark(s);
            }
        }
        contiguous = newContiguous;
        advance();
    }

    /** Moves {@code contiguous} over any already-received successors, clearing their bits. */
    private void advance() {
        while (isMarked(contiguous + 1)) {
            unmark(contiguous + 1);
            contiguous++;
        }
    }

    private boolean isMarked(long seq) {
        int bit = (int) (seq & (WINDOW - 1));
        return (received[bit >>> 6] & (1L << bit)) != 0;
    }

    private void mark(long seq) {
        int bit = (int) (seq & (WINDOW - 1));
        received[bit >>> 6] |= 1L << bit;
    }

    private void unmark(long seq) {
        int bit = (int) (seq & (WINDOW - 1));
        received[bit >>> 6] &= ~(1L << bit);
    }
}
