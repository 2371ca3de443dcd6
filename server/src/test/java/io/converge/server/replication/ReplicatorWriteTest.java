package io.converge.server.replication;

import static io.converge.server.replication.Clusters.await;
import static io.converge.server.replication.Clusters.bytes;
import static io.converge.server.replication.Clusters.get;
import static io.converge.server.replication.Clusters.reply;
import static io.converge.server.replication.Clusters.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.replication.antientropy.DeltaBufferSettings;
import io.converge.server.replication.antientropy.RepairSettings;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The write path through the production request path: a client's write is applied on a replica,
 * its deltas go to every other replica, acknowledgements complete it at its consistency level,
 * and a missed level is an error that says what was missed and where the write was applied.
 */
class ReplicatorWriteTest {

    private static final String OK = "+OK\r\n";

    @Test
    void oneCompletesAtOnceOnAReplicaAndTheDeltaStillReachesEveryReplica() {
        SimCluster c = Clusters.threeNodes(1);
        CompletableFuture<byte[]> write = set(c.node(1), "k", "v", ConsistencyLevel.ONE);
        assertThat(reply(write)).isEqualTo(OK);
        c.network.runFor(10);
        assertThat(get(c.node(2), "k")).isEqualTo("v");
        assertThat(get(c.node(3), "k")).isEqualTo("v");
        assertThat(c.node(1).replicator.pendingDeltas()).isZero();
    }

    @Test
    void aNodeHasHandedOverOnceEveryConnectedPeerAcknowledgedItsDeltas() {
        SimCluster c = Clusters.threeNodes(7);
        assertThat(reply(set(c.node(1), "k", "v", ConsistencyLevel.ONE))).isEqualTo(OK);
        assertThat(c.node(1).replicator.handedOver()).as("the delta is buffered for both peers").isFalse();
        c.network.runFor(10);
        assertThat(c.node(1).replicator.handedOver()).isTrue();

        // Deltas for a peer that is cut off are not waited for: repair brings them once it is back.
        c.network.isolate(3);
        assertThat(reply(set(c.node(1), "k2", "v", ConsistencyLevel.ONE))).isEqualTo(OK);
        assertThat(c.node(1).replicator.handedOver()).isFalse();
        c.network.runFor(10);
        assertThat(c.node(1).replicator.pendingDeltas()).as("the delta for node 3 waits").isEqualTo(1);
        assertThat(c.node(1).replicator.handedOver()).isTrue();

        // Nor is it handed over while a write waits for its replicas.
        CompletableFuture<byte[]> all = set(c.node(1), "k3", "v", ConsistencyLevel.ALL);
        c.network.runFor(10);
        assertThat(all).isNotDone();
        assertThat(c.node(1).replicator.handedOver()).isFalse();
    }

    @Test
    void quorumCompletesOnlyOnceAPeerMergedTheDeltaAndAcknowledgedIt() {
        SimCluster c = Clusters.threeNodes(2);
        CompletableFuture<byte[]> write = set(c.node(1), "k", "v", ConsistencyLevel.LOCAL_QUORUM);
        assertThat(write).isNotDone();
        assertThat(get(c.node(1), "k")).as("applied on the coordinating replica at once").isEqualTo("v");
        c.network.runFor(1); // the batch arrives and is merged; the ack is on its way
        assertThat(get(c.node(2), "k")).isEqualTo("v");
        assertThat(write).isNotDone();
        c.network.runFor(1);
        assertThat(reply(write)).isEqualTo(OK);
    }

    @Test
    void cumulativeAcksResolveEveryWriteTheyCoverAndOnlyThose() {
        SimCluster c = Clusters.threeNodes(3);
        SimCluster.Node n1 = c.node(1);
        c.network.isolate(3);
        CompletableFuture<byte[]> all1 = set(n1, "a", "1", ConsistencyLevel.ALL);
        CompletableFuture<byte[]> quorum = set(n1, "b", "2", ConsistencyLevel.LOCAL_QUORUM);
        CompletableFuture<byte[]> all2 = set(n1, "c", "3", ConsistencyLevel.ALL);
        c.network.runFor(20);
        assertThat(reply(quorum)).isEqualTo(OK);
        assertThat(all1).isNotDone();
        assertThat(all2).isNotDone();
        c.network.heal();
        // The lost batch to node 3 is resent after the resend timeout; one cumulative ack covers both.
        c.network.runFor(200);
        assertThat(reply(all1)).isEqualTo(OK);
        assertThat(reply(all2)).isEqualTo(OK);
        assertThat(get(c.node(3), "a")).isEqualTo("1");
        assertThat(get(c.node(3), "c")).isEqualTo("3");
    }

    @Test
    void aMissedLevelSaysWhatWasMissedAndWhereTheWriteWasAppliedAndItStillConverges() {
        SimCluster c = Clusters.threeNodes(4);
        c.network.isolate(3);
        CompletableFuture<byte[]> write = set(c.node(1), "k", "v", ConsistencyLevel.ALL);
        c.network.runFor(299);
        assertThat(write).isNotDone();
        c.network.runFor(100);
        assertThat(reply(write))
                .startsWith("-ERR consistency level ALL not met within 300 ms: ALL needs 3 acks in dc1, got 2 of 3 "
                        + "replicas")
                .endsWith("the write was applied on [1, 2] and will reach the other replicas by anti-entropy\r\n");
        assertThat(get(c.node(3), "k")).isNull();
        c.network.heal();
        c.network.runFor(300);
        assertThat(get(c.node(3), "k")).isEqualTo("v");
        assertThat(c.node(1).replicator.stats().counters().writesFailed()).isEqualTo(1);
        assertThat(c.node(1).replicator.pendingRequests()).isZero();
    }

    @Test
    void replicasKnownToBeDownFailTheLevelAtOnce() {
        SimCluster c = Clusters.threeNodes(5);
        c.network.isolate(3);
        c.network.runFor(1_000);
        assertThat(c.node(1).replicator.isUp(3)).isFalse();
        CompletableFuture<byte[]> all = set(c.node(1), "k", "v", ConsistencyLevel.ALL);
        assertThat(reply(all)).startsWith("-ERR consistency level ALL cannot be met: replica 3 is down (failure "
                + "detector)").contains("the write was applied on [1]");
        CompletableFuture<byte[]> quorum = set(c.node(1), "k", "w", ConsistencyLevel.LOCAL_QUORUM);
        c.network.runFor(5);
        assertThat(reply(quorum)).isEqualTo(OK);
    }

    @Test
    void deltasDroppedByABufferOverflowDoNotCountAsAcknowledgedAndHoldGcUntilRepaired() {
        // 300-byte buffers overflow with every 2 KB write; repair at 4 KiB/s takes seconds for 40 KB.
        ReplicationSettings tiny = SimCluster.simulationSettings()
                .withDeltaBuffers(new DeltaBufferSettings(300, 100, 1_000, 100))
                .withRepair(new RepairSettings(0, 4 << 10, 64, 1 << 10, 1, 1, 5_000, 2, 4));
        SimCluster c = Clusters.started(SimCluster.spec(List.of(3), List.of(3), List.of(3), 8), 6, tiny);
        c.network.isolate(3);
        CompletableFuture<byte[]> write = set(c.node(1), "k", "v", ConsistencyLevel.ALL);
        long writtenAt = c.node(1).engine.clock().current();
        c.network.runFor(5); // node 2 acknowledges
        SimCluster.Client filler = Clusters.client(c.node(1), ConsistencyLevel.ONE);
        for (int i = 0; i < 20; i++) {
            assertThat(reply(filler.command("SET", "filler" + i, "x".repeat(2_000)))).isEqualTo(OK);
        }
        assertThat(c.node(1).replicator.stats().nodes().get(2).outgoing().needsFullSync()).isTrue();
        c.network.heal();
        c.network.runFor(50);
        assertThat(reply(write)).startsWith("-ERR consistency level ALL cannot be met: deltas for replica 3 were "
                + "dropped by a buffer overflow (hash-tree repair will deliver them)");

        // Node 3 acknowledges past the hole at once, but GC must not pass the dropped write until repair delivered it.
        c.network.runFor(2_000);
        assertThat(c.node(1).replicator.repairOwed()).as("the paced repair is still running").isTrue();
        assertThat(c.node(1).replicator.pendingDeltas()).isZero();
        for (SimCluster.Node n : c.nodes.values()) {
            assertThat(n.replicator.stableStamp()).as("stable stamp of node %d", n.id).isLessThan(writtenAt);
        }
        assertThat(c.runUntil(c::quiescent, 50, 30_000)).isTrue();
        assertThat(c.node(1).replicator.stats().repair().sessionsFailed())
                .as("a paced stream resumes on the tick instead of stalling until the session times out").isZero();
        assertThat(get(c.node(3), "k")).isEqualTo("v");
        assertThat(get(c.node(3), "filler19")).hasSize(2_000);
        assertThat(c.runUntil(() -> c.node(1).replicator.stableStamp() > writtenAt, 50, 10_000))
                .as("GC goes on once the debt is paid").isTrue();
        HashTreeRepairTest.assertIdentical(c);
    }

    @Test
    void aWriteSplitOverSeveralReplicaSetsWaitsForTheLevelInEach() {
        SimCluster c = Clusters.started(SimCluster.spec(List.of(5), List.of(5), List.of(2), 8), 7);
        // Two keys replicated on node 1 with different partners.
        String a = null;
        String b = null;
        for (int i = 0; a == null || b == null; i++) {
            ReplicaSet set = c.ring.replicasFor(bytes("key" + i));
            if (!set.contains(1)) {
                continue;
            }
            if (a == null) {
                a = "key" + i;
            } else if (c.ring.replicasFor(bytes(a)) != set) {
                b = "key" + i;
            }
        }
        int partnerA = partner(c.ring.replicasFor(bytes(a)));
        int partnerB = partner(c.ring.replicasFor(bytes(b)));
        c.network.isolate(partnerB);
        CompletableFuture<byte[]> mset = Clusters.client(c.node(1), ConsistencyLevel.ALL).command("MSET", a, "va", b,
                "vb");
        c.network.runFor(400);
        assertThat(reply(mset)).startsWith("-ERR consistency level ALL not met within 300 ms: ALL needs 2 acks in dc1, "
                + "got 1 of 2 replicas (acked by: [1])");
        assertThat(get(c.node(partnerA), a)).as("the other part was applied and acknowledged").isEqualTo("va");
        assertThat(get(c.node(1), b)).isEqualTo("vb");
        c.network.heal();
        c.network.runFor(500); // heartbeats again: the failure detector sees the partner up
        CompletableFuture<byte[]> both = Clusters.client(c.node(1), ConsistencyLevel.ALL).command("MSET", a, "wa", b,
                "wb");
        assertThat(await(c, both)).isEqualTo(OK);
        assertThat(get(c.node(partnerB), b)).isEqualTo("wb");
    }

    @Test
    void aTransactionWaitsForItsWritesTogetherAndACommandThatWroteNothingIsDoneAtOnce() {
        SimCluster c = Clusters.threeNodes(8);
        SimCluster.Client client = Clusters.client(c.node(1), ConsistencyLevel.ALL);
        assertThat(reply(client.command("MULTI"))).isEqualTo(OK);
        // Hash tags: a transaction's keys must share a replica set (an ordered list of nodes).
        assertThat(reply(client.command("SET", "{t}k", "v"))).isEqualTo("+QUEUED\r\n");
        assertThat(reply(client.command("INCR", "{t}n"))).isEqualTo("+QUEUED\r\n");
        CompletableFuture<byte[]> exec = client.command("EXEC");
        assertThat(exec).as("waits for every replica's ack").isNotDone();
        c.network.runFor(5);
        assertThat(reply(exec)).isEqualTo("*2\r\n+OK\r\n:1\r\n");
        assertThat(get(c.node(3), "{t}k")).isEqualTo("v");
        assertThat(get(c.node(3), "{t}n")).isEqualTo("1");

        c.network.isolate(3);
        assertThat(reply(client.command("DEL", "missing"))).as("no delta: nothing to wait for").isEqualTo(":0\r\n");
        assertThat(reply(client.command("SET", "{t}k", "other", "NX"))).isEqualTo("$-1\r\n");
    }

    /** The replica of a two-node set that is not node 1. */
    private static int partner(ReplicaSet set) {
        return set.node(0) == 1 ? set.node(1) : set.node(0);
    }
}
