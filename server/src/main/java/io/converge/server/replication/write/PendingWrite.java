package io.converge.server.replication.write;

import io.converge.server.cluster.AckTracker;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.replication.core.ConsistencyLevelException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * One write waiting for its consistency level: an {@link AckTracker} per replica set it wrote
 * to, the per-peer sequence numbers whose acknowledgement counts as that peer's ack, a deadline.
 * The future completes (outside the lock) exactly once: with success when every tracker is
 * satisfied, or with a {@link ConsistencyLevelException} on timeout or when the level became
 * impossible.
 */
final class PendingWrite {

    final CompletableFuture<Void> future = new CompletableFuture<>();
    final ConsistencyLevel level;
    final long deadlineMillis;
    /** Per node index, the sequence number this write waits for (0 = none; see {@link DeltaCapture}). */
    final long[] seqByNode;
    private final AckTracker[] trackers;
    private final int localNodeId;
    private final long timeoutMillis;
    private boolean done;

    PendingWrite(ConsistencyLevel level, AckTracker[] trackers, long[] seqByNode, int localNodeId, long nowMillis,
                 long timeoutMillis) {
        this.level = level;
        this.trackers = trackers;
        this.seqByNode = seqByNode;
        this.localNodeId = localNodeId;
        this.timeoutMillis = timeoutMillis;
        this.deadlineMillis = nowMillis + timeoutMillis;
    }

    /** Counts an ack from {@code nodeId}; completes the future when the level is met. */
    void ack(int nodeId) {
        boolean complete;
        synchronized (this) {
            if (done) {
                return;
            }
            boolean all = true;
            for (AckTracker t : trackers) {
                all &= t.ack(nodeId);
            }
            complete = done = all;
        }
        if (complete) {
            future.complete(null);
        }
    }

    /** Records that {@code nodeId} will not ack; fails the future when the level became impossible. */
    void fail(int nodeId, String why) {
        String message = null;
        synchronized (this) {
            if (done) {
                return;
            }
            boolean possible = true;
            for (AckTracker t : trackers) {
                possible &= t.fail(nodeId);
            }
            if (!possible) {
                done = true;
                message = describe("cannot be met: " + why);
            }
        }
        if (message != null) {
            future.completeExceptionally(new ConsistencyLevelException(message));
        }
    }

    /** Fails the future if it is still open (deadline passed, or the node is closing). */
    void expire(String why) {
        String message;
        synchronized (this) {
            if (done) {
                return;
            }
            done = true;
            message = describe(why == null ? "not met within " + timeoutMillis + " ms" : why);
        }
        future.completeExceptionally(new ConsistencyLevelException(message));
    }

    /** Whether the future is complete (or about to be). */
    synchronized boolean isDone() {
        return done;
    }

    /** Whether every tracker is satisfied right now (no ack needed from peers). */
    synchronized boolean satisfied() {
        for (AckTracker t : trackers) {
            if (!t.isSatisfied()) {
                return false;
            }
        }
        return true;
    }

    /** Marks the write done if it is already satisfied; returns whether it is. */
    synchronized boolean completeIfSatisfied() {
        if (!done && satisfied()) {
            done = true;
            return true;
        }
        return false;
    }

    private String describe(String what) {
        StringBuilder sb = new StringBuilder("consistency level ").append(level.name()).append(' ').append(what)
                .append(": ");
        TreeSet<Integer> applied = new TreeSet<>();
        List<String> shortfalls = new ArrayList<>(trackers.length);
        for (AckTracker t : trackers) {
            applied.addAll(t.ackedNodes());
            if (!t.isSatisfied()) {
                String s = t.describeShortfall();
                if (!shortfalls.contains(s)) {
                    shortfalls.add(s);
                }
            }
        }
        sb.append(String.join("; ", shortfalls));
        if (applied.isEmpty()) {
            applied.add(localNodeId);
        }
        return sb.append("; the write was applied on ").append(applied)
                .append(" and will reach the other replicas by anti-entropy").toString();
    }
}
