package io.converge.server.replication;

import io.converge.crdt.Hlc;
import io.converge.server.cluster.ConnectionState;
import io.converge.server.node.InfoBuilder;
import io.converge.server.node.InfoRegistry;
import io.converge.server.replication.antientropy.HashTreeRepair;
import io.converge.server.replication.antientropy.InboundDeltaStats;
import io.converge.server.replication.antientropy.PeerDeltaStats;
import java.util.Locale;
import java.util.Map;
import io.converge.server.store.ReplicaIdentity;

/**
 * The INFO {@code replication} and {@code cluster} sections of a clustered node, rendered from
 * {@link Replicator#stats()}.
 *
 * <p>{@code replication}: {@code role:master} (every Converge node takes writes), request and
 * repair counters, tombstone GC, and one line per peer with its delta buffer, e.g.
 * {@code peer2:dc=dc1,rack=rack2,up=1,phi=0.31,connection=connected,pending_deltas=0,
 * pending_bytes=0,in_flight=0,oldest_unacked_ms=0,acked_seq=812,last_seq=812,needs_full_sync=0,...}.
 *
 * <p>{@code cluster}: {@code cluster_enabled:0} (this is not Redis Cluster: clients must not try
 * CLUSTER SLOTS; any node serves any key), then the ring (name, datacenters with replication
 * factors, virtual nodes, replica sets, this node's share) and one line per node with the failure
 * detector's view.
 */
public final class ReplicationInfo {

    private ReplicationInfo() {}

    /** Adds the two sections' contributors for {@code replicator} to {@code info}. */
    public static void register(Replicator replicator, InfoRegistry info) {
        info.add("replication", out -> writeReplication(replicator.stats(), out));
        info.add("cluster", out -> writeCluster(replicator.stats(), out));
    }

    /** Writes the replication section's fields. */
    static void writeReplication(ReplicationStats s, InfoBuilder out) {
        ReplicationStats.Counters c = s.counters();
        ReplicationStats.Gc gc = s.gc();
        out.field("role", "master")
                .field("converge_replication", "delta-state")
                .field("sync_state", s.syncPercent() >= 100 ? "complete" : "syncing")
                .field("sync_percent", s.syncPercent())
                .field("replica_id", s.replicaId())
                .field("replica_epoch", ReplicaIdentity.epochOf(s.replicaId()))
                .field("rejoin_state", s.rejoinState())
                .field("rebuilds", s.rebuilds())
                .field("connected_peers", countConnected(s))
                .field("peers_up", countUp(s))
                .field("replicated_writes", c.writes())
                .field("replicated_writes_failed_level", c.writesFailed())
                .field("deltas_buffered", c.deltasBuffered())
                .field("quorum_reads", c.quorumReads())
                .field("quorum_reads_failed_level", c.readsFailed())
                .field("read_repair_replicas_repaired", c.replicasRepaired())
                .field("read_repair_local_merges", c.localRepairs())
                .field("read_repair_digest_checks", c.digestChecks())
                .field("read_repair_digest_mismatches", c.digestMismatches())
                .field("forwarded_commands_sent", c.forwardsSent())
                .field("forwarded_commands_failed", c.forwardsFailed())
                .field("forwarded_commands_received", c.forwardsReceived())
                .field("forwarded_duplicates_ignored", c.duplicateForwards())
                .field("clock_drift_rejections", c.driftRejections())
                .field("corrupt_states_received", c.corruptStates())
                .field("writes_refused_clock_ahead", c.writesRefusedClockAhead())
                .field("pending_requests", c.pendingRequests())
                .field("tombstone_stable_hlc", Hlc.toString(gc.stableHlc()))
                // How far the GC horizon trails the wall clock (-1: nothing is stable yet):
                // tombstones younger than this are kept; a growing lag means a peer holds it back.
                .field("tombstone_stable_lag_ms", gc.stableHlc() == 0 ? -1
                        : Math.max(0, System.currentTimeMillis() - Hlc.physical(gc.stableHlc())))
                .field("tombstone_delivered_hlc", Hlc.toString(gc.deliveredHlc()))
                .field("tombstone_horizon_hlc", Hlc.toString(gc.horizonHlc()))
                .field("tombstone_gc_rounds", gc.rounds())
                .field("tombstone_swept_through_hlc", Hlc.toString(gc.sweptThroughHlc()))
                .field("tombstone_sweeps", gc.sweeps())
                .field("tombstone_entries_collected", gc.entriesCollected())
                .field("gc_expulsions", gc.expulsions())
                .field("gc_expelled_nodes", gc.expelled().isEmpty() ? "none" : gc.expelled().stream()
                        .map(String::valueOf).collect(java.util.stream.Collectors.joining(",")));
        long pending = 0;
        long pendingBytes = 0;
        long oldest = 0;
        int fullSync = 0;
        for (ReplicationStats.NodeRow n : s.nodes()) {
            if (n.local()) {
                continue;
            }
            PeerDeltaStats o = n.outgoing();
            InboundDeltaStats in = n.incoming();
            pending += o.pendingCount();
            pendingBytes += o.pendingBytes();
            oldest = Math.max(oldest, o.oldestUnackedAgeMillis());
            fullSync += o.needsFullSync() ? 1 : 0;
            out.field("peer" + n.nodeId(), "dc=" + n.datacenter() + ",rack=" + n.rack() + ",up=" + (n.up() ? 1 : 0)
                    + ",phi=" + phi(n.phi()) + ",connection=" + n.connection().name().toLowerCase(Locale.ROOT)
                    + ",pending_deltas=" + o.pendingCount() + ",pending_bytes=" + o.pendingBytes()
                    + ",in_flight=" + o.inFlightCount() + ",oldest_unacked_ms=" + o.oldestUnackedAgeMillis()
                    + ",acked_seq=" + o.ackedSeq() + ",last_seq=" + o.lastSeq()
                    + ",needs_full_sync=" + (o.needsFullSync() ? 1 : 0) + ",resends=" + o.resends()
                    + ",overflows=" + o.overflows() + ",dropped_deltas=" + o.droppedDeltas()
                    + ",received_applied=" + (in == null ? 0 : in.accepted())
                    + ",received_duplicates=" + (in == null ? 0 : in.duplicates())
                    + ",last_repair_ms_ago=" + n.millisSinceRepair());
        }
        out.field("pending_deltas", pending)
                .field("pending_delta_bytes", pendingBytes)
                .field("oldest_unacked_delta_ms", oldest)
                .field("peers_needing_full_sync", fullSync);
        writeRepair(s, out);
    }

    /** The hash-tree repair lines: counters, then one line per running session with its progress. */
    private static void writeRepair(ReplicationStats s, InfoBuilder out) {
        HashTreeRepair.RepairStats r = s.repair();
        out.field("repair_sessions_running", r.sessionsRunning())
                .field("repair_sessions_started", r.sessionsStarted())
                .field("repair_sessions_completed", r.sessionsCompleted())
                .field("repair_sessions_failed", r.sessionsFailed())
                .field("repair_leaves_compared", r.leavesCompared())
                .field("repair_leaves_differing", r.leavesDiffering())
                .field("repair_leaves_skipped_busy", r.leavesSkippedBusy())
                .field("repair_keys_sent", r.keysSent())
                .field("repair_keys_received", r.keysReceived())
                .field("repair_bytes_sent", r.bytesSent())
                .field("repair_bytes_received", r.bytesReceived())
                .field("repair_leaves_owed", r.leavesOwed());
        for (HashTreeRepair.SessionProgress p : s.repairSessions()) {
            out.field("repair_session" + p.sessionId(), describe(p));
        }
    }

    /** One running session: {@code peer=2,kind=debt,leaves_done=...,leaves=...,percent=...,bytes=...,rate_bps=...,eta_ms=...}. */
    public static String describe(HashTreeRepair.SessionProgress p) {
        double fraction = p.leaves() == 0 ? 1 : (double) p.leavesDone() / p.leaves();
        long rate = p.elapsedMillis() <= 0 ? 0 : p.bytes() * 1000 / p.elapsedMillis();
        long eta = fraction <= 0 ? -1 : (long) (p.elapsedMillis() * (1 - fraction) / fraction);
        return "peer=" + p.peer() + ",kind=" + p.kind().name().toLowerCase(Locale.ROOT) + ",leaves_done="
                + p.leavesDone() + ",leaves=" + p.leaves() + ",percent="
                + String.format(Locale.ROOT, "%.1f", 100 * fraction) + ",leaves_differing=" + p.leavesDiffering()
                + ",keys=" + p.keys() + ",bytes=" + p.bytes() + ",rate_bps=" + rate + ",elapsed_ms="
                + p.elapsedMillis() + ",eta_ms=" + eta;
    }

    /** Writes the cluster section's fields. */
    static void writeCluster(ReplicationStats s, InfoBuilder out) {
        ReplicationStats.RingSummary r = s.ring();
        StringBuilder dcs = new StringBuilder();
        for (Map.Entry<String, Integer> e : r.replication().entrySet()) {
            if (!dcs.isEmpty()) {
                dcs.append(',');
            }
            dcs.append(e.getKey()).append('=').append(e.getValue());
        }
        out.field("cluster_enabled", 0)
                .field("converge_cluster", 1)
                .field("cluster_name", r.clusterName())
                .field("cluster_nodes", r.nodeCount())
                .field("cluster_replication", dcs.toString())
                .field("cluster_virtual_nodes", r.virtualNodes())
                .field("cluster_replica_sets", r.replicaSets())
                .field("local_node_id", s.localNodeId())
                .field("local_datacenter", s.localDatacenter())
                .field("local_primary_ownership", s.primaryOwnership())
                .field("local_replica_ownership", s.replicaOwnership());
        for (ReplicationStats.NodeRow n : s.nodes()) {
            out.field("node" + n.nodeId(), "dc=" + n.datacenter() + ",rack=" + n.rack()
                    + (n.local() ? ",self=1,up=1" : ",self=0,up=" + (n.up() ? 1 : 0) + ",phi=" + phi(n.phi())
                    + ",last_heard_ms=" + n.millisSinceHeard()
                    + ",connection=" + n.connection().name().toLowerCase(Locale.ROOT)));
        }
    }

    private static int countUp(ReplicationStats s) {
        int up = 0;
        for (ReplicationStats.NodeRow n : s.nodes()) {
            up += !n.local() && n.up() ? 1 : 0;
        }
        return up;
    }

    private static int countConnected(ReplicationStats s) {
        int connected = 0;
        for (ReplicationStats.NodeRow n : s.nodes()) {
            connected += !n.local() && n.connection() == ConnectionState.CONNECTED ? 1 : 0;
        }
        return connected;
    }

    private static String phi(double phi) {
        return Double.isInfinite(phi) ? "inf" : String.format(Locale.ROOT, "%.2f", phi);
    }
}
