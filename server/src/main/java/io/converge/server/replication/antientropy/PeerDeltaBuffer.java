package io.converge.server.replication.antientropy;

import io.converge.server.cluster.wire.KeyedBytes;
import io.converge.server.cluster.wire.PeerMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The outgoing deltas for one peer, kept until that peer acknowledges them (delta-state
 * anti-entropy, Almeida–Shoker–Baquero, Algorithm 2, with per-peer sequence numbers).
 *
 * <p><b>Protocol.</b> Every enqueued delta gets the next sequence number of this buffer.
 * {@link #nextBatch} cuts a batch of consecutive not-yet-sent deltas; the peer applies them
 * (merge is idempotent, so duplicates are harmless) and replies with a cumulative
 * {@code DELTA_ACK(seq)}: everything up to {@code seq} is applied. {@link #onAck} then drops
 * those deltas. If the oldest sent delta stays unacknowledged for {@code resendTimeoutMillis},
 * {@link #tick} rewinds the send position to it (go-back-N) and the next batches resend.
 *
 * <p><b>Incarnation.</b> The buffer is stamped with an incarnation number chosen by the node
 * (larger after every restart). Batches carry it so a receiver can tell a restarted sender,
 * whose sequence numbers start over, from old duplicates; acks echo it so acks meant for a
 * previous incarnation are ignored.
 *
 * <p><b>Bounded, and nothing lost.</b> When adding a delta would exceed {@code maxBufferBytes},
 * every buffered delta is dropped and counted, the leaves of their keys are marked in the peer's
 * {@link RepairDebt} (hash-tree repair then brings exactly those leaves of the peer up to date:
 * the local state holds everything the dropped deltas carried), and buffering starts over with
 * the new delta, which is kept even when it alone is larger than the bound (a value of any size
 * replicates; the transport cuts it into fragments). Sequence numbers keep increasing; batches
 * carry the lowest sequence still buffered ({@code baseSeq}) so the receiver skips the hole
 * instead of waiting for it.
 *
 * <p><b>Batches.</b> A batch holds consecutive deltas up to {@code maxBatchBytes}, or a single
 * larger delta alone.
 *
 * <p><b>Origin.</b> A delta is never buffered for the peer it came from.
 *
 * <p>No threads or timers inside: time is passed in. Thread-safe (one lock per peer).
 */
public final class PeerDeltaBuffer {

    /** Returned by {@link #enqueue} when the delta was not buffered. */
    public static final long NOT_ENQUEUED = 0;

    private final int peerId;
    private final long incarnation;
    private final DeltaBufferSettings settings;

    /** Circular array of buffered deltas, oldest at {@code head}. */
    private Entry[] ring = new Entry[16];
    private int head;
    private int size;
    /** Entries {@code [head, head + sent)} have been sent and await acknowledgement. */
    private int sent;
    private long pendingBytes;
    private long sentBytes;
    private long nextSeq = 1;
    private long ackedSeq;

    private final RepairDebt debt;
    private long droppedThroughSeq;
    private long overflows;
    private long droppedDeltas;
    private long resends;

    /** One buffered delta. */
    private static final class Entry {
        final long seq;
        final KeyedBytes delta;
        final int bytes;
        final long enqueuedAt;
        long sentAt;

        Entry(long seq, KeyedBytes delta, long enqueuedAt) {
            this.seq = seq;
            this.delta = delta;
            this.bytes = delta.encodedSize();
            this.enqueuedAt = enqueuedAt;
        }
    }

    /** An empty buffer for {@code peerId} whose overflows are recorded in {@code debt}. */
    public PeerDeltaBuffer(int peerId, long incarnation, DeltaBufferSettings settings, RepairDebt debt) {
        this.peerId = peerId;
        this.incarnation = incarnation;
        this.settings = settings;
        this.debt = debt;
    }

    /** An empty buffer for {@code peerId} with a debt of its own (tests). */
    public PeerDeltaBuffer(int peerId, long incarnation, DeltaBufferSettings settings) {
        this(peerId, incarnation, settings, RepairDebt.untracked());
    }

    /** The peer this buffer sends to. */
    public int peerId() {
        return peerId;
    }

    /** The incarnation stamped on batches. */
    public long incarnation() {
        return incarnation;
    }

    /**
     * Buffers {@code delta} for {@code key}, created by node {@code originNodeId}. Returns its
     * sequence number, or {@link #NOT_ENQUEUED} when the delta came from this very peer.
     */
    public synchronized long enqueue(byte[] key, byte[] delta, int originNodeId, long nowMillis) {
        if (originNodeId == peerId) {
            return NOT_ENQUEUED;
        }
        KeyedBytes entry = new KeyedBytes(key, delta);
        int bytes = entry.encodedSize();
        if (size > 0 && pendingBytes + bytes > settings.maxBufferBytes()) {
            overflow();
        }
        if (size == ring.length) {
            grow();
        }
        Entry e = new Entry(nextSeq++, entry, nowMillis);
        ring[(head + size) % ring.length] = e;
        size++;
        pendingBytes += bytes;
        return e.seq;
    }

    private void overflow() {
        overflows++;
        List<byte[]> keys = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            keys.add(at(i).delta.key());
        }
        debt.markKeys(keys);
        dropAll();
    }

    /**
     * Drops every buffered delta without marking any debt: this node discarded the state they
     * came from (a rebuild, see {@code Rejoin}). Writes waiting for them fail like after an overflow.
     * Nothing dropped is owed any more, so it counts as acknowledged: unlike after an overflow, no
     * new delta may follow (a node that writes nothing after its rebuild), and the GC horizon
     * would otherwise wait for the peer to acknowledge sequence numbers no batch will ever carry.
     */
    public synchronized void discardAll() {
        dropAll();
        ackedSeq = droppedThroughSeq;
    }

    private void dropAll() {
        droppedThroughSeq = nextSeq - 1;
        droppedDeltas += size;
        Arrays.fill(ring, null);
        head = 0;
        size = 0;
        sent = 0;
        pendingBytes = 0;
        sentBytes = 0;
    }

    private void grow() {
        Entry[] bigger = new Entry[ring.length * 2];
        for (int i = 0; i < size; i++) {
            bigger[i] = ring[(head + i) % ring.length];
        }
        ring = bigger;
        head = 0;
    }

    /**
     * The next batch to send (consecutive unsent deltas, up to {@code maxBatchBytes}), marked as
     * sent at {@code nowMillis}; {@code null} when nothing is waiting or the in-flight limit is reached.
     */
    public synchronized PeerMessage.DeltaBatch nextBatch(long nowMillis) {
        if (sent == size || sentBytes >= settings.maxInFlightBytes()) {
            return null;
        }
        Entry first = at(sent);
        List<KeyedBytes> entries = new ArrayList<>();
        int batchBytes = 0;
        while (sent < size) {
            Entry e = at(sent);
            if (!entries.isEmpty() && batchBytes + e.bytes > settings.maxBatchBytes()) {
                break;
            }
            entries.add(e.delta);
            batchBytes += e.bytes;
            e.sentAt = nowMillis;
            sent++;
            sentBytes += e.bytes;
        }
        return new PeerMessage.DeltaBatch(incarnation, at(0).seq, first.seq, entries);
    }

    /** Applies a cumulative acknowledgement from the peer; stale or foreign acks are ignored. */
    public synchronized void onAck(long ackIncarnation, long ackedUpTo) {
        if (ackIncarnation != incarnation || ackedUpTo <= ackedSeq) {
            return;
        }
        ackedSeq = Math.min(ackedUpTo, nextSeq - 1);
        while (size > 0 && ring[head].seq <= ackedSeq) {
            Entry e = ring[head];
            ring[head] = null;
            head = (head + 1) % ring.length;
            size--;
            pendingBytes -= e.bytes;
            if (sent > 0) {
                sent--;
                sentBytes -= e.bytes;
            }
        }
    }

    /**
     * Advances time: if the oldest sent delta has waited {@code resendTimeoutMillis} without an
     * acknowledgement, rewinds so the following {@link #nextBatch} calls resend from it. Returns
     * whether it rewound.
     */
    public synchronized boolean tick(long nowMillis) {
        if (sent > 0 && nowMillis - ring[head].sentAt >= settings.resendTimeoutMillis()) {
            sent = 0;
            sentBytes = 0;
            resends++;
            return true;
        }
        return false;
    }

    /** Whether deltas are waiting to be sent (not counting in-flight ones). */
    public synchronized boolean hasUnsent() {
        return sent < size;
    }

    /** Number of buffered (unacknowledged) deltas. */
    public synchronized int pendingCount() {
        return size;
    }

    /** Bytes of buffered deltas. */
    public synchronized long pendingBytes() {
        return pendingBytes;
    }

    /** Age of the oldest buffered delta, 0 when empty. */
    public synchronized long oldestUnackedAgeMillis(long nowMillis) {
        return size == 0 ? 0 : Math.max(0, nowMillis - ring[head].enqueuedAt);
    }

    /** Highest sequence number acknowledged by the peer. */
    public synchronized long ackedSeq() {
        return ackedSeq;
    }

    /** Highest sequence number assigned so far (0 before the first delta). */
    public synchronized long lastSeq() {
        return nextSeq - 1;
    }

    /**
     * Highest sequence number dropped by an overflow (0 if none): an acknowledgement covering it
     * does not mean the peer received it, since the receiver was told to skip the hole. (Added
     * for the replicator, which must not count such a delta as acknowledged.)
     */
    public synchronized long droppedThroughSeq() {
        return droppedThroughSeq;
    }

    /** Whether the peer may lack deltas this buffer dropped (or lost at a restart), until hash-tree repair pays the debt. */
    public boolean needsFullSync() {
        return !debt.isEmpty();
    }

    /** The peer's repair debt, marked by overflows. */
    public RepairDebt debt() {
        return debt;
    }

    /** Snapshot for INFO. */
    public synchronized PeerDeltaStats stats(long nowMillis) {
        return new PeerDeltaStats(peerId, size, pendingBytes, sent, oldestUnackedAgeMillis(nowMillis), ackedSeq,
                nextSeq - 1, !debt.isEmpty(), overflows, droppedDeltas, resends);
    }

    private Entry at(int offset) {
        return ring[(head + offset) % ring.length];
    }
}
