package io.converge.server.replication;

import static io.converge.server.replication.Clusters.await;
import static io.converge.server.replication.Clusters.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.converge.crdt.KeyState;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.replication.antientropy.DeltaBufferSettings;
import io.converge.server.replication.antientropy.RepairSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Hash-tree anti-entropy in the deterministic simulation, through the production request path:
 * deltas lost to a buffer overflow, a divergence no delta will ever bring, values too large for a
 * delta batch, and a node that restarted; in each case every replica ends with the same state and
 * no peer is left owed a repair.
 */
class HashTreeRepairTest {

    /** Small delta buffers, so a short partition overflows them. */
    private static ReplicationSettings tinyBuffers() {
        return SimCluster.simulationSettings().withDeltaBuffers(new DeltaBufferSettings(4 << 10, 1 << 10, 2 << 10, 100));
    }

    /** Small delta buffers and repair paced at 64 KiB/s in small batches and parts, so a pass lasts seconds. */
    private static ReplicationSettings pacedRepair() {
        return tinyBuffers().withRepair(new RepairSettings(60_000, 64 << 10, 64, 4 << 10, 2, 2, 5_000, 2, 4));
    }

    @Test
    void deltasDroppedByAnOverflowReachTheCutOffReplicaThroughRepair() {
        SimCluster cluster = Clusters.started(SimCluster.spec(List.of(3), List.of(3), List.of(3), 8), 11, tinyBuffers());
        cluster.network.isolate(3);
        cluster.network.runFor(500);
        SimCluster.Client client = Clusters.client(cluster.node(1), ConsistencyLevel.ONE);
        List<CompletableFuture<byte[]>> replies = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            replies.add(client.command("SET", "k" + i, "value-" + i));
        }
        cluster.network.runFor(500);
        assertThat(replies).allMatch(r -> r.isDone() && Clusters.str(r.join()).equals("+OK\r\n"));
        assertThat(cluster.node(1).replicator.repairOwed()).as("node 1's buffer for node 3 overflowed").isTrue();

        cluster.network.heal();
        assertThat(cluster.runUntil(cluster::quiescent, 50, 20_000)).as("repaired and quiescent").isTrue();
        for (int i = 0; i < 300; i++) {
            assertThat(Clusters.get(cluster.node(3), "k" + i)).isEqualTo("value-" + i);
        }
        assertIdentical(cluster);
    }

    @Test
    void theBackgroundPassRepairsADivergenceNoDeltaWillBring() {
        SimCluster cluster = Clusters.threeNodes(12);
        await(cluster, Clusters.set(cluster.node(1), "shared", "v1", ConsistencyLevel.ALL));
        assertThat(await(cluster, cluster.node(2).command("CONVERGE", "DIVERGE", "shared", "only-on-2")))
                .isEqualTo("+OK\r\n");
        assertThat(Clusters.get(cluster.node(1), "shared")).isEqualTo("v1");
        assertThat(cluster.node(2).replicator.pendingDeltas()).as("nothing buffered: only a tree pass finds it").isZero();

        // Background passes run every 2 s in the simulation settings.
        assertThat(cluster.runUntil(() -> "only-on-2".equals(Clusters.get(cluster.node(1), "shared"))
                && "only-on-2".equals(Clusters.get(cluster.node(3), "shared")), 50, 10_000)).isTrue();
        assertIdentical(cluster);
    }

    @Test
    void aBackgroundPassLeavesALeafBeingWrittenAloneAtMostThreeTimesInARow() {
        SimCluster cluster = Clusters.threeNodes(13);
        await(cluster, Clusters.set(cluster.node(1), "hot", "v0", ConsistencyLevel.ALL));
        // Node 2 keeps changing the key without replicating it: its leaf differs, and moves, at every look.
        boolean reachedNode1 = false;
        for (int i = 0; i < 60 && !reachedNode1; i++) {
            assertThat(await(cluster, cluster.node(2).command("CONVERGE", "DIVERGE", "hot", "only-on-2-" + i)))
                    .isEqualTo("+OK\r\n");
            cluster.network.runFor(300);
            reachedNode1 = Clusters.get(cluster.node(1), "hot").startsWith("only-on-2-");
        }
        long skipped = cluster.node(1).replicator.repair().stats().leavesSkippedBusy()
                + cluster.node(2).replicator.repair().stats().leavesSkippedBusy();
        assertThat(skipped).as("background passes saw the leaf being written and skipped it").isPositive();
        assertThat(reachedNode1).as("a later pass repaired it while it was still being written").isTrue();
        String last = Clusters.get(cluster.node(2), "hot");
        assertThat(cluster.runUntil(() -> last.equals(Clusters.get(cluster.node(1), "hot"))
                && last.equals(Clusters.get(cluster.node(3), "hot")), 50, 20_000)).isTrue();
        assertIdentical(cluster);
    }

    @Test
    void aReplicaThatFellBehindSendsNothingBackForTheKeysItHoldsDifferently() {
        ReplicationSettings settings = tinyBuffers().withRepair(RepairSettings.defaults().withPace(0, 0));
        SimCluster cluster = Clusters.started(SimCluster.spec(List.of(2), List.of(2), List.of(2), 8), 17, settings);
        for (int i = 0; i < 100; i++) {
            await(cluster, Clusters.set(cluster.node(1), "s" + i, "old-" + i, ConsistencyLevel.ALL));
        }
        cluster.network.isolate(2);
        SimCluster.Client client = Clusters.client(cluster.node(1), ConsistencyLevel.ONE);
        for (int i = 0; i < 100; i++) {
            client.command("SET", "s" + i, "new-" + i + "-" + "x".repeat(100));
        }
        cluster.network.runFor(500);
        assertThat(cluster.node(1).replicator.repairOwed()).as("node 1's buffer for node 2 overflowed").isTrue();

        cluster.network.heal();
        assertThat(cluster.runUntil(cluster::quiescent, 50, 20_000)).isTrue();
        for (int i = 0; i < 100; i++) {
            assertThat(Clusters.get(cluster.node(2), "s" + i)).startsWith("new-" + i + "-");
        }
        assertThat(cluster.node(2).replicator.stats().repair().keysSent())
                .as("node 2's old states are older than node 1's: sending them back would change nothing").isZero();
        assertThat(cluster.node(1).replicator.stats().repair().keysSent()).isPositive();
        assertIdentical(cluster);
    }

    @Test
    void aReplicaThatFellBehindAndOpensThePassItselfSendsNothingBack() {
        ReplicationSettings settings = tinyBuffers().withRepair(RepairSettings.defaults().withPace(0, 0));
        SimCluster cluster = Clusters.started(SimCluster.spec(List.of(2), List.of(2), List.of(2), 8), 19, settings);
        int keys = 200;
        for (int i = 0; i < keys; i++) {
            await(cluster, Clusters.set(cluster.node(1), "b" + i, "old-" + i, ConsistencyLevel.ALL));
        }
        // Newer values on node 1 only (no delta carries them), and a few newer ones on node 2 only.
        for (int i = 0; i < keys; i++) {
            boolean twoIsAhead = i % 50 == 0;
            assertThat(await(cluster, cluster.node(twoIsAhead ? 2 : 1).command("CONVERGE", "DIVERGE", "b" + i,
                    (twoIsAhead ? "two-" : "one-") + i))).isEqualTo("+OK\r\n");
        }
        // The replica behind opens the pass: it must pull, not push its old states first.
        long since = cluster.network.clock().nowMillis();
        assertThat(await(cluster, cluster.node(2).command("CONVERGE", "REPAIR"))).isEqualTo("+OK\r\n");
        assertThat(cluster.runUntil(() -> cluster.repairedSince(since) && cluster.quiescent(), 50, 20_000)).isTrue();
        for (int i = 0; i < keys; i++) {
            String expected = (i % 50 == 0 ? "two-" : "one-") + i;
            assertThat(Clusters.get(cluster.node(1), "b" + i)).isEqualTo(expected);
            assertThat(Clusters.get(cluster.node(2), "b" + i)).isEqualTo(expected);
        }
        assertIdentical(cluster);
        assertThat(cluster.node(2).replicator.stats().repair().keysSent())
                .as("node 2 sends back only its few newer states, not the old ones node 1 would merge to no effect")
                .isLessThanOrEqualTo(keys / 50 * 2);
        assertThat(cluster.node(1).replicator.stats().repair().keysSent()).isGreaterThanOrEqualTo(keys - keys / 50);
    }

    @Test
    void aRestartedNodePullingFromTwoPeersAtOnceTakesEachStateOnce() {
        SimCluster cluster = Clusters.started(SimCluster.spec(List.of(3), List.of(3), List.of(3), 8), 18, tinyBuffers()
                .withRepair(RepairSettings.defaults().withPace(0, 0)));
        cluster.crash(3);
        SimCluster.Client client = Clusters.client(cluster.node(1), ConsistencyLevel.LOCAL_QUORUM);
        int keys = 3_000;
        for (int i = 0; i < keys; i++) {
            client.command("SET", "m" + i, "v" + i);
        }
        cluster.network.runFor(2_000);
        cluster.restart(3);
        assertThat(cluster.runUntil(cluster::quiescent, 50, 30_000)).isTrue();
        assertIdentical(cluster);
        assertThat(cluster.node(3).replicator.stats().repair().keysReceived())
                .as("node 3 pulls from nodes 1 and 2 at once, in turns: no state comes twice")
                .isLessThanOrEqualTo(keys + keys / 10);
    }

    @Test
    void valuesLargerThanADeltaBatchReplicateAtQuorum() {
        SimCluster cluster = Clusters.threeNodes(13);
        String big = "x".repeat(300_000);
        assertThat(await(cluster, Clusters.set(cluster.node(1), "big", big, ConsistencyLevel.LOCAL_QUORUM)))
                .isEqualTo("+OK\r\n");
        List<String> sadd = new ArrayList<>();
        sadd.add("SADD");
        sadd.add("many");
        for (int i = 0; i < 20_000; i++) {
            sadd.add("member-" + i);
        }
        SimCluster.Client client = Clusters.client(cluster.node(2), ConsistencyLevel.LOCAL_QUORUM);
        assertThat(await(cluster, client.command(sadd.toArray(String[]::new)))).isEqualTo(":20000\r\n");
        assertThat(cluster.runUntil(cluster::quiescent, 50, 10_000)).isTrue();
        for (SimCluster.Node n : cluster.nodes.values()) {
            assertThat(Clusters.get(n, "big")).hasSize(300_000);
            assertThat(n.engine.stateCopy(bytes("many")).set().size()).isEqualTo(20_000);
        }
        assertIdentical(cluster);
    }

    @Test
    void aRestartedNodeOwesAndGetsAPassWithEveryPeer() {
        SimCluster cluster = Clusters.threeNodes(14);
        for (int i = 0; i < 50; i++) {
            await(cluster, Clusters.set(cluster.node(2), "r" + i, "v" + i, ConsistencyLevel.ONE));
        }
        cluster.crash(2);
        cluster.network.runFor(300);
        cluster.restart(2);
        assertThat(cluster.node(2).replicator.repairOwed()).as("its buffers were lost").isTrue();
        assertThat(cluster.runUntil(cluster::quiescent, 50, 20_000)).isTrue();
        assertIdentical(cluster);
    }

    @Test
    void aRestartedNodeServesReadsAtOneThroughACompleteReplicaUntilItHasPulledEverything() {
        SimCluster cluster = Clusters.started(SimCluster.spec(List.of(3), List.of(3), List.of(3), 8), 16, tinyBuffers()
                .withRepair(new RepairSettings(60_000, 64 << 10, 64, 4 << 10, 2, 2, 5_000, 2, 4)));
        cluster.network.runFor(3_000);
        assertThat(cluster.node(3).replicator.syncPercent()).as("complete after its first passes").isEqualTo(100);
        cluster.crash(3);
        SimCluster.Client client = Clusters.client(cluster.node(1), ConsistencyLevel.LOCAL_QUORUM);
        for (int i = 0; i < 200; i++) {
            client.command("SET", "while-down:" + i, "x".repeat(1_000));
        }
        cluster.network.runFor(1_000); // node 1's buffer for node 3 overflows: only repair brings these
        cluster.restart(3);
        cluster.network.runFor(300);
        assertThat(cluster.node(3).replicator.syncPercent()).as("pulling at 64 KiB/s").isLessThan(100);
        String missing = null;
        for (int i = 0; i < 200 && missing == null; i++) {
            if (Clusters.get(cluster.node(3), "while-down:" + i) == null) {
                missing = "while-down:" + i; // dropped from node 1's buffer, not pulled yet
            }
        }
        assertThat(missing).as("a key node 3 lacks").isNotNull();
        assertThat(await(cluster, cluster.node(3).command("STRLEN", missing)))
                .as("a read at ONE on node 3 is answered by a complete replica").isEqualTo(":1000\r\n");
        // A write at ONE on node 3 whose delta waits behind a large one (the in-flight window is
        // 2 KiB here): only node 3 holds it when the read comes, and the read still sees it.
        SimCluster.Client mine = Clusters.client(cluster.node(3), ConsistencyLevel.ONE);
        mine.command("SET", "big", "y".repeat(5_000));
        mine.command("SET", "mine", "written-on-3");
        assertThat(await(cluster, mine.command("GET", "mine")))
                .as("and it sees the connection's own write, which only node 3 may hold yet")
                .isEqualTo("$12\r\nwritten-on-3\r\n");
        assertThat(await(cluster, cluster.node(3).command("INFO", "replication"))).contains("sync_state:syncing");

        assertThat(cluster.runUntil(cluster::quiescent, 50, 30_000)).isTrue();
        assertThat(cluster.runUntil(() -> cluster.node(3).replicator.syncPercent() == 100, 50, 10_000)).isTrue();
        assertThat(Clusters.get(cluster.node(3), missing)).hasSize(1_000);
        assertThat(await(cluster, cluster.node(3).command("INFO", "replication"))).contains("sync_state:complete");
        assertIdentical(cluster);
    }

    @Test
    void repairIsPacedByItsByteRate() {
        ReplicationSettings paced = pacedRepair();
        SimCluster cluster = Clusters.started(SimCluster.spec(List.of(2), List.of(2), List.of(2), 8), 15, paced);
        cluster.network.isolate(2);
        SimCluster.Client client = Clusters.client(cluster.node(1), ConsistencyLevel.ONE);
        for (int i = 0; i < 200; i++) {
            client.command("SET", "p" + i, "x".repeat(2_000)); // about 400 KB in all
        }
        cluster.network.runFor(200);
        long start = cluster.network.clock().nowMillis();
        cluster.network.heal();
        assertThat(cluster.runUntil(cluster::quiescent, 50, 60_000)).isTrue();
        long took = cluster.network.clock().nowMillis() - start;
        assertThat(took).as("400 KB at 64 KiB/s takes several seconds").isGreaterThan(4_000);
        assertThat(cluster.node(1).replicator.stats().repair().sessionsFailed())
                .as("the pace pauses streams, it never stalls them until the session times out").isZero();
        assertIdentical(cluster);
    }

    @Test
    void aNodeRefusedByABusyPeerAsksAgainWithinHalfASecond() {
        ReplicationSettings paced = pacedRepair();
        SimCluster cluster = Clusters.started(SimCluster.spec(List.of(3), List.of(3), List.of(3), 8), 16, paced);
        cluster.network.isolate(3);
        SimCluster.Client one = Clusters.client(cluster.node(1), ConsistencyLevel.ONE);
        SimCluster.Client two = Clusters.client(cluster.node(2), ConsistencyLevel.ONE);
        for (int i = 0; i < 100; i++) {
            one.command("SET", "a" + i, "x".repeat(4_000));
            two.command("SET", "b" + i, "y".repeat(4_000)); // 800 KB in all: a pass of over 10 s at 64 KiB/s
        }
        cluster.network.runFor(500);
        assertThat(cluster.node(1).replicator.repairOwed() && cluster.node(2).replicator.repairOwed())
                .as("both buffers for node 3 overflowed").isTrue();

        // Node 3 serves one pass at a time: one of nodes 1 and 2 is refused, again and again, while
        // the other's pass runs. The refused one must not back off for long: node 3 may be free any
        // moment, and until its pass ran it keeps needs_full_sync set.
        cluster.network.heal();
        long[] started = new long[3];
        long[] failed = new long[3]; // at the last start seen
        long[] lastStart = new long[3];
        long[] longestWaitAfterRefusal = new long[3];
        int[] refusals = new int[3];
        assertThat(cluster.runUntil(() -> {
            long now = cluster.network.clock().nowMillis();
            for (int node = 1; node <= 2; node++) {
                var stats = cluster.node(node).replicator.stats().repair();
                if (stats.sessionsStarted() > started[node]) { // a new session: did the one before fail?
                    if (stats.sessionsFailed() > failed[node] && lastStart[node] != 0) {
                        refusals[node]++;
                        longestWaitAfterRefusal[node] = Math.max(longestWaitAfterRefusal[node], now - lastStart[node]);
                    }
                    started[node] = stats.sessionsStarted();
                    failed[node] = stats.sessionsFailed();
                    lastStart[node] = now;
                }
            }
            return !cluster.node(1).replicator.repairOwed() && !cluster.node(2).replicator.repairOwed();
        }, 10, 120_000)).isTrue();
        int refused = refusals[1] > refusals[2] ? 1 : 2;
        assertThat(refusals[refused]).as("node %d was refused while node 3 served the other pass", refused)
                .isGreaterThan(5);
        assertThat(longestWaitAfterRefusal[refused]).as("longest wait of node %d after a refusal", refused)
                .isLessThan(500);
        assertThat(cluster.runUntil(cluster::quiescent, 50, 20_000)).isTrue();
        assertIdentical(cluster);
    }

    /** Every replica of every key holds an equal state, and the nodes' whole-data digests agree. */
    static void assertIdentical(SimCluster cluster) {
        for (byte[] key : cluster.allKeys()) {
            Map<Integer, KeyState> states = cluster.statesOf(key);
            KeyState reference = null;
            for (int r = 0; r < cluster.replicasOf(key).size(); r++) {
                KeyState s = states.get(cluster.replicasOf(key).node(r));
                if (reference == null) {
                    reference = s;
                }
                assertThat(s).as("state of %s on node %s", Clusters.str(key), cluster.replicasOf(key).node(r))
                        .isEqualTo(reference);
            }
        }
        long[] first = null;
        for (SimCluster.Node n : cluster.nodes.values()) {
            long[] d = n.replicator.dataDigest();
            if (first == null) {
                first = d;
            }
            if (cluster.ring.topology().nodeCount() == sumOfReplicationFactors(cluster)) {
                assertThat(d).as("data digest of node %s", n.id).containsExactly(first);
            }
        }
    }

    private static int sumOfReplicationFactors(SimCluster cluster) {
        int sum = 0;
        for (int d = 0; d < cluster.topology.datacenterCount(); d++) {
            sum += cluster.topology.replicationFactor(d);
        }
        return sum;
    }
}
