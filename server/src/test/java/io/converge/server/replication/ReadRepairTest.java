package io.converge.server.replication;

import static io.converge.server.replication.Clusters.bytes;
import static io.converge.server.replication.Clusters.get;
import static io.converge.server.replication.Clusters.reply;
import static io.converge.server.replication.Clusters.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.sim.NetworkConditions;
import io.converge.server.replication.antientropy.RepairSettings;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The read path through the production request path: reads above ONE merge the other replicas'
 * states into the local engine before answering and repair stale replicas; reads at ONE answer
 * locally and, when sampled, check the other replicas' digests and repair in the background.
 * Background hash-tree passes are off here, so whatever converges was converged by reads.
 */
class ReadRepairTest {

    /** Simulation settings without background hash-tree passes and with digest checks at {@code chance}. */
    private static ReplicationSettings readsOnly(double chance) {
        return SimCluster.simulationSettings()
                .withRepair(new RepairSettings(0, 0, 64, 4 << 10, 2, 2, 2_000, 2, 4))
                .withReadRepairChance(chance, () -> 0.0);
    }

    /** Three nodes, replication 3, with {@link #readsOnly} settings. */
    private static SimCluster threeNodes(long seed, double chance) {
        return Clusters.started(SimCluster.spec(List.of(3), List.of(3), List.of(3), 8), seed, readsOnly(chance));
    }

    /** Runs {@code command} on {@code node} at {@code level} and waits for its reply. */
    private static String read(SimCluster c, int node, ConsistencyLevel level, String... command) {
        return Clusters.await(c, Clusters.client(c.node(node), level).command(command));
    }

    @Test
    void oneOnAReplicaCompletesAtOnceWithoutAskingAnyone() {
        SimCluster c = threeNodes(11, 0);
        set(c.node(1), "k", "v", ConsistencyLevel.ALL);
        c.network.runFor(10);
        long sent = c.network.stats().sent();
        CompletableFuture<byte[]> read = Clusters.client(c.node(1), ConsistencyLevel.ONE).command("GET", "k");
        assertThat(reply(read)).isEqualTo("$1\r\nv\r\n");
        assertThat(c.network.stats().sent()).isEqualTo(sent);
        assertThat(c.node(1).replicator.stats().counters().quorumReads()).isZero();
    }

    @Test
    void aQuorumReadMergesWhatTheLocalReplicaMissedIntoItsEngine() {
        SimCluster c = threeNodes(12, 0);
        // Node 3 misses a write (node 1's buffer for it is lost with a crash; node 1 stays down).
        c.network.isolate(3);
        set(c.node(1), "k", "v1", ConsistencyLevel.LOCAL_QUORUM);
        c.network.runFor(10);
        c.crash(1);
        c.network.heal();
        c.network.runFor(10);
        assertThat(get(c.node(2), "k")).isEqualTo("v1");
        assertThat(get(c.node(3), "k")).isNull();

        // A quorum read on node 3 brings the value in before answering (node 2 is current: nothing to repair).
        CompletableFuture<byte[]> read = Clusters.client(c.node(3), ConsistencyLevel.LOCAL_QUORUM).command("GET", "k");
        assertThat(read).isNotDone();
        c.network.runFor(5);
        assertThat(reply(read)).isEqualTo("$2\r\nv1\r\n");
        assertThat(get(c.node(3), "k")).isEqualTo("v1");
        assertThat(c.node(3).replicator.stats().counters().localRepairs()).isEqualTo(1);
        c.network.runFor(400); // the read ends at its deadline (node 1 never answers)
        assertThat(c.node(3).replicator.stats().counters().replicasRepaired()).isZero();
        assertThat(c.node(3).replicator.pendingRequests()).isZero();
    }

    @Test
    void staleReplicasGetTheMergedStateWhenTheReadFinishes() {
        SimCluster c = threeNodes(13, 0);
        // Node 1 holds a value nobody else has, as if its delta had been lost.
        assertThat(read(c, 1, ConsistencyLevel.ONE, "CONVERGE", "DIVERGE", "k", "v")).isEqualTo("+OK\r\n");
        assertThat(get(c.node(2), "k")).isNull();
        assertThat(read(c, 1, ConsistencyLevel.LOCAL_QUORUM, "GET", "k")).isEqualTo("$1\r\nv\r\n");
        c.network.runFor(20);
        assertThat(get(c.node(2), "k")).isEqualTo("v");
        assertThat(get(c.node(3), "k")).isEqualTo("v");
        assertThat(c.node(1).replicator.stats().counters().replicasRepaired()).isEqualTo(2);
        // A second read finds everyone current: no further repair.
        assertThat(read(c, 1, ConsistencyLevel.ALL, "GET", "k")).isEqualTo("$1\r\nv\r\n");
        c.network.runFor(20);
        assertThat(c.node(1).replicator.stats().counters().replicasRepaired()).isEqualTo(2);
        HashTreeRepairTest.assertIdentical(c);
    }

    @Test
    void aQuorumReadOnAReplicaThatIsBehindRepairsItAndAnswersFromTheMergedState() {
        SimCluster c = threeNodes(14, 0);
        set(c.node(1), "h", "old", ConsistencyLevel.ALL);
        c.network.runFor(10);
        // Node 2 alone holds a newer value; node 3 reads at ALL: it answers with the newer one and repairs node 1.
        read(c, 2, ConsistencyLevel.ONE, "CONVERGE", "DIVERGE", "h", "new");
        assertThat(read(c, 3, ConsistencyLevel.ALL, "GET", "h")).isEqualTo("$3\r\nnew\r\n");
        c.network.runFor(20);
        assertThat(get(c.node(1), "h")).isEqualTo("new");
        assertThat(c.node(3).replicator.stats().counters().replicasRepaired()).isEqualTo(1);
        assertThat(c.node(3).replicator.stats().counters().localRepairs()).isEqualTo(1);
    }

    @Test
    void aReadThatMissesItsLevelFailsWithTheShortfall() {
        SimCluster c = threeNodes(15, 0);
        c.network.isolate(2);
        c.network.isolate(3);
        CompletableFuture<byte[]> read = Clusters.client(c.node(1), ConsistencyLevel.LOCAL_QUORUM).command("GET", "k");
        c.network.runFor(400);
        assertThat(reply(read)).isEqualTo("-ERR consistency level LOCAL_QUORUM not met within 300 ms: LOCAL_QUORUM "
                + "needs 2 replies in dc1, got 1 of 3 replicas (replied: [1]); the read was not answered\r\n");
        assertThat(c.node(1).replicator.pendingRequests()).isZero();
        assertThat(c.node(1).replicator.stats().counters().readsFailed()).isEqualTo(1);
    }

    @Test
    void repliesArrivingAfterTheDeadlineAreNotMerged() {
        SimCluster c = threeNodes(16, 0);
        read(c, 2, ConsistencyLevel.ONE, "CONVERGE", "DIVERGE", "k", "late");
        read(c, 3, ConsistencyLevel.ONE, "CONVERGE", "DIVERGE", "k", "later");
        // 200 ms each way: every reply comes back after the 300 ms read timeout.
        c.network.setConditions(new NetworkConditions(0, 0, 200, 200));
        CompletableFuture<byte[]> read = Clusters.client(c.node(1), ConsistencyLevel.LOCAL_QUORUM).command("GET", "k");
        c.network.runFor(600);
        assertThat(reply(read)).startsWith("-ERR consistency level LOCAL_QUORUM not met within 300 ms");
        assertThat(get(c.node(1), "k")).as("a late state is never merged (the GC horizon relies on it)").isNull();
        assertThat(c.node(1).replicator.stats().counters().localRepairs()).isZero();
    }

    @Test
    void aNodeThatIsNoReplicaForwardsReadsAndStoresNothing() {
        SimCluster c = Clusters.started(SimCluster.spec(List.of(4), List.of(4), List.of(2), 8), 17, readsOnly(0));
        String key = null;
        for (int i = 0; key == null; i++) {
            if (!c.ring.replicasFor(bytes("k" + i)).contains(1)) {
                key = "k" + i;
            }
        }
        ReplicaSet replicas = c.ring.replicasFor(bytes(key));
        set(c.node(replicas.node(0)), key, "v", ConsistencyLevel.ALL);
        c.network.runFor(10);
        for (ConsistencyLevel level : ConsistencyLevel.values()) {
            assertThat(read(c, 1, level, "GET", key)).as("GET at %s", level).isEqualTo("$1\r\nv\r\n");
        }
        assertThat(c.node(1).engine.stateCopy(bytes(key))).as("a non-replica stores nothing").isNull();
        assertThat(c.node(1).replicator.stats().counters().forwardsSent()).isEqualTo(4);
    }

    @Test
    void aSampledReadAtOneFindsADifferingReplicaByDigestAndRepairsItWithoutAQuorumRead() {
        SimCluster c = threeNodes(18, 1.0);
        set(c.node(1), "k", "v1", ConsistencyLevel.ALL);
        c.network.runFor(10);
        read(c, 2, ConsistencyLevel.ONE, "CONVERGE", "DIVERGE", "k", "v2");
        long quorumReadsBefore = c.node(1).replicator.stats().counters().quorumReads();

        // The client's read at ONE on node 1 answers at once from node 1's (stale) copy...
        assertThat(read(c, 1, ConsistencyLevel.ONE, "GET", "k")).isEqualTo("$2\r\nv1\r\n");
        ReplicationStats.Counters counters = c.node(1).replicator.stats().counters();
        assertThat(counters.digestChecks()).isEqualTo(1);
        // ...and the sampled digest check behind it finds node 2's differing copy and repairs every replica.
        assertThat(c.runUntil(() -> "v2".equals(get(c.node(1), "k")) && "v2".equals(get(c.node(3), "k")), 5, 1_000))
                .isTrue();
        counters = c.node(1).replicator.stats().counters();
        assertThat(counters.digestMismatches()).isEqualTo(1);
        assertThat(counters.quorumReads()).as("the background read repair the mismatch started")
                .isEqualTo(quorumReadsBefore + 1);
        assertThat(c.node(1).replicator.stats().repair().sessionsStarted()).as("no hash-tree pass involved").isZero();
        HashTreeRepairTest.assertIdentical(c);

        // Once they agree, a sampled check finds nothing.
        assertThat(read(c, 1, ConsistencyLevel.ONE, "GET", "k")).isEqualTo("$2\r\nv2\r\n");
        c.network.runFor(20);
        assertThat(c.node(1).replicator.stats().counters().digestChecks()).isEqualTo(2);
        assertThat(c.node(1).replicator.stats().counters().digestMismatches()).isEqualTo(1);
    }
}
