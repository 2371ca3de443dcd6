package io.converge.server.replication.antientropy;

import io.converge.server.keyspace.LeafLayout;
import java.util.Arrays;

/**
 * The leaves of the token space in which one peer may lack something this node wrote: where
 * deltas meant for it were dropped (its delta buffer overflowed), or everywhere after this node
 * restarted (the deltas waiting in its lost buffers are gone). Hash-tree repair with that peer
 * over these leaves pays the debt; until then the peer is reported as {@code needs_full_sync}
 * and tombstone GC waits (a delete among the dropped deltas must reach it first).
 *
 * <p><b>Generations.</b> Every marking gets a new generation number. A repair pass notes the
 * generation when it starts and, once done, clears only the leaves marked at or before it: a
 * delta dropped while the pass was running may have missed it, so its leaf stays marked for the
 * next pass.
 *
 * <p>Thread-safe (marks come from write paths, clears from the repair part).
 */
public final class RepairDebt {

    private final LeafLayout layout;
    /** The leaves the peer shares with this node, ascending. */
    private final int[] shared;
    /** Per leaf: generation of the latest mark, 0 when not marked. */
    private final long[] markedAt;
    private long generation;
    private int marked;
    private long markings;

    /**
     * The debt of one peer over the leaves of {@code layout} it shares with this node
     * ({@code shared}, ascending); a null layout stands for one leaf holding everything (tests).
     */
    public RepairDebt(LeafLayout layout, int[] shared) {
        this.layout = layout;
        this.markedAt = new long[layout == null ? 1 : layout.leafCount()];
        this.shared = layout == null ? new int[] {0} : shared.clone();
    }

    /** A debt with no leaf layout: one leaf for everything (tests of the delta buffers). */
    public static RepairDebt untracked() {
        return new RepairDebt(null, null);
    }

    /** Marks the leaf of {@code key} (its delta to the peer was dropped). */
    public synchronized void markKey(byte[] key) {
        mark(layout == null ? 0 : layout.leafOfKey(key), ++generation);
    }

    /** Marks the leaves of {@code keys} with one generation (a buffer overflow). */
    public synchronized void markKeys(Iterable<byte[]> keys) {
        long g = ++generation;
        for (byte[] key : keys) {
            mark(layout == null ? 0 : layout.leafOfKey(key), g);
        }
    }

    /** Marks every shared leaf (this node restarted: whatever was buffered for the peer is lost). */
    public synchronized void markAll() {
        long g = ++generation;
        for (int leaf : shared) {
            mark(leaf, g);
        }
    }

    /** The leaves this peer shares with this node, ascending (a copy). */
    public int[] sharedLeaves() {
        return shared.clone();
    }

    private void mark(int leaf, long g) {
        if (markedAt[leaf] == 0) {
            marked++;
        }
        markedAt[leaf] = g;
        markings++;
    }

    /** Whether nothing is owed. */
    public synchronized boolean isEmpty() {
        return marked == 0;
    }

    /** Number of marked leaves. */
    public synchronized int markedLeaves() {
        return marked;
    }

    /** Times leaves were marked (INFO). */
    public synchronized long markings() {
        return markings;
    }

    /** The current generation (note it when a repair pass starts). */
    public synchronized long generation() {
        return generation;
    }

    /** The marked leaves among {@code candidates} (ascending), ascending. */
    public synchronized int[] markedAmong(int[] candidates) {
        int[] out = new int[candidates.length];
        int n = 0;
        for (int leaf : candidates) {
            if (markedAt[leaf] != 0) {
                out[n++] = leaf;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Clears the leaves of {@code leaves} marked at or before generation {@code upTo}. */
    public synchronized void clear(int[] leaves, long upTo) {
        for (int leaf : leaves) {
            long g = markedAt[leaf];
            if (g != 0 && g <= upTo) {
                markedAt[leaf] = 0;
                marked--;
            }
        }
    }

    /** Clears every leaf marked at or before generation {@code upTo} (a completed full pass). */
    public synchronized void clearAll(long upTo) {
        clear(shared, upTo);
    }
}
