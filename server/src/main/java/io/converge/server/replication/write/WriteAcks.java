package io.converge.server.replication.write;

import io.converge.crdt.HybridLogicalClock;
import io.converge.crdt.KeyState;
import io.converge.server.cluster.AckTracker;
import io.converge.server.cluster.Clock;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import io.converge.server.cluster.Topology;
import io.converge.server.replication.antientropy.DeltaOutbox;
import io.converge.server.replication.antientropy.DeltaSender;
import io.converge.server.replication.antientropy.PeerDeltaBuffer;
import io.converge.server.replication.core.PeerLiveness;
import io.converge.server.replication.core.StampedState;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The write path of replication (DESIGN §4, §5 layer 1): every local write's delta is buffered
 * for the key's other replicas, and a client write waits for its consistency level's
 * acknowledgements.
 *
 * <p>The engine reports each local delta to {@link #onLocalDelta} under the key's lock; it is
 * encoded once ({@link StampedState}) and buffered for every other replica of the key in every
 * datacenter ({@link DeltaOutbox}: sequence numbers, resend until acknowledged). A command runs
 * inside a {@link DeltaCapture} that remembers the sequence numbers its deltas got; {@link
 * #replicate} then returns a future that completes when the level's replicas acknowledged them
 * (a peer acknowledges a batch cumulatively once it merged and logged it), or fails with a
 * {@link io.converge.server.replication.ConsistencyLevelException} on timeout, at once when
 * replicas known to be down make the level impossible, or when a buffer overflow dropped the
 * delta (hash-tree repair delivers it; the write stays applied and converges).
 *
 * <p><b>Threads.</b> Lock-free from the outside, any thread: commands call {@link #beginCapture}
 * and {@link #replicate} on event-loop threads, acknowledgements arrive on I/O threads
 * ({@link #onAck}), the timer expires deadlines. Futures complete on whichever thread delivered
 * the deciding message.
 */
public final class WriteAcks {

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final int self;
    private final Ring ring;
    private final Topology topology;
    private final int[] nodeIds;
    private final int[] nodeIndexById;
    private final DeltaOutbox outbox;
    private final DeltaSender sender;
    private final PeerLiveness liveness;
    private final HybridLogicalClock hlc;
    private final Clock clock;
    private final long timeoutMillis;

    /** Per node index: writes waiting for that node's ack of a sequence number (key: the sequence number). */
    private final ConcurrentSkipListMap<Long, PendingWrite>[] waiters;
    private final ConcurrentLinkedQueue<PendingWrite> deadlines = new ConcurrentLinkedQueue<>();
    private final ThreadLocal<DeltaCapture> currentCapture = new ThreadLocal<>();
    private volatile boolean closed;

    private final LongAdder writes = new LongAdder();
    private final LongAdder writesFailed = new LongAdder();
    private final LongAdder deltasBuffered = new LongAdder();

    /**
     * The write path of node {@code self} of {@code ring}, buffering in {@code outbox} and
     * sending through {@code sender}; writes wait at most {@code timeoutMillis}.
     */
    @SuppressWarnings("unchecked")
    public WriteAcks(int self, Ring ring, DeltaOutbox outbox, DeltaSender sender, PeerLiveness liveness,
                     HybridLogicalClock hlc, Clock clock, long timeoutMillis) {
        this.self = self;
        this.ring = ring;
        this.topology = ring.topology();
        this.nodeIds = topology.nodeIds();
        this.nodeIndexById = new int[nodeIds[nodeIds.length - 1] + 1];
        java.util.Arrays.fill(nodeIndexById, -1);
        for (int i = 0; i < nodeIds.length; i++) {
            nodeIndexById[nodeIds[i]] = i;
        }
        this.outbox = outbox;
        this.sender = sender;
        this.liveness = liveness;
        this.hlc = hlc;
        this.clock = clock;
        this.timeoutMillis = timeoutMillis;
        this.waiters = new ConcurrentSkipListMap[nodeIds.length];
        for (int i = 0; i < nodeIds.length; i++) {
            waiters[i] = new ConcurrentSkipListMap<>();
        }
    }

    // ------------------------------------------------------------------ captures

    /**
     * Starts recording the deltas of one command on this thread (see {@link DeltaCapture}).
     * Close it on the same thread, then pass it to {@link #replicate}.
     */
    public DeltaCapture beginCapture() {
        DeltaCapture outer = currentCapture.get();
        DeltaCapture capture = new DeltaCapture(this, outer, nodeIds.length);
        currentCapture.set(capture);
        return capture;
    }

    void endCapture(DeltaCapture capture) {
        if (currentCapture.get() != capture) {
            throw new IllegalStateException("delta captures must be closed in the order they were opened, "
                    + "on the thread that opened them");
        }
        if (capture.outer == null) {
            currentCapture.remove();
        } else {
            currentCapture.set(capture.outer);
        }
    }

    /**
     * The engine's delta listener: encodes the delta once and buffers it for every other replica
     * of the key (under the key's lock, which the GC horizon relies on), recording sequence
     * numbers in the thread's capture, if any. Deltas outside a capture (expiry purges) go out
     * with the next tick.
     */
    public void onLocalDelta(byte[] key, KeyState delta) {
        if (closed) {
            return;
        }
        ReplicaSet replicas = ring.replicasFor(key);
        DeltaCapture capture = currentCapture.get();
        if (capture != null) {
            capture.touch(replicas);
        }
        if (replicas.size() == 1 && replicas.node(0) == self) {
            return;
        }
        byte[] bytes = StampedState.encode(delta, hlc.current());
        long now = clock.nowMillis();
        for (int i = 0; i < replicas.size(); i++) {
            int node = replicas.node(i);
            if (node != self) {
                long seq = outbox.buffer(node).enqueue(key, bytes, self, now);
                if (capture != null) {
                    capture.record(nodeIndexById[node], seq);
                }
            }
        }
        deltasBuffered.increment();
    }

    // ------------------------------------------------------------------ waiting for the level

    /**
     * Waits for {@code level} on what {@code capture} recorded: completes when, for every replica
     * set written, the level's replicas acknowledged (this node counts when it is a replica: it
     * applied the write); fails with a {@link io.converge.server.replication.ConsistencyLevelException}
     * after the write timeout, or at once if replicas known to be down make the level impossible.
     * {@code coordinatorDc} is the datacenter LOCAL_QUORUM refers to (the client-facing node's,
     * for forwarded commands). The deltas were buffered already; this also has them sent soon.
     */
    public CompletableFuture<Void> replicate(DeltaCapture capture, ConsistencyLevel level, int coordinatorDc) {
        if (capture.setCount == 0) {
            return DONE;
        }
        writes.increment();
        long now = clock.nowMillis();
        long[] seqs = capture.seqByNode;
        if (level == ConsistencyLevel.ONE && localInEvery(capture)) {
            flush(seqs); // applied here: ONE is met, nothing to track
            return DONE;
        }
        AckTracker[] trackers = new AckTracker[capture.setCount];
        for (int i = 0; i < capture.setCount; i++) {
            trackers[i] = AckTracker.start(level, capture.sets[i], topology, coordinatorDc);
            trackers[i].ack(self); // ignored when this node is not a replica of the set
        }
        PendingWrite write = new PendingWrite(level, trackers, seqs, self, now, timeoutMillis);
        if (write.completeIfSatisfied()) {
            flush(seqs);
            return DONE;
        }
        for (int n = 0; n < seqs.length; n++) {
            if (seqs[n] != 0 && liveness.isKnownDown(nodeIds[n], now)) {
                write.fail(nodeIds[n], "replica " + nodeIds[n] + " is down (failure detector)");
            }
        }
        if (write.isDone()) {
            writesFailed.increment();
            flush(seqs);
            return write.future;
        }
        for (int n = 0; n < seqs.length; n++) {
            long seq = seqs[n];
            if (seq > 0) {
                waiters[n].put(seq, write);
                settle(n); // the ack may have arrived between buffering and registering
            }
        }
        deadlines.add(write);
        flush(seqs);
        write.future.whenComplete((ok, error) -> {
            forget(write);
            if (error != null) {
                writesFailed.increment();
            }
        });
        return write.future;
    }

    private boolean localInEvery(DeltaCapture capture) {
        for (int i = 0; i < capture.setCount; i++) {
            if (!capture.sets[i].contains(self)) {
                return false;
            }
        }
        return true;
    }

    private void flush(long[] seqByNode) {
        for (int n = 0; n < seqByNode.length; n++) {
            if (seqByNode[n] > 0) {
                sender.drainSoon(nodeIds[n]);
            }
        }
    }

    /**
     * How many other nodes acknowledged every delta that {@code seqByNode} (sequence numbers by
     * node index, 0 for none, as a {@link DeltaCapture} records them) sent them: WAIT's count. A
     * delta a buffer overflow dropped does not count as acknowledged (repair delivers it later).
     */
    public int acknowledged(long[] seqByNode) {
        int n = 0;
        for (int i = 0; i < seqByNode.length; i++) {
            long seq = seqByNode[i];
            if (seq > 0) {
                PeerDeltaBuffer buffer = outbox.buffer(nodeIds[i]);
                n += buffer.ackedSeq() >= seq && seq > buffer.droppedThroughSeq() ? 1 : 0;
            }
        }
        return n;
    }

    /** An acknowledgement from {@code peerId} was applied to its buffer: resolves the writes it satisfies. */
    public void onAck(int peerId) {
        settle(nodeIndexById[peerId]);
    }

    /** Resolves the writes waiting on node index {@code n} up to what that peer has acknowledged. */
    private void settle(int n) {
        ConcurrentSkipListMap<Long, PendingWrite> map = waiters[n];
        if (map.isEmpty()) {
            return;
        }
        PeerDeltaBuffer buffer = outbox.buffer(nodeIds[n]);
        long acked = buffer.ackedSeq();
        long dropped = buffer.droppedThroughSeq();
        Map.Entry<Long, PendingWrite> e;
        while ((e = map.firstEntry()) != null && e.getKey() <= acked) {
            if (map.remove(e.getKey(), e.getValue())) {
                if (e.getKey() <= dropped) {
                    e.getValue().fail(nodeIds[n], "deltas for replica " + nodeIds[n] + " were dropped by a buffer "
                            + "overflow (hash-tree repair will deliver them)");
                } else {
                    e.getValue().ack(nodeIds[n]);
                }
            }
        }
    }

    private void forget(PendingWrite write) {
        long[] seqs = write.seqByNode;
        for (int n = 0; n < seqs.length; n++) {
            if (seqs[n] > 0) {
                waiters[n].remove(seqs[n], write);
            }
        }
    }

    /** Fails the writes whose deadline passed (the timer tick). */
    public void expire(long nowMillis) {
        PendingWrite w;
        while ((w = deadlines.peek()) != null && (w.isDone() || w.deadlineMillis <= nowMillis)) {
            deadlines.poll();
            w.expire(null);
        }
    }

    /** Fails every waiting write: the node is going away. */
    public void close() {
        closed = true;
        PendingWrite w;
        while ((w = deadlines.poll()) != null) {
            w.expire("not met: node " + self + " is shutting down");
        }
    }

    /** Writes still waiting for replicas. */
    public int pending() {
        int n = 0;
        for (PendingWrite w : deadlines) {
            if (!w.isDone()) {
                n++;
            }
        }
        return n;
    }

    /** Replicated writes (commands that produced deltas). */
    public long writes() {
        return writes.sum();
    }

    /** Replicated writes that missed their level. */
    public long writesFailed() {
        return writesFailed.sum();
    }

    /** Local deltas buffered for peers. */
    public long deltasBuffered() {
        return deltasBuffered.sum();
    }
}
