package io.converge.server.cluster.net;

import java.util.Collection;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The peers this node is cut off from by an operator ({@code CONVERGE PARTITION}): while a peer
 * is in the cut, the transport behaves as if the network between the two nodes were down.
 *
 * <p>Read on every delivered peer message, so the check is one volatile read of a small array
 * indexed by node id; changes (rare, operator-driven) copy the array.
 */
final class NetworkCut {

    /** Indexed by node id: whether that node is cut off. Never mutated once published. */
    private volatile boolean[] cut;

    /** An empty cut for node ids up to {@code maxNodeId}. */
    NetworkCut(int maxNodeId) {
        this.cut = new boolean[maxNodeId + 1];
    }

    /** Whether {@code nodeId} is cut off from this node. */
    boolean contains(int nodeId) {
        boolean[] c = cut;
        return nodeId >= 0 && nodeId < c.length && c[nodeId];
    }

    /** Adds {@code nodeIds} (all valid ids) to the cut. */
    synchronized void add(Collection<Integer> nodeIds) {
        boolean[] next = cut.clone();
        for (int id : nodeIds) {
            next[id] = true;
        }
        cut = next;
    }

    /** Removes {@code nodeIds} from the cut; returns those that were in it. */
    synchronized SortedSet<Integer> remove(Collection<Integer> nodeIds) {
        boolean[] next = cut.clone();
        SortedSet<Integer> removed = new TreeSet<>();
        for (int id : nodeIds) {
            if (id >= 0 && id < next.length && next[id]) {
                next[id] = false;
                removed.add(id);
            }
        }
        cut = next;
        return removed;
    }

    /** The node ids in the cut, ascending. */
    SortedSet<Integer> members() {
        boolean[] c = cut;
        SortedSet<Integer> ids = new TreeSet<>();
        for (int id = 0; id < c.length; id++) {
            if (c[id]) {
                ids.add(id);
            }
        }
        return ids;
    }
}
