package io.converge.server.replication;

import static io.converge.server.replication.Clusters.await;
import static io.converge.server.replication.Clusters.bytes;
import static io.converge.server.replication.Clusters.del;
import static io.converge.server.replication.Clusters.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.converge.crdt.KeyState;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.wire.PeerMessage;
import io.converge.server.replication.antientropy.RepairSettings;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The GC horizon ({@code gc/GcHorizon}, {@code gc/TombstoneSweeper}): tombstones left by client
 * deletes go once every replica acknowledged them, not before, and not while a repair session
 * that could carry older states is open.
 */
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
        await(c, set(c.node(1), "k", "v", ConsistencyLevel.ALL));
        c.network.runFor(2_000);
        c.network.isolate(3);
        CompletableFuture<byte[]> delete = del(c.node(1), "k", ConsistencyLevel.LOCAL_QUORUM);
        long deletedAt = c.node(1).engine.clock().current();
        c.network.runFor(10);
        assertThat(Clusters.reply(delete)).isEqualTo(":1\r\n");
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
        assertThat(await(c, c.node(3).command("EXISTS", "k"))).isEqualTo(":0\r\n");
    }

    @Test
    void fieldTombstonesOfALiveHashAreSweptToo() {
        SimCluster c = Clusters.threeNodes(33);
        SimCluster.Client client = Clusters.client(c.node(1), ConsistencyLevel.ALL);
        assertThat(await(c, client.command("HSET", "h", "a", "1", "b", "2"))).isEqualTo(":2\r\n");
        assertThat(await(c, client.command("HDEL", "h", "a"))).isEqualTo(":1\r\n");
        long written = c.node(1).engine.clock().current();
        KeyState before = c.node(1).engine.stateCopy(bytes("h"));
        KeyState collectable = before.copy();
        collectable.gc(written);
        assertThat(collectable).as("the HDEL left a tombstone").isNotEqualTo(before);
        c.network.runFor(3_000);
        for (SimCluster.Node n : c.nodes.values()) {
            assertThat(n.replicator.sweptThrough()).isGreaterThanOrEqualTo(written);
            assertThat(n.engine.stateCopy(bytes("h"))).isEqualTo(collectable);
        }
        assertThat(await(c, c.node(2).command("HGETALL", "h"))).isEqualTo("*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
    }

    @Test
    void anOpenRepairSessionHoldsGcBackUntilItIsResolved() {
        // Repair at 4 KiB/s, no background passes: the manual pass below streams for many seconds.
        ReplicationSettings slow = SimCluster.simulationSettings()
                .withRepair(new RepairSettings(0, 4 << 10, 64, 1 << 10, 1, 1, 5_000, 2, 4));
        SimCluster c = Clusters.started(SimCluster.spec(List.of(3), List.of(3), List.of(3), 8), 35, slow);
        // ~40 KB that only node 1 holds (no delta, no debt), and a key every replica holds.
        for (int i = 0; i < 20; i++) {
            assertThat(await(c, c.node(1).command("CONVERGE", "DIVERGE", "big" + i, "x".repeat(2_000))))
                    .isEqualTo("+OK\r\n");
        }
        await(c, set(c.node(1), "gone", "v", ConsistencyLevel.ALL));
        assertThat(await(c, c.node(1).command("CONVERGE", "REPAIR"))).isEqualTo("+OK\r\n");
        c.network.runFor(500);
        assertThat(c.node(1).replicator.stats().repair().sessionsRunning()).isEqualTo(2);

        // A delete every replica acknowledges while the sessions stream states built before it.
        assertThat(await(c, del(c.node(2), "gone", ConsistencyLevel.ALL))).isEqualTo(":1\r\n");
        long deletedAt = c.node(2).engine.clock().current();
        c.network.runFor(4_000);
        assertThat(c.node(1).replicator.stats().repair().sessionsRunning()).as("still streaming").isPositive();
        assertThat(c.node(1).replicator.pendingDeltas()).isZero();
        for (SimCluster.Node n : c.nodes.values()) {
            assertThat(n.replicator.stableStamp()).as("stable stamp of node %d", n.id).isLessThan(deletedAt);
            assertThat(n.engine.stateCopy(bytes("gone"))).as("node %d keeps the tombstone", n.id).isNotNull();
        }

        assertThat(c.runUntil(() -> c.node(1).replicator.stats().repair().sessionsRunning() == 0, 50, 60_000))
                .isTrue();
        assertThat(c.runUntil(() -> c.sweptThrough(deletedAt), 50, 30_000)).as("GC resumes once they are resolved")
                .isTrue();
        for (SimCluster.Node n : c.nodes.values()) {
            assertThat(n.engine.stateCopy(bytes("gone"))).as("node %d", n.id).isNull();
            assertThat(Clusters.get(n, "big19")).hasSize(2_000);
        }
        HashTreeRepairTest.assertIdentical(c);
    }

    @Test
    void peerReportsNeverMoveBackwards() {
        SimCluster c = Clusters.threeNodes(34);
        c.network.runFor(3_000);
        long stable = c.node(1).replicator.stableStamp();
        // A delayed, older status from node 2 must not lower what node 1 knows.
        c.node(2).transport.send(1, new PeerMessage.GcStatus(1, 1, 0, 0, 0, 0, 0));
        c.network.runFor(1);
        assertThat(c.node(1).replicator.stableStamp()).isGreaterThanOrEqualTo(stable);
        assertThat(c.node(1).replicator.stats().nodes().get(1).reportedHorizonHlc()).isGreaterThan(1);
    }
}
