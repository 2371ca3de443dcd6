package io.converge.server.replication.core;

import io.converge.server.cluster.Clock;
import io.converge.server.cluster.PhiAccrualFailureDetector;

/**
 * Which peers are alive, as the replication parts need to know it: the phi-accrual failure
 * detector fed by heartbeats, with a start-up grace during which a peer never heard from is not
 * yet treated as down (it may be starting too), and each peer's process incarnation as its
 * heartbeats announce it, so a restart of a peer is noticed even when it was too quick for the
 * failure detector.
 *
 * <p>Thread-safe: heartbeats arrive on I/O threads, checks come from every part.
 */
public final class PeerLiveness {

    private final int self;
    private final Clock clock;
    private final PhiAccrualFailureDetector detector;
    private final long graceMillis;
    private final long[] incarnations;
    private volatile long startMillis;

    /** Liveness as seen by node {@code self} of a cluster whose largest node id is {@code maxNodeId}. */
    public PeerLiveness(int self, int maxNodeId, Clock clock, PhiAccrualFailureDetector.Settings settings,
                        long failFastGraceMillis) {
        this.self = self;
        this.clock = clock;
        this.detector = new PhiAccrualFailureDetector(clock, settings);
        this.graceMillis = failFastGraceMillis;
        this.incarnations = new long[maxNodeId + 1];
        this.startMillis = clock.nowMillis();
    }

    /** Marks the start of the node's replication (the grace period starts now). */
    public void started() {
        startMillis = clock.nowMillis();
    }

    /**
     * Records a heartbeat of {@code nodeId} from its process incarnation {@code incarnation};
     * returns true when it comes from a newer incarnation than the one known (the peer restarted
     * since its last heartbeat; false for its first one).
     */
    public boolean heartbeat(int nodeId, long incarnation) {
        detector.heartbeat(nodeId);
        synchronized (incarnations) {
            long known = incarnations[nodeId];
            if (incarnation > known) {
                incarnations[nodeId] = incarnation;
                return known != 0;
            }
            return false;
        }
    }

    /** The latest incarnation heard from {@code nodeId} (0: none yet). */
    public long incarnationOf(int nodeId) {
        synchronized (incarnations) {
            return incarnations[nodeId];
        }
    }

    /** Whether the failure detector considers {@code nodeId} up (this node always is). */
    public boolean isUp(int nodeId) {
        return nodeId == self || detector.isAvailable(nodeId);
    }

    /**
     * Whether {@code nodeId} counts as down for failing a request at once rather than at its
     * timeout: suspected by the detector, and (if never heard from) past the start-up grace.
     */
    public boolean isKnownDown(int nodeId, long nowMillis) {
        if (nodeId == self) {
            return false;
        }
        double phi = detector.phi(nodeId);
        if (phi < detector.settings().threshold()) {
            return false;
        }
        return !Double.isInfinite(phi) || nowMillis - startMillis >= graceMillis;
    }

    /** The failure detector (INFO, tests). */
    public PhiAccrualFailureDetector detector() {
        return detector;
    }
}
