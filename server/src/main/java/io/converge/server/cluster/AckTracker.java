package io.converge.server.cluster;

import java.util.ArrayList;
import java.util.List;

/**
 * Counts replica acknowledgements for one request and says when its {@link ConsistencyLevel}
 * is met, or can no longer be met. Pure bookkeeping: no timers, no I/O.
 *
 * <p>Acks from nodes that are not replicas and repeated acks from the same replica are
 * ignored, so duplicated network messages cannot inflate the count. A replica reported as
 * failed ({@link #fail}) stops counting towards what is still achievable, which lets the
 * coordinator answer "cannot meet LOCAL_QUORUM" before the timeout. Thread-safe: acks may arrive
 * on several I/O threads at once.
 */
public final class AckTracker {

    private final ConsistencyLevel level;
    private final ReplicaSet replicas;
    private final Topology topology;
    private final int coordinatorDc;
    private final int[] requiredByDc;
    private final int[] ackedByDc;
    private final int[] failedByDc;
    private long ackedMask;
    private long failedMask;
    private int ackCount;
    private int failCount;

    private AckTracker(ConsistencyLevel level, ReplicaSet replicas, Topology topology, int coordinatorDc) {
        this.level = level;
        this.replicas = replicas;
        this.topology = topology;
        this.coordinatorDc = coordinatorDc;
        int dcs = replicas.datacenterCount();
        this.requiredByDc = new int[dcs];
        this.ackedByDc = new int[dcs];
        this.failedByDc = new int[dcs];
        for (int dc = 0; dc < dcs; dc++) {
            requiredByDc[dc] = level.requiredIn(replicas, dc, coordinatorDc);
        }
    }

    /**
     * Starts tracking a request at {@code level} over {@code replicas}, coordinated from datacenter
     * {@code coordinatorDc} of {@code topology} (the topology only names datacenters in messages).
     */
    public static AckTracker start(ConsistencyLevel level, ReplicaSet replicas, Topology topology,
                                   int coordinatorDc) {
        if (coordinatorDc < 0 || coordinatorDc >= replicas.datacenterCount()) {
            throw new IllegalArgumentException("coordinator datacenter index out of range: " + coordinatorDc);
        }
        return new AckTracker(level, replicas, topology, coordinatorDc);
    }

    /** Records an ack from {@code nodeId}; returns whether the level is now satisfied. */
    public synchronized boolean ack(int nodeId) {
        int i = replicas.indexOf(nodeId);
        if (i >= 0 && (ackedMask & (1L << i)) == 0) {
            ackedMask |= 1L << i;
            ackCount++;
            ackedByDc[replicas.datacenterAt(i)]++;
            if ((failedMask & (1L << i)) != 0) {
                // A late ack after a reported failure: the replica did apply it after all.
                failedMask &= ~(1L << i);
                failCount--;
                failedByDc[replicas.datacenterAt(i)]--;
            }
        }
        return isSatisfiedLocked();
    }

    /** Records that {@code nodeId} will not ack (error reply, known down); returns whether success is still possible. */
    public synchronized boolean fail(int nodeId) {
        int i = replicas.indexOf(nodeId);
        if (i >= 0 && (ackedMask & (1L << i)) == 0 && (failedMask & (1L << i)) == 0) {
            failedMask |= 1L << i;
            failCount++;
            failedByDc[replicas.datacenterAt(i)]++;
        }
        return isPossibleLocked();
    }

    /** Whether the received acks satisfy the level. */
    public synchronized boolean isSatisfied() {
        return isSatisfiedLocked();
    }

    /** Whether the level can still be met by replicas that have neither acked nor failed. */
    public synchronized boolean isPossible() {
        return isPossibleLocked();
    }

    private boolean isSatisfiedLocked() {
        if (ackCount < level.requiredAnywhere()) {
            return false;
        }
        for (int dc = 0; dc < requiredByDc.length; dc++) {
            if (ackedByDc[dc] < requiredByDc[dc]) {
                return false;
            }
        }
        return true;
    }

    private boolean isPossibleLocked() {
        if (replicas.size() - failCount < level.requiredAnywhere()) {
            return false;
        }
        for (int dc = 0; dc < requiredByDc.length; dc++) {
            if (replicas.sizeIn(dc) - failedByDc[dc] < requiredByDc[dc]) {
                return false;
            }
        }
        return true;
    }

    /** Number of distinct replicas that acked. */
    public synchronized int ackCount() {
        return ackCount;
    }

    /** Total acks the level blocks for. */
    public int blockFor() {
        return level.blockFor(replicas, coordinatorDc);
    }

    /** The level being tracked. */
    public ConsistencyLevel level() {
        return level;
    }

    /** The replicas being tracked. */
    public ReplicaSet replicas() {
        return replicas;
    }

    /** Node ids that acked, in replica order. */
    public synchronized List<Integer> ackedNodes() {
        List<Integer> nodes = new ArrayList<>(ackCount);
        for (int i = 0; i < replicas.size(); i++) {
            if ((ackedMask & (1L << i)) != 0) {
                nodes.add(replicas.node(i));
            }
        }
        return nodes;
    }

    /** Whether {@code nodeId} has acked. */
    public synchronized boolean hasAcked(int nodeId) {
        int i = replicas.indexOf(nodeId);
        return i >= 0 && (ackedMask & (1L << i)) != 0;
    }

    /**
     * What is missing, for the error a client sees when the level is not met, e.g.
     * {@code "LOCAL_QUORUM needs 2 acks in dc1, got 1 of 3 replicas (acked by: [2])"}.
     */
    public synchronized String describeShortfall() {
        StringBuilder sb = new StringBuilder(level.name()).append(" needs ");
        if (level.requiredAnywhere() > 0) {
            sb.append(level.requiredAnywhere()).append(" ack from any of ").append(replicas.size())
                    .append(" replicas, got ").append(ackCount);
        } else {
            boolean first = true;
            for (int dc = 0; dc < requiredByDc.length; dc++) {
                if (requiredByDc[dc] == 0) {
                    continue;
                }
                if (!first) {
                    sb.append("; ");
                }
                first = false;
                sb.append(requiredByDc[dc]).append(" acks in ").append(topology.datacenterName(dc))
                        .append(", got ").append(ackedByDc[dc]).append(" of ").append(replicas.sizeIn(dc))
                        .append(" replicas");
            }
        }
        return sb.append(" (acked by: ").append(ackedNodes()).append(')').toString();
    }
}
