package io.converge.server.replication;

import static io.converge.server.replication.Clusters.await;
import static io.converge.server.replication.Clusters.bytes;
import static io.converge.server.replication.Clusters.get;
import static io.converge.server.replication.Clusters.set;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.crdt.KeyState;
import io.converge.crdt.codec.CrdtCodecException;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.wire.PeerCodec;
import io.converge.server.cluster.wire.PeerMessage;
import io.converge.server.replication.core.StampedState;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The small parts: stamped states, the GC status message, INFO replication and cluster (through a
 * client's INFO command), clock drift on the delta path.
 */
class ReplicationPiecesTest {

    @Test
    void stampedStatesRoundTripAndRejectMalformedBytes() {
        KeyState state = new KeyState();
        state.setString(bytes("v"), 0, 123_456L << 16, 7);
        byte[] encoded = StampedState.encode(state, 999L << 16);
        assertThat(StampedState.stamp(encoded)).isEqualTo(999L << 16);
        assertThat(StampedState.decode(encoded)).isEqualTo(state);
        assertThatThrownBy(() -> StampedState.decode(new byte[3])).isInstanceOf(CrdtCodecException.class);
        assertThatThrownBy(() -> StampedState.stamp(new byte[7])).isInstanceOf(CrdtCodecException.class);
        byte[] trailing = Arrays.copyOf(encoded, encoded.length + 1);
        assertThatThrownBy(() -> StampedState.decode(trailing)).isInstanceOf(CrdtCodecException.class);
    }

    @Test
    void theGcStatusMessageRoundTripsThroughThePeerCodec() {
        PeerMessage.GcStatus status = new PeerMessage.GcStatus(0x0123456789ABL, 42, 3, 4, 5, 6, 7);
        PeerMessage decoded = PeerCodec.decodeFrame(PeerCodec.encodeToBytes(status), PeerCodec.DEFAULT_MAX_FRAME_BYTES);
        assertThat(decoded).isEqualTo(status);
    }

    @Test
    void infoShowsTheRingNodesPeersGcAndRepair() {
        SimCluster c = Clusters.threeNodes(41);
        await(c, set(c.node(1), "k", "v", ConsistencyLevel.ALL));
        c.network.runFor(2_000);
        String text = await(c, c.node(1).command("INFO", "replication"));
        assertThat(text)
                .contains("# Replication\r\nrole:master\r\n")
                .contains("replicated_writes:1\r\n")
                .contains("peer2:dc=dc1,rack=rack2,up=1,phi=")
                .contains(",pending_deltas=0,pending_bytes=0,in_flight=0,oldest_unacked_ms=0,acked_seq=1,last_seq=1,"
                        + "needs_full_sync=0")
                .contains("peers_needing_full_sync:0\r\n")
                .contains("tombstone_gc_rounds:")
                .contains("read_repair_digest_checks:")
                .containsPattern("repair_sessions_completed:[1-9]")
                .contains("repair_leaves_owed:0\r\n")
                .containsPattern("last_repair_ms_ago=[0-9]+");
        String cluster = await(c, c.node(1).command("INFO", "cluster"));
        assertThat(cluster)
                .contains("# Cluster\r\ncluster_enabled:0\r\n")
                .contains("cluster_name:sim\r\n")
                .contains("cluster_replication:dc1=3\r\n")
                .contains("local_replica_ownership:1.00\r\n")
                .contains("node1:dc=dc1,rack=rack1,self=1,up=1\r\n")
                .contains("node3:dc=dc1,rack=rack3,self=0,up=1,phi=");
    }

    @Test
    void aRestartedNodeOwesEveryPeerARepairPassAndInfoSaysSoUntilItIsDone() {
        SimCluster c = Clusters.threeNodes(44);
        await(c, set(c.node(2), "k", "v", ConsistencyLevel.ALL));
        c.crash(2);
        c.network.runFor(300);
        c.restart(2);
        assertThat(await(c, c.node(2).command("INFO", "replication"))).contains("peers_needing_full_sync:2\r\n")
                .contains("needs_full_sync=1");
        assertThat(c.runUntil(c::quiescent, 50, 10_000)).isTrue();
        assertThat(await(c, c.node(2).command("INFO", "replication"))).contains("peers_needing_full_sync:0\r\n")
                .contains("repair_leaves_owed:0\r\n");
    }

    @Test
    void aDeltaStampedBeyondTheMaximumDriftIsMergedAndCountedButDoesNotMoveTheClock() {
        SimCluster c = Clusters.threeNodes(42);
        c.network.setClockSkew(1, 5_000);
        set(c.node(1), "k", "from the future", ConsistencyLevel.ONE);
        c.network.runFor(10);
        assertThat(get(c.node(2), "k")).isEqualTo("from the future");
        assertThat(c.node(2).replicator.stats().counters().driftRejections()).isEqualTo(1);
        assertThat(c.node(2).engine.clock().driftRejections()).isEqualTo(1);
        long physical2 = SimCluster.WALL_BASE + c.network.clock().nowMillis();
        assertThat(c.node(2).engine.clock().current() >>> 16).isLessThanOrEqualTo(physical2);
    }

    @Test
    void aRemoteDeleteAheadOfTheLocalClockDoesNotSwallowTheNextLocalWrite() {
        SimCluster c = Clusters.threeNodes(43);
        c.network.setClockSkew(1, 500); // within the maximum drift
        await(c, set(c.node(1), "k", "old", ConsistencyLevel.ALL));
        await(c, Clusters.del(c.node(1), "k", ConsistencyLevel.ALL));
        await(c, set(c.node(2), "k", "new", ConsistencyLevel.ALL)); // node 2's wall clock is 500 ms behind
        for (SimCluster.Node n : c.nodes.values()) {
            assertThat(get(n, "k")).isEqualTo("new");
        }
    }
}
