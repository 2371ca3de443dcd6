package io.converge.server.cluster.replication;

import static io.converge.server.cluster.replication.Clusters.bytes;
import static io.converge.server.cluster.replication.Clusters.get;
import static io.converge.server.cluster.replication.Clusters.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.PhiAccrualFailureDetector;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.sim.NetworkConditions;
import io.converge.server.repair.DeltaBufferSettings;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** The write path: deltas to every replica, acks mapped back to writes, levels, timeouts. */
class ReplicatorWriteTest {

    private static Throwable failure(CompletableFuture<?> f) {
        assertThat(f).isCompletedExceptionally();
        try {
            f.get();
            throw new AssertionError("not failed");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void oneCompletesAtOnceOnAReplicaAndTheDeltaStillReachesEveryReplica() {
        SimCluster c = Clusters.threeNodes(1);
        CompletableFuture<Void> write = set(c.node(1), "k", "v", ConsistencyLevel.ONE);
        assertThat(write).isCompleted();
        c.network.runFor(10);
        assertThat(get(c.node(2), "k")).isEqualTo("v");
        assertThat(get(c.node(3), "k")).isEqualTo("v");
        assertThat(c.node(1).replicator.pendingDeltas()).isZero();
    }

    @Test
    void quorumCompletesOnlyOnceAPeerMergedTheDeltaAndAcknowledgedIt() {
        SimCluster c = Clusters.threeNodes(2);
        CompletableFuture<Void> write = set(c.node(1), "k", "v", ConsistencyLevel.LOCAL_QUORUM);
        assertThat(write).isNotDone();
        c.network.runFor(1); // the batch arrives and is merged; the ack is on its way
        assertThat(get(c.node(2), "k")).isEqualTo("v");
        assertThat(write).isNotDone();
        c.network.runFor(1);
        assertThat(write).isCompleted();
    }

    @Test
    void cumulativeAcksResolveEveryWriteTheyCoverAndOnlyThose() {
        SimCluster c = Clusters.threeNodes(3);
        SimCluster.Node n1 = c.node(1);
        c.network.isolate(3);
        CompletableFuture<Void> all1 = set(n1, "a", "1", ConsistencyLevel.ALL);
        CompletableFuture<Void> quorum = set(n1, "b", "2", ConsistencyLevel.LOCAL_QUORUM);
        CompletableFuture<Void> all2 = set(n1, "c", "3", ConsistencyLevel.ALL);
        c.network.runFor(20);
        assertThat(quorum).isCompleted();
        assertThat(all1).isNotDone();
        assertThat(all2).isNotDone();
        c.network.heal();
        // The lost batch to node 3 is resent after the resend timeout; one cumulative ack covers both.
        c.network.runFor(200);
        assertThat(all1).isCompleted();
        assertThat(all2).isCompleted();
        assertThat(get(c.node(3), "a")).isEqualTo("1");
        assertThat(get(c.node(3), "c")).isEqualTo("3");
    }

    @Test
    void aMissedLevelSaysWhatWasMissedAndWhereTheWriteWasAppliedAndItStillConverges() {
        SimCluster c = Clusters.threeNodes(4);
        c.network.isolate(3);
        CompletableFuture<Void> write = set(c.node(1), "k", "v", ConsistencyLevel.ALL);
        c.network.runFor(400);
        Throwable error = failure(write);
        assertThat(error).isInstanceOf(ConsistencyLevelException.class);
        assertThat(error.getMessage())
                .startsWith("consistency level ALL not met within 300 ms: ALL needs 3 acks in dc1, got 2 of 3 replicas")
                .contains("the write was applied on [1, 2] and will reach the other replicas by anti-entropy");
        assertThat(get(c.node(3), "k")).isNull();
        c.network.heal();
        c.network.runFor(300);
        assertThat(get(c.node(3), "k")).isEqualTo("v");
        assertThat(c.node(1).replicator.stats().counters().writesFailed()).isEqualTo(1);
    }

    @Test
    void replicasKnownToBeDownFailTheLevelAtOnce() {
        SimCluster c = Clusters.threeNodes(5);
        c.network.isolate(3);
        c.network.runFor(1_000);
        assertThat(c.node(1).replicator.isUp(3)).isFalse();
        CompletableFuture<Void> all = set(c.node(1), "k", "v", ConsistencyLevel.ALL);
        assertThat(failure(all).getMessage())
                .startsWith("consistency level ALL cannot be met: replica 3 is down (failure detector)");
        CompletableFuture<Void> quorum = set(c.node(1), "k", "w", ConsistencyLevel.LOCAL_QUORUM);
        c.network.runFor(5);
        assertThat(quorum).isCompleted();
    }

    @Test
    void deltasDroppedByABufferOverflowDoNotCountAsAcknowledged() {
        ReplicationSettings tiny = new ReplicationSettings(50, 300, 300, 500, 500, 0, 4, true,
                new DeltaBufferSettings(300, 100, 1_000, 100), PhiAccrualFailureDetector.Settings.defaults(50));
        SimCluster c = new SimCluster(6, SimCluster.spec(List.of(3), List.of(3), List.of(3), 8),
                NetworkConditions.reliable(), tiny);
        c.start();
        c.network.runFor(200);
        c.network.isolate(3);
        CompletableFuture<Void> write = set(c.node(1), "k", "v", ConsistencyLevel.ALL);
        for (int i = 0; i < 20; i++) {
            set(c.node(1), "filler" + i, "x".repeat(20), ConsistencyLevel.ONE);
        }
        assertThat(c.node(1).replicator.stats().nodes().get(2).outgoing().needsFullSync()).isTrue();
        c.network.heal();
        c.network.runFor(50);
        assertThat(failure(write).getMessage()).contains("dropped by a buffer overflow");
        // GC freezes while a peer needs a full sync: its tombstones could miss deltas.
        long stable = c.node(1).replicator.stableStamp();
        c.network.runFor(3_000);
        assertThat(c.node(1).replicator.stableStamp()).isEqualTo(stable);
    }

    @Test
    void aWriteToSeveralReplicaSetsWaitsForTheLevelInEach() {
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
        ReplicaSet setB = c.ring.replicasFor(bytes(b));
        int partnerB = setB.node(0) == 1 ? setB.node(1) : setB.node(0);
        c.network.isolate(partnerB);
        String keyA = a;
        String keyB = b;
        SimCluster.Node n1 = c.node(1);
        DeltaCapture capture = n1.replicator.beginCapture();
        try {
            for (String key : List.of(keyA, keyB)) {
                n1.engine.withKey(bytes(key), access -> {
                    access.written(access.forWrite().setString(bytes("v"), 0, access.stamp(), access.node()));
                    return null;
                });
            }
        } finally {
            capture.close();
        }
        assertThat(capture.deltaCount()).isEqualTo(2);
        CompletableFuture<Void> write = n1.replicator.replicate(capture, ConsistencyLevel.ALL);
        c.network.runFor(400);
        assertThat(failure(write).getMessage()).contains("got 1 of 2 replicas (acked by: [1])");
    }

    @Test
    void nestedCapturesFoldIntoTheOuterOneAndExecuteReturnsTheResultAfterTheLevel() {
        SimCluster c = Clusters.threeNodes(8);
        SimCluster.Node n1 = c.node(1);
        DeltaCapture outer = n1.replicator.beginCapture();
        DeltaCapture inner = n1.replicator.beginCapture();
        n1.engine.withKey(bytes("k"), access -> {
            access.written(access.forWrite().setString(bytes("v"), 0, access.stamp(), access.node()));
            return null;
        });
        inner.close();
        outer.close();
        assertThat(outer.deltaCount()).isEqualTo(1);
        assertThat(outer.isEmpty()).isFalse();
        CompletableFuture<Void> write = n1.replicator.replicate(outer, ConsistencyLevel.ALL);
        assertThat(write).isNotDone();
        c.network.runFor(5);
        assertThat(write).isCompleted();

        CompletableFuture<String> result = n1.replicator.execute(ConsistencyLevel.ALL, () -> n1.engine.withKey(
                bytes("k2"), access -> {
                    access.written(access.forWrite().setString(bytes("w"), 0, access.stamp(), access.node()));
                    return "OK";
                }));
        assertThat(result).isNotDone();
        c.network.runFor(5);
        assertThat(result).isCompletedWithValue("OK");
        // A command that wrote nothing is done at once.
        assertThat(n1.replicator.execute(ConsistencyLevel.ALL, () -> 7)).isCompletedWithValue(7);
    }
}
