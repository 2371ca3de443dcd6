package io.converge.server.cluster.replication;

import static io.converge.server.cluster.replication.Clusters.bytes;
import static io.converge.server.cluster.replication.Clusters.get;
import static io.converge.server.cluster.replication.Clusters.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.converge.crdt.KeyState;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.ReplicaSet;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** The read path: quorum reads merge replica states into the local engine and repair stale replicas. */
class ReadRepairTest {

    @Test
    void oneOnAReplicaCompletesAtOnceWithoutAskingAnyone() {
        SimCluster c = Clusters.threeNodes(11);
        long sent = c.network.stats().sent();
        CompletableFuture<ReadResult> read = c.node(1).replicator.readRepair(new byte[][] {bytes("k")},
                ConsistencyLevel.ONE);
        assertThat(read).isCompleted();
        assertThat(c.network.stats().sent()).isEqualTo(sent);
    }

    @Test
    void aQuorumReadMergesWhatTheLocalReplicaMissedIntoItsEngine() {
        SimCluster c = Clusters.threeNodes(12);
        // Node 3 misses a write (its buffer is dropped with a crash of node 1, which keeps its engine).
        c.network.isolate(3);
        set(c.node(1), "k", "v1", ConsistencyLevel.LOCAL_QUORUM);
        c.network.runFor(10);
        c.crash(1);
        c.network.heal();
        c.network.runFor(10);
        assertThat(get(c.node(2), "k")).isEqualTo("v1");
        assertThat(get(c.node(3), "k")).isNull();

        // A quorum read coordinated by node 3 brings the value in (node 2 is current: nothing to repair).
        CompletableFuture<ReadResult> read = c.node(3).replicator.readRepair(new byte[][] {bytes("k")},
                ConsistencyLevel.LOCAL_QUORUM);
        assertThat(read).isNotDone();
        c.network.runFor(5);
        assertThat(read).isCompleted();
        assertThat(get(c.node(3), "k")).isEqualTo("v1");
        assertThat(c.node(3).replicator.stats().counters().localRepairs()).isEqualTo(1);
        assertThat(c.node(3).replicator.stats().counters().replicasRepaired()).isZero();
    }

    @Test
    void staleReplicasGetTheMergedStateWhenTheReadFinishes() {
        SimCluster c = Clusters.threeNodes(13);
        // Node 1 holds a value nobody else has: merged straight into its engine, never replicated.
        c.node(1).engine.merge(bytes("k"), localOnlyState(c, "v"));
        CompletableFuture<ReadResult> read = c.node(1).replicator.readRepair(new byte[][] {bytes("k")},
                ConsistencyLevel.LOCAL_QUORUM);
        c.network.runFor(20);
        assertThat(read).isCompleted();
        assertThat(get(c.node(2), "k")).isEqualTo("v");
        assertThat(get(c.node(3), "k")).isEqualTo("v");
        assertThat(c.node(1).replicator.stats().counters().replicasRepaired()).isEqualTo(2);
        // A second read finds everyone current: no further repair.
        c.node(1).replicator.readRepair(new byte[][] {bytes("k")}, ConsistencyLevel.ALL);
        c.network.runFor(20);
        assertThat(c.node(1).replicator.stats().counters().replicasRepaired()).isEqualTo(2);
    }

    @Test
    void aReadThatMissesItsLevelFailsWithTheShortfallAndLateRepliesAreIgnored() throws Exception {
        SimCluster c = Clusters.threeNodes(14);
        c.network.isolate(2);
        c.network.isolate(3);
        CompletableFuture<ReadResult> read = c.node(1).replicator.readRepair(new byte[][] {bytes("k")},
                ConsistencyLevel.LOCAL_QUORUM);
        c.network.runFor(400);
        assertThat(read).isCompletedExceptionally();
        try {
            read.get();
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(ConsistencyLevelException.class);
            assertThat(e.getCause().getMessage()).isEqualTo("consistency level LOCAL_QUORUM not met within 300 ms: "
                    + "LOCAL_QUORUM needs 2 replies in dc1, got 1 of 3 replicas (replied: [1]); the read was not answered");
        }
        assertThat(c.node(1).replicator.pendingRequests()).isZero();
    }

    @Test
    void aNodeThatIsNoReplicaGetsTheMergedStatesInTheResult() {
        SimCluster c = Clusters.started(SimCluster.spec(List.of(4), List.of(4), List.of(2), 8), 15);
        String key = null;
        for (int i = 0; key == null; i++) {
            if (!c.ring.replicasFor(bytes("k" + i)).contains(1)) {
                key = "k" + i;
            }
        }
        ReplicaSet replicas = c.ring.replicasFor(bytes(key));
        set(c.node(replicas.node(0)), key, "v", ConsistencyLevel.ALL);
        c.network.runFor(10);
        CompletableFuture<ReadResult> read = c.node(1).replicator.readRepair(new byte[][] {bytes(key), bytes("absent")},
                ConsistencyLevel.ONE);
        c.network.runFor(5);
        assertThat(read).isCompleted();
        ReadResult result = read.join();
        assertThat(new String(result.remoteState(0).stringBytes(), StandardCharsets.UTF_8)).isEqualTo("v");
        assertThat(c.node(1).engine.stateCopy(bytes(key))).as("a non-replica stores nothing").isNull();
    }

    /** A state for {@code k} written by node 1's clock but never reported as a local write. */
    private static KeyState localOnlyState(SimCluster c, String value) {
        KeyState s = new KeyState();
        s.setString(bytes(value), 0, c.node(1).engine.clock().now(), 1);
        return s;
    }
}
