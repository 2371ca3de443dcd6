package io.converge.server.replication.gc;

import io.converge.server.replication.antientropy.DeltaOutbox;
import io.converge.server.replication.antientropy.PeerDeltaBuffer;
import io.converge.server.replication.core.ReplicaStore;
import io.converge.server.store.TombstonePolicy;
import java.util.List;
import java.util.function.LongSupplier;

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
 * <p>A node that stays away keeps {@code S} where it was (nothing newer is dropped) until it
 * returns; an operator-set grace period is later work. Thread-safe.
 */
public final class GcHorizon implements TombstonePolicy {

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

    /**
     * The horizon of the node owning {@code store} and {@code outbox}; rounds last at least
     * {@code minRoundMillis}; {@code repairOpenSince} gives the time (on the same clock as the
     * rounds) the oldest unresolved repair session opened, {@code Long.MAX_VALUE} when none is.
     */
    public GcHorizon(ReplicaStore store, DeltaOutbox outbox, long minRoundMillis, LongSupplier repairOpenSince) {
        this.store = store;
        this.outbox = outbox;
        this.repairOpenSince = repairOpenSince;
        this.peers = outbox.peerIds();
        this.minRoundMillis = minRoundMillis;
        this.peerDelivered = new long[peers.length];
        this.peerHorizon = new long[peers.length];
        this.roundLastSeq = new long[peers.length];
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

    /** Records what {@code peerId} reported (reordered or duplicated reports never move values back). */
    public synchronized void onPeerStatus(int peerId, long deliveredHlc, long horizonHlc) {
        int i = indexOf(peerId);
        if (i < 0) {
            return;
        }
        peerDelivered[i] = Math.max(peerDelivered[i], deliveredHlc);
        peerHorizon[i] = Math.max(peerHorizon[i], horizonHlc);
        recomputeStable();
    }

    /** Advances the round machinery; called from the replicator's tick. */
    public void step(long nowMillis) {
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

    private boolean allAcknowledged() {
        for (int i = 0; i < peers.length; i++) {
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
            for (long d : peerDelivered) {
                minPeer = Math.min(minPeer, d);
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
        for (long h : peerHorizon) {
            s = Math.min(s, h);
        }
        if (s > stable) {
            stable = s;
        }
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
