package io.converge.server.replication;

import io.converge.server.cluster.ConnectionState;
import io.converge.server.replication.antientropy.HashTreeRepair;
import io.converge.server.replication.antientropy.InboundDeltaStats;
import io.converge.server.replication.antientropy.PeerDeltaStats;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of one node's replication state, for INFO {@code replication}/{@code cluster}
 * ({@link ReplicationInfo}) and tests.
 *
 * @param localNodeId      this node
 * @param localDatacenter  its datacenter
 * @param primaryOwnership fraction of the ring whose replica walk starts at this node
 * @param replicaOwnership fraction of the ring this node holds a replica of
 * @param ring             the ring's shape
 * @param nodes            one row per node, ascending by id (this node included)
 * @param counters         request and repair counters since start
 * @param gc               tombstone GC state
 * @param repair           hash-tree repair counters
 * @param repairSessions   the repair sessions running now
 * @param syncPercent      how far this node is in becoming a complete replica after its start
 *                         (100: complete; below, reads at ONE go through complete replicas)
 * @param replicaId        the replica id this node stamps with (node id and incarnation epoch)
 * @param rejoinState      {@code starting} (waiting for its peers to confirm its data directory),
 *                         {@code rebuilding} (discarding its state), or {@code ready}
 * @param rebuilds         times this process discarded its state to rebuild it from its peers
 */
public record ReplicationStats(int localNodeId, String localDatacenter, double primaryOwnership,
                               double replicaOwnership, RingSummary ring, List<NodeRow> nodes, Counters counters,
                               Gc gc, HashTreeRepair.RepairStats repair,
                               List<HashTreeRepair.SessionProgress> repairSessions, int syncPercent,
                               long replicaId, String rejoinState, long rebuilds) {

    /**
     * The ring's shape.
     *
     * @param clusterName  the cluster's name
     * @param replication  replication factor per datacenter, by name
     * @param nodeCount    nodes in the cluster
     * @param virtualNodes tokens per node
     * @param replicaSets  distinct replica sets
     */
    public record RingSummary(String clusterName, Map<String, Integer> replication, int nodeCount, int virtualNodes,
                              int replicaSets) {}

    /**
     * One node as this node sees it. For the local row only the identity fields are meaningful.
     *
     * @param nodeId               the node
     * @param datacenter           its datacenter
     * @param rack                 its rack
     * @param local                whether it is this node
     * @param up                   the failure detector's verdict
     * @param phi                  current suspicion (infinite if never heard)
     * @param millisSinceHeard     since the last heartbeat (-1 if never heard)
     * @param connection           outbound connection state
     * @param outgoing             the delta buffer for it (pending deltas/bytes, oldest unacked age,
     *                             needs-full-sync ...)
     * @param incoming             what was received from it (null before its first batch)
     * @param reportedDeliveredHlc the GC "delivered" stamp it last reported
     * @param reportedHorizonHlc   the GC horizon it last reported
     * @param millisSinceRepair    since the last completed hash-tree repair pass with it (-1: none yet)
     */
    public record NodeRow(int nodeId, String datacenter, String rack, boolean local, boolean up, double phi,
                          long millisSinceHeard, ConnectionState connection, PeerDeltaStats outgoing,
                          InboundDeltaStats incoming, long reportedDeliveredHlc, long reportedHorizonHlc,
                          long millisSinceRepair) {}

    /**
     * Counters since the replicator started.
     *
     * @param writes             replicated writes (commands that produced deltas)
     * @param writesFailed       of those, how many missed their consistency level
     * @param deltasBuffered     local deltas buffered for peers
     * @param quorumReads        reads that asked other replicas
     * @param readsFailed        of those, how many missed their level
     * @param replicasRepaired   stale replica states repaired by reads (one per key and replica)
     * @param localRepairs       local states completed by states read from replicas
     * @param digestChecks       digest checks after sampled reads at ONE
     * @param digestMismatches   of those, how many found a difference (and started a read repair)
     * @param forwardsSent       commands forwarded to a replica
     * @param forwardsFailed     of those, how many got no reply or an error
     * @param forwardsReceived   commands run for other nodes
     * @param duplicateForwards  forwarded commands received twice and not run again
     * @param driftRejections    remote stamps beyond the maximum clock drift (merged, clock not moved)
     * @param corruptStates      malformed states or deltas received (skipped)
     * @param writesRefusedClockAhead client writes refused because this node's clock ran far ahead
     * @param pendingRequests    writes, reads and forwards waiting now
     */
    public record Counters(long writes, long writesFailed, long deltasBuffered, long quorumReads, long readsFailed,
                           long replicasRepaired, long localRepairs, long digestChecks, long digestMismatches,
                           long forwardsSent, long forwardsFailed, long forwardsReceived, long duplicateForwards,
                           long driftRejections, long corruptStates, long writesRefusedClockAhead,
                           long pendingRequests) {}

    /**
     * Tombstone GC state (see {@code GcHorizon}).
     *
     * @param stableHlc          cluster-wide stable stamp: tombstones at or before it are dropped
     * @param deliveredHlc       this node's delivered stamp
     * @param horizonHlc         this node's horizon
     * @param rounds             completed GC rounds
     * @param sweptThroughHlc    stable stamp every partition was swept with
     * @param sweeps             partition sweeps done
     * @param entriesCollected   entries removed entirely by sweeps
     * @param expulsions         peers expelled from the horizon since start (away longer than gc-grace-ms)
     * @param expelled           the peers expelled now (they rebuild before they count again)
     */
    public record Gc(long stableHlc, long deliveredHlc, long horizonHlc, long rounds, long sweptThroughHlc, long sweeps,
                     long entriesCollected, long expulsions, List<Integer> expelled) {}
}
