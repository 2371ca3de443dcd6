package io.converge.server.replication;

import io.converge.crdt.Hlc;
import io.converge.crdt.HybridLogicalClock;
import io.converge.crdt.KeyState;
import io.converge.server.cluster.Clock;
import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.NodeHealth;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.PeerMessageHandler;
import io.converge.server.cluster.Ring;
import io.converge.server.cluster.Topology;
import io.converge.server.cluster.Transport;
import io.converge.server.cluster.wire.PeerMessage;
import io.converge.server.keyspace.LeafLayout;
import io.converge.server.replication.antientropy.DeltaOutbox;
import io.converge.server.replication.antientropy.DeltaReceiver;
import io.converge.server.replication.antientropy.DeltaSender;
import io.converge.server.replication.antientropy.HashTreeRepair;
import io.converge.server.replication.antientropy.InboundDeltaStats;
import io.converge.server.replication.antientropy.PeerDeltaStats;
import io.converge.server.replication.core.PeerLiveness;
import io.converge.server.replication.core.RemoteStates;
import io.converge.server.replication.core.StampedState;
import io.converge.server.replication.core.ReplicaStore;
import io.converge.server.replication.broadcast.Broadcaster;
import io.converge.server.replication.forward.ForwardHandler;
import io.converge.server.replication.forward.Forwarder;
import io.converge.server.replication.gc.ExpulsionLimit;
import io.converge.server.replication.gc.GcHorizon;
import io.converge.server.replication.gc.TombstoneSweeper;
import io.converge.server.replication.read.ReadRepair;
import io.converge.server.replication.read.ReadResult;
import io.converge.server.replication.rejoin.Rejoin;
import io.converge.server.replication.write.DeltaCapture;
import io.converge.server.replication.write.WriteAcks;
import io.converge.server.store.MergeRefusedException;
import io.converge.server.store.NodeIds;
import io.converge.server.store.StorageEngine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's replication (DESIGN §4, §5): the message switch and timer over its parts, each in
 * a package of its own with one threading rule:
 * <ul>
 *   <li>{@link WriteAcks} (write/): local deltas buffered for the other replicas; writes wait for
 *       their consistency level. Any thread.</li>
 *   <li>{@link ReadRepair} (read/): quorum reads with read repair; sampled digest checks behind
 *       reads at ONE. Any thread.</li>
 *   <li>{@link Forwarder} (forward/): commands run on another replica. Any thread.</li>
 *   <li>antientropy/: the per-peer delta buffers ({@link DeltaOutbox}, sent by {@link
 *       DeltaSender}, received by {@link DeltaReceiver}; per-peer locks) and hash-tree repair
 *       ({@link HashTreeRepair}; confined to its own executor).</li>
 *   <li>{@link PeerLiveness} (core/): heartbeats and the failure detector; {@link GcHorizon} and
 *       {@link TombstoneSweeper} (gc/): when tombstones may go, and dropping them (timer).</li>
 * </ul>
 * It is a state machine driven only by messages from a {@link Transport}, by calls from the
 * client path and by {@link #tick()} on a timer, with time from a {@link Clock}, so the same code
 * runs over Netty and over the deterministic simulated network (where the repair executor runs
 * tasks in place).
 *
 * <p>Lifecycle: construct, {@link #start(boolean)} (installs the message handler, the delta
 * listener and the tombstone policy, and starts tracking the hash-tree leaves), then start the
 * transport and call {@link #tick()} every ~10 ms; {@link #close()} fails what is pending.
 */
public final class Replicator implements PeerMessageHandler {

    private static final Logger log = LoggerFactory.getLogger(Replicator.class);

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
    private final long incarnation;
    private final int[] peerIds;
    private final LeafLayout layout;

    private final PeerLiveness liveness;
    private final Broadcaster broadcaster;
    private final RemoteStates remote;
    private final HashTreeRepair repair;
    private final DeltaOutbox outbox;
    private final DeltaSender sender;
    private final DeltaReceiver receiver = new DeltaReceiver();
    private final WriteAcks writes;
    private final ReadRepair reads;
    private final Forwarder forwarder;
    private final GcHorizon horizon;
    private final TombstoneSweeper sweeper;
    private final Rejoin rejoin;

    private final java.util.concurrent.atomic.LongAdder clockRefusals = new java.util.concurrent.atomic.LongAdder();
    private volatile String clockRefusal;
    private final Object tickLock = new Object();
    private volatile boolean started;
    private volatile boolean closed;
    private long nextHeartbeatMillis;

    /**
     * The replicator of node {@code transport.localNodeId()} in {@code ring}. The store's engine
     * must stamp with a replica id of this node ({@code NodeIds.nodeOf(engine.replicaId()) == self}).
     * Hash-tree repair runs its sessions on {@code repairExecutor} (one thread; in a simulation,
     * {@code Runnable::run}).
     */
    public Replicator(Ring ring, Transport transport, Clock clock, ReplicaStore store, ReplicationSettings settings,
                      Executor repairExecutor) {
        this.ring = ring;
        this.topology = ring.topology();
        this.self = transport.localNodeId();
        if (!topology.contains(self)) {
            throw new IllegalArgumentException("node " + self + " is not in the cluster");
        }
        if (NodeIds.nodeOf(store.engine().replicaId()) != self) {
            throw new IllegalArgumentException("the engine stamps as replica " + store.engine().replicaId()
                    + " but this is node " + self + " of the cluster: configure the same numeric id");
        }
        this.selfDc = topology.datacenterOf(self);
        this.transport = transport;
        this.clock = clock;
        this.store = store;
        this.engine = store.engine();
        this.hlc = store.clock();
        this.settings = settings;
        int[] nodeIds = topology.nodeIds();
        this.incarnation = store.identity().startProcess(processIncarnation(hlc.now(), store.wallMillis()));
        this.layout = LeafLayout.of(settings.leafSliceBits(), ring.tokens());
        this.liveness = new PeerLiveness(self, nodeIds[nodeIds.length - 1], clock, store::wallMillis,
                settings.failureDetector(), settings.failFastGraceMillis());
        this.remote = new RemoteStates(hlc, clock);
        this.repair = new HashTreeRepair(self, ring, layout, transport, clock, store, liveness, remote,
                settings.repair(), settings.hashTrees(), repairExecutor, incarnation);
        this.outbox = new DeltaOutbox(self, nodeIds, incarnation, settings.deltaBuffers(), repair::debtOf);
        this.peerIds = outbox.peerIds();
        this.sender = new DeltaSender(transport, outbox, clock, engine);
        this.writes = new WriteAcks(self, ring, outbox, sender, liveness, hlc, clock, settings.writeTimeoutMillis());
        this.reads = new ReadRepair(self, ring, transport, clock, store, outbox, sender, liveness, remote,
                settings.readTimeoutMillis(), incarnation, settings.random(),
                settings.hashTrees() ? settings.readRepairChance() : 0);
        this.forwarder = new Forwarder(self, nodeIds, transport, clock, settings.forwardTimeoutMillis(), incarnation);
        this.broadcaster = new Broadcaster(Arrays.stream(nodeIds).filter(id -> id != self).toArray(),
                this::reachable, transport, clock, settings.forwardTimeoutMillis(), incarnation);
        this.horizon = new GcHorizon(store, outbox, settings.gcRoundMinMillis(), repair::openSince, liveness,
                ExpulsionLimit.of(ring), settings.gcGraceMillis());
        this.sweeper = new TombstoneSweeper(store, horizon, settings.tombstoneSweepIntervalMillis(),
                settings.sweepPartitionsPerTick());
        this.rejoin = new Rejoin(self, peerIds, incarnation, store.identity(), store::clearLocally,
                this::startOverAfterDiscard, clock, settings.rejoinConfirmMillis(), repairExecutor);
        horizon.onExpel(repair::forget);
        sender.hold(horizon::isExpelled);
        repair.gate(peer -> rejoin.trusted() && !horizon.isExpelled(peer));
    }

    /**
     * How far the HLC may lead this node's wall clock beyond {@code max-clock-drift-ms} before
     * writes are refused: a restart floors the HLC at the stored high-water mark, up to about a
     * second ahead.
     */
    private static final long HLC_LEAD_SLACK_MILLIS = 1_500;

    /** How far ahead of the wall clock a process incarnation is taken (see {@link #processIncarnation}). */
    static final long INCARNATION_LEAD_MILLIS = 60_000;

    /**
     * The least number this process may announce itself with (heartbeats, delta batches, request
     * and session ids): every later process of this node must announce a greater one, or its peers
     * take it for the one before (and confirm a restored backup with what they heard from the
     * process before that) or for a late message of an older one. It is the wall clock {@value
     * #INCARNATION_LEAD_MILLIS} ms ahead (or the HLC, if that is further), raised above the number
     * the data directory recorded for the last process ({@code ReplicaIdentity.startProcess}). The
     * lead covers a predecessor whose number came from an HLC a second or two ahead of the wall
     * clock; the recorded number covers restarts within the same millisecond and a wall clock that
     * stepped back; a directory that lost or never had the record (replaced, restored from a copy)
     * still goes above every process started at an earlier wall-clock time. Always taking the lead
     * matters for the restored copy: it proves itself whole, yet it recorded only the number of a
     * process before the one that ran last. It is a number, never used as a stamp.
     */
    public static long processIncarnation(long hlcNow, long wallMillis) {
        return Math.max(hlcNow, Hlc.pack(wallMillis + INCARNATION_LEAD_MILLIS, 0));
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Installs this replicator as the transport's handler, the engine's delta listener and its
     * tombstone policy, and starts tracking the engine's hash-tree leaves. Every start is a rejoin:
     * whatever was buffered for the peers before is lost, and the node may lack writes made while
     * it was away (or everything, with an empty data directory), so it owes every peer a pass over
     * everything they share, and it serves reads at ONE through complete replicas until those
     * passes are done ({@link #complete}). It also settles the replica incarnation it stamps with
     * (see {@link Rejoin}): {@link #settled()} tells when it may serve clients. Call before
     * starting the transport.
     */
    public void start() {
        synchronized (tickLock) {
            if (started) {
                throw new IllegalStateException("already started");
            }
            rejoin.start(store.isEmpty());
            nextHeartbeatMillis = clock.nowMillis();
            liveness.started();
            if (settings.hashTrees()) {
                store.trackLeaves(layout);
            }
            transport.setHandler(this);
            store.tombstonePolicy(horizon);
            engine.addDeltaListener(writes::onLocalDelta);
            if (settings.hashTrees()) {
                repair.rejoin();
            }
            started = true;
        }
    }

    /**
     * Whether the replica incarnation is settled (see {@link Rejoin}): before, client writes are
     * refused and this node hands its state to no one. At most the confirmation window after start.
     */
    public boolean settled() {
        return rejoin.settled();
    }

    /**
     * Starts replication over after this node discarded its state (a rebuild, see {@link Rejoin}):
     * its buffered deltas came from the discarded state, the open GC round counted them, and every
     * peer is owed a pass over everything (which brings the state back).
     */
    private void startOverAfterDiscard() {
        outbox.discardAll();
        horizon.restartRounds();
        repair.restart();
    }

    /** Stops reacting to messages and ticks, and fails every pending request (the node is going away). */
    public void close() {
        closed = true;
        sender.close();
        writes.close();
        reads.close();
        forwarder.close();
        broadcaster.close();
        repair.close();
    }

    /** Installs what runs commands forwarded to this node. */
    public void setForwardHandler(ForwardHandler handler) {
        forwarder.setHandler(handler);
    }

    /** Installs what answers the peers' node-level broadcasts (pub/sub). */
    public void setBroadcastHandler(Broadcaster.Handler handler) {
        broadcaster.setHandler(handler);
    }

    /**
     * Whether a node-level {@link #broadcast} reaches {@code nodeId} now: connected, and up for the
     * failure detector.
     */
    public boolean reachable(int nodeId) {
        return transport.connectionState(nodeId) == ConnectionState.CONNECTED && liveness.isUp(nodeId);
    }

    /** Sends a node-level request to every peer that can be reached now (see {@link Broadcaster#broadcast}). */
    public CompletableFuture<Broadcaster.Answers> broadcast(int topic, byte[] payload) {
        return broadcaster.broadcast(topic, payload);
    }

    /** Like {@link #broadcast(int, byte[])}, awaiting the answers at most {@code timeoutMillis}. */
    public CompletableFuture<Broadcaster.Answers> broadcast(int topic, byte[] payload, long timeoutMillis) {
        return broadcaster.broadcast(topic, payload, timeoutMillis);
    }

    /** How long a node-level {@link #broadcast} awaits answers by default (the forward timeout). */
    public long broadcastTimeoutMillis() {
        return settings.forwardTimeoutMillis();
    }

    // ------------------------------------------------------------------ the parts, for the client path

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

    /** Whether the failure detector considers {@code nodeId} up (this node always is). */
    public boolean isUp(int nodeId) {
        return liveness.isUp(nodeId);
    }

    /**
     * Whether this node may answer reads of keys on {@code replicas} at ONE from its own state (see
     * {@link HashTreeRepair#complete}); always true when hash trees are off.
     */
    public boolean complete(io.converge.server.cluster.ReplicaSet replicas) {
        return !settings.hashTrees() || repair.complete(replicas);
    }

    /** How far this node is in becoming a complete replica after its start, 0..100. */
    public int syncPercent() {
        return settings.hashTrees() ? repair.syncPercent() : 100;
    }

    /**
     * Why this node must refuse client writes now, or null: it is starting or rebuilding (see
     * {@link Rejoin}), or its wall clock is further ahead of at least half of the peers up than
     * {@code max-clock-drift-ms}, so its stamps would win every last-writer-wins conflict until real
     * time caught up (DESIGN §2).
     */
    public String writeRefusal() {
        String rejoining = rejoin.writeRefusal();
        if (rejoining != null) {
            return rejoining;
        }
        String refusal = clockRefusal;
        if (refusal != null) {
            clockRefusals.increment();
        }
        return refusal;
    }

    /** Recomputes {@link #writeRefusal()} from the peers' last heartbeats (every tick). */
    private void checkClock() {
        long maxDrift = hlc.maxDriftMs();
        String refusal = null;
        List<Integer> behind = liveness.clockAheadOf(peerIds, maxDrift);
        if (!behind.isEmpty()) {
            long ahead = Long.MAX_VALUE;
            for (int peer : behind) {
                ahead = Math.min(ahead, liveness.clockAheadMillis(peer));
            }
            refusal = "clock drift: the clock of node " + self + " is " + ahead + " ms or more ahead of nodes "
                    + behind + " (max-clock-drift-ms is " + maxDrift + "); writes are refused here until it is "
                    + "corrected. Check the clocks (NTP).";
        } else {
            // The clock stepped back after running ahead: the HLC never goes back, so until the wall
            // clock catches up this node's stamps would still win every last-writer-wins conflict.
            long hlcAhead = Hlc.physical(hlc.current()) - store.wallMillis();
            if (hlcAhead > maxDrift + HLC_LEAD_SLACK_MILLIS) {
                refusal = "clock drift: node " + self + " stamped writes " + hlcAhead + " ms ahead of its clock (its "
                        + "clock stepped back; max-clock-drift-ms is " + maxDrift + "); writes are refused here until "
                        + "its clock catches up. Check the clocks (NTP).";
            }
        }
        if (refusal == null && clockRefusal != null) {
            log.warn("node {}: its clock is back within max-clock-drift-ms; accepting writes again", self);
        } else if (refusal != null && clockRefusal == null) {
            log.error("node {}: refusing client writes: {}", self, refusal);
        }
        clockRefusal = refusal;
    }

    /** Starts recording the deltas of one command on this thread (see {@link WriteAcks#beginCapture}). */
    public DeltaCapture beginCapture() {
        return writes.beginCapture();
    }

    /** How many other nodes acknowledged the deltas {@code seqByNode} recorded (see {@link WriteAcks#acknowledged}). */
    public int acknowledged(long[] seqByNode) {
        return writes.acknowledged(seqByNode);
    }

    /** Number of other nodes the failure detector considers up. */
    public int peersUp() {
        int n = 0;
        for (int peer : peerIds) {
            n += isUp(peer) ? 1 : 0;
        }
        return n;
    }

    /** Waits for {@code level} on what {@code capture} recorded (see {@link WriteAcks#replicate}). */
    public CompletableFuture<Void> replicate(DeltaCapture capture, ConsistencyLevel level, int coordinatorDc) {
        return writes.replicate(capture, level, coordinatorDc);
    }

    /** Brings {@code keys} up to date for a read at {@code level} (see {@link ReadRepair#readRepair}). */
    public CompletableFuture<ReadResult> readRepair(byte[][] keys, ConsistencyLevel level, int coordinatorDc) {
        return reads.readRepair(keys, level, coordinatorDc);
    }

    /** After a read at ONE answered from the local state of {@code key}: maybe check the other replicas' digests. */
    public void afterLocalRead(byte[] key) {
        reads.afterLocalRead(key);
    }

    /** Sends a whole command to replica {@code nodeId} (see {@link Forwarder#forward}). */
    public CompletableFuture<byte[]> forward(int nodeId, byte[] key, byte[] payload) {
        return forwarder.forward(nodeId, key, payload);
    }

    /** The read path (settings changed at run time, tests). */
    public ReadRepair reads() {
        return reads;
    }

    /** Hash-tree repair (CONVERGE REPAIR, INFO, tests). */
    public HashTreeRepair repair() {
        return repair;
    }

    /**
     * The digest of everything this node holds, with its key count: the XOR of its hash-tree
     * leaves. Two replicas holding the same keys in the same states report the same digest.
     */
    public long[] dataDigest() {
        requireHashTrees();
        int[] leaves = new int[layout.leafCount()];
        for (int i = 0; i < leaves.length; i++) {
            leaves[i] = i;
        }
        long[] digests = new long[leaves.length];
        int[] counts = new int[leaves.length];
        store.leafDigests(leaves, digests, counts);
        long digest = 0;
        long keys = 0;
        for (int i = 0; i < leaves.length; i++) {
            digest ^= digests[i];
            keys += counts[i];
        }
        return new long[] {digest, keys};
    }

    /** The digest of this node's state of {@code key} (0 when none is held). */
    public long keyDigest(byte[] key) {
        requireHashTrees();
        return store.keyDigest(key);
    }

    private void requireHashTrees() {
        if (!settings.hashTrees()) {
            throw new IllegalStateException("hash trees are off on this node (repair-hash-trees no)");
        }
    }

    /** The leaf layout of the hash trees. */
    public LeafLayout leafLayout() {
        return layout;
    }

    /** The failure detector (INFO, tests). */
    public io.converge.server.cluster.PhiAccrualFailureDetector failureDetector() {
        return liveness.detector();
    }

    // ------------------------------------------------------------------ messages

    @Override
    public void onMessage(int fromNodeId, PeerMessage message) {
        if (closed || !started || !topology.contains(fromNodeId) || fromNodeId == self) {
            return;
        }
        if (horizon.isExpelled(fromNodeId) && carriesState(message)) {
            return; // it may hold what deletes dropped everywhere else: nothing of it until it rebuilt
        }
        switch (message) {
            case PeerMessage.Heartbeat h -> {
                boolean newProcess = h.incarnation() > liveness.incarnationOf(fromNodeId);
                liveness.heartbeat(fromNodeId, h.incarnation(), h.sentAtMillis(), h.hlc());
                if (newProcess) {
                    // A peer that just started waits for what this node knows of its earlier processes.
                    PeerMessage.GcStatus status = gcStatus(fromNodeId);
                    log.info("node {} runs a new process ({}); the last stamp heard from its earlier ones: {}",
                            fromNodeId, h.incarnation(), Hlc.toString(status.yourPriorMaxHlc()));
                    transport.send(fromNodeId, status);
                }
            }
            case PeerMessage.GcStatus g -> {
                horizon.onPeerStatus(fromNodeId, g.deliveredHlc(), g.horizonHlc(), g.rebuiltAt());
                rejoin.onPeerStatus(fromNodeId, g.stableHlc(), g.yourIncarnation(), g.yourPriorMaxHlc(),
                        g.expelledAt());
            }
            case PeerMessage.DeltaBatch batch -> {
                // Not while starting or rebuilding: this node may still learn it must discard its
                // state, and an acknowledgement would count toward a write's level for a copy it
                // then drops. Unacknowledged, the batch is resent.
                if (rejoin.trusted()) {
                    onDeltaBatch(fromNodeId, batch);
                }
            }
            case PeerMessage.DeltaAck ack -> {
                outbox.onAck(fromNodeId, ack);
                writes.onAck(fromNodeId);
                sender.drain(fromNodeId, clock.nowMillis());
            }
            case PeerMessage.ReadState r -> {
                if (rejoin.trusted()) { // otherwise no reply: the coordinator counts on other replicas
                    reads.onReadState(fromNodeId, r);
                }
            }
            case PeerMessage.ReadStateReply r -> reads.onReadStateReply(fromNodeId, r);
            case PeerMessage.DigestRequest r -> {
                if (rejoin.trusted()) {
                    reads.onDigestRequest(fromNodeId, r);
                }
            }
            case PeerMessage.DigestReply r -> reads.onDigestReply(fromNodeId, r);
            case PeerMessage.Write w -> forwarder.onWrite(fromNodeId, w);
            case PeerMessage.WriteAck a -> forwarder.onWriteAck(a);
            case PeerMessage.SyncOpen m -> repair.onMessage(fromNodeId, m);
            case PeerMessage.SyncTreeQuery m -> repair.onMessage(fromNodeId, m);
            case PeerMessage.SyncTreeReply m -> repair.onMessage(fromNodeId, m);
            case PeerMessage.SyncLeafDiff m -> repair.onMessage(fromNodeId, m);
            case PeerMessage.SyncLeafReply m -> repair.onMessage(fromNodeId, m);
            case PeerMessage.SyncStates m -> repair.onMessage(fromNodeId, m);
            case PeerMessage.SyncStatesAck m -> repair.onMessage(fromNodeId, m);
            case PeerMessage.SyncEnd m -> repair.onMessage(fromNodeId, m);
            case PeerMessage.Broadcast b -> broadcaster.onBroadcast(fromNodeId, b);
            case PeerMessage.BroadcastReply r -> broadcaster.onReply(fromNodeId, r);
            default -> { } // handshake messages never reach handlers
        }
    }

    /** Whether {@code message} hands over states (what an expelled peer must not, see {@link GcHorizon}). */
    private static boolean carriesState(PeerMessage message) {
        return message instanceof PeerMessage.DeltaBatch || message instanceof PeerMessage.ReadStateReply
                || message instanceof PeerMessage.DigestReply;
    }

    /** Merges the new deltas of a batch and acknowledges them once they are as durable as configured. */
    private void onDeltaBatch(int from, PeerMessage.DeltaBatch batch) {
        PeerMessage.DeltaAck ack;
        try {
            ack = receiver.receive(from, batch, (key, bytes) -> {
                KeyState delta = remote.decode(from, bytes);
                if (delta != null) {
                    engine.merge(key, delta, bytes, StampedState.STAMP_BYTES);
                    if (delta.hasKeyParts()) {
                        store.collectTombstones(key);
                    }
                }
            });
        } catch (MergeRefusedException e) {
            // This node's log cannot be written (logged and counted there): the refused delta and
            // the rest of the batch stay unrecorded and unacknowledged; the sender resends them.
            return;
        }
        if (ack == null) {
            return;
        }
        // Acknowledge only what is as durable as configured (always: fsynced; everysec and no:
        // written to the OS). While the log cannot be written, send no ack: the sender resends.
        try {
            engine.awaitDurable();
        } catch (RuntimeException e) {
            log.warn("not acknowledging deltas from node {}: the log is not writable ({})", from, e.toString());
            return;
        }
        transport.send(from, ack);
    }

    @Override
    public void onConnectionStateChanged(int nodeId, ConnectionState state) {
        if (!started || closed || !topology.contains(nodeId) || nodeId == self) {
            return;
        }
        if (state == ConnectionState.CONNECTED) {
            // At once, not at the next interval: a starting peer waits for this node's GC status.
            transport.send(nodeId, heartbeat());
            transport.send(nodeId, gcStatus(nodeId));
            sender.drain(nodeId, clock.nowMillis());
        }
        repair.onConnectionStateChanged(nodeId, state);
    }

    // ------------------------------------------------------------------ timer

    /**
     * Periodic work (call every ~10 ms): heartbeats and GC status every heartbeat interval,
     * resends and sends of buffered deltas, request timeouts, the GC horizon round, the tombstone
     * sweep, hash-tree repair.
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
            sender.tick(now);
            writes.expire(now);
            reads.expire(now);
            forwarder.expire(now);
            broadcaster.expire(now);
            horizon.step(now);
            sweeper.sweep(now);
            repair.tick();
            rejoin.tick(now);
            checkClock();
        }
    }

    private void sendHeartbeats(long now) {
        PeerMessage.Heartbeat heartbeat = heartbeat();
        for (int peer : peerIds) {
            if (transport.connectionState(peer) == ConnectionState.CONNECTED) {
                transport.send(peer, heartbeat);
                transport.send(peer, gcStatus(peer));
            }
        }
    }

    private PeerMessage.Heartbeat heartbeat() {
        return new PeerMessage.Heartbeat(store.wallMillis(), incarnation, hlc.current());
    }

    /** The GC status for {@code peer}: this node's horizon, and what it knows of that peer's past. */
    private PeerMessage.GcStatus gcStatus(int peer) {
        return new PeerMessage.GcStatus(horizon.delivered(), horizon.horizon(), horizon.stable(),
                liveness.incarnationOf(peer), liveness.priorMaxHlc(peer), horizon.expelledAt(peer),
                store.identity().rebuiltAt());
    }

    // ------------------------------------------------------------------ introspection

    /** The cluster-wide stable stamp: tombstones stamped at or before it are being dropped (0: none yet). */
    public long stableStamp() {
        return horizon.stable();
    }

    /** The lowest stable stamp every partition has been swept with (0 before the first full sweep). */
    public long sweptThrough() {
        return sweeper.sweptThrough();
    }

    /**
     * Whether this node has handed over everything it can before it stops: no write, read or
     * forward waits for replicas, and every connected peer acknowledged the deltas buffered for
     * it (those of a peer that is not connected wait for hash-tree repair, as after any restart).
     */
    public boolean handedOver() {
        if (pendingRequests() > 0) {
            return false;
        }
        for (int peer : peerIds) {
            if (transport.connectionState(peer) == ConnectionState.CONNECTED && outbox.buffer(peer).pendingCount() > 0) {
                return false;
            }
        }
        return true;
    }

    /** Deltas buffered for peers and not yet acknowledged, over all peers. */
    public long pendingDeltas() {
        return outbox.pendingCount();
    }

    /** Writes, reads and forwarded commands still waiting for replicas. */
    public int pendingRequests() {
        return writes.pending() + reads.pending() + forwarder.pending();
    }

    /** Whether some peer is owed a repair pass (its {@code needs_full_sync}). */
    public boolean repairOwed() {
        return repair.stats().peersOwed() > 0;
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
        for (NodeHealth h : liveness.detector().view()) {
            health.put(h.nodeId(), h);
        }
        Map<Integer, InboundDeltaStats> inbound = new HashMap<>();
        for (InboundDeltaStats s : receiver.stats()) {
            inbound.put(s.peerId(), s);
        }
        List<ReplicationStats.NodeRow> nodes = new ArrayList<>(topology.nodeCount());
        for (int id : topology.nodeIds()) {
            NodeSpec spec = topology.node(id);
            if (id == self) {
                nodes.add(new ReplicationStats.NodeRow(id, spec.datacenter(), spec.rack(), true, true, 0, 0, null,
                        null, null, 0, 0, 0));
                continue;
            }
            NodeHealth h = health.get(id);
            PeerDeltaStats out = outbox.buffer(id).stats(now);
            long[] reported = horizon.reported(id);
            long lastRepair = repair.lastCompletedMillis(id);
            nodes.add(new ReplicationStats.NodeRow(id, spec.datacenter(), spec.rack(), false,
                    h != null && h.up(), h == null ? Double.POSITIVE_INFINITY : h.phi(),
                    h == null ? -1 : h.millisSinceHeard(), transport.connectionState(id), out, inbound.get(id),
                    reported[0], reported[1], lastRepair == 0 ? -1 : now - lastRepair));
        }
        ReplicationStats.Counters counters = new ReplicationStats.Counters(writes.writes(), writes.writesFailed(),
                writes.deltasBuffered(), reads.quorumReads(), reads.readsFailed(), reads.replicasRepaired(),
                reads.localRepairs(), reads.digestChecks(), reads.digestMismatches(), forwarder.sent(),
                forwarder.failed(), forwarder.received(), forwarder.duplicates(), remote.driftRejections(),
                remote.corrupt(), clockRefusals.sum(), pendingRequests());
        List<Integer> expelled = new ArrayList<>();
        for (int peer : peerIds) {
            if (horizon.isExpelled(peer)) {
                expelled.add(peer);
            }
        }
        ReplicationStats.Gc gc = new ReplicationStats.Gc(horizon.stable(), horizon.delivered(), horizon.horizon(),
                horizon.rounds(), sweeper.sweptThrough(), sweeper.sweeps(), sweeper.collected(), horizon.expulsions(),
                expelled);
        return new ReplicationStats(self, topology.datacenterName(selfDc), ring.primaryOwnership(self),
                ring.replicaOwnership(self), ringSummary, nodes, counters, gc, repair.stats(), repair.progress(),
                syncPercent(), engine.replicaId(), rejoin.state(), rejoin.rebuilds());
    }

    /** Changes the GC grace period from now on (CONFIG SET gc-grace-ms). */
    public void gcGraceMillis(long millis) {
        horizon.graceMillis(millis);
    }
}
