package io.converge.server.replication.antientropy;

import io.converge.crdt.CrdtCodec;
import io.converge.crdt.KeyState;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import io.converge.server.cluster.Clock;
import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import io.converge.server.cluster.Transport;
import io.converge.server.cluster.wire.PackedKeys;
import io.converge.server.cluster.wire.PeerMessage;
import io.converge.server.cluster.wire.StateEntries;
import io.converge.server.keyspace.LeafLayout;
import io.converge.server.replication.core.PeerLiveness;
import io.converge.server.replication.core.RemoteStates;
import io.converge.server.replication.core.ReplicaStore;
import io.converge.server.store.StorageEngine;
import io.converge.server.util.WarningThrottle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hash-tree (Merkle) anti-entropy, DESIGN §5 layer 4: replicas compare digests of the leaves of
 * the token space they share, descend only into differing branches, exchange the CRDT states of
 * the keys that differ and merge them both ways. It finds and repairs divergence from any cause:
 * deltas dropped by a buffer overflow, buffers lost in a restart, a partition longer than the
 * buffers, a bug.
 *
 * <p><b>Leaves.</b> The engine keeps, per leaf of a {@link LeafLayout} cut at the ring's tokens,
 * the XOR of its keys' digests, maintained on every write and merge (lazily hashed, see the
 * store's {@code LeafDigests}). A leaf lies in one ring range, so it has one replica set; the
 * leaves a node shares with a peer are those whose set holds both.
 *
 * <p><b>A session</b> (initiator I, responder R, over a <em>scope</em> of shared leaves):
 * <ol>
 *   <li>I sends {@code SYNC_OPEN} with the scope and a query for the top nodes of the comparison
 *       tree ({@link SyncTree}); R answers {@code SYNC_TREE_REPLY} with its digests; I compares
 *       with its own and queries the children of the nodes that differ, level by level, down to
 *       the leaves.</li>
 *   <li>Differing leaves go in batches: I sends {@code SYNC_LEAF_DIFF} with its keys, their
 *       digests and the stamps of their latest writes for a few leaves; R compares with its own
 *       keys of those leaves, answers {@code SYNC_LEAF_REPLY} (bitmaps over I's keys) with the
 *       keys it wants (it lacks them, or holds another state and I seems ahead) and streams I the
 *       states of the keys I lacks ({@code SYNC_STATES} parts, each acknowledged with
 *       {@code SYNC_STATES_ACK} once merged and logged); I streams R the states it asked for the
 *       same way. The keys both hold differently go first from the side that seems ahead (its
 *       states hold the later writes, by the stamps of both sides: over the batch) and come back
 *       from the other only once it has merged that side's states of the batch, and only those
 *       the merge did not make equal to the first side's (its digests tell): a replica that fell
 *       behind sends back nothing it would only have the other merge to no effect, whether it
 *       opened the session or not. Both merge: afterwards both hold the join.</li>
 *   <li>When every batch is done, I closes the session ({@code SYNC_END}); R closes it and
 *       confirms.</li>
 * </ol>
 * A few batches are in flight at once and a stream keeps a few parts unacknowledged, so a large
 * catch-up streams at network speed with bounded memory on both sides; a state of any size
 * travels (the transport fragments large messages). Traffic counts against {@code bytesPerSecond}
 * on the initiator, which paces new batches, its own parts and its acknowledgements (and so the
 * responder's parts).
 *
 * <p><b>When.</b> With each peer: at once while this node owes it something ({@link RepairDebt}:
 * deltas dropped by an overflow, only those leaves; everything after this node restarted), when
 * the peer comes back (up again after being down without restarting; a restarted peer runs passes
 * with everyone itself; started by the node of the pair with the lower id, since one pass repairs
 * both ways), when asked ({@link #requestFullPass}, {@code CONVERGE REPAIR}), and in the
 * background every {@code intervalMillis} (looking twice, a moment apart, at the leaves it finds
 * different, and leaving alone those being written: see {@link #recheck}). A node serves one
 * peer's session at a time and refuses others, which retry with backoff: when a node comes back
 * from a partition, the first peer's pass brings it most of what the others would, and theirs
 * are then short. Nor does it serve a
 * peer it runs a session with already (when both opened one, the lower id's runs). The sessions a
 * node runs at once (it may initiate with several peers, and serve one meanwhile) take different
 * leaves: a batch skips the leaves another session has in flight (they come last), and a leaf
 * that became equal to the peer's digest from the walk (another session brought it) needs no
 * batch, so a node pulling from two peers takes each state once. A session that stalls is
 * abandoned and retried with backoff.
 *
 * <p><b>Closing and tombstone GC.</b> Merging a state built before its sender applied some delete
 * is safe only while every replica still holds that delete's record. The GC horizon therefore
 * waits for every session open when its round started to be <em>resolved</em>: closed on this
 * side and confirmed closed by the peer (it merges nothing more of it), or the peer restarted.
 * {@link #openSince()} gives the oldest unresolved session's start. Messages of a session that is
 * not open are answered with {@code SYNC_END}, so a peer that restarted or gave up ends the
 * session on the other side too.
 *
 * <p><b>Threads.</b> All session state lives on one executor (a dedicated thread in production,
 * the simulation's thread in tests): messages and ticks are handed to it, so the protocol has
 * no locks; heavy work (hashing leaves, building and merging states) happens there, off the
 * network threads. Statistics are published through volatile fields and atomics.
 */
public final class HashTreeRepair {

    private static final Logger log = LoggerFactory.getLogger(HashTreeRepair.class);
    /**
     * Sessions refused for a misconfiguration come back a few times a second (see {@link
     * #MAX_REFUSED_BACKOFF_MILLIS}): their warning is logged once a minute per peer.
     */
    private final WarningThrottle refusals = new WarningThrottle(log, 60_000);
    /** How often a closed session's end is sent again until the peer confirms it. */
    private static final long END_RESEND_MILLIS = 1_000;
    /** First wait before retrying a failed session with a peer; doubles up to {@link #MAX_BACKOFF_MILLIS}. */
    private static final long MIN_BACKOFF_MILLIS = 200;
    private static final long MAX_BACKOFF_MILLIS = 10_000;
    /**
     * Longest wait after a peer refused a session at its opening. Such a peer is nearly always busy
     * serving another peer (a node back from a partition serves one peer's pass at a time); that
     * pass may end any moment, and the refused one, short by then, is what the node still owes (a
     * debt keeps {@code needs_full_sync} set until it ran). A refused opening costs one message
     * each way, so trying again a few times a second is cheap; doubling to 10 s left a node that
     * had caught up in 5 s flagged for 3 s more, and a second still left it flagged for half a
     * second on average after a catch-up of a few seconds.
     */
    private static final long MAX_REFUSED_BACKOFF_MILLIS = 300;
    /**
     * How long a background pass lets the leaves its walk found different settle before it looks
     * at them again (see {@link #recheck}): longer than deltas take to arrive under load.
     */
    private static final long SETTLE_MILLIS = 1_000;
    /** Background passes in a row that may skip a leaf being written; the next one repairs it anyway. */
    private static final int MAX_BUSY_SKIPS = 3;
    /** Sessions of peers this node serves at once (more are refused, and retried by their initiators). */
    private static final int MAX_RESPONDING = 1;

    /** Why a session was started. */
    public enum Kind {
        /** Deltas for the peer were dropped or lost: only the marked leaves. */
        DEBT,
        /** The peer came back (after being down, or restarted). */
        RECONNECT,
        /** An operator asked ({@code CONVERGE REPAIR}). */
        MANUAL,
        /** The periodic pass. */
        BACKGROUND
    }

    private final int self;
    private final Ring ring;
    private final LeafLayout layout;
    private final long fingerprint;
    private final Transport transport;
    private final Clock clock;
    private final ReplicaStore store;
    private final StorageEngine engine;
    private final PeerLiveness liveness;
    private final RemoteStates remote;
    /** Replaced by {@link #pace} (CONFIG SET); read on the repair thread. */
    private volatile RepairSettings settings;
    private final boolean enabled;
    private final Executor executor;
    private final AtomicLong nextSessionId;

    private final int[] peers;
    /** Per node id: the leaves shared with it (ascending), or null for non-peers. */
    private final int[][] shared;
    private final RepairDebt[] debts;

    // ---- repair-thread state ----
    private final Map<Long, Initiated> initiated = new LinkedHashMap<>();
    private final Map<ResponderKey, Responding> responding = new HashMap<>();
    private final List<Unresolved> unresolved = new ArrayList<>();
    private final long[] nextBackgroundMillis;
    private final long[] backoffUntil;
    private final long[] backoffMillis;
    private final boolean[] wasAvailable;
    private final boolean[] everAvailable;
    private final boolean[] returned;
    /** Per peer: it restarted since it was last available (its own passes repair it: no return pass). */
    private final boolean[] restartedWhileAway;
    private final long[] knownIncarnation;
    private final boolean[] manualRequested;
    private final ArrayDeque<Runnable> paced = new ArrayDeque<>();
    /** Whether sessions with a peer may run now (see {@link #gate}). */
    private volatile java.util.function.IntPredicate gate = peer -> true;
    private long tokens;
    private long lastRefillMillis;
    private boolean closed;

    // ---- published for other threads ----
    private final AtomicBoolean tickQueued = new AtomicBoolean();
    private volatile long openSince = Long.MAX_VALUE;
    private volatile List<SessionProgress> progress = List.of();
    private final AtomicLong sessionsStarted = new AtomicLong();
    private final AtomicLong sessionsCompleted = new AtomicLong();
    private final AtomicLong sessionsFailed = new AtomicLong();
    private final AtomicLong leavesCompared = new AtomicLong();
    private final AtomicLong leavesDiffering = new AtomicLong();
    private final AtomicLong leavesSkippedBusy = new AtomicLong();
    /** Per node id: per leaf, the background passes in a row that skipped it as busy (see {@link #recheck}). */
    private final byte[][] busySkips;
    private final AtomicLong keysSent = new AtomicLong();
    private final AtomicLong keysReceived = new AtomicLong();
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private final long[] lastCompletedMillis;
    /** Per node id: a pass over everything shared with it completed since this process started. */
    private final boolean[] fullPassSinceStart;
    /** Per replica set id: this node holds everything acknowledged at a quorum level (see {@link #complete}). */
    private volatile boolean[] completeSets;

    /**
     * Repair for node {@code self} of {@code ring} over {@code layout}; session work runs on
     * {@code executor} (a single thread, or the caller's thread in a simulation); session ids
     * start above {@code incarnation}. When not {@code enabled} (the engine keeps no leaf digests,
     * to measure what they cost) it starts no session and refuses those of peers.
     */
    public HashTreeRepair(int self, Ring ring, LeafLayout layout, Transport transport, Clock clock, ReplicaStore store,
                          PeerLiveness liveness, RemoteStates remote, RepairSettings settings, boolean enabled,
                          Executor executor, long incarnation) {
        this.self = self;
        this.ring = ring;
        this.layout = layout;
        this.fingerprint = layout.fingerprint();
        this.transport = transport;
        this.clock = clock;
        this.store = store;
        this.engine = store.engine();
        this.liveness = liveness;
        this.remote = remote;
        this.settings = settings;
        this.enabled = enabled;
        this.executor = executor;
        this.nextSessionId = new AtomicLong(incarnation);
        int[] nodeIds = ring.topology().nodeIds();
        int max = nodeIds[nodeIds.length - 1];
        this.shared = sharedLeaves(ring, layout, self, max);
        this.peers = Arrays.stream(nodeIds).filter(id -> id != self).toArray();
        this.debts = new RepairDebt[max + 1];
        this.busySkips = new byte[max + 1][];
        for (int peer : peers) {
            debts[peer] = new RepairDebt(layout, shared[peer]);
            busySkips[peer] = new byte[layout.leafCount()];
        }
        this.nextBackgroundMillis = new long[max + 1];
        this.backoffUntil = new long[max + 1];
        this.backoffMillis = new long[max + 1];
        this.wasAvailable = new boolean[max + 1];
        this.everAvailable = new boolean[max + 1];
        this.returned = new boolean[max + 1];
        this.restartedWhileAway = new boolean[max + 1];
        this.knownIncarnation = new long[max + 1];
        this.manualRequested = new boolean[max + 1];
        this.lastCompletedMillis = new long[max + 1];
        this.fullPassSinceStart = new boolean[max + 1];
        this.completeSets = new boolean[ring.replicaSetCount()];
        recomputeCompleteSets();
        long now = clock.nowMillis();
        for (int peer : peers) {
            // Spread the first background passes over one interval, by peer and by this node: nodes
            // started together must not all open their pass with a peer at the same moment (it
            // serves one at a time and refuses the others, which then wait a whole interval).
            long mix = (((long) self << 32) ^ peer) * 0x9E3779B97F4A7C15L;
            nextBackgroundMillis[peer] = now + (settings.intervalMillis() == 0 ? Long.MAX_VALUE / 2
                    : Math.floorMod(mix >>> 17, settings.intervalMillis()));
        }
        this.lastRefillMillis = now;
    }

    /** For every peer, the leaves of {@code layout} whose replica set holds both it and {@code self}. */
    private static int[][] sharedLeaves(Ring ring, LeafLayout layout, int self, int maxNodeId) {
        List<List<Integer>> lists = new ArrayList<>();
        for (int i = 0; i <= maxNodeId; i++) {
            lists.add(null);
        }
        for (int leaf = 0; leaf < layout.leafCount(); leaf++) {
            ReplicaSet set = ring.replicasForToken(layout.upperToken(leaf));
            if (!set.contains(self)) {
                continue;
            }
            for (int r = 0; r < set.size(); r++) {
                int node = set.node(r);
                if (node != self) {
                    if (lists.get(node) == null) {
                        lists.set(node, new ArrayList<>());
                    }
                    lists.get(node).add(leaf);
                }
            }
        }
        int[][] out = new int[maxNodeId + 1][];
        for (int node : ring.topology().nodeIds()) {
            if (node != self) {
                List<Integer> l = lists.get(node);
                out[node] = l == null ? new int[0] : l.stream().mapToInt(Integer::intValue).toArray();
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ API (any thread)

    /** The repair debt of {@code peerId} (its delta buffer marks overflows in it). */
    public RepairDebt debtOf(int peerId) {
        return debts[peerId];
    }

    /** The leaves shared with {@code peerId}, ascending (a copy). */
    public int[] sharedWith(int peerId) {
        return shared[peerId].clone();
    }

    /**
     * This node (re)started: whatever it had buffered for its peers is lost, so it owes every peer
     * a pass over everything they share, which also pulls what it lacks and makes it
     * {@link #complete}.
     */
    public void rejoin() {
        for (int peer : peers) {
            debts[peer].markAll();
        }
    }

    /**
     * Installs when sessions with a peer may run: this node is not trusted while it starts or
     * rebuilds, and a peer expelled from the GC horizon must not hand its state over (see
     * {@code Rejoin}). Sessions with a peer refused by the gate end; its new ones are refused.
     */
    public void gate(java.util.function.IntPredicate allowed) {
        this.gate = allowed;
    }

    /**
     * Forgets every session with {@code peerId}, resolved or not: it was expelled from the GC
     * horizon, and what it merges no longer matters (it rebuilds before it counts again).
     */
    public void forget(int peerId) {
        submit(() -> {
            abandonAll(peerId, "node " + peerId + " was expelled from the GC horizon");
            unresolved.removeIf(u -> u.peer == peerId);
            updateOpenSince();
            publish();
        });
    }

    /**
     * Starts over after this node discarded its state (a rebuild): every session ends, every
     * peer is owed a pass over everything shared, and no replica set is complete until those pass.
     */
    public void restart() {
        completeSets = new boolean[ring.replicaSetCount()]; // at once: reads at ONE stop using this state
        submit(() -> {
            for (int peer : peers) {
                abandonAll(peer, "this node discards its state to rebuild it");
                debts[peer].markAll();
                fullPassSinceStart[peer] = false;
            }
            recomputeCompleteSets();
            publish();
        });
    }

    /** Whether repair runs at all (see the constructor). */
    public boolean enabled() {
        return enabled;
    }

    /** Changes the background interval and the byte rate from now on (CONFIG SET). */
    public void pace(long intervalMillis, long bytesPerSecond) {
        submit(() -> {
            RepairSettings before = settings;
            settings = before.withPace(intervalMillis, bytesPerSecond);
            if (intervalMillis != before.intervalMillis()) {
                long now = clock.nowMillis();
                for (int peer : peers) {
                    nextBackgroundMillis[peer] = intervalMillis == 0 ? Long.MAX_VALUE / 2
                            : Math.min(nextBackgroundMillis[peer], now + intervalMillis);
                }
            }
        });
    }

    /** Asks for a full pass with {@code peerId}, or with every peer when it is negative (CONVERGE REPAIR). */
    public void requestFullPass(int peerId) {
        submit(() -> {
            for (int peer : peers) {
                if (peerId < 0 || peer == peerId) {
                    manualRequested[peer] = true;
                }
            }
            startSessions(clock.nowMillis());
        });
    }

    /** A sync message from {@code from}. */
    public void onMessage(int from, PeerMessage message) {
        submit(() -> handle(from, message));
    }

    /**
     * The connection to {@code peerId} changed state: sessions with a lost peer end at once. A
     * peer that connects brings, if either side fell behind, the deltas it buffered and then the
     * repair passes' states: the store hears of the inflow before it starts, so that an automatic
     * log rewrite does not begin at its very start (each repair part renews that).
     */
    public void onConnectionStateChanged(int peerId, ConnectionState state) {
        if (state != ConnectionState.CONNECTED) {
            submit(() -> abandonAll(peerId, "the connection to node " + peerId + " was lost"));
        } else if (enabled) {
            engine.bulkInflow();
        }
    }

    /** Periodic work (timeouts, pacing, starting sessions); coalesced when the repair thread is busy. */
    public void tick() {
        if (tickQueued.compareAndSet(false, true)) {
            submit(() -> {
                tickQueued.set(false);
                onTick(clock.nowMillis());
            });
        }
    }

    /** Stops: open sessions are dropped (a peer sees this node restart, or times them out). */
    public void close() {
        submit(() -> {
            closed = true;
            initiated.clear();
            responding.clear();
            unresolved.clear();
            paced.clear();
            publish();
        });
    }

    /**
     * When the oldest session not yet resolved was opened (this node's clock), or
     * {@code Long.MAX_VALUE} when none is: tombstone GC rounds that started before it wait.
     */
    public long openSince() {
        return openSince;
    }

    /** Progress of the sessions this node is running, for INFO and {@code CONVERGE REPAIR STATUS}. */
    public List<SessionProgress> progress() {
        return progress;
    }

    /** Counters since start. */
    public RepairStats stats() {
        int owing = 0;
        long markedLeaves = 0;
        for (int peer : peers) {
            if (!debts[peer].isEmpty()) {
                owing++;
                markedLeaves += debts[peer].markedLeaves();
            }
        }
        return new RepairStats(sessionsStarted.get(), sessionsCompleted.get(), sessionsFailed.get(),
                leavesCompared.get(), leavesDiffering.get(), leavesSkippedBusy.get(), keysSent.get(),
                keysReceived.get(), bytesSent.get(),
                bytesReceived.get(), owing, markedLeaves, progress.size());
    }

    /**
     * Whether this node may answer reads of keys on {@code replicas} from its own state: since it
     * started, it has completed a pass over everything it shares with enough of the set's other
     * replicas that every quorum-acknowledged write is among what they hold (in every
     * datacenter, at least {@code n - quorum(n) + 1} of its {@code n} replicas there), so it holds
     * them too. A node that restarted, or came back with an empty or restored data directory,
     * serves reads at {@code ONE} through a complete replica until then; it takes writes as always.
     */
    public boolean complete(ReplicaSet replicas) {
        return completeSets[replicas.id()];
    }

    /** How far this node is in making every replica set {@link #complete}, 0..100. */
    public int syncPercent() {
        long needed = 0;
        long done = 0;
        Map<Integer, Long> running = new HashMap<>();
        for (SessionProgress p : progress) {
            running.merge(p.peer(), p.leavesDone(), Long::sum);
        }
        for (int peer : peers) {
            long shared = this.shared[peer].length;
            needed += shared;
            done += fullPassSinceStart[peer] ? shared : Math.min(shared, running.getOrDefault(peer, 0L));
        }
        if (allComplete()) {
            return 100;
        }
        return needed == 0 ? 100 : (int) Math.min(99, done * 100 / needed);
    }

    /** Whether every replica set this node belongs to is {@link #complete}. */
    public boolean allComplete() {
        boolean[] sets = completeSets;
        for (int id = 0; id < sets.length; id++) {
            if (!sets[id] && ring.replicaSet(id).contains(self)) {
                return false;
            }
        }
        return true;
    }

    private void recomputeCompleteSets() {
        boolean[] sets = new boolean[ring.replicaSetCount()];
        for (int id = 0; id < sets.length; id++) {
            ReplicaSet set = ring.replicaSet(id);
            boolean ok = true;
            for (int dc = 0; dc < set.datacenterCount() && ok; dc++) {
                int n = set.sizeIn(dc);
                int synced = 0;
                int others = 0;
                for (int i = 0; i < n; i++) {
                    int node = set.nodeIn(dc, i);
                    if (node != self) {
                        others++;
                        synced += fullPassSinceStart[node] ? 1 : 0;
                    }
                }
                int needed = n - io.converge.server.cluster.ConsistencyLevel.quorum(n) + 1;
                ok = synced >= Math.min(needed, others);
            }
            sets[id] = ok;
        }
        completeSets = sets;
    }

    /** When the last session with {@code peerId} completed (this node's clock), 0 if never. */
    public long lastCompletedMillis(int peerId) {
        synchronized (lastCompletedMillis) {
            return lastCompletedMillis[peerId];
        }
    }

    private void submit(Runnable task) {
        executor.execute(() -> {
            try {
                if (!closed) {
                    task.run();
                }
            } catch (RuntimeException e) {
                log.error("hash-tree repair task failed", e);
            }
        });
    }

    // ------------------------------------------------------------------ timer (repair thread)

    private void onTick(long now) {
        refill(now);
        runPaced();
        for (Iterator<Initiated> it = initiated.values().iterator(); it.hasNext(); ) {
            Initiated s = it.next();
            if (now - s.lastProgressMillis > settings.sessionTimeoutMillis()) {
                it.remove();
                fail(s, "no progress for " + settings.sessionTimeoutMillis() + " ms", now);
            }
        }
        for (Iterator<Responding> it = responding.values().iterator(); it.hasNext(); ) {
            Responding r = it.next();
            if (now - r.lastActivityMillis > settings.sessionTimeoutMillis()) {
                it.remove();
                endUnilaterally(r.initiator, r.initiator, r.sessionId, r.openedMillis, false, now);
            }
        }
        for (Unresolved u : unresolved) {
            if (now - u.lastSentMillis >= END_RESEND_MILLIS) {
                u.lastSentMillis = now;
                transport.send(u.peer, new PeerMessage.SyncEnd(u.initiator, u.sessionId, false, u.completed));
            }
        }
        noticeRestartsAndReturns(now);
        answerPostponedDiffs();
        startSessions(now);
        for (Initiated s : new ArrayList<>(initiated.values())) {
            pump(s, now);
        }
        publish();
    }

    /** Peers that restarted resolve everything with them; peers that came back get a pass. */
    private void noticeRestartsAndReturns(long now) {
        for (int peer : peers) {
            long inc = liveness.incarnationOf(peer);
            if (inc != knownIncarnation[peer]) {
                boolean restarted = knownIncarnation[peer] != 0;
                knownIncarnation[peer] = inc;
                if (restarted) {
                    // Its process is new: it merges nothing of sessions it had open with us. It owes
                    // every peer a pass (see rejoin), which repairs both ways: no return pass here.
                    unresolved.removeIf(u -> u.peer == peer);
                    abandonAll(peer, "node " + peer + " restarted");
                    returned[peer] = false;
                    restartedWhileAway[peer] = true;
                }
            }
            boolean available = liveness.isUp(peer) && transport.connectionState(peer) == ConnectionState.CONNECTED;
            if (available && !wasAvailable[peer] && everAvailable[peer] && self < peer && !restartedWhileAway[peer]) {
                // A full pass, reported as RECONNECT by startSessions. One pass repairs both ways, so
                // of the two nodes only the one with the lower id starts it.
                returned[peer] = true;
            }
            if (available && !wasAvailable[peer] && everAvailable[peer] && !restartedWhileAway[peer]
                    && settings.intervalMillis() > 0) {
                // A peer back without having restarted: a background pass that fell due while it was
                // away waits a whole interval. The return pass (started by the pair's lower id) and
                // any repair owed cover what it would find; a second full pass at the same moment
                // would only split their work, from the side that may well be the one behind. (A
                // restarted peer keeps its schedule: its own passes may end up partial, and a full
                // pass with it is what makes it complete again.)
                nextBackgroundMillis[peer] = Math.max(nextBackgroundMillis[peer], now + settings.intervalMillis());
            }
            if (available) {
                restartedWhileAway[peer] = false;
            }
            wasAvailable[peer] = available;
            everAvailable[peer] |= available;
        }
    }

    private void startSessions(long now) {
        if (!enabled) {
            return;
        }
        for (int peer : peers) {
            if (initiated.size() >= settings.maxSessions()) {
                return;
            }
            if (hasSessionWith(peer) || isRespondingTo(peer) || now < backoffUntil[peer] || !gate.test(peer)
                    || !liveness.isUp(peer)
                    || transport.connectionState(peer) != ConnectionState.CONNECTED) {
                continue;
            }
            RepairDebt debt = debts[peer];
            if (!debt.isEmpty()) {
                begin(peer, Kind.DEBT, debt.markedAmong(shared[peer]), now);
            } else if (manualRequested[peer] || returned[peer]) {
                Kind kind = manualRequested[peer] ? Kind.MANUAL : Kind.RECONNECT;
                manualRequested[peer] = false;
                returned[peer] = false;
                begin(peer, kind, shared[peer], now);
            } else if (now >= nextBackgroundMillis[peer]) {
                long interval = settings.intervalMillis();
                nextBackgroundMillis[peer] = interval == 0 ? Long.MAX_VALUE / 2 : now + interval;
                begin(peer, Kind.BACKGROUND, shared[peer], now);
            }
        }
    }

    private boolean isRespondingTo(int peer) {
        for (ResponderKey k : responding.keySet()) {
            if (k.initiator() == peer) {
                return true;
            }
        }
        return false;
    }

    private boolean hasSessionWith(int peer) {
        for (Initiated s : initiated.values()) {
            if (s.peer == peer) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ initiator

    /** One session this node initiated. */
    private final class Initiated {
        final int peer;
        final long sessionId;
        final Kind kind;
        final int[] scope;
        final SyncTree tree;
        final long openedMillis;
        final long debtGeneration;
        long lastProgressMillis;
        /** Whether the peer answered the opening (it did not refuse the session). */
        boolean answered;
        /** The tree query awaiting its reply: level and nodes (level -1: none). */
        int queryLevel = -1;
        int[] queryNodes;
        /** The differing leaves not yet put in a batch, ascending (postponed ones again at the end). */
        final ArrayDeque<PendingLeaf> differing = new ArrayDeque<>();
        /** A background pass's differing leaves settling before the second look (see {@link #recheck}). */
        List<PendingLeaf> settling;
        long settleUntilMillis;
        boolean rechecking;
        long leavesSkippedBusy;
        boolean treeDone;
        final Map<Integer, Batch> batches = new HashMap<>();
        int nextBatch;
        long leavesEqual;
        long leavesSynced;
        long leavesDifferingFound;
        long bytesOut;
        long bytesIn;
        long keysOut;
        long keysIn;

        Initiated(int peer, long sessionId, Kind kind, int[] scope, long now, long debtGeneration) {
            this.peer = peer;
            this.sessionId = sessionId;
            this.kind = kind;
            this.scope = scope;
            this.tree = new SyncTree(scope.length, settings.fanout());
            this.openedMillis = now;
            this.lastProgressMillis = now;
            this.debtGeneration = debtGeneration;
        }
    }

    /**
     * A leaf found different by the tree walk, not yet in a batch.
     *
     * @param leaf       the leaf
     * @param peerDigest the peer's digest of it in the walk
     * @param myDigest   this node's digest of it in the walk
     * @param node       its index in the session's scope (its node at level 0 of the tree)
     */
    private record PendingLeaf(int leaf, long peerDigest, long myDigest, int node) {}

    /** One batch of differing leaves of an initiated session. */
    private static final class Batch {
        final int[] leaves;
        /** The keys its leaf diff named (the reply refers to them by index). */
        final PackedKeys keys;
        boolean replied;
        StateStreams.Outgoing push;
        final StateStreams.Incoming pull = new StateStreams.Incoming();
        /**
         * Keys the responder streams first, with its digests of them, until that stream is merged;
         * then those still different join {@link #push}. Null when none.
         */
        Awaited later;

        Batch(int[] leaves, PackedKeys keys) {
            this.leaves = leaves;
            this.keys = keys;
        }

        boolean done() {
            return replied && pull.complete() && push != null && push.done();
        }
    }

    private void begin(int peer, Kind kind, int[] scope, long now) {
        long sessionId = nextSessionId.incrementAndGet();
        Initiated s = new Initiated(peer, sessionId, kind, scope, now, debts[peer].generation());
        sessionsStarted.incrementAndGet();
        if (scope.length == 0) {
            complete(s, now);
            return;
        }
        initiated.put(sessionId, s);
        int level = s.tree.topLevel();
        int[] nodes = allNodes(s.tree.nodeCount(level));
        s.queryLevel = level;
        s.queryNodes = nodes;
        transport.send(peer, new PeerMessage.SyncOpen(sessionId, fingerprint, scope, level, nodes));
        log.debug("repair session {} with node {} ({}, {} leaves) opened", sessionId, peer, kind, scope.length);
        updateOpenSince();
    }

    private static int[] allNodes(int count) {
        int[] nodes = new int[count];
        for (int i = 0; i < count; i++) {
            nodes[i] = i;
        }
        return nodes;
    }

    private void onTreeReply(int from, PeerMessage.SyncTreeReply reply) {
        Initiated s = initiated.get(reply.sessionId());
        if (s == null || s.peer != from) {
            return; // a late reply of an ended session: its end was (or will be) exchanged
        }
        if (reply.level() != s.queryLevel || !Arrays.equals(reply.nodes(), s.queryNodes)
                || reply.digests().length != reply.nodes().length) {
            return; // a duplicate of an earlier answer
        }
        long now = clock.nowMillis();
        s.lastProgressMillis = now;
        s.answered = true;
        long[] leafDigests = new long[s.scope.length];
        store.leafDigests(s.scope, leafDigests, null);
        int level = reply.level();
        long[] mine = s.tree.digests(level, reply.nodes(), leafDigests);
        List<Integer> differ = new ArrayList<>();
        for (int i = 0; i < mine.length; i++) {
            int node = reply.nodes()[i];
            if (mine[i] == reply.digests()[i]) {
                s.leavesEqual += s.tree.to(level, node) - s.tree.from(level, node);
            } else {
                differ.add(node);
            }
        }
        if (s.rechecking) {
            recheck(s, reply, mine);
        } else if (level == 0) {
            List<PendingLeaf> found = new ArrayList<>();
            for (int i = 0; i < mine.length; i++) {
                if (mine[i] != reply.digests()[i]) {
                    int node = reply.nodes()[i];
                    found.add(new PendingLeaf(s.scope[node], reply.digests()[i], mine[i], node));
                }
            }
            s.queryLevel = -1;
            if (s.kind == Kind.BACKGROUND && !found.isEmpty()) {
                s.settling = found;
                s.settleUntilMillis = now + Math.min(SETTLE_MILLIS, settings.intervalMillis() / 2);
            } else {
                s.differing.addAll(found);
                s.leavesDifferingFound += found.size();
                s.treeDone = true;
            }
        } else if (differ.isEmpty()) {
            s.queryLevel = -1;
            s.treeDone = true;
        } else {
            int[] children = new int[differ.size() * settings.fanout()];
            int n = 0;
            for (int node : differ) {
                n = s.tree.children(level, node, children, n);
            }
            s.queryLevel = level - 1;
            s.queryNodes = Arrays.copyOf(children, n);
            transport.send(s.peer, new PeerMessage.SyncTreeQuery(s.sessionId, s.queryLevel, s.queryNodes));
        }
        pump(s, now);
    }

    /**
     * The second look of a background pass at the leaves its walk found different, after they
     * settled. Under a write load the walk finds many leaves different only because deltas are in
     * flight; repairing them would stream their key lists and states for nothing (the deltas
     * arrive anyway, or an overflow owes them to {@link RepairDebt}). So: a leaf now equal is
     * done; a leaf whose digest is unchanged on both sides and still differs is repaired; a leaf
     * whose digest moved on either side is being written, and this pass skips it, unless the last
     * {@link #MAX_BUSY_SKIPS} background passes skipped it already. A pass that skipped a leaf is
     * not a full pass (see {@link #complete}).
     */
    private void recheck(Initiated s, PeerMessage.SyncTreeReply reply, long[] mine) {
        byte[] skips = busySkips[s.peer];
        for (int i = 0; i < mine.length; i++) {
            PendingLeaf walked = s.settling.get(i);
            long peerNow = reply.digests()[i];
            if (mine[i] == peerNow) {
                s.leavesEqual++;
                skips[walked.leaf()] = 0;
            } else if ((mine[i] != walked.myDigest() || peerNow != walked.peerDigest())
                    && skips[walked.leaf()] < MAX_BUSY_SKIPS) {
                skips[walked.leaf()]++;
                s.leavesSkippedBusy++;
            } else {
                skips[walked.leaf()] = 0;
                s.differing.add(new PendingLeaf(walked.leaf(), peerNow, mine[i], walked.node()));
                s.leavesDifferingFound++;
            }
        }
        s.settling = null;
        s.rechecking = false;
        s.queryLevel = -1;
        s.treeDone = true;
    }

    /** Sends the second look at a background pass's differing leaves once they had time to settle. */
    private void startRecheck(Initiated s, long now) {
        int[] nodes = new int[s.settling.size()];
        for (int i = 0; i < nodes.length; i++) {
            nodes[i] = s.settling.get(i).node();
        }
        s.settleUntilMillis = 0;
        s.rechecking = true;
        s.queryLevel = 0;
        s.queryNodes = nodes;
        s.lastProgressMillis = now;
        transport.send(s.peer, new PeerMessage.SyncTreeQuery(s.sessionId, 0, nodes));
    }

    /**
     * Resumes the push streams the pace had paused, starts the batches the window and the pace
     * allow; completes the session when all is done.
     */
    private void pump(Initiated s, long now) {
        if (!initiated.containsKey(s.sessionId)) {
            return;
        }
        if (s.settling != null && !s.rechecking && now >= s.settleUntilMillis) {
            startRecheck(s, now);
        }
        // A stream paused for want of tokens with no part in flight gets no ack to wake it: the tick does.
        for (Batch b : s.batches.values()) {
            if (b.push != null) {
                sendParts(s, b, now);
            }
        }
        while (!s.differing.isEmpty() && s.batches.size() < settings.batchesInFlight() && takeTokens(0)
                && startBatch(s)) {
            // startBatch did it
        }
        if (s.treeDone && s.differing.isEmpty() && s.batches.isEmpty()) {
            initiated.remove(s.sessionId);
            complete(s, now);
        }
    }

    /**
     * Starts the next batch of {@code s}: up to 256 of its pending leaves, ascending, as many as
     * hold at most {@code batchKeys} keys of this node's (at least one leaf). A leaf another
     * session is repairing right now (either role) is put back, to the end, so sessions with
     * several peers at once take different leaves instead of pulling the same states twice; a leaf
     * that now equals the peer's digest from the walk (another session brought it) is done without
     * a batch. Returns false when every pending leaf is being repaired by another session (the
     * next pump tries again).
     */
    private boolean startBatch(Initiated s) {
        BitSet busy = leavesInOtherSessions(s);
        PendingLeaf[] candidates = new PendingLeaf[Math.min(256, s.differing.size())];
        PendingLeaf firstPutBack = null;
        int c = 0;
        while (!s.differing.isEmpty() && c < candidates.length) {
            PendingLeaf next = s.differing.peek();
            if (next == firstPutBack || (c > 0 && next.leaf() <= candidates[c - 1].leaf())) {
                break; // back at the leaves put back, or past the highest: the next batch
            }
            s.differing.poll();
            if (busy.get(next.leaf())) {
                s.differing.add(next);
                firstPutBack = firstPutBack == null ? next : firstPutBack;
            } else {
                candidates[c++] = next;
            }
        }
        if (c == 0) {
            return false;
        }
        int[] ids = new int[c];
        for (int i = 0; i < c; i++) {
            ids[i] = candidates[i].leaf();
        }
        long[] own = new long[c];
        int[] counts = new int[c];
        store.leafDigests(ids, own, counts);
        int[] leaves = new int[c];
        int n = 0;
        long ownKeys = 0;
        for (int i = 0; i < c; i++) {
            if (own[i] == candidates[i].peerDigest()) {
                s.leavesEqual++;
            } else if (n > 0 && (ownKeys + counts[i] > settings.batchKeys()
                    || (ownKeys >= settings.batchKeys() / 2
                        && store.partitionOfLeaf(ids[i]) != store.partitionOfLeaf(leaves[n - 1])))) {
                // Full, or half full at a partition's end: listing a batch's keys (here and at the
                // peer) walks the whole partitions its leaves lie in, so a batch that ends where a
                // partition ends spares the next batch from walking this one's partition again.
                for (int j = c - 1; j >= i; j--) {
                    s.differing.addFirst(candidates[j]);
                }
                break;
            } else {
                leaves[n++] = ids[i];
                ownKeys += counts[i];
            }
        }
        if (n == 0) {
            return true;
        }
        leaves = Arrays.copyOf(leaves, n); // ascending: the scope and the walk are in leaf order
        KeyList list = new KeyList((int) Math.min(ownKeys + 16, 1 << 20));
        store.forEachKeyDigest(leaves, list);
        PackedKeys keys = list.keys.build();
        long bytes = keys.data().length + 20L * keys.size();
        int batchNo = s.nextBatch++;
        s.batches.put(batchNo, new Batch(leaves, keys));
        spend(bytes);
        s.bytesOut += bytes;
        bytesSent.addAndGet(bytes);
        transport.send(s.peer, new PeerMessage.SyncLeafDiff(s.sessionId, batchNo, leaves, keys,
                Arrays.copyOf(list.digests, keys.size()), Arrays.copyOf(list.latest, keys.size())));
        return true;
    }

    /** The leaves in the batches every session but {@code self} is working on now, initiated or served. */
    private BitSet leavesInOtherSessions(Object self) {
        BitSet busy = new BitSet(layout.leafCount());
        for (Initiated s : initiated.values()) {
            if (s != self) {
                for (Batch b : s.batches.values()) {
                    for (int leaf : b.leaves) {
                        busy.set(leaf);
                    }
                }
            }
        }
        for (Responding r : responding.values()) {
            if (r == self) {
                continue;
            }
            for (int[] leaves : r.batchLeaves.values()) {
                for (int leaf : leaves) {
                    busy.set(leaf);
                }
            }
        }
        return busy;
    }

    /** Whether any of {@code leaves} is in a batch another session than {@code self} is working on now. */
    private boolean anyInOtherSessions(Object self, int[] leaves) {
        BitSet busy = leavesInOtherSessions(self);
        for (int leaf : leaves) {
            if (busy.get(leaf)) {
                return true;
            }
        }
        return false;
    }

    private void onLeafReply(int from, PeerMessage.SyncLeafReply reply) {
        Initiated s = initiated.get(reply.sessionId());
        if (s == null || s.peer != from) {
            return;
        }
        Batch b = s.batches.get(reply.batch());
        if (b == null || b.replied) {
            return;
        }
        long now = clock.nowMillis();
        s.lastProgressMillis = now;
        b.replied = true;
        int[] later = indexes(reply.later(), b.keys.size());
        int[] wanted = indexes(reply.want(), b.keys.size());
        List<byte[]> want = new ArrayList<>(wanted.length + later.length);
        for (int i : wanted) {
            want.add(b.keys.key(i));
        }
        if (later.length > 0 && later.length == reply.laterDigests().length) {
            PackedKeys.Builder keys = new PackedKeys.Builder(later.length, 16);
            for (int i : later) {
                keys.add(b.keys.key(i));
            }
            b.later = new Awaited(keys.build(), reply.laterDigests());
        } else if (later.length > 0) {
            for (int i : later) { // malformed: push them too, as the peer would have asked in the other mode
                want.add(b.keys.key(i));
            }
        }
        b.push = new StateStreams.Outgoing(reply.batch(), want, b.later == null);
        releaseLater(b);
        sendParts(s, b, now);
        finishBatchIfDone(s, reply.batch(), b, now);
    }

    /**
     * Once the responder's stream of a batch is merged: the keys it sent first whose digest still
     * differs from its own (this node held something it lacked) go back to it, and the push ends.
     */
    private void releaseLater(Batch b) {
        if (b.later == null || b.push == null || !b.pull.complete()) {
            return;
        }
        List<byte[]> still = b.later.stillDifferent(store);
        b.later = null;
        b.push.add(still);
        b.push.seal();
    }

    /** The set bits of {@code bitmap} below {@code limit}, ascending. */
    private static int[] indexes(long[] bitmap, int limit) {
        int count = 0;
        for (long word : bitmap) {
            count += Long.bitCount(word);
        }
        int[] out = new int[count];
        int n = 0;
        for (int w = 0; w < bitmap.length; w++) {
            long word = bitmap[w];
            while (word != 0) {
                int i = (w << 6) + Long.numberOfTrailingZeros(word);
                word &= word - 1;
                if (i < limit) {
                    out[n++] = i;
                }
            }
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /** Collects the keys of a batch's leaves with their digests and latest writes, packed. */
    private static final class KeyList implements io.converge.server.store.EmbeddedEngine.KeyDigestVisitor {
        final PackedKeys.Builder keys;
        long[] digests;
        long[] latest;

        KeyList(int expected) {
            keys = new PackedKeys.Builder(expected, 16);
            digests = new long[Math.max(16, expected)];
            latest = new long[digests.length];
        }

        @Override
        public void visit(int leaf, byte[] key, long digest, long latestWrite) {
            int i = keys.size();
            if (i == digests.length) {
                digests = Arrays.copyOf(digests, i * 2);
                latest = Arrays.copyOf(latest, i * 2);
            }
            keys.add(key);
            digests[i] = digest;
            latest[i] = latestWrite;
        }
    }

    /** Sends the next parts of a batch's push stream, as far as the window and the pace allow. */
    private void sendParts(Initiated s, Batch b, long now) {
        while (b.push.canCut() && b.push.inFlight() < settings.partsInFlight() && takeTokens(0)) {
            PeerMessage.SyncStates part = b.push.cut(self, s.sessionId, stateReader, settings.partBytes());
            long bytes = partBytes(part);
            spend(bytes);
            s.bytesOut += bytes;
            s.keysOut += part.count();
            bytesSent.addAndGet(bytes);
            keysSent.addAndGet(part.count());
            transport.send(s.peer, part);
        }
    }

    private void onInitiatorStates(int from, PeerMessage.SyncStates part) {
        Initiated s = initiated.get(part.sessionId());
        if (s == null || s.peer != from) {
            transport.send(from, new PeerMessage.SyncEnd(self, part.sessionId(), false, false));
            return;
        }
        Batch b = s.batches.get(part.batch());
        if (b == null || !b.pull.accept(part.part(), part.last())) {
            return;
        }
        long now = clock.nowMillis();
        s.lastProgressMillis = now;
        long bytes = partBytes(part);
        int merged = mergeStates(from, part, b.later);
        s.bytesIn += bytes;
        s.keysIn += merged;
        bytesReceived.addAndGet(bytes);
        keysReceived.addAndGet(merged);
        PeerMessage.SyncStatesAck ack = new PeerMessage.SyncStatesAck(self, s.sessionId, part.batch(), part.part());
        // The acknowledgement is what lets the responder send more: pacing it paces the responder.
        // The part counts against the budget now, whether its ack leaves now or waits its turn.
        boolean goOn = paced.isEmpty() && takeTokens(0);
        spend(bytes);
        if (goOn) {
            transport.send(from, ack);
        } else {
            paced.add(() -> transport.send(from, ack));
        }
        if (b.later != null && b.pull.complete()) {
            releaseLater(b);
            sendParts(s, b, now);
        }
        finishBatchIfDone(s, part.batch(), b, now);
    }

    private void onInitiatorAck(int from, PeerMessage.SyncStatesAck ack) {
        Initiated s = initiated.get(ack.sessionId());
        if (s == null || s.peer != from) {
            return;
        }
        Batch b = s.batches.get(ack.batch());
        if (b == null || b.push == null || !b.push.ack(ack.part())) {
            return;
        }
        long now = clock.nowMillis();
        s.lastProgressMillis = now;
        sendParts(s, b, now);
        finishBatchIfDone(s, ack.batch(), b, now);
    }

    private void finishBatchIfDone(Initiated s, int batchNo, Batch b, long now) {
        if (b.done()) {
            s.batches.remove(batchNo);
            s.leavesSynced += b.leaves.length;
            pump(s, now);
            answerPostponedDiffs();
        }
    }

    private void complete(Initiated s, long now) {
        if (s.leavesSkippedBusy == 0) {
            debts[s.peer].clear(s.scope, s.debtGeneration);
            passCompleted(s.peer, s.scope);
        }
        backoffMillis[s.peer] = 0;
        synchronized (lastCompletedMillis) {
            lastCompletedMillis[s.peer] = now;
        }
        sessionsCompleted.incrementAndGet();
        leavesCompared.addAndGet(s.scope.length);
        leavesDiffering.addAndGet(s.leavesDifferingFound);
        leavesSkippedBusy.addAndGet(s.leavesSkippedBusy);
        if (s.leavesDifferingFound > 0 || s.kind != Kind.BACKGROUND) {
            log.info("repair with node {} ({}) done in {} ms: {} of {} leaves differed ({} more skipped as being "
                            + "written); {} keys sent, {} received, {} bytes out, {} in", s.peer, s.kind,
                    now - s.openedMillis, s.leavesDifferingFound, s.scope.length, s.leavesSkippedBusy, s.keysOut,
                    s.keysIn, s.bytesOut, s.bytesIn);
        }
        if (s.scope.length > 0) {
            endUnilaterally(s.peer, self, s.sessionId, s.openedMillis, true, now);
        }
        updateOpenSince();
    }

    private void fail(Initiated s, String why, long now) {
        sessionsFailed.incrementAndGet();
        long backoff = backOff(s.peer, s.sessionId, now, MAX_BACKOFF_MILLIS);
        log.info("repair with node {} ({}) abandoned after {} ms: {}; retrying in {} ms", s.peer, s.kind,
                now - s.openedMillis, why, backoff);
        endUnilaterally(s.peer, self, s.sessionId, s.openedMillis, false, now);
        retryLater(s);
    }

    /**
     * Waits before the next session with {@code peer}: doubling from {@link #MIN_BACKOFF_MILLIS} to
     * {@code max}, with a jitter of ±25% drawn from the session id, so that nodes
     * refused by the same busy peer at the same moment do not all come back at the same moment
     * again. Returns the wait.
     */
    private long backOff(int peer, long sessionId, long now, long max) {
        long base = Math.min(max, Math.max(MIN_BACKOFF_MILLIS, backoffMillis[peer] * 2));
        backoffMillis[peer] = base;
        long mix = (sessionId ^ ((long) self << 32) ^ peer) * 0x9E3779B97F4A7C15L;
        long jittered = base * 3 / 4 + Math.floorMod(mix >>> 7, Math.max(1, base / 2));
        backoffUntil[peer] = now + jittered;
        return jittered;
    }

    /** A manual or reconnect pass that did not finish is owed again (a debt pass retries by itself). */
    private void retryLater(Initiated s) {
        if (s.kind == Kind.MANUAL) {
            manualRequested[s.peer] = true;
        } else if (s.kind == Kind.RECONNECT) {
            returned[s.peer] = true;
        }
    }

    /** Ends every session with {@code peer}, either role (the peer is gone or restarted). */
    private void abandonAll(int peer, String why) {
        long now = clock.nowMillis();
        for (Iterator<Initiated> it = initiated.values().iterator(); it.hasNext(); ) {
            Initiated s = it.next();
            if (s.peer == peer) {
                it.remove();
                fail(s, why, now);
            }
        }
        for (Iterator<Responding> it = responding.values().iterator(); it.hasNext(); ) {
            Responding r = it.next();
            if (r.initiator == peer) {
                it.remove();
                endUnilaterally(peer, peer, r.sessionId, r.openedMillis, false, now);
            }
        }
        updateOpenSince();
        publish();
    }

    // ------------------------------------------------------------------ responder

    /** Identifies a session a peer initiated. */
    private record ResponderKey(int initiator, long sessionId) {}

    /** One session a peer initiated with this node. */
    private final class Responding {
        final int initiator;
        final long sessionId;
        final int[] scope;
        final SyncTree tree;
        final long openedMillis;
        long lastActivityMillis;
        final Map<Integer, StateStreams.Outgoing> streams = new HashMap<>();
        /** Per batch whose stream is not done: its leaves (another session of this node leaves them alone meanwhile). */
        final Map<Integer, int[]> batchLeaves = new HashMap<>();
        /** Leaf diffs waiting while another session of this node works on some of their leaves, in order. */
        final ArrayDeque<PeerMessage.SyncLeafDiff> postponedDiffs = new ArrayDeque<>();
        /** Per batch: the keys held differently, until the initiator's states of them are merged. */
        final Map<Integer, Deferred> deferred = new HashMap<>();
        final java.util.Set<Integer> batchesSeen = new java.util.HashSet<>();
        /** This node's debt generation toward the initiator when the session opened. */
        final long debtGeneration;

        Responding(int initiator, long sessionId, int[] scope, long now) {
            this.initiator = initiator;
            this.sessionId = sessionId;
            this.debtGeneration = debts[initiator].generation();
            this.scope = scope;
            this.tree = new SyncTree(scope.length, settings.fanout());
            this.openedMillis = now;
            this.lastActivityMillis = now;
        }
    }

    /** Keys a responder holds differently from the initiator, with the initiator's digests of them. */
    private static final class Deferred {
        final Awaited keys;
        /** The initiator's stream of the states this node wanted (those keys among them). */
        final StateStreams.Incoming push = new StateStreams.Incoming();

        Deferred(Awaited keys) {
            this.keys = keys;
        }
    }

    /**
     * Keys both sides hold differently whose states the other side streams first, with its
     * digests of them: once that stream is merged, those the merge did not make equal to the
     * other side's state go back to it. A key whose merge left this node holding exactly the
     * state that arrived ({@link #held}) is equal without a look at its digest: the other side
     * holds that state or a later one, so nothing of this node's is missing there.
     */
    private static final class Awaited {
        final PackedKeys keys;
        final long[] digests;
        final boolean[] settled;
        private KeyIndex index;

        Awaited(PackedKeys keys, long[] digests) {
            this.keys = keys;
            this.digests = digests;
            this.settled = new boolean[keys.size()];
        }

        /** The merge of {@code key}'s arriving state left this node holding exactly that state. */
        void held(byte[] key) {
            if (index == null) {
                index = new KeyIndex(keys);
            }
            int i = index.find(key);
            if (i >= 0) {
                settled[i] = true;
            }
        }

        /** The keys whose state here differs from the other side's digest, to send back. */
        List<byte[]> stillDifferent(ReplicaStore store) {
            List<byte[]> still = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                if (!settled[i]) {
                    byte[] key = keys.key(i);
                    if (store.keyDigest(key) != digests[i]) {
                        still.add(key);
                    }
                }
            }
            return still;
        }
    }

    private void onOpen(int from, PeerMessage.SyncOpen open) {
        ResponderKey key = new ResponderKey(from, open.sessionId());
        Responding r = responding.get(key);
        long now = clock.nowMillis();
        if (r == null) {
            if (!enabled || responding.size() >= MAX_RESPONDING || (hasSessionWith(from) && self < from)
                    || !gate.test(from)) {
                // Off, or busy serving another peer: that peer's pass may well bring what this one
                // would, so this one retries later (backing off) instead of pushing it twice. Two
                // passes between the same pair would repair the same twice: when both opened one,
                // the lower id's runs (the other's is refused there; its completion pays both debts).
                transport.send(from, new PeerMessage.SyncEnd(from, open.sessionId(), false, false));
                return;
            }
            if (open.layoutFingerprint() != fingerprint) {
                refusals.warn("layout:" + from, "node {} cuts the token space differently (another cluster "
                        + "description or version?): repair session refused", from);
                transport.send(from, new PeerMessage.SyncEnd(from, open.sessionId(), false, false));
                return;
            }
            if (!isSubset(open.leaves(), shared[from])) {
                refusals.warn("scope:" + from, "node {} asked to repair leaves this node does not share with it: refused",
                        from);
                transport.send(from, new PeerMessage.SyncEnd(from, open.sessionId(), false, false));
                return;
            }
            r = new Responding(from, open.sessionId(), open.leaves(), now);
            responding.put(key, r);
            updateOpenSince();
        }
        r.lastActivityMillis = now;
        answerTree(r, open.level(), open.nodes());
    }

    private void onTreeQuery(int from, PeerMessage.SyncTreeQuery query) {
        Responding r = responding.get(new ResponderKey(from, query.sessionId()));
        if (r == null) {
            transport.send(from, new PeerMessage.SyncEnd(from, query.sessionId(), false, false));
            return;
        }
        r.lastActivityMillis = clock.nowMillis();
        answerTree(r, query.level(), query.nodes());
    }

    private void answerTree(Responding r, int level, int[] nodes) {
        long[] leafDigests = new long[r.scope.length];
        store.leafDigests(r.scope, leafDigests, null);
        long[] digests;
        try {
            if (level < 0 || level > r.tree.topLevel()) {
                throw new IllegalArgumentException("level " + level);
            }
            digests = r.tree.digests(level, nodes, leafDigests);
        } catch (IllegalArgumentException e) {
            log.warn("node {} sent a malformed tree query ({}): session ended", r.initiator, e.getMessage());
            responding.remove(new ResponderKey(r.initiator, r.sessionId));
            endUnilaterally(r.initiator, r.initiator, r.sessionId, r.openedMillis, false, clock.nowMillis());
            return;
        }
        transport.send(r.initiator, new PeerMessage.SyncTreeReply(r.sessionId, level, nodes, digests));
    }

    private void onLeafDiff(int from, PeerMessage.SyncLeafDiff diff) {
        Responding r = responding.get(new ResponderKey(from, diff.sessionId()));
        if (r == null) {
            transport.send(from, new PeerMessage.SyncEnd(from, diff.sessionId(), false, false));
            return;
        }
        long now = clock.nowMillis();
        r.lastActivityMillis = now;
        if (!r.batchesSeen.add(diff.batch())) {
            return; // a duplicate
        }
        int[] leaves = diff.leaves();
        if (!isSorted(leaves) || !isSubset(leaves, r.scope) || diff.keys().size() != diff.digests().length
                || diff.keys().size() != diff.latest().length) {
            log.warn("node {} sent a malformed leaf diff: session ended", from);
            responding.remove(new ResponderKey(from, diff.sessionId()));
            endUnilaterally(from, from, diff.sessionId(), r.openedMillis, false, now);
            return;
        }
        if (!r.postponedDiffs.isEmpty() || (from < self && anyInOtherSessions(r, leaves))) {
            // A session this node runs is bringing some of these leaves right now: answered once it
            // has, this batch wants only what that one did not bring (in order, behind the others).
            // Only a lower id's batch waits: a node waiting on its own batch to a peer that waits in
            // turn would otherwise close a cycle (1 serves 3 and waits on 2, 2 on 3, 3 on 1); with
            // the rule, the chain of waiting nodes rises in id and ends.
            r.postponedDiffs.add(diff);
            return;
        }
        answerLeafDiff(r, diff);
    }

    /** Answers the postponed leaf diffs whose leaves no other session is working on any more, in order. */
    private void answerPostponedDiffs() {
        for (Responding r : new ArrayList<>(responding.values())) {
            while (!r.postponedDiffs.isEmpty() && responding.containsValue(r)
                    && !anyInOtherSessions(r, r.postponedDiffs.peek().leaves())) {
                answerLeafDiff(r, r.postponedDiffs.poll());
            }
        }
    }

    /**
     * Compares a leaf batch's keys with this node's, answers with the keys wanted and starts the
     * batch's stream.
     *
     * <p>Each side takes the other's state of every key it lacks or holds differently. The keys
     * the initiator lacks go at once. Those both hold differently go first from the side that
     * seems ahead (whose states hold the later writes, by the {@link KeyState#latestWriteHlc}
     * hints of both: for most of them, over the batch), and come back from the other side only if
     * merging them did not make the two equal (the first side's digests tell): a replica that fell
     * behind sends back nothing it would only have the other merge to no effect, whichever of the
     * two opened the session.
     */
    private void answerLeafDiff(Responding r, PeerMessage.SyncLeafDiff diff) {
        int from = r.initiator;
        int[] leaves = diff.leaves();
        PackedKeys theirs = diff.keys();
        int n = theirs.size();
        KeyIndex index = new KeyIndex(theirs);
        long[] myDigests = new long[n];
        long[] matched = new long[(n + 63) >>> 6];
        List<byte[]> lacking = new ArrayList<>();
        int[] votes = new int[2]; // [0]: differing keys where this node seems ahead, [1]: where the initiator does
        store.forEachKeyDigest(leaves, (leaf, key, digest, latest) -> {
            int i = index.find(key);
            if (i < 0) {
                lacking.add(key.clone());
                return;
            }
            matched[i >>> 6] |= 1L << i;
            myDigests[i] = digest;
            if (digest != diff.digests()[i]) {
                long theirLatest = diff.latest()[i];
                if (latest > theirLatest) {
                    votes[0]++;
                } else if (latest < theirLatest) {
                    votes[1]++;
                }
            }
        });
        boolean meFirst = votes[0] > votes[1];
        long[] want = new long[matched.length];
        long[] later = new long[meFirst ? matched.length : 0];
        List<byte[]> differing = new ArrayList<>();
        PackedKeys.Builder differingKeys = meFirst ? null
                : new PackedKeys.Builder(n, theirs.data().length / Math.max(1, n) + 1);
        long[] differingDigests = new long[n];
        int d = 0;
        for (int i = 0; i < n; i++) {
            boolean held = (matched[i >>> 6] & (1L << i)) != 0;
            if (!held) {
                want[i >>> 6] |= 1L << i;
            } else if (myDigests[i] != diff.digests()[i]) {
                if (meFirst) {
                    differing.add(theirs.key(i));
                } else {
                    differingKeys.add(theirs.data(), theirs.start(i), theirs.end(i));
                }
                if (meFirst) {
                    later[i >>> 6] |= 1L << i;
                    differingDigests[d++] = myDigests[i];
                } else {
                    want[i >>> 6] |= 1L << i;
                    differingDigests[d++] = diff.digests()[i];
                }
            }
        }
        transport.send(from, new PeerMessage.SyncLeafReply(diff.sessionId(), diff.batch(), want, later,
                meFirst ? Arrays.copyOf(differingDigests, d) : new long[0]));
        StateStreams.Outgoing stream;
        if (meFirst) {
            lacking.addAll(differing);
            stream = new StateStreams.Outgoing(diff.batch(), lacking, true);
        } else {
            stream = new StateStreams.Outgoing(diff.batch(), lacking, d == 0);
            if (d > 0) {
                r.deferred.put(diff.batch(), new Deferred(new Awaited(differingKeys.build(),
                        Arrays.copyOf(differingDigests, d))));
            }
        }
        r.streams.put(diff.batch(), stream);
        r.batchLeaves.put(diff.batch(), leaves);
        sendResponderParts(r, stream);
    }

    /** An open-addressing index of the keys of a {@link PackedKeys} list. */
    private static final class KeyIndex {
        private final PackedKeys keys;
        /** Per slot: 1 + the index of its key, or 0 when empty. */
        private final int[] slots;
        /** Per slot: the hash of its key (compared before the bytes). */
        private final int[] hashes;
        private final int mask;

        KeyIndex(PackedKeys keys) {
            this.keys = keys;
            int capacity = Integer.highestOneBit(Math.max(4, keys.size() * 2 - 1)) << 1;
            this.slots = new int[capacity];
            this.hashes = new int[capacity];
            this.mask = capacity - 1;
            byte[] data = keys.data();
            for (int i = 0; i < keys.size(); i++) {
                int from = keys.start(i);
                int to = keys.end(i);
                int h = PackedKeys.hash(data, from, to);
                int slot = h & mask;
                while (slots[slot] != 0) {
                    int j = slots[slot] - 1;
                    if (hashes[slot] == h && Arrays.equals(data, keys.start(j), keys.end(j), data, from, to)) {
                        break; // a duplicate key in the list: the first one stands
                    }
                    slot = (slot + 1) & mask;
                }
                if (slots[slot] == 0) {
                    slots[slot] = i + 1;
                    hashes[slot] = h;
                }
            }
        }

        /** The index of {@code key} in the list, or -1. */
        int find(byte[] key) {
            int h = PackedKeys.hash(key, 0, key.length);
            int slot = h & mask;
            while (true) {
                int v = slots[slot];
                if (v == 0) {
                    return -1;
                }
                if (hashes[slot] == h && keys.keyEquals(v - 1, key)) {
                    return v - 1;
                }
                slot = (slot + 1) & mask;
            }
        }
    }

    /**
     * The initiator's states of a batch were all merged: the keys this node held differently go
     * now if they still differ from the initiator's, and the batch's stream ends.
     */
    private void sendDeferred(Responding r, int batch, Deferred deferred) {
        StateStreams.Outgoing stream = r.streams.get(batch);
        if (stream == null) {
            return;
        }
        List<byte[]> still = deferred.keys.stillDifferent(store);
        stream.add(still);
        stream.seal();
        sendResponderParts(r, stream);
    }

    private void sendResponderParts(Responding r, StateStreams.Outgoing stream) {
        while (stream.canCut() && stream.inFlight() < settings.partsInFlight()) {
            PeerMessage.SyncStates part = stream.cut(r.initiator, r.sessionId, stateReader, settings.partBytes());
            bytesSent.addAndGet(partBytes(part));
            keysSent.addAndGet(part.count());
            transport.send(r.initiator, part);
        }
        if (stream.done()) {
            r.streams.remove(stream.batch);
            r.batchLeaves.remove(stream.batch);
        }
    }

    private void onResponderStates(int from, PeerMessage.SyncStates part) {
        Responding r = responding.get(new ResponderKey(from, part.sessionId()));
        if (r == null) {
            transport.send(from, new PeerMessage.SyncEnd(from, part.sessionId(), false, false));
            return;
        }
        r.lastActivityMillis = clock.nowMillis();
        bytesReceived.addAndGet(partBytes(part));
        Deferred deferred = r.deferred.get(part.batch());
        keysReceived.addAndGet(mergeStates(from, part, deferred == null ? null : deferred.keys));
        transport.send(from, new PeerMessage.SyncStatesAck(from, part.sessionId(), part.batch(), part.part()));
        if (deferred != null && deferred.push.accept(part.part(), part.last()) && deferred.push.complete()) {
            r.deferred.remove(part.batch());
            sendDeferred(r, part.batch(), deferred);
        }
    }

    private void onResponderAck(int from, PeerMessage.SyncStatesAck ack) {
        Responding r = responding.get(new ResponderKey(from, ack.sessionId()));
        if (r == null) {
            return;
        }
        r.lastActivityMillis = clock.nowMillis();
        StateStreams.Outgoing stream = r.streams.get(ack.batch());
        if (stream != null && stream.ack(ack.part())) {
            sendResponderParts(r, stream);
        }
    }

    // ------------------------------------------------------------------ ending sessions

    /** A closed session waiting for the peer's confirmation that it merges nothing more of it. */
    private static final class Unresolved {
        final int peer;
        final int initiator;
        final long sessionId;
        final long openedMillis;
        final boolean completed;
        long lastSentMillis;

        Unresolved(int peer, int initiator, long sessionId, long openedMillis, boolean completed, long now) {
            this.peer = peer;
            this.initiator = initiator;
            this.sessionId = sessionId;
            this.openedMillis = openedMillis;
            this.completed = completed;
            this.lastSentMillis = now;
        }
    }

    /**
     * Closes a session on this side and asks the peer to close it too (confirmation resolves it);
     * {@code completed}: this node initiated it and every batch is done.
     */
    private void endUnilaterally(int peer, int initiator, long sessionId, long openedMillis, boolean completed,
                                 long now) {
        unresolved.add(new Unresolved(peer, initiator, sessionId, openedMillis, completed, now));
        transport.send(peer, new PeerMessage.SyncEnd(initiator, sessionId, false, completed));
        updateOpenSince();
    }

    private void onEnd(int from, PeerMessage.SyncEnd end) {
        long now = clock.nowMillis();
        if (end.confirm()) {
            unresolved.removeIf(u -> u.peer == from && u.initiator == end.initiator()
                    && u.sessionId == end.sessionId());
            updateOpenSince();
            return;
        }
        // The peer closed the session: close it here too (it already merges nothing of ours) and confirm.
        if (end.initiator() == self) {
            Initiated s = initiated.get(end.sessionId());
            if (s != null && s.peer == from) {
                initiated.remove(end.sessionId());
                sessionsFailed.incrementAndGet();
                long backoff = backOff(from, s.sessionId, now,
                        s.answered ? MAX_BACKOFF_MILLIS : MAX_REFUSED_BACKOFF_MILLIS);
                log.info("repair with node {} ({}) ended by the peer; retrying in {} ms", from, s.kind, backoff);
                retryLater(s);
            }
        } else if (end.initiator() == from) {
            Responding r = responding.remove(new ResponderKey(from, end.sessionId()));
            if (r != null && end.completed()) {
                credit(r, now);
            }
        }
        unresolved.removeIf(u -> u.peer == from && u.initiator == end.initiator() && u.sessionId == end.sessionId());
        transport.send(from, new PeerMessage.SyncEnd(end.initiator(), end.sessionId(), true, false));
        updateOpenSince();
    }

    /**
     * A pass a peer initiated with this node completed: both hold the join of what they had in its
     * scope, so it pays this node's debt toward that peer as one this node initiated would.
     */
    private void credit(Responding r, long now) {
        debts[r.initiator].clear(r.scope, r.debtGeneration);
        synchronized (lastCompletedMillis) {
            lastCompletedMillis[r.initiator] = now;
        }
        passCompleted(r.initiator, r.scope);
    }

    /** Records a completed pass over {@code scope} with {@code peer}, either role. */
    private void passCompleted(int peer, int[] scope) {
        if (!fullPassSinceStart[peer] && Arrays.equals(scope, shared[peer])) {
            fullPassSinceStart[peer] = true;
            recomputeCompleteSets();
            if (allComplete()) {
                log.info("node {} holds everything its peers acknowledged at a quorum level: it serves reads as a "
                        + "complete replica", self);
            }
        }
    }

    private void updateOpenSince() {
        long oldest = Long.MAX_VALUE;
        for (Initiated s : initiated.values()) {
            oldest = Math.min(oldest, s.openedMillis);
        }
        for (Responding r : responding.values()) {
            oldest = Math.min(oldest, r.openedMillis);
        }
        for (Unresolved u : unresolved) {
            oldest = Math.min(oldest, u.openedMillis);
        }
        openSince = oldest;
    }

    // ------------------------------------------------------------------ messages (repair thread)

    private void handle(int from, PeerMessage message) {
        if (!(message instanceof PeerMessage.SyncOpen || message instanceof PeerMessage.SyncEnd) && !gate.test(from)) {
            if (hasSessionWith(from) || isRespondingTo(from)) {
                abandonAll(from, "sessions with node " + from + " are not allowed now (a rejoin)");
            }
            return;
        }
        switch (message) {
            case PeerMessage.SyncOpen m -> onOpen(from, m);
            case PeerMessage.SyncTreeQuery m -> onTreeQuery(from, m);
            case PeerMessage.SyncTreeReply m -> onTreeReply(from, m);
            case PeerMessage.SyncLeafDiff m -> onLeafDiff(from, m);
            case PeerMessage.SyncLeafReply m -> onLeafReply(from, m);
            case PeerMessage.SyncStates m -> {
                if (m.initiator() == self) {
                    onInitiatorStates(from, m);
                } else if (m.initiator() == from) {
                    onResponderStates(from, m);
                }
            }
            case PeerMessage.SyncStatesAck m -> {
                if (m.initiator() == self) {
                    onInitiatorAck(from, m);
                } else if (m.initiator() == from) {
                    onResponderAck(from, m);
                }
            }
            case PeerMessage.SyncEnd m -> onEnd(from, m);
            default -> { }
        }
    }

    // ------------------------------------------------------------------ states

    /**
     * Appends this node's states to the parts it streams, straight from the store, encoded once.
     * Used on the repair thread only (its scratch buffer is its own).
     */
    private final StateStreams.StateReader stateReader = new StateStreams.StateReader() {
        private CrdtWriter scratch = new CrdtWriter(1024);

        @Override
        public boolean append(byte[] key, CrdtWriter out) {
            CrdtWriter w = scratch;
            w.reset();
            boolean held = engine.readState(key, state -> {
                if (state == null) {
                    return false;
                }
                CrdtCodec.encode(state, w);
                return true;
            });
            if (held) {
                out.writeBytes(key);
                out.writeBytes(w.buffer(), 0, w.size());
            }
            if (w.capacity() > 1 << 20) {
                scratch = new CrdtWriter(1024); // one large state: do not keep its buffer
            }
            return held;
        }

        @Override
        public long stamp() {
            return store.clock().current();
        }
    };

    /**
     * Merges the states of a part a peer sent (keys this node replicates only), makes them
     * durable; returns how many. Each key and state decoded from the part is handed to the store,
     * which keeps them if the key is new, and the log records the state's bytes as they arrived.
     * Keys among {@code awaited} (if any) whose merge left exactly the state that arrived are
     * noted there.
     */
    private int mergeStates(int from, PeerMessage.SyncStates part, Awaited awaited) {
        if (part.count() == 0) {
            return 0;
        }
        engine.bulkInflow();
        // The receive rule first: what is merged below is stamped at or below the part's stamp.
        remote.receiveStamp(from, part.stamp());
        byte[] data = part.entries();
        StateEntries.Cursor entries = new StateEntries.Cursor(data, part.length());
        CrdtReader reader = new CrdtReader(data);
        int merged = 0;
        while (entries.next()) {
            byte[] key = entries.key();
            if (!ring.replicasFor(key).contains(self)) {
                log.warn("node {} sent a repair state of a key this node does not replicate: skipped", from);
                continue;
            }
            reader.reset(entries.stateStart(), entries.stateLength());
            KeyState state = remote.decodeState(from, reader);
            if (state != null) {
                boolean keyParts = state.hasKeyParts();
                if (engine.mergeReceived(key, state, data, entries.stateStart(), entries.stateLength())
                        && awaited != null) {
                    awaited.held(key);
                }
                if (keyParts) {
                    store.collectTombstones(key);
                }
                merged++;
            }
        }
        if (merged > 0) {
            try {
                engine.awaitDurable();
            } catch (RuntimeException ex) {
                log.warn("repair states from node {} merged but not yet logged: {}", from, ex.toString());
            }
        }
        return merged;
    }

    private static long partBytes(PeerMessage.SyncStates part) {
        return 35L + part.length();
    }

    // ------------------------------------------------------------------ pacing

    private void refill(long now) {
        long rate = settings.bytesPerSecond();
        if (rate == 0) {
            return;
        }
        long elapsed = Math.max(0, now - lastRefillMillis);
        lastRefillMillis = now;
        long cap = Math.max(rate / 5, 2L * settings.partBytes());
        tokens = Math.min(cap, tokens + rate * elapsed / 1000);
    }

    /** Whether traffic may go on now (a positive balance), taking {@code bytes} from it. */
    private boolean takeTokens(long bytes) {
        if (settings.bytesPerSecond() == 0) {
            return true;
        }
        if (tokens <= 0) {
            return false;
        }
        tokens -= bytes;
        return true;
    }

    private void spend(long bytes) {
        if (settings.bytesPerSecond() != 0) {
            tokens -= bytes;
        }
    }

    private void runPaced() {
        while (!paced.isEmpty() && takeTokens(0)) {
            paced.poll().run();
        }
    }

    // ------------------------------------------------------------------ helpers

    private static boolean isSorted(int[] a) {
        for (int i = 1; i < a.length; i++) {
            if (a[i] <= a[i - 1]) {
                return false;
            }
        }
        return true;
    }

    /** Whether every element of ascending {@code a} is in ascending {@code b}. */
    private static boolean isSubset(int[] a, int[] b) {
        if (!isSorted(a)) {
            return false;
        }
        int j = 0;
        for (int x : a) {
            while (j < b.length && b[j] < x) {
                j++;
            }
            if (j == b.length || b[j] != x) {
                return false;
            }
        }
        return true;
    }

    private void publish() {
        long now = clock.nowMillis();
        List<SessionProgress> list = new ArrayList<>(initiated.size());
        for (Initiated s : initiated.values()) {
            list.add(new SessionProgress(s.peer, s.sessionId, s.kind, s.scope.length, s.leavesEqual + s.leavesSynced,
                    s.leavesDifferingFound, s.bytesOut + s.bytesIn, s.keysOut + s.keysIn, now - s.openedMillis));
        }
        progress = List.copyOf(list);
    }

    /**
     * One running session as INFO shows it.
     *
     * @param peer            the other node
     * @param sessionId       the session
     * @param kind            why it runs
     * @param leaves          leaves in its scope
     * @param leavesDone      leaves found equal or already repaired
     * @param leavesDiffering leaves found different so far
     * @param bytes           repair bytes both ways so far
     * @param keys            key states both ways so far
     * @param elapsedMillis   since it opened
     */
    public record SessionProgress(int peer, long sessionId, Kind kind, int leaves, long leavesDone,
                                  long leavesDiffering, long bytes, long keys, long elapsedMillis) {}

    /**
     * Counters since start.
     *
     * @param sessionsStarted   sessions this node initiated
     * @param sessionsCompleted of those, completed
     * @param sessionsFailed    abandoned (retried later)
     * @param leavesCompared    leaves covered by completed sessions
     * @param leavesDiffering   of those, found different
     * @param leavesSkippedBusy  leaves background passes found different but left alone, being written
     * @param keysSent          key states sent (either role)
     * @param keysReceived      key states merged from peers (either role)
     * @param bytesSent         repair bytes sent
     * @param bytesReceived     repair bytes received
     * @param peersOwed         peers this node owes a repair (their {@code needs_full_sync})
     * @param leavesOwed        leaves owed over all peers
     * @param sessionsRunning   sessions running now
     */
    public record RepairStats(long sessionsStarted, long sessionsCompleted, long sessionsFailed, long leavesCompared,
                              long leavesDiffering, long leavesSkippedBusy, long keysSent, long keysReceived, long bytesSent,
                              long bytesReceived, int peersOwed, long leavesOwed, int sessionsRunning) {}
}
