package io.converge.server.replication.antientropy;

import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.wire.PeerMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * All of one node's outgoing delta buffers, one {@link PeerDeltaBuffer} per peer. The write
 * path hands each new delta to {@link #enqueue} with the key's replicas; a periodic flush
 * ({@link #drain}) cuts batches for the transport, {@link #onAck} applies acknowledgements and
 * {@link #tick} triggers resends. A delta shared by several peers is one byte array referenced
 * from each of their buffers, so it is garbage-collected once every peer acknowledged it.
 */
public final class DeltaOutbox {

    /** Receives batches cut by {@link #drain}. */
    @FunctionalInterface
    public interface BatchSink {
        /** Sends {@code batch} to {@code peerId}; returning {@code false} stops draining that peer for now. */
        boolean send(int peerId, PeerMessage.DeltaBatch batch);
    }

    private final int localNodeId;
    private final int[] peerIds;
    /** Indexed by node id; {@code null} for the local node and non-members. */
    private final PeerDeltaBuffer[] buffers;

    /** Where each peer's buffer records the leaves of the deltas it drops. */
    @FunctionalInterface
    public interface DebtOf {
        /** The repair debt of {@code peerId}. */
        RepairDebt debtOf(int peerId);
    }

    /**
     * Buffers for every id in {@code peerIds} other than {@code localNodeId}, stamped with this
     * node's {@code incarnation} (must grow across restarts, e.g. the HLC or wall clock at start),
     * without leaf tracking of their overflows (tests).
     */
    public DeltaOutbox(int localNodeId, int[] peerIds, long incarnation, DeltaBufferSettings settings) {
        this(localNodeId, peerIds, incarnation, settings, peer -> RepairDebt.untracked());
    }

    /** As above, each peer's overflows recorded in {@code debts.debtOf(peer)}. */
    public DeltaOutbox(int localNodeId, int[] peerIds, long incarnation, DeltaBufferSettings settings, DebtOf debts) {
        this.localNodeId = localNodeId;
        int max = localNodeId;
        for (int id : peerIds) {
            max = Math.max(max, id);
        }
        this.buffers = new PeerDeltaBuffer[max + 1];
        List<Integer> peers = new ArrayList<>();
        for (int id : peerIds) {
            if (id != localNodeId && buffers[id] == null) {
                buffers[id] = new PeerDeltaBuffer(id, incarnation, settings, debts.debtOf(id));
                peers.add(id);
            }
        }
        this.peerIds = peers.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /** The id of the node owning this outbox. */
    public int localNodeId() {
        return localNodeId;
    }

    /** The peers, ascending (a copy). */
    public int[] peerIds() {
        return peerIds.clone();
    }

    /** The buffer for {@code peerId}; throws for the local node or an unknown id. */
    public PeerDeltaBuffer buffer(int peerId) {
        PeerDeltaBuffer b = peerId >= 0 && peerId < buffers.length ? buffers[peerId] : null;
        if (b == null) {
            throw new IllegalArgumentException("no delta buffer for node " + peerId + " (local node is "
                    + localNodeId + ")");
        }
        return b;
    }

    /**
     * Buffers {@code delta} of {@code key} for every replica in {@code replicas} except this node and
     * the delta's origin; returns how many peers got it.
     */
    public int enqueue(ReplicaSet replicas, byte[] key, byte[] delta, int originNodeId, long nowMillis) {
        int count = 0;
        for (int i = 0; i < replicas.size(); i++) {
            int node = replicas.node(i);
            if (node != localNodeId && node != originNodeId
                    && buffer(node).enqueue(key, delta, originNodeId, nowMillis) != PeerDeltaBuffer.NOT_ENQUEUED) {
                count++;
            }
        }
        return count;
    }

    /** Applies an acknowledgement received from {@code peerId}. */
    public void onAck(int peerId, PeerMessage.DeltaAck ack) {
        buffer(peerId).onAck(ack.incarnation(), ack.ackedSeq());
    }

    /** Drops every buffered delta, for every peer (see {@link PeerDeltaBuffer#discardAll}). */
    public void discardAll() {
        for (int id : peerIds) {
            buffers[id].discardAll();
        }
    }

    /** Triggers resends for peers whose oldest sent delta timed out; returns how many rewound. */
    public int tick(long nowMillis) {
        int rewound = 0;
        for (int id : peerIds) {
            if (buffers[id].tick(nowMillis)) {
                rewound++;
            }
        }
        return rewound;
    }

    /**
     * Cuts every ready batch for peers accepted by {@code reachable} (e.g. the failure detector's
     * "up") and hands them to {@code sink}; returns the number of batches sent.
     */
    public int drain(long nowMillis, IntPredicate reachable, BatchSink sink) {
        int batches = 0;
        for (int id : peerIds) {
            if (!reachable.test(id)) {
                continue;
            }
            PeerDeltaBuffer b = buffers[id];
            PeerMessage.DeltaBatch batch;
            while ((batch = b.nextBatch(nowMillis)) != null) {
                batches++;
                if (!sink.send(id, batch)) {
                    break;
                }
            }
        }
        return batches;
    }

    /** Total bytes buffered over all peers. */
    public long pendingBytes() {
        long sum = 0;
        for (int id : peerIds) {
            sum += buffers[id].pendingBytes();
        }
        return sum;
    }

    /** Total deltas buffered over all peers (a delta buffered for two peers counts twice). */
    public long pendingCount() {
        long sum = 0;
        for (int id : peerIds) {
            sum += buffers[id].pendingCount();
        }
        return sum;
    }

    /** One row per peer, ascending by node id. */
    public List<PeerDeltaStats> stats(long nowMillis) {
        List<PeerDeltaStats> rows = new ArrayList<>(peerIds.length);
        for (int id : peerIds) {
            rows.add(buffers[id].stats(nowMillis));
        }
        return rows;
    }
}
