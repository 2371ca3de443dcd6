package io.converge.server.replication.read;

import io.converge.crdt.HybridLogicalClock;
import io.converge.crdt.KeyState;
import io.converge.server.cluster.AckTracker;
import io.converge.server.cluster.Clock;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import io.converge.server.cluster.Topology;
import io.converge.server.cluster.Transport;
import io.converge.server.cluster.wire.PeerMessage;
import io.converge.server.replication.antientropy.DeltaOutbox;
import io.converge.server.replication.antientropy.DeltaSender;
import io.converge.server.replication.core.ConsistencyLevelException;
import io.converge.server.replication.core.PeerLiveness;
import io.converge.server.replication.core.RemoteStates;
import io.converge.server.replication.core.ReplicaStore;
import io.converge.server.replication.core.StampedState;
import io.converge.server.store.StorageEngine;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;

/**
 * The read path of replication (DESIGN §4, §5 layer 3): quorum reads with read repair, and a
 * sampled digest check behind reads at {@code ONE}.
 *
 * <p><b>Quorum reads.</b> {@link #readRepair} fetches the other replicas' whole key states,
 * merges them into the local engine as they arrive (so the read command then answers from the
 * merged state), and, once the read finishes, sends the merged state to each replica whose state
 * lacked something (through its delta buffer, acknowledged like any delta). At {@code ONE} on a
 * replica it completes at once. A reply is merged only until its request's deadline: the GC
 * horizon relies on it (see {@code GcHorizon}).
 *
 * <p><b>Reads at ONE.</b> They never wait for other replicas, so they never repaired anything
 * either: a key that drifted apart stayed apart until a quorum read or a background hash-tree
 * pass found it. {@link #afterLocalRead} samples reads (each with probability
 * {@code read-repair-chance}, as Cassandra's read repair chance did) and, after the reply was
 * given, asks the key's other replicas for the digest of their state of it (8 bytes each). If
 * any differs from the local digest, it runs a quorum read at {@code ALL} in the background,
 * whose read repair brings every replica to the merged state. Hot keys heal this way within a
 * few reads, at the cost of one small message per replica per sampled read.
 *
 * <p><b>Threads.</b> Any thread: commands call {@link #readRepair} on event-loop threads, replies
 * arrive on I/O threads, the timer expires deadlines; pending reads are in concurrent maps and
 * each one's bookkeeping is under its own lock ({@link PendingRead}).
 */
public final class ReadRepair {

    /** {@link #mergeIntoLocal}: the replica's state lacks something. */
    private static final int THEIRS_STALE = 1;
    /** {@link #mergeIntoLocal}: the local state grew. */
    private static final int LOCAL_CHANGED = 2;
    private static final CompletableFuture<ReadResult> LOCAL_READ = CompletableFuture.completedFuture(ReadResult.LOCAL);

    private final int self;
    private final int selfDc;
    private final Ring ring;
    private final Topology topology;
    private final Transport transport;
    private final Clock clock;
    private final StorageEngine engine;
    private final ReplicaStore store;
    private final HybridLogicalClock hlc;
    private final DeltaOutbox outbox;
    private final DeltaSender sender;
    private final PeerLiveness liveness;
    private final RemoteStates remote;
    private final long timeoutMillis;
    private final DoubleSupplier random;
    private volatile double checkChance;

    private final AtomicLong nextRequestId;
    private final Map<Long, PendingRead> reads = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<PendingRead> deadlines = new ConcurrentLinkedQueue<>();
    private final Map<Long, DigestCheck> checks = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<DigestCheck> checkDeadlines = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    private final LongAdder quorumReads = new LongAdder();
    private final LongAdder readsFailed = new LongAdder();
    private final LongAdder replicasRepaired = new LongAdder();
    private final LongAdder localRepairs = new LongAdder();
    private final LongAdder digestChecks = new LongAdder();
    private final LongAdder digestMismatches = new LongAdder();

    /** One digest check of sampled keys: the local keys, the peers asked, when it gives up. */
    private record DigestCheck(long id, byte[][] keys, long deadlineMillis) {}

    /**
     * The read path of node {@code self}; request ids start above {@code incarnation} (unique
     * across restarts); {@code random} draws the sampling of reads at ONE, with probability
     * {@code checkChance}.
     */
    public ReadRepair(int self, Ring ring, Transport transport, Clock clock, ReplicaStore store, DeltaOutbox outbox,
                      DeltaSender sender, PeerLiveness liveness, RemoteStates remote, long timeoutMillis,
                      long incarnation, DoubleSupplier random, double checkChance) {
        this.self = self;
        this.ring = ring;
        this.topology = ring.topology();
        this.selfDc = topology.datacenterOf(self);
        this.transport = transport;
        this.clock = clock;
        this.store = store;
        this.engine = store.engine();
        this.hlc = store.clock();
        this.outbox = outbox;
        this.sender = sender;
        this.liveness = liveness;
        this.remote = remote;
        this.timeoutMillis = timeoutMillis;
        this.nextRequestId = new AtomicLong(incarnation);
        this.random = random;
        this.checkChance = checkChance;
    }

    /** Sets the probability that a read at ONE is followed by a digest check (CONFIG SET read-repair-chance). */
    public void checkChance(double chance) {
        this.checkChance = chance;
    }

    // ------------------------------------------------------------------ quorum reads

    /**
     * Brings {@code keys} up to date for a read at {@code level}: at ONE on a replica, completes at
     * once; otherwise asks every other replica for its state, merges each state into the local
     * engine as it arrives (keys this node replicates) or into the {@link ReadResult} (keys it
     * does not), and completes when the level's replicas answered. Replicas whose state lacked
     * something the local engine has get the merged state when the read finishes (read repair;
     * only for keys this node replicates, whose state it can vouch for). Fails with a {@link
     * ConsistencyLevelException} after the read timeout or when the level is impossible.
     * {@code coordinatorDc} is the datacenter LOCAL_QUORUM refers to.
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
            keysOfPeer[p] = e.getValue().stream().mapToInt(Integer::intValue).toArray();
            p++;
        }
        long id = nextRequestId.incrementAndGet();
        PendingRead read = new PendingRead(id, level, now + timeoutMillis, keys, localKey, trackerOfKey,
                trackers.toArray(AckTracker[]::new), peers, keysOfPeer);
        boolean possible = true;
        for (int peer : peers) {
            if (liveness.isKnownDown(peer, now)) {
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
        deadlines.add(read);
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

    /** A peer asks for this node's states of some keys. */
    public void onReadState(int from, PeerMessage.ReadState request) {
        List<byte[]> keys = request.keys();
        List<byte[]> states = new ArrayList<>(keys.size());
        long stamp = hlc.current();
        for (byte[] key : keys) {
            KeyState state = engine.stateCopy(key);
            states.add(state == null ? null : StampedState.encode(state, stamp));
        }
        transport.send(from, new PeerMessage.ReadStateReply(request.requestId(), states));
    }

    /** A peer answers one of this node's quorum reads. */
    public void onReadStateReply(int from, PeerMessage.ReadStateReply reply) {
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
            KeyState state = null;
            if (bytes != null) {
                state = remote.decode(from, bytes);
                if (state == null) {
                    continue; // malformed: counted and logged; the replica will not be repaired from it
                }
            }
            if (read.localKey[i]) {
                int outcome = mergeIntoLocal(read.keys[i], state);
                if ((outcome & THEIRS_STALE) != 0) {
                    read.markStale(p, j);
                }
                if ((outcome & LOCAL_CHANGED) != 0) {
                    read.localChanged(i, p);
                }
            } else if (state != null) {
                read.mergeRemote(i, state);
            }
        }
        ReadResult result = read.replyCounted(p, from);
        if (result != null) {
            read.future.complete(result);
        }
        if (read.allReplied()) {
            finish(read);
        }
    }

    /**
     * Joins {@code theirs} (null: the replica holds nothing) into the local state of {@code key};
     * returns {@link #THEIRS_STALE} if the replica's state lacks something the local state has
     * (it needs repair), plus {@link #LOCAL_CHANGED} if the local state grew.
     */
    private int mergeIntoLocal(byte[] key, KeyState theirs) {
        int[] outcome = new int[1];
        engine.runExclusive(List.of(key), false, () -> {
            KeyState mine = engine.stateCopy(key);
            if (theirs == null) {
                outcome[0] = mine != null && !mine.isGarbage() ? THEIRS_STALE : 0;
                return;
            }
            KeyState merged = mine == null ? theirs.copy() : mine.copy();
            if (mine != null) {
                merged.merge(theirs);
            }
            if (mine == null || !merged.equals(mine)) {
                engine.mergeRepair(key, theirs); // never refused: reads work while the log cannot be written
                if (theirs.hasKeyParts()) {
                    store.collectTombstones(key);
                }
                localRepairs.increment();
                outcome[0] |= LOCAL_CHANGED;
            }
            if (!merged.equals(theirs)) {
                outcome[0] |= THEIRS_STALE;
            }
        });
        return outcome[0];
    }

    /** Ends a read (all replies in, or deadline): fails it if the level was not met, then repairs stale replicas. */
    private void finish(PendingRead read) {
        if (!read.finish()) {
            return;
        }
        reads.remove(read.requestId);
        if (read.claimFailure()) {
            read.future.completeExceptionally(new ConsistencyLevelException(
                    read.describeShortfall("not met within " + timeoutMillis + " ms")));
        }
        long now = clock.nowMillis();
        for (int p = 0; p < read.peers.length; p++) {
            int peer = read.peers[p];
            boolean any = false;
            for (int j = 0; j < read.keysOfPeer[p].length; j++) {
                if (read.isStale(p, j)) {
                    bufferState(peer, read.keys[read.keysOfPeer[p][j]], now);
                    replicasRepaired.increment();
                    any = true;
                }
            }
            if (any) {
                sender.drainSoon(peer);
            }
        }
    }

    /** Buffers this node's whole state of {@code key} for {@code peer}, under the key's lock (see GcHorizon). */
    private void bufferState(int peer, byte[] key, long now) {
        engine.runExclusive(List.of(key), false, () -> {
            KeyState state = engine.stateCopy(key);
            if (state != null) {
                outbox.buffer(peer).enqueue(key, StampedState.encode(state, hlc.current()), self, now);
            }
        });
    }

    // ------------------------------------------------------------------ digest checks at ONE

    /**
     * Called after a read at ONE answered from the local state of {@code key} (a replica of it):
     * with probability {@code read-repair-chance}, checks the other replicas' digests of the key
     * in the background (see the class comment).
     */
    public void afterLocalRead(byte[] key) {
        double chance = checkChance;
        if (chance <= 0 || closed || (chance < 1 && random.getAsDouble() >= chance)) {
            return;
        }
        ReplicaSet set = ring.replicasFor(key);
        if (set.size() < 2 || !set.contains(self)) {
            return;
        }
        long id = nextRequestId.incrementAndGet();
        DigestCheck check = new DigestCheck(id, new byte[][] {key}, clock.nowMillis() + timeoutMillis);
        checks.put(id, check);
        checkDeadlines.add(check);
        digestChecks.increment();
        PeerMessage.DigestRequest request = new PeerMessage.DigestRequest(id, List.of(key));
        for (int r = 0; r < set.size(); r++) {
            int node = set.node(r);
            if (node != self) {
                transport.send(node, request);
            }
        }
    }

    /** A peer asks for the digests of its states of some keys. */
    public void onDigestRequest(int from, PeerMessage.DigestRequest request) {
        List<byte[]> keys = request.keys();
        long[] digests = new long[keys.size()];
        for (int i = 0; i < digests.length; i++) {
            digests[i] = store.keyDigest(keys.get(i));
        }
        transport.send(from, new PeerMessage.DigestReply(request.requestId(), digests));
    }

    /** A peer answers a digest check: any difference starts a background read repair at ALL. */
    public void onDigestReply(int from, PeerMessage.DigestReply reply) {
        DigestCheck check = checks.get(reply.requestId());
        if (check == null || reply.digests().length != check.keys().length) {
            return;
        }
        List<byte[]> differing = new ArrayList<>(1);
        for (int i = 0; i < check.keys().length; i++) {
            if (reply.digests()[i] != store.keyDigest(check.keys()[i])) {
                differing.add(check.keys()[i]);
            }
        }
        if (!differing.isEmpty() && checks.remove(check.id()) != null) {
            digestMismatches.increment();
            readRepair(differing.toArray(byte[][]::new), ConsistencyLevel.ALL, selfDc);
        }
    }

    // ------------------------------------------------------------------ timer and lifecycle

    /** Finishes the reads and digest checks whose deadline passed (the timer tick). */
    public void expire(long nowMillis) {
        PendingRead r;
        while ((r = deadlines.peek()) != null && (r.isFinished() || r.deadlineMillis <= nowMillis)) {
            deadlines.poll();
            finish(r);
        }
        DigestCheck c;
        while ((c = checkDeadlines.peek()) != null && c.deadlineMillis() <= nowMillis) {
            checkDeadlines.poll();
            checks.remove(c.id());
        }
    }

    /** Fails every waiting read: the node is going away. */
    public void close() {
        closed = true;
        PendingRead r;
        while ((r = deadlines.poll()) != null) {
            if (r.finish() && r.claimFailure()) {
                r.future.completeExceptionally(new ConsistencyLevelException(
                        r.describeShortfall("not met: node " + self + " is shutting down")));
            }
        }
        reads.clear();
        checks.clear();
        checkDeadlines.clear();
    }

    /** Quorum reads waiting for replicas. */
    public int pending() {
        return reads.size();
    }

    /** Reads that asked other replicas. */
    public long quorumReads() {
        return quorumReads.sum();
    }

    /** Of those, how many missed their level. */
    public long readsFailed() {
        return readsFailed.sum();
    }

    /** Stale replica states repaired by reads (one per key and replica). */
    public long replicasRepaired() {
        return replicasRepaired.sum();
    }

    /** Local states completed by states read from replicas. */
    public long localRepairs() {
        return localRepairs.sum();
    }

    /** Digest checks sent after sampled reads at ONE. */
    public long digestChecks() {
        return digestChecks.sum();
    }

    /** Digest checks that found a difference (and started a read repair). */
    public long digestMismatches() {
        return digestMismatches.sum();
    }
}
