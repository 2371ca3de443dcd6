package io.converge.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.crdt.PhysicalClock;
import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.Ring;
import io.converge.server.cluster.sim.NetworkConditions;
import io.converge.server.cluster.sim.SimulatedNetwork;
import io.converge.server.replication.ReplicationSettings;
import io.converge.server.replication.Replicator;
import io.converge.server.replication.core.ReplicaStore;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Replica ids are longs whose low 16 bits are the cluster node id: an id carrying an epoch in its
 * high bits stamps writes as itself and is accepted as the replica of its cluster node.
 */
class ReplicaIdsTest {

    private static final long EPOCH = 1_700_000_000_000L;

    private static EmbeddedEngine engine(long replicaId) {
        return new EmbeddedEngine(EngineSettings.of(replicaId, PhysicalClock.SYSTEM));
    }

    @Test
    void theClusterNodeIdIsTheLow16Bits() {
        assertThat(NodeIds.nodeOf(7)).isEqualTo(7);
        assertThat(NodeIds.nodeOf(0xFFFF)).isEqualTo(0xFFFF);
        assertThat(NodeIds.nodeOf(EPOCH << 16 | 7)).isEqualTo(7);
        assertThat(NodeIds.nodeOf(NodeIds.replicaId("3"))).isEqualTo(3);
    }

    @Test
    void anEngineStampsWithItsWholeReplicaId() {
        long id = EPOCH << 16 | 2;
        EmbeddedEngine engine = engine(id);
        byte[] key = "k".getBytes(StandardCharsets.UTF_8);
        engine.withKey(key, a -> {
            assertThat(a.node()).isEqualTo(id);
            a.written(a.forWrite().setString(key, 0, a.stamp(), a.node()));
            return null;
        });
        assertThat(engine.stateCopy(key).lastWriteNode()).isEqualTo(id);
    }

    @Test
    void theReplicatorAcceptsAReplicaIdOfItsNodeWhateverTheEpoch() {
        ClusterSpec spec = ClusterSpec.localCluster(3, 1, 17_000);
        Ring ring = Ring.build(spec);
        SimulatedNetwork network = new SimulatedNetwork(1, NetworkConditions.reliable(), true);
        Replicator replicator = new Replicator(ring, network.transport(2), network.clock(),
                ReplicaStore.embedded(engine(EPOCH << 16 | 2)), ReplicationSettings.defaults(), Runnable::run);
        assertThat(replicator.localNodeId()).isEqualTo(2);
        assertThatThrownBy(() -> new Replicator(ring, network.transport(3), network.clock(),
                ReplicaStore.embedded(engine(EPOCH << 16 | 2)), ReplicationSettings.defaults(), Runnable::run))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("node 3");
    }
}
