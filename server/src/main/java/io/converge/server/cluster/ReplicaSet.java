package io.converge.server.cluster;

import java.util.ArrayList;
import java.util.List;

/**
 * The replicas of one token range, per datacenter, in ring-walk order (the first listed in a
 * datacenter is that datacenter's "primary"). Immutable; interned by the {@link Ring}, so two
 * ranges with the same replicas in the same order share one instance and one {@link #id()}.
 * Sets that hold the same nodes in another order share a {@link #groupId()}: keys on such sets
 * live on the same nodes, which is what multi-key commands and transactions need.
 *
 * <p>Layout: {@code nodes} is flattened in datacenter order; {@code dcStart[d]..dcStart[d+1]}
 * delimits datacenter {@code d}. Accessors are allocation-free for hot paths.
 */
public final class ReplicaSet {

    private final int id;
    private final int groupId;
    private final int[] nodes;
    /** The same nodes, ascending within each datacenter: the order shared by the sets of a group. */
    private final int[] sorted;
    private final int[] dcStart;

    ReplicaSet(int id, int groupId, int[] nodes, int[] sorted, int[] dcStart) {
        this.id = id;
        this.groupId = groupId;
        this.nodes = nodes;
        this.sorted = sorted;
        this.dcStart = dcStart;
    }

    /** Dense id, unique per distinct replica list of a ring; equal ids mean the same replicas in the same order. */
    public int id() {
        return id;
    }

    /**
     * Dense id of the nodes of this set, whatever their order: equal for sets with the same
     * replicas in every datacenter (their keys can be used together in one atomic command).
     */
    public int groupId() {
        return groupId;
    }

    /** Whether {@code other} holds the same nodes as this set (perhaps in another order). */
    public boolean sameNodes(ReplicaSet other) {
        return other.groupId == groupId;
    }

    /** Total number of replicas over all datacenters. */
    public int size() {
        return nodes.length;
    }

    /** The {@code i}-th replica in flattened order (datacenter by datacenter). */
    public int node(int i) {
        return nodes[i];
    }

    /** Number of datacenters this set spans (the topology's datacenter count). */
    public int datacenterCount() {
        return dcStart.length - 1;
    }

    /** Number of replicas in datacenter {@code dc}. */
    public int sizeIn(int dc) {
        return dcStart[dc + 1] - dcStart[dc];
    }

    /** The {@code i}-th replica of datacenter {@code dc}, in ring-walk order. */
    public int nodeIn(int dc, int i) {
        if (i < 0 || i >= sizeIn(dc)) {
            throw new IndexOutOfBoundsException(i);
        }
        return nodes[dcStart[dc] + i];
    }

    /**
     * The {@code i}-th replica of datacenter {@code dc} by ascending node id: the same for every
     * set of a {@link #groupId() group}, so a choice made in this order is the same for all its keys.
     */
    public int sortedNodeIn(int dc, int i) {
        if (i < 0 || i >= sizeIn(dc)) {
            throw new IndexOutOfBoundsException(i);
        }
        return sorted[dcStart[dc] + i];
    }

    /** Flattened index of the first replica of datacenter {@code dc}. */
    public int startOf(int dc) {
        return dcStart[dc];
    }

    /** Datacenter of the replica at flattened index {@code i}. */
    public int datacenterAt(int i) {
        for (int d = 0; d < dcStart.length - 1; d++) {
            if (i < dcStart[d + 1]) {
                return d;
            }
        }
        throw new IndexOutOfBoundsException(i);
    }

    /** Flattened index of {@code nodeId}, or -1 when it is not a replica. */
    public int indexOf(int nodeId) {
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i] == nodeId) {
                return i;
            }
        }
        return -1;
    }

    /** Whether {@code nodeId} is one of the replicas. */
    public boolean contains(int nodeId) {
        return indexOf(nodeId) >= 0;
    }

    /** All replicas, flattened (a copy). */
    public int[] nodeIds() {
        return nodes.clone();
    }

    /** Replicas of datacenter {@code dc} as a list (for INFO and tests). */
    public List<Integer> nodesIn(int dc) {
        List<Integer> list = new ArrayList<>(sizeIn(dc));
        for (int i = dcStart[dc]; i < dcStart[dc + 1]; i++) {
            list.add(nodes[i]);
        }
        return list;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("ReplicaSet#").append(id).append('[');
        for (int d = 0; d < datacenterCount(); d++) {
            if (d > 0) {
                sb.append(" | ");
            }
            sb.append(nodesIn(d));
        }
        return sb.append(']').toString();
    }
}
