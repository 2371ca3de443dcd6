package io.converge.server.cluster.replication;

import io.converge.crdt.ClockDriftException;
import io.converge.crdt.HybridLogicalClock;
import io.converge.crdt.KeyState;
import io.converge.crdt.codec.CrdtCodecException;
import io.converge.server.cluster.AckTracker;
import io.converge.server.cluster.Clock;
import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.NodeHealth;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.keyspace.Partitioner;
import io.converge.server.cluster.PeerMessageHandler;
import io.converge.server.cluster.PhiAccrualFailureDetector;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import io.converge.server.cluster.Topology;
import io.converge.server.cluster.Transport;
import io.converge.server.cluster.wire.PeerMessage;
import io.converge.server.repair.DeltaOutbox;
import io.converge.server.repair.DeltaReceiver;
import io.converge.server.repair.InboundDeltaStats;
import io.converge.server.repair.PeerDeltaBuffer;
import io.converge.server.repair.PeerDeltaStats;
import io.converge.server.store.StorageEngine;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's replication core (DESIGN §4, §5 layers 1–3 and tombstone GC): a state machine
 * driven only by messages from a {@link Transport}, by calls from the client path, and by
 * {@link #tick()} on a timer, with time from a {@link Clock}, so it runs the same over Netty and
 * over the deterministic simulated network.
 *
 * <p><b>Write path.</b> The engine reports every local write's delta to {@link #onLocalDelta}
 * under the key's lock; it is encoded once ({@link StampedState}) and buffered for every other
 * replica of the key, in every datacenter (the per-peer {@link DeltaOutbox}: sequence numbers,
 * resend until acknowledged, bounded). A command runs inside a {@link DeltaCapture} that
 * remembers the sequence numbers its deltas got; {@link #replicate} then returns a future that
 * completes when the consistency level's replicas acknowledged them (a peer acknowledges a batch
 * cumulatively once its engine merged it) or fails with a {@link ConsistencyLevelException} on
 * timeout, or at once when replicas known to be down make the level impossible. What was applied
 * stays applied and converges.
 *
 * <p><b>Read path.</b> {@link #readRepair} fetches the replicas' whole key states, merges them
 * into the local engine (so any read command then answers from the merged state), and sends the
 * merged state to each replica whose state lacked something (read repair), when the read
 * finishes. At {@code ONE} on a replica it returns at once.
 *
 * <p><b>Forwarding.</b> A node that does not replicate a key sends the whole command to a
 * replica ({@link #chooseReplica}, {@link #forward}); the replica runs it through the pluggable
 * {@link ForwardHandler} and answers with the reply bytes.
 *
 * <p><b>Liveness and GC.</b> {@link #tick()} sends heartbeats (phi-accrual failure detector) and
 * the GC status, resends unacknowledged deltas, expires requests, advances the {@link GcHorizon}
 * (installed as the engine's tombstone policy) and sweeps tombstones once it moved.
 *
 * <p><b>Clock drift.</b> Incoming deltas and states carry the sender's HLC; the receive rule is
 * applied so later local writes are stamped after them. A stamp more than the maximum drift
 * ahead is counted and logged and the clock is not moved, but the delta is merged all the same:
 * refusing it would only keep the replicas apart forever (the client write path is where such
 * timestamps are refused).
 *
 * <p><b>Threads.</b> Every method is thread-safe: the transport calls {@link #onMessage} on I/O
 * threads, commands call the write/read API on event-loop threads, a timer calls {@link
 * #tick()}. Futures complete on whichever thread delivered the deciding message (or the tick):
 * continue on your own executor if that matters. The simulation runs all of it on one thread.
 *
 * <p>Lifecycle: construct, {@link #start()} (installs the message handler, the delta listener and
 * the tombstone policy), then start the transport and call {@link #tick()} every ~10 ms;
 * {@link #close()} fails what is pending.
 */
public final class Replicator implements PeerMessageHandler {

    private static final Logger log = LoggerFactory.getLogger(Replicator.class);

    /** {@code WRITE_ACK} status of a forwarded command that could not be run; the payload is the reason. */
    public static final int FORWARD_FAILED = 1;

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    private static final CompletableFuture<ReadResult> LOCAL_READ = CompletableFuture.completedFuture(ReadResult.LOCAL);
    private static final byte[] EMPTY = new byte[0];
    private static final long DRIFT_LOG_INTERVAL_MILLIS = 60_000;
    private static final int RECENT_IDS_CAPACITY = 1 << 14;

    private final Ring ring;
    private final Topology topology;
    private final int self;
    private final int selfDc;
    private final Transport transport;
    private final Clock clock;
    private final ReplicaStore store;
    private final StorageEngine engine;
    private final HybridLogicalClock hlc;
    private final ReplicationSettings settings;

    private final int[] nodeIds;
    private final int[] nodeIndexById;
    private final int[] peerIds;
    private final DeltaOutbox outbox;
    private final DeltaReceiver receiver = new DeltaReceiver();
    private final PhiAccrualFailureDetector failureDetector;
    private final GcHorizon horizon;

    /** Per node index: writes waiting for that node's ack of a sequence number (key: the sequence number). */
    private final ConcurrentSkipListMap<Long, PendingWrite>[] waiters;
    /** Per node index: a drain of that peer's buffer is scheduled and has not started yet (see {@link #flush}). */
    private final AtomicBoolean[] drainScheduled;
    private final ConcurrentLinkedQueue<PendingWrite> writeDeadlines = new ConcurrentLinkedQueue<>();
    private final Map<Long, PendingRead> reads = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<PendingRead> readDeadlines = new ConcurrentLinkedQueue<>();
    private final Map<Long, PendingForward> forwards = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<PendingForward> forwardDeadlines = new ConcurrentLinkedQueue<>();
    private final RecentRequestIds[] recentForwards;
    private final AtomicLong nextRequestId;
    private final ThreadLocal<DeltaCapture> currentCapture = new ThreadLocal<>();
    private volatile ForwardHandler forwardHandler;

    private final Object tickLock = new Object();
    private volatile boolean started;
    private volatile boolean closed;
    private long startMillis;
    private long nextHeartbeatMillis;
    private long lastDriftLogMillis = Long.MIN_VALUE;
    private final long[] sweptStable;
    private final long[] sweptAtMillis;
    private int sweepCursor;

    private final LongAdder deltasBuffered = new LongAdder();
    private final LongAdder writes = new LongAdder();
    private final LongAdder writesFailed = new LongAdder();
    private final LongAdder quorumReads = new LongAdder();
    private final LongAdder readsFailed = new LongAdder();
    private final LongAdder replicasRepaired = new LongAdder();
    private final LongAdder localRepairs = new LongAdder();
    private final LongAdder forwardsSent = new LongAdder();
    private final LongAdder forwardsFailed = new LongAdder();
    private final LongAdder forwardsReceived = new LongAdder();
    private final LongAdder duplicateForwards = new LongAdder();
    private final LongAdder driftRejections = new LongAdder();
    private final LongAdder corruptStates = new LongAdder();
    private final LongAdder statesPushed = new LongAdder();
    private final LongAdder tombstoneEntriesCollected = new LongAdder();
    private final LongAdder sweeps = new LongAdder();

    /**
     * The replicator of node {@code transport.localNodeId()} in {@code ring}. The store's engine
     * must stamp with the same id ({@code engine.nodeId()}).
     */
    @SuppressWarnings("unchecked")
    public Replicator(Ring ring, Transport transport, Clock clock, ReplicaStore store, ReplicationSettings settings) {
        this.ring = ring;
        this.topology = ring.topology();
        this.self = transport.localNodeId();
        if (!topology.contains(self)) {
            throw new IllegalArgumentException("node " + self + " is not in the cluster");
        }
        if (store.engine().nodeId() != self) {
            throw new IllegalArgumentException("the engine stamps as node " + store.engine().nodeId()
                    + " but this is node " + self + " of the cluster: configure the same numeric id");
        }
        this.selfDc = topology.datacenterOf(self);
        this.transport = transport;
        this.clock = clock;
        this.store = store;
        this.engine = store.engine();
        this.hlc = store.clock();
        this.settings = settings;
        this.nodeIds = topology.nodeIds();
        this.nodeIndexById = new int[nodeIds[nodeIds.length - 1] + 1];
        Arrays.fill(nodeIndexById, -1);
        for (int i = 0; i < nodeIds.length; i++) {
            nodeIndexById[nodeIds[i]] = i;
        }
        long incarnation = hlc.now(); // grows across restarts: the HLC never goes back
        this.outbox = new DeltaOutbox(self, nodeIds, incarnation, settings.deltaBuffers());
        this.peerIds = outbox.peerIds();
        this.failureDetector = new PhiAccrualFailureDetector(clock, settings.failureDetector());
        this.horizon = new GcHorizon(store, outbox, settings.gcRoundMinMillis());
        this.waiters = new ConcurrentSkipListMap[nodeIds.length];
        this.drainScheduled = new AtomicBoolean[nodeIds.length];
        this.recentForwards = new RecentRequestIds[nodeIds.length];
        long now = clock.nowMillis();
        for (int i = 0; i < nodeIds.length; i++) {
            waiters[i] = new ConcurrentSkipListMap<>();
            drainScheduled[i] = new AtomicBoolean();
            recentForwards[i] = new RecentRequestIds(RECENT_IDS_CAPACITY, 2 * settings.forwardTimeoutMillis(), now);
        }
        // Request ids unique across restarts (they start from the HLC) and never 0.
        this.nextRequestId = new AtomicLong(incarnation);
        this.sweptStable = new long[store.partitions()];
        this.sweptAtMillis = new long[store.partitions()];
        Arrays.fill(sweptAtMillis, Long.MIN_VALUE / 2);
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Installs this replicator as the transport's handler, the engine's delta listener and its
     * tombstone policy; with {@link ReplicationSettings#pushStatesOnStart()}, queues every held
     * state for its other replicas. Call before starting the transport.
     */
    public void start() {
        synchronized (tickLock) {
            if (started) {
                throw new IllegalStateException("already started");
            }
            startMillis = clock.nowMillis();
            nextHeartbeatMillis = startMillis;
            transport.setHandler(this);
            store.tombstonePolicy(horizon);
            engine.addDeltaListener(this::onLocalDelta);
            started = true;
        }
        if (settings.pushStatesOnStart()) {
            pushAllStates();
        }
    }

    /** Stops reacting to messages and ticks, and fails every pending request (the node is going away). */
    public void close() {
        closed = true;
        PendingWrite w;
        while ((w = writeDeadlines.poll()) != null) {
            w.expire("not met: node " + self + " is shutting down");
        }
        PendingRead r;
        while ((r = readDeadlines.poll()) != null) {
            if (r.finish() && r.claimFailure()) {
                r.future.completeExceptionally(new ConsistencyLevelException(
                        r.describeShortfall("not met: node " + self + " is shutting down")));
            }
        }
        reads.clear();
        PendingForward f;
        while ((f = forwardDeadlines.poll()) != null) {
            f.future.completeExceptionally(new ForwardException("node " + self + " is shutting down; the command "
                    + "forwarded to node " + f.target + " may or may not have been applied"));
        }
        forwards.clear();
    }

    /** Installs what runs commands forwarded to this node. */
    public void setForwardHandler(ForwardHandler handler) {
        this.forwardHandler = handler;
    }

    // ------------------------------------------------------------------ topology

    /** This node's id. */
    public int localNodeId() {
        return self;
    }

    /** This node's datacenter index (the default for LOCAL_QUORUM). */
    public int localDatacenter() {
        return selfDc;
    }

    /** The ring. */
    public Ring ring() {
        return ring;
    }

    /** The failure detector (INFO, tests). */
    public PhiAccrualFailureDetector failureDetector() {
        return failureDetector;
    }

    /** Whether this node is one of {@code key}'s replicas. */
    public boolean isReplica(byte[] key) {
        return ring.replicasFor(key).contains(self);
    }

    /** Whether the failure detector considers {@code nodeId} up (this node always is). */
    public boolean isUp(int nodeId) {
        return nodeId == self || failureDetector.isAvailable(nodeId);
    }

    /**
     * The replica to run a command on {@code key}: this node if it replicates the key; otherwise
     * a replica in this node's datacenter first, up according to the failure detector, chosen by
     * the key's token so that a given key always goes to the same replica while it is up (a
     * connection's writes and reads of a key meet there: read-your-writes even at ONE). If no
     * replica seems up, the same stable choice in the nearest datacenter.
     */
    public int chooseReplica(byte[] key) {
        long token = Partitioner.token(key);
        ReplicaSet replicas = ring.replicasForToken(token);
        if (replicas.contains(self)) {
            return self;
        }
        int fallback = -1;
        int dcs = replicas.datacenterCount();
        for (int k = 0; k < dcs; k++) {
            int dc = k == 0 ? selfDc : (k - 1 < selfDc ? k - 1 : k);
            int n = replicas.sizeIn(dc);
            if (n == 0) {
                continue;
            }
            int start = (int) Long.remainderUnsigned(token * 0x9E3779B97F4A7C15L, n);
            if (fallback < 0) {
                fallback = replicas.nodeIn(dc, start);
            }
            for (int j = 0; j < n; j++) {
                int node = replicas.nodeIn(dc, (start + j) % n);
                if (failureDetector.isAvailable(node)) {
                    return node;
                }
            }
        }
        return fallback;
    }

    // ------------------------------------------------------------------ write path

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
     * Runs {@code command} inside a capture and returns its result once the level is met
     * (failing with {@link ConsistencyLevelException} otherwise). Exceptions of the command
     * propagate at once; deltas it reported before failing are replicated anyway.
     */
    public <R> CompletableFuture<R> execute(ConsistencyLevel level, Supplier<R> command) {
        R result;
        DeltaCapture capture = beginCapture();
        try {
            result = command.get();
        } finally {
            capture.close();
        }
        return replicate(capture, level).thenApply(ignored -> result);
    }

    /** {@link #replicate(DeltaCapture, ConsistencyLevel, int)} with this node's datacenter as the local one. */
    public CompletableFuture<Void> replicate(DeltaCapture capture, ConsistencyLevel level) {
        return replicate(capture, level, selfDc);
    }

    /**
     * Waits for {@code level} on what {@code capture} recorded: completes when, for every replica
     * set written, the level's replicas acknowledged (this node counts when it is a replica: it
     * applied the write); fails with a {@link ConsistencyLevelException} after the write timeout,
     * or at once if replicas known to be down make the level impossible. {@code coordinatorDc} is
     * the datacenter LOCAL_QUORUM refers to (the client-facing node's, for forwarded commands).
     * The deltas were buffered already; this also has them sent soon (see {@link #flush}).
     */
    public CompletableFuture<Void> replicate(DeltaCapture capture, ConsistencyLevel level, int coordinatorDc) {
        if (capture.setCount == 0) {
            return DONE;
        }
        writes.increment();
        long now = clock.nowMillis();
        if (level == ConsistencyLevel.ONE && localInEvery(capture)) {
            flush(capture.seqByNode); // applied here: ONE is met, nothing to track
            return DONE;
        }
        AckTracker[] trackers = new AckTracker[capture.setCount];
        for (int i = 0; i < capture.setCount; i++) {
            trackers[i] = AckTracker.start(level, capture.sets[i], topology, coordinatorDc);
            trackers[i].ack(self); // ignored when this node is not a replica of the set
        }
        long[] seqs = capture.seqByNode;
        PendingWrite write = new PendingWrite(level, trackers, seqs, self, now, settings.writeTimeoutMillis());
        if (write.completeIfSatisfied()) {
            flush(seqs);
            return DONE;
        }
        for (int n = 0; n < seqs.length; n++) {
            if (seqs[n] == DeltaCapture.NOT_BUFFERED) {
                write.fail(nodeIds[n], "a delta for node " + nodeIds[n] + " exceeds the batch limit (node flagged "
                        + "for full sync)");
            } else if (seqs[n] != 0 && isKnownDown(nodeIds[n], now)) {
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
                // The ack may have arrived between buffering and registering.
                settleWaiters(n);
            }
        }
        writeDeadlines.add(write);
        flush(seqs);
        write.future.whenComplete((ok, error) -> {
            forgetWaiters(write);
            if (error != null) {
                writesFailed.increment();
            }
        });
        return write.future;
    }

    /**
     * The engine's delta listener: encodes the delta once and buffers it for every other replica
     * of the key (under the key's lock, which {@link GcHorizon} relies on), recording sequence
     * numbers in the thread's capture, if any. Deltas outside a capture (expiry purges) go out
     * with the next tick.
     */
    void onLocalDelta(byte[] key, KeyState delta) {
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

    private boolean localInEvery(DeltaCapture capture) {
        for (int i = 0; i < capture.setCount; i++) {
            if (!capture.sets[i].contains(self)) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code nodeId} counts as down for the fail-fast check. */
    private boolean isKnownDown(int nodeId, long now) {
        double phi = failureDetector.phi(nodeId);
        if (phi < settings.failureDetector().threshold()) {
            return false;
        }
        // Never heard: only down once the start-up grace is over.
        return !Double.isInfinite(phi) || now - startMillis >= settings.failFastGraceMillis();
    }

    /** Resolves the writes waiting on node index {@code n} up to what that peer has acknowledged. */
    private void settleWaiters(int n) {
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
                            + "overflow (node flagged for full sync)");
                } else {
                    e.getValue().ack(nodeIds[n]);
                }
            }
        }
    }

    private void forgetWaiters(PendingWrite write) {
        long[] seqs = write.seqByNode;
        for (int n = 0; n < seqs.length; n++) {
            if (seqs[n] > 0) {
                waiters[n].remove(seqs[n], write);
            }
        }
    }

    /**
     * Sends the deltas just buffered for the peers in {@code seqByNode}, soon: the drain runs once
     * the current thread finished its present work ({@link Transport#runSoon}), and one scheduled
     * drain serves every write buffered before it starts. So the writes of a whole batch of
     * client input (many connections, pipelined commands) leave as one DELTA_BATCH per peer, and
     * are acknowledged with one DELTA_ACK, instead of a message each way per write.
     */
    private void flush(long[] seqByNode) {
        for (int n = 0; n < seqByNode.length; n++) {
            if (seqByNode[n] > 0 && drainScheduled[n].compareAndSet(false, true)) {
                AtomicBoolean scheduled = drainScheduled[n];
                int peer = nodeIds[n];
                transport.runSoon(() -> {
                    scheduled.set(false); // before draining: a delta buffered from now on schedules another drain
                    drainPeer(peer, clock.nowMillis());
                });
            }
        }
    }

    /** Sends every batch the peer's buffer lets out now, if its connection is up. */
    private void drainPeer(int peerId, long now) {
        if (closed || transport.connectionState(peerId) != ConnectionState.CONNECTED) {
            return;
        }
        PeerDeltaBuffer buffer = outbox.buffer(peerId);
        PeerMessage.DeltaBatch batch;
        while ((batch = buffer.nextBatch(now)) != null) {
            if (!transport.send(peerId, batch)) {
                break; // dropped at once: the resend timer brings it back
            }
        }
    }

    // ------------------------------------------------------------------ read path

    /** {@link #readRepair(byte[][], ConsistencyLevel, int)} with this node's datacenter as the local one. */
    public CompletableFuture<ReadResult> readRepair(byte[][] keys, ConsistencyLevel level) {
        return readRepair(keys, level, selfDc);
    }

    /**
     * Brings {@code keys} up to date for a read at {@code level}: at ONE on a replica, completes at
     * once; otherwise asks every other replica for its state, merges each state into the local
     * engine as it arrives (keys this node replicates) or into the {@link ReadResult} (keys it
     * does not), and completes when the level's replicas answered. Replicas whose state lacked
     * something the local engine has get the merged state when the read finishes (read repair;
     * only for keys this node replicates, whose state it can vouch for). Fails with a {@link
     * ConsistencyLevelException} after the read timeout or when the level is impossible.
     */
    public CompletableFuture<ReadResult> readRepair(byte[][] keys, ConsistencyLevel level, int coordinatorDc) {
        int n = keys.length;
        long now = clock.nowMillis();
        boolean[] localKey = new boolean[n];
        AckTracker[] trackerOfKey = new AckTracker[n];
        List<AckTracker> trackers = new ArrayList<>(2);
        Map<ReplicaSet, AckTracker> bySet = new HashMap<>(4);
        boolean allLocal = true;
        for (int i = 0; i < n; i++) {
            ReplicaSet set = ring.replicasFor(keys[i]);
            localKey[i] = set.contains(self);
            allLocal &= localKey[i];
            AckTracker t = bySet.get(set);
            if (t == null) {
                t = AckTracker.start(level, set, topology, coordinatorDc);
                t.ack(self);
                bySet.put(set, t);
                trackers.add(t);
            }
            trackerOfKey[i] = t;
        }
        if (allLocal && level == ConsistencyLevel.ONE) {
            return LOCAL_READ;
        }
        quorumReads.increment();
        // Peers to ask, ascending, each with the keys it replicates.
        Map<Integer, List<Integer>> keysByPeer = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            ReplicaSet set = trackerOfKey[i].replicas();
            for (int r = 0; r < set.size(); r++) {
                int node = set.node(r);
                if (node != self) {
                    keysByPeer.computeIfAbsent(node, k -> new ArrayList<>()).add(i);
                }
            }
        }
        int[] peers = new int[keysByPeer.size()];
        int[][] keysOfPeer = new int[peers.length][];
        int p = 0;
        for (Map.Entry<Integer, List<Integer>> e : keysByPeer.entrySet()) {
            peers[p] = e.getKey();
            List<Integer> indexes = e.getValue();
            keysOfPeer[p] = new int[indexes.size()];
            for (int j = 0; j < indexes.size(); j++) {
                keysOfPeer[p][j] = indexes.get(j);
            }
            p++;
        }
        long id = nextRequestId.incrementAndGet();
        PendingRead read = new PendingRead(id, level, now + settings.readTimeoutMillis(), keys, localKey, trackerOfKey,
                trackers.toArray(AckTracker[]::new), peers, keysOfPeer);
        boolean possible = true;
        for (int peer : peers) {
            if (isKnownDown(peer, now)) {
                possible &= read.peerFailed(peer);
            }
        }
        if (!possible) {
            readsFailed.increment();
            read.finish();
            read.claimFailure();
            return CompletableFuture.failedFuture(new ConsistencyLevelException(
                    read.describeShortfall("cannot be met: too many replicas are down (failure detector)")));
        }
        if (read.allSatisfied()) {
            // Reachable when every replica set is satisfied by this node alone (e.g. LOCAL_QUORUM with rf 1 here).
            read.finish();
            return CompletableFuture.completedFuture(ReadResult.LOCAL);
        }
        reads.put(id, read);
        readDeadlines.add(read);
        for (int i = 0; i < peers.length; i++) {
            List<byte[]> peerKeys = new ArrayList<>(keysOfPeer[i].length);
            for (int k : keysOfPeer[i]) {
                peerKeys.add(keys[k]);
            }
            transport.send(peers[i], new PeerMessage.ReadState(id, peerKeys));
        }
        read.future.whenComplete((ok, error) -> {
            if (error != null) {
                readsFailed.increment();
            }
        });
        return read.future;
    }

    private void onReadState(int from, PeerMessage.ReadState request) {
        List<byte[]> keys = request.keys();
        List<byte[]> states = new ArrayList<>(keys.size());
        long stamp = hlc.current();
        for (byte[] key : keys) {
            KeyState state = engine.stateCopy(key);
            states.add(state == null ? null : StampedState.encode(state, stamp));
        }
        transport.send(from, new PeerMessage.ReadStateReply(request.requestId(), states));
    }

    private void onReadStateReply(int from, PeerMessage.ReadStateReply reply) {
        PendingRead read = reads.get(reply.requestId());
        if (read == null || clock.nowMillis() > read.deadlineMillis) {
            return; // late: never merge a state after its request's deadline (see GcHorizon)
        }
        int p = read.peerIndex(from);
        if (p < 0 || reply.states().size() != read.keysOfPeer[p].length || !read.claimReply(p)) {
            return;
        }
        List<byte[]> states = reply.states();
        for (int j = 0; j < states.size(); j++) {
            int i = read.keysOfPeer[p][j];
            byte[] bytes = states.get(j);
            KeyState remote = null;
            if (bytes != null) {
                remote = decodeRemote(from, bytes);
                if (remote == null) {
                    continue; // corrupt: counted and logged; the replica will not be repaired from it
                }
            }
            if (read.localKey[i]) {
                if (mergeIntoLocal(read.keys[i], remote)) {
                    read.markStale(p, j);
                }
            } else if (remote != null) {
                read.mergeRemote(i, remote);
            }
        }
        ReadResult result = read.replyCounted(p, from);
        if (result != null) {
            read.future.complete(result);
        }
        if (read.allReplied()) {
            finishRead(read);
        }
    }

    /**
     * Joins {@code remote} (null: the replica holds nothing) into the local state of {@code key};
     * returns whether the replica's state lacks something the local state has (it needs repair).
     */
    private boolean mergeIntoLocal(byte[] key, KeyState remote) {
        boolean[] stale = new boolean[1];
        engine.runExclusive(List.of(key), false, () -> {
            KeyState mine = engine.stateCopy(key);
            if (remote == null) {
                stale[0] = mine != null && !mine.isGarbage();
                return;
            }
            KeyState merged = mine == null ? remote.copy() : mine.copy();
            if (mine != null) {
                merged.merge(remote);
            }
            if (mine == null || !merged.equals(mine)) {
                engine.merge(key, remote);
                localRepairs.increment();
            }
            stale[0] = !merged.equals(remote);
        });
        return stale[0];
    }

    /** Ends a read (all replies in, or deadline): fails it if the level was not met, then repairs stale replicas. */
    private void finishRead(PendingRead read) {
        if (!read.finish()) {
            return;
        }
        reads.remove(read.requestId);
        if (read.claimFailure()) {
            read.future.completeExceptionally(new ConsistencyLevelException(
                    read.describeShortfall("not met within " + settings.readTimeoutMillis() + " ms")));
        }
        long now = clock.nowMillis();
        for (int p = 0; p < read.peers.length; p++) {
            int peer = read.peers[p];
            boolean any = false;
            for (int j = 0; j < read.keysOfPeer[p].length; j++) {
                if (read.isStale(p, j)) {
                    sendState(peer, read.keys[read.keysOfPeer[p][j]], now);
                    replicasRepaired.increment();
                    any = true;
                }
            }
            if (any) {
                drainPeer(peer, now);
            }
        }
    }

    /** Buffers this node's whole state of {@code key} for {@code peer}, under the key's lock (see GcHorizon). */
    private void sendState(int peer, byte[] key, long now) {
        engine.runExclusive(List.of(key), false, () -> {
            KeyState state = engine.stateCopy(key);
            if (state != null) {
                outbox.buffer(peer).enqueue(key, StampedState.encode(state, hlc.current()), self, now);
            }
        });
    }

    /**
     * Queues every state this node holds for the key's other replicas (restart: deltas that were
     * waiting in the lost buffers reach them this way). Large datasets overflow the buffers and
     * flag the peers for full sync instead.
     */
    public void pushAllStates() {
        long now = clock.nowMillis();
        for (int part = 0; part < store.partitions(); part++) {
            List<byte[]> keys = new ArrayList<>();
            store.forEachState(part, (key, state) -> keys.add(key.clone()));
            for (byte[] key : keys) {
                ReplicaSet replicas = ring.replicasFor(key);
                engine.runExclusive(List.of(key), false, () -> {
                    KeyState state = engine.stateCopy(key);
                    if (state == null) {
                        return;
                    }
                    byte[] bytes = StampedState.encode(state, hlc.current());
                    for (int r = 0; r < replicas.size(); r++) {
                        int node = replicas.node(r);
                        if (node != self) {
                            outbox.buffer(node).enqueue(key, bytes, self, now);
                        }
                    }
                });
                statesPushed.increment();
            }
        }
    }

    // ------------------------------------------------------------------ forwarding

    /**
     * Sends {@code payload} (a whole command, opaque here) for {@code key} to replica {@code nodeId},
     * whose {@link ForwardHandler} runs it; the future completes with the reply bytes, or fails with
     * a {@link ForwardException} (no reply within the forward timeout, unreachable, or the replica
     * could not run it). A forwarded command is never retried: it may not be idempotent.
     */
    public CompletableFuture<byte[]> forward(int nodeId, byte[] key, byte[] payload) {
        if (nodeId == self) {
            throw new IllegalArgumentException("forwarding to the local node " + self);
        }
        long id = nextRequestId.incrementAndGet();
        PendingForward f = new PendingForward(id, nodeId, clock.nowMillis() + settings.forwardTimeoutMillis());
        forwardsSent.increment();
        if (closed) {
            f.future.completeExceptionally(new ForwardException("node " + self + " is shutting down; the command was "
                    + "not sent"));
            return f.future;
        }
        forwards.put(id, f);
        forwardDeadlines.add(f);
        if (!transport.send(nodeId, new PeerMessage.Write(id, key, payload))) {
            forwards.remove(id);
            forwardsFailed.increment();
            f.future.completeExceptionally(new ForwardException("replica " + nodeId + " is unreachable (send queue "
                    + "full or transport closed); the command was not sent"));
        }
        return f.future;
    }

    private void onForwardedWrite(int from, PeerMessage.Write write) {
        long id = write.requestId();
        if (id == 0 || !recentForwards[nodeIndexById[from]].firstTime(id, clock.nowMillis())) {
            duplicateForwards.increment();
            return;
        }
        forwardsReceived.increment();
        ForwardHandler handler = forwardHandler;
        CompletableFuture<byte[]> reply;
        if (handler == null) {
            reply = CompletableFuture.failedFuture(new ForwardException("node " + self
                    + " does not accept forwarded commands yet"));
        } else {
            try {
                reply = handler.execute(from, write.key(), write.payload());
            } catch (RuntimeException e) {
                reply = CompletableFuture.failedFuture(e);
            }
        }
        reply.whenComplete((bytes, error) -> {
            if (closed) {
                return;
            }
            PeerMessage.WriteAck ack = error == null
                    ? new PeerMessage.WriteAck(id, PeerMessage.WriteAck.OK, bytes == null ? EMPTY : bytes)
                    : new PeerMessage.WriteAck(id, FORWARD_FAILED, messageOf(error).getBytes(StandardCharsets.UTF_8));
            transport.send(from, ack);
        });
    }

    private void onForwardReply(PeerMessage.WriteAck ack) {
        PendingForward f = forwards.remove(ack.requestId());
        if (f == null) {
            return; // late or duplicate
        }
        if (ack.status() == PeerMessage.WriteAck.OK) {
            f.future.complete(ack.payload());
        } else {
            forwardsFailed.increment();
            f.future.completeExceptionally(new ForwardException(new String(ack.payload(), StandardCharsets.UTF_8)));
        }
    }

    private static String messageOf(Throwable error) {
        Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    // ------------------------------------------------------------------ messages

    @Override
    public void onMessage(int fromNodeId, PeerMessage message) {
        if (closed || !started || !topology.contains(fromNodeId) || fromNodeId == self) {
            return;
        }
        switch (message) {
            case PeerMessage.Heartbeat h -> failureDetector.heartbeat(fromNodeId);
            case PeerMessage.GcStatus g -> horizon.onPeerStatus(fromNodeId, g.deliveredHlc(), g.horizonHlc());
            case PeerMessage.DeltaBatch batch -> {
                PeerMessage.DeltaAck ack = receiver.receive(fromNodeId, batch,
                        (key, bytes) -> applyRemoteDelta(fromNodeId, key, bytes));
                if (ack != null) {
                    // Acknowledge only what is as durable as configured (always: fsynced; everysec
                    // and no: written to the OS). While the log cannot be written, send no ack:
                    // the sender keeps the deltas and resends them.
                    try {
                        engine.awaitDurable();
                    } catch (RuntimeException e) {
                        log.warn("not acknowledging deltas from node {}: the log is not writable ({})",
                                fromNodeId, e.toString());
                        return;
                    }
                    transport.send(fromNodeId, ack);
                }
            }
            case PeerMessage.DeltaAck ack -> {
                outbox.onAck(fromNodeId, ack);
                settleWaiters(nodeIndexById[fromNodeId]);
                drainPeer(fromNodeId, clock.nowMillis());
            }
            case PeerMessage.ReadState r -> onReadState(fromNodeId, r);
            case PeerMessage.ReadStateReply r -> onReadStateReply(fromNodeId, r);
            case PeerMessage.Write w -> onForwardedWrite(fromNodeId, w);
            case PeerMessage.WriteAck a -> onForwardReply(a);
            default -> { } // handshake messages never reach handlers
        }
    }

    @Override
    public void onConnectionStateChanged(int nodeId, ConnectionState state) {
        if (state == ConnectionState.CONNECTED && started && !closed && topology.contains(nodeId) && nodeId != self) {
            drainPeer(nodeId, clock.nowMillis());
        }
    }

    /** The delta sink of the receiver: decode, apply the HLC receive rule, merge. */
    private void applyRemoteDelta(int from, byte[] key, byte[] bytes) {
        KeyState delta = decodeRemote(from, bytes);
        if (delta != null) {
            engine.merge(key, delta);
        }
    }

    /** Decodes stamped bytes from {@code from} and applies the HLC receive rule; null (counted, logged) if corrupt. */
    private KeyState decodeRemote(int from, byte[] bytes) {
        KeyState state;
        long stamp;
        try {
            stamp = StampedState.stamp(bytes);
            state = StampedState.decode(bytes);
        } catch (CrdtCodecException e) {
            corruptStates.increment();
            log.error("node {} sent a malformed CRDT state ({} bytes), skipped: {}", from, bytes.length, e.getMessage());
            return null;
        }
        try {
            hlc.receive(stamp);
        } catch (ClockDriftException e) {
            driftRejections.increment();
            logDrift(from, e);
        }
        return state;
    }

    private void logDrift(int from, ClockDriftException e) {
        long now = clock.nowMillis();
        boolean logIt;
        synchronized (tickLock) {
            logIt = now - lastDriftLogMillis >= DRIFT_LOG_INTERVAL_MILLIS;
            if (logIt) {
                lastDriftLogMillis = now;
            }
        }
        if (logIt) {
            log.warn("node {} sent a timestamp beyond the maximum clock drift ({}); merged anyway, clock not moved "
                    + "({} such timestamps so far; check NTP)", from, e.getMessage(), driftRejections.sum());
        }
    }

    // ------------------------------------------------------------------ timer

    /**
     * Periodic work (call every ~10 ms): heartbeats and GC status every heartbeat interval,
     * resends of unacknowledged deltas and sending of buffered ones, request timeouts, the GC
     * horizon round, the tombstone sweep.
     */
    public void tick() {
        if (!started || closed) {
            return;
        }
        synchronized (tickLock) {
            long now = clock.nowMillis();
            if (now >= nextHeartbeatMillis) {
                sendHeartbeats(now);
                nextHeartbeatMillis = now + settings.heartbeatIntervalMillis();
            }
            outbox.tick(now);
            for (int peer : peerIds) {
                drainPeer(peer, now);
            }
            expireRequests(now);
            horizon.step(now);
            sweepTombstones(now);
        }
    }

    private void sendHeartbeats(long now) {
        PeerMessage.Heartbeat heartbeat = new PeerMessage.Heartbeat(now);
        PeerMessage.GcStatus status = new PeerMessage.GcStatus(horizon.delivered(), horizon.horizon());
        for (int peer : peerIds) {
            if (transport.connectionState(peer) == ConnectionState.CONNECTED) {
                transport.send(peer, heartbeat);
                transport.send(peer, status);
            }
        }
    }

    private void expireRequests(long now) {
        PendingWrite w;
        while ((w = writeDeadlines.peek()) != null && (w.isDone() || w.deadlineMillis <= now)) {
            writeDeadlines.poll();
            w.expire(null);
        }
        PendingRead r;
        while ((r = readDeadlines.peek()) != null && (r.isFinished() || r.deadlineMillis <= now)) {
            readDeadlines.poll();
            finishRead(r);
        }
        PendingForward f;
        while ((f = forwardDeadlines.peek()) != null && (f.future.isDone() || f.deadlineMillis <= now)) {
            forwardDeadlines.poll();
            if (forwards.remove(f.requestId) != null) {
                forwardsFailed.increment();
                f.future.completeExceptionally(new ForwardException("no reply from replica " + f.target + " within "
                        + settings.forwardTimeoutMillis() + " ms; the command may or may not have been applied there"));
            }
        }
    }

    private void sweepTombstones(long now) {
        long stable = horizon.stable();
        if (stable == 0) {
            return;
        }
        int partitions = sweptStable.length;
        int budget = settings.sweepPartitionsPerTick();
        for (int k = 0; k < partitions && budget > 0; k++) {
            int part = sweepCursor;
            sweepCursor = (sweepCursor + 1) % partitions;
            if (sweptStable[part] < stable && now - sweptAtMillis[part] >= settings.tombstoneSweepIntervalMillis()) {
                tombstoneEntriesCollected.add(store.collectTombstones(part));
                sweptStable[part] = stable;
                sweptAtMillis[part] = now;
                sweeps.increment();
                budget--;
            }
        }
    }

    // ------------------------------------------------------------------ introspection

    /** The cluster-wide stable stamp: tombstones stamped at or before it are being dropped (0: none yet). */
    public long stableStamp() {
        return horizon.stable();
    }

    /** The lowest stable stamp every partition has been swept with (0 before the first full sweep). */
    public long sweptThrough() {
        synchronized (tickLock) {
            long min = Long.MAX_VALUE;
            for (long s : sweptStable) {
                min = Math.min(min, s);
            }
            return min == Long.MAX_VALUE ? 0 : min;
        }
    }

    /** Deltas buffered for peers and not yet acknowledged, over all peers. */
    public long pendingDeltas() {
        return outbox.pendingCount();
    }

    /** Writes, reads and forwarded commands still waiting for replicas. */
    public int pendingRequests() {
        int writesWaiting = 0;
        for (PendingWrite w : writeDeadlines) {
            if (!w.isDone()) {
                writesWaiting++;
            }
        }
        return writesWaiting + reads.size() + forwards.size();
    }

    /** A snapshot for INFO {@code replication} and {@code cluster}. */
    public ReplicationStats stats() {
        long now = clock.nowMillis();
        Map<String, Integer> replication = new LinkedHashMap<>();
        for (int d = 0; d < topology.datacenterCount(); d++) {
            replication.put(topology.datacenterName(d), topology.replicationFactor(d));
        }
        ReplicationStats.RingSummary ringSummary = new ReplicationStats.RingSummary(topology.spec().name(),
                replication, topology.nodeCount(), topology.spec().virtualNodes(), ring.replicaSetCount());
        Map<Integer, NodeHealth> health = new HashMap<>();
        for (NodeHealth h : failureDetector.view()) {
            health.put(h.nodeId(), h);
        }
        Map<Integer, InboundDeltaStats> inbound = new HashMap<>();
        for (InboundDeltaStats s : receiver.stats()) {
            inbound.put(s.peerId(), s);
        }
        List<ReplicationStats.NodeRow> nodes = new ArrayList<>(nodeIds.length);
        for (int id : nodeIds) {
            NodeSpec spec = topology.node(id);
            if (id == self) {
                nodes.add(new ReplicationStats.NodeRow(id, spec.datacenter(), spec.rack(), true, true, 0, 0, null,
                        null, null, 0, 0));
                continue;
            }
            NodeHealth h = health.get(id);
            PeerDeltaStats out = outbox.buffer(id).stats(now);
            long[] reported = horizon.reported(id);
            nodes.add(new ReplicationStats.NodeRow(id, spec.datacenter(), spec.rack(), false,
                    h != null && h.up(), h == null ? Double.POSITIVE_INFINITY : h.phi(),
                    h == null ? -1 : h.millisSinceHeard(), transport.connectionState(id), out, inbound.get(id),
                    reported[0], reported[1]));
        }
        ReplicationStats.Counters counters = new ReplicationStats.Counters(writes.sum(), writesFailed.sum(),
                deltasBuffered.sum(), quorumReads.sum(), readsFailed.sum(), replicasRepaired.sum(), localRepairs.sum(),
                forwardsSent.sum(), forwardsFailed.sum(), forwardsReceived.sum(), duplicateForwards.sum(),
                driftRejections.sum(), corruptStates.sum(), statesPushed.sum(), pendingRequests());
        ReplicationStats.Gc gc = new ReplicationStats.Gc(horizon.stable(), horizon.delivered(), horizon.horizon(),
                horizon.rounds(), sweptThrough(), sweeps.sum(), tombstoneEntriesCollected.sum());
        return new ReplicationStats(self, topology.datacenterName(selfDc), ring.primaryOwnership(self),
                ring.replicaOwnership(self), ringSummary, nodes, counters, gc);
    }
}
