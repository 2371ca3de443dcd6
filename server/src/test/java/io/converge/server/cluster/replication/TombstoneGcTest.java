package io.converge.server.cluster.replication;

import static io.converge.server.cluster.replication.Clusters.bytes;
import static io.converge.server.cluster.replication.Clusters.del;
import static io.converge.server.cluster.replication.Clusters.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.converge.crdt.KeyState;
import io.converge.server.cluster.ConsistencyLevel;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The GC horizon: tombstones go once every replica acknowledged them, not before. */
class TombstoneGcTest {

    @Test
    void nothingIsStableUntilEveryNodeReportedThenTheStableStampFollowsTheClocks() {
        SimCluster c = Clusters.threeNodes(31);
        assertThat(c.node(1).replicator.stableStamp()).isZero();
        c.network.runFor(2_500);
        long stable = c.node(1).replicator.stableStamp();
        assertThat(stable).isPositive().isLessThan(c.node(1).engine.clock().current());
        for (SimCluster.Node n : c.nodes.values()) {
            assertThat(n.replicator.stableStamp()).isPositive();
            assertThat(n.replicator.stats().gc().rounds()).isGreaterThan(2);
        }
        c.network.runFor(2_000);
        assertThat(c.node(1).replicator.stableStamp()).isGreaterThan(stable);
    }

    @Test
    void aDeleteIsDroppedEverywhereOnlyOnceEveryReplicaAcknowledgedIt() {
        SimCluster c = Clusters.threeNodes(32);
        set(c.node(1), "k", "v", ConsistencyLevel.ALL);
        c.network.runFor(2_000);
        c.network.isolate(3);
        CompletableFuture<Void> delete = del(c.node(1), "k", ConsistencyLevel.LOCAL_QUORUM);
        long deletedAt = c.node(1).engine.clock().current();
        c.network.runFor(10);
        assertThat(delete).isCompleted();
        c.network.runFor(3_000);
        for (int id = 1; id <= 2; id++) {
            SimCluster.Node n = c.node(id);
            assertThat(n.replicator.stableStamp()).isLessThan(deletedAt);
            KeyState tombstone = n.engine.stateCopy(bytes("k"));
            assertThat(tombstone).as("node %d keeps the tombstone while node 3 has not acknowledged it", id)
                    .isNotNull();
            assertThat(tombstone.exists()).isFalse();
        }
        assertThat(c.node(3).engine.stateCopy(bytes("k")).exists()).isTrue();

        c.network.heal();
        c.network.runFor(3_000);
        for (SimCluster.Node n : c.nodes.values()) {
            assertThat(n.replicator.stableStamp()).isGreaterThanOrEqualTo(deletedAt);
            assertThat(n.engine.stateCopy(bytes("k"))).as("node %d dropped the tombstone", n.id).isNull();
        }
        assertThat(c.node(1).replicator.stats().gc().entriesCollected()).isPositive();
    }

    @Test
    void fieldTombstonesOfALiveHashAreSweptToo() {
        SimCluster c = Clusters.threeNodes(33);
        SimCluster.Node n1 = c.node(1);
        DeltaCapture capture = n1.replicator.beginCapture();
        try {
            n1.engine.withKey(bytes("h"), access -> {
                KeyState ks = access.forWrite();
                access.written(KeyState.wrap(ks.hashForWrite().hset(bytes("a"), bytes("1"), access.stamp(),
                        access.node())));
                access.written(KeyState.wrap(ks.hashForWrite().hset(bytes("b"), bytes("2"), access.stamp(),
                        access.node())));
                access.written(KeyState.wrap(ks.hashForWrite().hdel(bytes("a"), access.stamp(), access.node())));
                return null;
            });
        } finally {
            capture.close();
        }
        n1.replicator.replicate(capture, ConsistencyLevel.ALL);
        long written = n1.engine.clock().current();
        KeyState before = n1.engine.stateCopy(bytes("h"));
        KeyState collectable = before.copy();
        collectable.gc(written);
        assertThat(collectable).as("the HDEL left a tombstone").isNotEqualTo(before);
        c.network.runFor(3_000);
        for (SimCluster.Node n : c.nodes.values()) {
            assertThat(n.replicator.sweptThrough()).isGreaterThanOrEqualTo(written);
            assertThat(n.engine.stateCopy(bytes("h"))).isEqualTo(collectable);
        }
    }

    @Test
    void peerReportsNeverMoveBackwards() {
        SimCluster c = Clusters.threeNodes(34);
        c.network.runFor(3_000);
        long stable = c.node(1).replicator.stableStamp();
        // A delayed, older status from node 2 must not lower what node 1 knows.
        c.node(1).replicator.onMessage(2, new io.converge.server.cluster.wire.PeerMessage.GcStatus(1, 1));
        assertThat(c.node(1).replicator.stableStamp()).isEqualTo(stable);
        assertThat(c.node(1).replicator.stats().nodes().get(1).reportedHorizonHlc()).isGreaterThan(1);
    }
}
