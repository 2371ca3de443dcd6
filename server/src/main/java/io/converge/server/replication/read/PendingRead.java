package io.converge.server.replication.read;

import io.converge.crdt.KeyState;
import io.converge.server.cluster.AckTracker;
import io.converge.server.cluster.ConsistencyLevel;
import java.util.concurrent.CompletableFuture;

/**
 * A quorum read waiting for replica states: which peers were asked for which keys, who replied,
 * which replied states were stale (to repair when the read finishes), and, for keys this node
 * does not replicate, the states merged so far. {@link ReadRepair} does the merging; this
 * class keeps the bookkeeping consistent under its lock.
 */
final class PendingRead {

    final long requestId;
    final ConsistencyLevel level;
    final long deadlineMillis;
    final byte[][] keys;
    /** Whether this node replicates key {@code i} (its engine is read and repaired). */
    final boolean[] localKey;
    final AckTracker[] trackerOfKey;
    final AckTracker[] trackers;
    /** Peers asked, and per peer the indexes (into {@link #keys}) sent to it, in order. */
    final int[] peers;
    final int[][] keysOfPeer;
    final CompletableFuture<ReadResult> future = new CompletableFuture<>();

    private final boolean[] replied;
    /** Per peer, per position in its key list: its state lacked something the local engine has. */
    private final boolean[][] stale;
    /** Merged states of non-local keys (null until a replica returns one). */
    private final KeyState[] merged;
    private int outstanding;
    private boolean completed;
    private boolean finished;

    PendingRead(long requestId, ConsistencyLevel level, long deadlineMillis, byte[][] keys, boolean[] localKey,
                AckTracker[] trackerOfKey, AckTracker[] trackers, int[] peers, int[][] keysOfPeer) {
        this.requestId = requestId;
        this.level = level;
        this.deadlineMillis = deadlineMillis;
        this.keys = keys;
        this.localKey = localKey;
        this.trackerOfKey = trackerOfKey;
        this.trackers = trackers;
        this.peers = peers;
        this.keysOfPeer = keysOfPeer;
        this.replied = new boolean[peers.length];
        this.stale = new boolean[peers.length][];
        this.merged = new KeyState[keys.length];
        this.outstanding = peers.length;
    }

    /** Index of {@code peerId} among the peers asked, or -1. */
    int peerIndex(int peerId) {
        for (int i = 0; i < peers.length; i++) {
            if (peers[i] == peerId) {
                return i;
            }
        }
        return -1;
    }

    /** Claims the reply of peer {@code p}; false for a duplicate or a finished read. */
    synchronized boolean claimReply(int p) {
        if (finished || replied[p]) {
            return false;
        }
        replied[p] = true;
        return true;
    }

    /** Marks the state peer {@code p} returned for its {@code j}-th key as stale (repair it). */
    synchronized void markStale(int p, int j) {
        if (stale[p] == null) {
            stale[p] = new boolean[keysOfPeer[p].length];
        }
        stale[p][j] = true;
    }

    /**
     * The local state of key {@code i} just grew with what peer {@code except} returned: every
     * other peer that already replied for it returned at most the old local state, so it now
     * lacks something (it is stale).
     */
    synchronized void localChanged(int i, int except) {
        for (int q = 0; q < peers.length; q++) {
            if (q == except || !replied[q]) {
                continue;
            }
            int[] ks = keysOfPeer[q];
            for (int j = 0; j < ks.length; j++) {
                if (ks[j] == i) {
                    markStale(q, j);
                }
            }
        }
    }

    /** Whether peer {@code p}'s {@code j}-th key is to be repaired. */
    synchronized boolean isStale(int p, int j) {
        return stale[p] != null && stale[p][j];
    }

    /** Joins a remote state of non-local key {@code i} into the merged result. */
    synchronized void mergeRemote(int i, KeyState remote) {
        if (merged[i] == null) {
            merged[i] = remote;
        } else {
            merged[i].merge(remote);
        }
    }

    /**
     * Counts peer {@code p}'s reply towards the level; returns the result to complete the future
     * with when the level is met by this reply (null otherwise).
     */
    synchronized ReadResult replyCounted(int p, int peerId) {
        outstanding--;
        for (int j = 0; j < keysOfPeer[p].length; j++) {
            trackerOfKey[keysOfPeer[p][j]].ack(peerId);
        }
        if (completed || !allSatisfied()) {
            return null;
        }
        completed = true;
        return result();
    }

    /** Whether every peer has replied (the read can finish now). */
    synchronized boolean allReplied() {
        return outstanding == 0;
    }

    /** Records that {@code peerId} will not reply; returns false when the level became impossible. */
    synchronized boolean peerFailed(int peerId) {
        boolean possible = true;
        for (AckTracker t : trackers) {
            possible &= t.fail(peerId);
        }
        return possible;
    }

    /** Marks the read finished; returns false if it already was. */
    synchronized boolean finish() {
        if (finished) {
            return false;
        }
        finished = true;
        return true;
    }

    /** Whether the future was completed successfully (the level was met). */
    synchronized boolean isCompleted() {
        return completed;
    }

    /** Marks the read completed without success; returns false if it was already completed. */
    synchronized boolean claimFailure() {
        if (completed) {
            return false;
        }
        completed = true;
        return true;
    }

    /** Whether the read finished. */
    synchronized boolean isFinished() {
        return finished;
    }

    /** Whether every tracker is satisfied. */
    synchronized boolean allSatisfied() {
        for (AckTracker t : trackers) {
            if (!t.isSatisfied()) {
                return false;
            }
        }
        return true;
    }

    private ReadResult result() {
        boolean anyRemote = false;
        for (boolean local : localKey) {
            anyRemote |= !local;
        }
        if (!anyRemote) {
            return ReadResult.LOCAL;
        }
        KeyState[] states = new KeyState[keys.length];
        for (int i = 0; i < keys.length; i++) {
            states[i] = localKey[i] || merged[i] == null ? null : merged[i].copy();
        }
        return new ReadResult(states);
    }

    /** The client-facing error text for a read that missed its level. */
    synchronized String describeShortfall(String what) {
        StringBuilder sb = new StringBuilder("consistency level ").append(level.name()).append(' ').append(what)
                .append(": ");
        boolean first = true;
        for (AckTracker t : trackers) {
            if (!t.isSatisfied()) {
                if (!first) {
                    sb.append("; ");
                }
                first = false;
                sb.append(t.describeShortfall().replace("acks", "replies").replace(" ack ", " reply ")
                        .replace("acked by", "replied"));
            }
        }
        return sb.append("; the read was not answered").toString();
    }
}
