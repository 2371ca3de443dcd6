package io.converge.server.replication.core;

import io.converge.server.cluster.Clock;
import io.converge.server.cluster.PhiAccrualFailureDetector;

/**
 * Which peers are alive, as the replication parts need to know it: the phi-accrual failure
 * detector fed by heartbeats, with a start-up grace during which a peer never heard from is not
 * yet treated as down (it may be starting too), and each peer's process incarnation as its
 * heartbeats announce it, so a restart of a peer is noticed even when it was too quick for the
 * failure detector, and each peer's wall clock relative to this node's (for refusing writes
 * while this node's clock is far ahead of the others').
 *
 * <p>Thread-safe: heartbeats arrive on I/O threads, checks come from every part.
 */
public final class PeerLiveness {

    /**
     * Heartbeats the clock-offset estimate looks back over: about 4 s at one a second, so a clock
     * that jumps is noticed within that, while one heartbeat delayed by a busy machine is not
     * taken for a jump.
     */
    private static final int OFFSET_SAMPLES = 4;

    private final int self;
    private final Clock clock;
    private final java.util.function.LongSupplier wallMillis;
    private final PhiAccrualFailureDetector detector;
    private final long graceMillis;
    private final long[] incarnations;
    /**
     * Per node id: the sender's wall clock minus this node's when its heartbeat arrived, for the
     * last {@link #OFFSET_SAMPLES} heartbeats. A sample understates the true offset by the
     * heartbeat's delay (a busy machine delays some by seconds), so the estimate is the largest
     * sample: the least delayed heartbeat, as NTP prefers its fastest exchange.
     */
    private final long[][] offsetSamples;
    private final int[] offsetCount;
    /**
     * Per node id: the highest HLC the heartbeats of its latest known process carried, the highest
     * of its earlier processes, and when this node last heard from it.
     */
    private final long[] maxHlc;
    private final long[] priorMaxHlc;
    private final long[] lastHeardMillis;
    private volatile long startMillis;

    /**
     * Liveness as seen by node {@code self} of a cluster whose largest node id is {@code maxNodeId};
     * {@code clock} times heartbeats, {@code wallMillis} is this node's wall clock (compared with
     * the peers' wall clocks their heartbeats carry).
     */
    public PeerLiveness(int self, int maxNodeId, Clock clock, java.util.function.LongSupplier wallMillis,
                        PhiAccrualFailureDetector.Settings settings, long failFastGraceMillis) {
        this.self = self;
        this.clock = clock;
        this.wallMillis = wallMillis;
        this.detector = new PhiAccrualFailureDetector(clock, settings);
        this.graceMillis = failFastGraceMillis;
        this.incarnations = new long[maxNodeId + 1];
        this.offsetSamples = new long[maxNodeId + 1][OFFSET_SAMPLES];
        this.offsetCount = new int[maxNodeId + 1];
        this.maxHlc = new long[maxNodeId + 1];
        this.priorMaxHlc = new long[maxNodeId + 1];
        this.lastHeardMillis = new long[maxNodeId + 1];
        this.startMillis = clock.nowMillis();
    }

    /** Marks the start of the node's replication (the grace period starts now). */
    public void started() {
        startMillis = clock.nowMillis();
    }

    /**
     * Records a heartbeat of {@code nodeId} from its process incarnation {@code incarnation}, sent
     * when its wall clock read {@code sentAtMillis} and its HLC {@code hlc}; returns true when it
     * comes from a newer incarnation than the one known (the peer restarted since its last
     * heartbeat; false for its first one).
     */
    public boolean heartbeat(int nodeId, long incarnation, long sentAtMillis, long hlc) {
        detector.heartbeat(nodeId);
        synchronized (incarnations) {
            lastHeardMillis[nodeId] = clock.nowMillis();
            offsetSamples[nodeId][offsetCount[nodeId]++ % OFFSET_SAMPLES] = sentAtMillis - wallMillis.getAsLong();
            long known = incarnations[nodeId];
            if (incarnation < known) {
                priorMaxHlc[nodeId] = Math.max(priorMaxHlc[nodeId], hlc); // a late one of an earlier process
                return false;
            }
            if (incarnation > known) {
                priorMaxHlc[nodeId] = Math.max(priorMaxHlc[nodeId], maxHlc[nodeId]);
                maxHlc[nodeId] = hlc;
                incarnations[nodeId] = incarnation;
                return known != 0;
            }
            maxHlc[nodeId] = Math.max(maxHlc[nodeId], hlc);
            return false;
        }
    }

    /**
     * The peers, among those up, whose wall clock is behind this node's by more than
     * {@code maxDriftMillis} (by their last heartbeat), when they are at least half of the peers
     * up: then it is this node's clock that is off (far ahead), and its writes would win every
     * last-writer-wins conflict until real time caught up. Empty otherwise.
     */
    public java.util.List<Integer> clockAheadOf(int[] peers, long maxDriftMillis) {
        java.util.List<Integer> behind = new java.util.ArrayList<>();
        int up = 0;
        synchronized (incarnations) {
            for (int peer : peers) {
                if (!isUp(peer) || offsetCount[peer] == 0) {
                    continue;
                }
                up++;
                if (-offset(peer) > maxDriftMillis) {
                    behind.add(peer);
                }
            }
        }
        return !behind.isEmpty() && 2 * behind.size() >= up ? behind : java.util.List.of();
    }

    /** How far this node's wall clock is ahead of {@code nodeId}'s, by its last heartbeat (0 if unknown). */
    public long clockAheadMillis(int nodeId) {
        synchronized (incarnations) {
            return offsetCount[nodeId] == 0 ? 0 : -offset(nodeId);
        }
    }

    /** The estimated offset of {@code nodeId}'s clock (lock held; at least one sample). */
    private long offset(int nodeId) {
        long best = Long.MIN_VALUE;
        for (int i = 0, n = Math.min(offsetCount[nodeId], OFFSET_SAMPLES); i < n; i++) {
            best = Math.max(best, offsetSamples[nodeId][i]);
        }
        return best;
    }

    /**
     * The highest HLC heard (since this node started) from the processes of {@code nodeId} before
     * its latest known one (0: none): what a restarted peer's data directory must reach, or it
     * lost something.
     */
    public long priorMaxHlc(int nodeId) {
        synchronized (incarnations) {
            return priorMaxHlc[nodeId];
        }
    }

    /** Milliseconds since this node last heard from {@code nodeId}, or since it started when never. */
    public long millisSinceHeard(int nodeId, long nowMillis) {
        synchronized (incarnations) {
            long last = lastHeardMillis[nodeId];
            return nowMillis - (last == 0 ? startMillis : last);
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
