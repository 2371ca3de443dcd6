package io.converge.server.replication.gc;

import io.converge.server.replication.antientropy.DeltaOutbox;
import io.converge.server.replication.antientropy.PeerDeltaBuffer;
import io.converge.server.replication.core.PeerLiveness;
import io.converge.server.replication.core.ReplicaStore;
import io.converge.server.store.TombstonePolicy;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When tombstones may be dropped (DESIGN §1, §5.5): computes the cluster-wide <em>stable
 * stamp</em> {@code S} such that every replica has received every write stamped at or before
 * it, and serves it to the engine as its {@link TombstonePolicy}.
 *
 * <p><b>Delivered stamp {@code D} (per node).</b> A node works in rounds. A round starts with a
 * snapshot taken while the whole keyspace is held exclusively ({@code runExclusive}): a fresh
 * HLC stamp {@code c} and, per peer, the last sequence number of its delta buffer. Every local
 * write stamps and buffers its delta under its key's lock, so the snapshot sees every delta
 * stamped at or before {@code c} already buffered, and every later write is stamped above
 * {@code c}. When every peer has acknowledged up to its snapshot sequence (and no buffer
 * overflowed: dropped deltas freeze GC until a full sync clears the flag), everything this node
 * originated at or before {@code c} is on every replica it was meant for: {@code D = c}.
 *
 * <p><b>Horizon {@code H} (per node).</b> {@code H = min(c, smallest D heard from every other
 * node when the round started)}. The second term matters for deltas that carry <em>old</em>
 * data: read-repair states and the restart push copy whole states, possibly with writes that a
 * delete elsewhere removed. Such a state is buffered (under the key's lock) after its round's
 * snapshot or before; if a later round's {@code H} passes the delete's stamp {@code d}, then
 * when that round started the deleting node's {@code D >= d} was known, so this node had
 * already applied the delete, and any state it built after that carries the delete too; a state
 * built before that was buffered before the round's snapshot and is acknowledged before the
 * round ends. Nodes gossip {@code (D, H)} with their heartbeats
 * ({@link io.converge.server.cluster.wire.PeerMessage.GcStatus}).
 *
 * <p><b>Stable stamp.</b> {@code S = min over all nodes (this one included) of H}; 0 (nothing
 * may be dropped) until every node has reported. Each node's clock is above its own {@code c},
 * hence above {@code S}, as {@code KeyState.gc} requires, and writes made later are stamped
 * later.
 *
 * <p><b>Replies in flight.</b> A quorum-read reply carries a state read before the replier
 * applied some delete; it may only be merged while its request is open. A round lasts at least
 * {@code minRoundMillis} (longer than any request timeout), and the replier's {@code H} can pass
 * the delete only from a round that started after it applied the delete, i.e. after the reply
 * left, and ended after the request's deadline. Replies are dropped after the deadline.
 *
 * <p><b>Hash-tree repair in flight.</b> Repair sessions carry states too, and a large one may take
 * longer than any deadline. So a round does not end while a repair session that was open when
 * the round started is not resolved ({@code repairOpenSince}): resolved means the peer confirmed
 * it will merge nothing more of it. A state this node built before it applied a delete was built
 * before any round whose {@code H} can pass that delete started, so it is merged (or refused) by
 * then, while every replica still holds the delete record.
 *
 * <p><b>Grace period.</b> A node that stays away keeps {@code S} where it was (nothing newer is
 * dropped), but not for ever: once this node has not heard from a peer for {@code gc-grace-ms}, it
 * <em>expels</em> it: stops waiting for its acknowledgements and reports, so {@code S} moves on
 * without it (Cassandra's gc_grace, enforced). Two limits keep an expulsion from costing an
 * acknowledged write: a node expels only a peer it has not heard from for {@code gc-grace-ms}
 * while it heard from a majority of the cluster (itself included; a node cut off alone never
 * expels the others, not even as their heartbeats come back one after another), and never so
 * many that, in some replica set, a quorum of one datacenter's replicas would be expelled
 * ({@link ExpulsionLimit}): a write acknowledged at a quorum level is then always held by a node
 * that is not expelled.
 *
 * <p>An expelled node may hold writes whose deletes were dropped everywhere else since: when it
 * comes back it is told so (nothing it sends is merged, and nothing buffered for it is sent, see
 * {@link #isExpelled}), it discards its state, rebuilds it from its peers, and reports the stable
 * stamp it discarded against; once that is at least the stamp this node had when it expelled it,
 * it counts again, and what was buffered for it is dropped (old deltas could carry writes whose
 * deletes were collected meanwhile). Thread-safe.
 */
public final class GcHorizon implements TombstonePolicy {

    private static final Logger log = LoggerFactory.getLogger(GcHorizon.class);

    private final ReplicaStore store;
    private final DeltaOutbox outbox;
    private final int[] peers;
    private final long minRoundMillis;
    private final LongSupplier repairOpenSince;

    /** Per peer index: highest delivered stamp and horizon it reported (0 = not heard yet). */
    private final long[] peerDelivered;
    private final long[] peerHorizon;
    private long delivered;
    private long horizon;
    private volatile long stable;

    private boolean roundOpen;
    private long roundStartMillis;
    private long roundStamp;
    private long roundMinPeerDelivered;
    private final long[] roundLastSeq;
    private long rounds;
    private final PeerLiveness liveness;
    private volatile long graceMillis;
    /** Per peer index: expelled (see the class comment), and the stable stamp it was expelled at. */
    private final boolean[] expelled;
    private final long[] expelledAtStable;
    private long expulsions;
    /** Since when this node has heard a majority of the cluster without a break (-1: it does not now). */
    private long majoritySinceMillis = -1;
    private final ExpulsionLimit limit;
    private volatile java.util.function.IntConsumer expelListener = peer -> { };

    /**
     * The horizon of the node owning {@code store} and {@code outbox}; rounds last at least
     * {@code minRoundMillis}; {@code repairOpenSince} gives the time (on the same clock as the
     * rounds) the oldest unresolved repair session opened, {@code Long.MAX_VALUE} when none is.
     */
    public GcHorizon(ReplicaStore store, DeltaOutbox outbox, long minRoundMillis, LongSupplier repairOpenSince,
                     PeerLiveness liveness, ExpulsionLimit limit, long graceMillis) {
        this.store = store;
        this.outbox = outbox;
        this.repairOpenSince = repairOpenSince;
        this.liveness = liveness;
        this.limit = limit;
        this.graceMillis = graceMillis;
        this.peers = outbox.peerIds();
        this.minRoundMillis = minRoundMillis;
        this.peerDelivered = new long[peers.length];
        this.peerHorizon = new long[peers.length];
        this.roundLastSeq = new long[peers.length];
        this.expelled = new boolean[peers.length];
        this.expelledAtStable = new long[peers.length];
    }

    /** Installs what learns of each expulsion (repair forgets its sessions with the peer). */
    public void onExpel(java.util.function.IntConsumer listener) {
        this.expelListener = listener;
    }

    /** Changes the grace period from now on (CONFIG SET gc-grace-ms). */
    public void graceMillis(long millis) {
        this.graceMillis = millis;
    }

    /** Whether {@code peerId} is expelled: nothing it sends about data may be merged until it rebuilt. */
    public synchronized boolean isExpelled(int peerId) {
        int i = indexOf(peerId);
        return i >= 0 && expelled[i];
    }

    /**
     * The stamp {@code peerId} must have rebuilt at (discarded its state against) to count again,
     * or 0 when it is not expelled.
     */
    public synchronized long expelledAt(int peerId) {
        int i = indexOf(peerId);
        return i >= 0 && expelled[i] ? expelledAtStable[i] : 0;
    }

    /** Peers expelled so far (INFO). */
    public synchronized long expulsions() {
        return expulsions;
    }

    /** {@inheritDoc} The cluster-wide stable stamp (the same for every key). */
    @Override
    public long stableStamp(byte[] key) {
        return stable;
    }

    /** The cluster-wide stable stamp {@code S}; 0 while nothing may be dropped. */
    public long stable() {
        return stable;
    }

    /** This node's delivered stamp {@code D}. */
    public synchronized long delivered() {
        return delivered;
    }

    /** This node's horizon {@code H}. */
    public synchronized long horizon() {
        return horizon;
    }

    /** Completed rounds. */
    public synchronized long rounds() {
        return rounds;
    }

    /** The (D, H) last reported by peer {@code peerId}, as a two-element array. */
    public synchronized long[] reported(int peerId) {
        int i = indexOf(peerId);
        return i < 0 ? new long[2] : new long[] {peerDelivered[i], peerHorizon[i]};
    }

    /**
     * Records what {@code peerId} reported (reordered or duplicated reports never move values
     * back); {@code rebuiltAt} lets an expelled peer back in once it rebuilt late enough.
     */
    public synchronized void onPeerStatus(int peerId, long deliveredHlc, long horizonHlc, long rebuiltAt) {
        int i = indexOf(peerId);
        if (i < 0) {
            return;
        }
        if (expelled[i]) {
            if (rebuiltAt < expelledAtStable[i]) {
                return; // it still holds what it held when it left: not counted yet
            }
            // Deltas buffered for it (held back while it was expelled) may be stamped at or before
            // S, which its rebuilt state is now past: one whose delete record was collected here
            // would bring the deleted write back. Its rebuild pulls everything they carried.
            outbox.buffer(peerId).discardAll();
            expelled[i] = false;
            peerDelivered[i] = 0; // its new reports start over
            peerHorizon[i] = 0;
            log.info("node {} rebuilt its state after being expelled from the GC horizon: it counts again", peerId);
        }
        peerDelivered[i] = Math.max(peerDelivered[i], deliveredHlc);
        peerHorizon[i] = Math.max(peerHorizon[i], horizonHlc);
        recomputeStable();
    }

    /** Advances the round machinery; called from the replicator's tick. */
    public void step(long nowMillis) {
        expelAbsentPeers(nowMillis);
        synchronized (this) {
            if (roundOpen) {
                if (nowMillis - roundStartMillis < minRoundMillis || !allAcknowledged()
                        || repairOpenSince.getAsLong() <= roundStartMillis) {
                    return;
                }
                delivered = roundStamp;
                horizon = Math.min(roundStamp, roundMinPeerDelivered);
                roundOpen = false;
                rounds++;
                recomputeStable();
            }
        }
        startRound(nowMillis);
    }

    private void expelAbsentPeers(long nowMillis) {
        java.util.List<Integer> newlyExpelled = new java.util.ArrayList<>();
        synchronized (this) {
            long grace = graceMillis;
            int heard = 1; // this node
            for (int peer : peers) {
                heard += liveness.isUp(peer) ? 1 : 0;
            }
            if (2 * heard <= peers.length + 1) {
                majoritySinceMillis = -1;
                return; // no majority in sight: this node may be the one cut off
            }
            if (majoritySinceMillis < 0) {
                majoritySinceMillis = nowMillis;
            }
            for (int i = 0; i < peers.length; i++) {
                // Silence counts only while a majority was heard: a node cut off that hears the
                // others again, one heartbeat after another, must not expel the ones not heard yet.
                long silent = Math.min(liveness.millisSinceHeard(peers[i], nowMillis), nowMillis - majoritySinceMillis);
                if (expelled[i] || silent <= grace) {
                    continue;
                }
                expelled[i] = true;
                if (!limit.allows(expelledNodeIds())) {
                    expelled[i] = false;
                    continue;
                }
                expelledAtStable[i] = Math.max(stable, 1); // above "never rebuilt" (0)
                expulsions++;
                newlyExpelled.add(peers[i]);
                log.warn("node {} has not been heard from for more than gc-grace-ms ({} ms): tombstone GC no longer "
                        + "waits for it; when it comes back it must rebuild its state from its peers", peers[i], grace);
            }
            if (!newlyExpelled.isEmpty()) {
                recomputeStable();
            }
        }
        for (int peer : newlyExpelled) {
            expelListener.accept(peer);
        }
    }

    private java.util.Set<Integer> expelledNodeIds() {
        java.util.Set<Integer> ids = new java.util.HashSet<>();
        for (int i = 0; i < peers.length; i++) {
            if (expelled[i]) {
                ids.add(peers[i]);
            }
        }
        return ids;
    }

    private boolean allAcknowledged() {
        for (int i = 0; i < peers.length; i++) {
            if (isExpelledAt(i)) {
                continue;
            }
            PeerDeltaBuffer b = outbox.buffer(peers[i]);
            if (b.ackedSeq() < roundLastSeq[i] || b.needsFullSync()) {
                return false;
            }
        }
        return true;
    }

    private void startRound(long nowMillis) {
        long[] stamp = new long[1];
        long[] lastSeq = new long[peers.length];
        // No write is between its stamp and its buffering while every key is held.
        store.engine().runExclusive(List.of(), true, () -> {
            stamp[0] = store.clock().now();
            for (int i = 0; i < peers.length; i++) {
                lastSeq[i] = outbox.buffer(peers[i]).lastSeq();
            }
        });
        synchronized (this) {
            long minPeer = stamp[0];
            for (int i = 0; i < peers.length; i++) {
                if (!expelled[i]) {
                    minPeer = Math.min(minPeer, peerDelivered[i]);
                }
            }
            roundStamp = stamp[0];
            roundMinPeerDelivered = minPeer;
            System.arraycopy(lastSeq, 0, roundLastSeq, 0, peers.length);
            roundStartMillis = nowMillis;
            roundOpen = true;
        }
    }

    private void recomputeStable() {
        long s = horizon;
        for (int i = 0; i < peers.length; i++) {
            if (!expelled[i]) {
                s = Math.min(s, peerHorizon[i]);
            }
        }
        if (s > stable) {
            stable = s;
        }
    }

    private synchronized boolean isExpelledAt(int i) {
        return expelled[i];
    }

    /**
     * Starts over after this node discarded its state and its delta buffers (a rebuild): the open
     * round counted sequence numbers of buffers that no longer exist.
     */
    public synchronized void restartRounds() {
        roundOpen = false;
    }

    private int indexOf(int peerId) {
        for (int i = 0; i < peers.length; i++) {
            if (peers[i] == peerId) {
                return i;
            }
        }
        return -1;
    }
}
