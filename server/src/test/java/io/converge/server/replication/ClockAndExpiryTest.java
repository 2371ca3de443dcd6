package io.converge.server.replication;

import static io.converge.server.replication.Clusters.await;
import static io.converge.server.replication.Clusters.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.converge.crdt.KeyState;
import io.converge.server.cluster.ConsistencyLevel;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Clock jumps and expiry across replicas, in the deterministic simulation through the production
 * request path: a node whose clock jumps far ahead stops taking writes (its stamps would win every
 * conflict) and takes them again once its clock is back; a TTL refreshed on one side of a
 * partition survives the other side's expiry of the old TTL.
 */
class ClockAndExpiryTest {

    @Test
    void aNodeWhoseClockJumpsAheadRefusesWritesUntilItIsBackAndItsStampsAreNotAhead() {
        SimCluster cluster = Clusters.threeNodes(31);
        cluster.network.setClockSkew(1, 5 * 60_000);
        cluster.network.runFor(300); // a few heartbeats carry the jumped clock
        String refused = await(cluster, Clusters.set(cluster.node(1), "k", "from-the-future", ConsistencyLevel.ONE));
        assertThat(refused).startsWith("-ERR clock drift: the clock of node 1 is").contains("ahead of nodes [2, 3]");
        assertThat(Clusters.get(cluster.node(1), "k")).as("nothing was written").isNull();
        assertThat(await(cluster, Clusters.set(cluster.node(2), "k", "v2", ConsistencyLevel.LOCAL_QUORUM)))
                .as("the other nodes go on").isEqualTo("+OK\r\n");
        assertThat(await(cluster, cluster.node(1).command("GET", "k"))).as("reads go on").isEqualTo("$2\r\nv2\r\n");
        assertThat(cluster.node(1).replicator.stats().counters().writesRefusedClockAhead()).isEqualTo(1);

        // The clock steps back, but the node's HLC followed it ahead (it stamped GC rounds): its
        // writes would still win every conflict until real time catches up, so they wait for that.
        cluster.network.setClockSkew(1, 0);
        cluster.network.runFor(300);
        assertThat(await(cluster, Clusters.set(cluster.node(1), "k", "too-early", ConsistencyLevel.LOCAL_QUORUM)))
                .startsWith("-ERR clock drift: node 1 stamped writes").contains("its clock stepped back");
        cluster.network.runFor(5 * 60_000);
        assertThat(await(cluster, Clusters.set(cluster.node(1), "k", "v1", ConsistencyLevel.LOCAL_QUORUM)))
                .isEqualTo("+OK\r\n");
        assertThat(await(cluster, cluster.node(2).command("GET", "k"))).isEqualTo("$2\r\nv1\r\n");
    }

    @Test
    void aTtlRefreshedDuringAPartitionSurvivesTheOtherSidesExpiry() {
        SimCluster cluster = Clusters.started(SimCluster.spec(List.of(3), List.of(3), List.of(3), 8), 32,
                SimCluster.simulationSettings());
        SimCluster.Client all = Clusters.client(cluster.node(1), ConsistencyLevel.ALL);
        assertThat(await(cluster, all.command("SET", "k", "v", "PX", "2000"))).isEqualTo("+OK\r\n");
        cluster.network.partition(List.of(List.of(1), List.of(2, 3)));
        cluster.network.runFor(500);
        SimCluster.Client one = Clusters.client(cluster.node(1), ConsistencyLevel.ONE);
        assertThat(await(cluster, one.command("PEXPIRE", "k", "60000"))).as("refreshed on node 1").isEqualTo(":1\r\n");

        cluster.network.runFor(3_000); // the old TTL passes on nodes 2 and 3
        assertThat(await(cluster, cluster.node(2).command("GET", "k"))).as("expired where the refresh is unknown")
                .isEqualTo("$-1\r\n");
        assertThat(await(cluster, cluster.node(2).command("SCAN", "0"))).contains("*0");
        cluster.node(2).engine.runBackgroundCycle(); // active expiry sees it
        assertThat(cluster.node(2).engine.stateCopy(bytes("k")).stringBytes())
                .as("hidden, not purged: every replica has not yet seen everything before its purge")
                .isEqualTo(bytes("v"));

        cluster.network.heal();
        assertThat(cluster.runUntil(cluster::quiescent, 50, 10_000)).isTrue();
        cluster.network.runFor(3_000); // GC horizons move on; background cycles run
        for (SimCluster.Node n : cluster.nodes.values()) {
            n.engine.runBackgroundCycle();
            assertThat(await(cluster, n.command("GET", "k"))).as("node %d", n.id).isEqualTo("$1\r\nv\r\n");
            String pttl = await(cluster, n.command("PTTL", "k"));
            assertThat(Long.parseLong(pttl.substring(1, pttl.length() - 2))).as("node %d's TTL", n.id)
                    .isBetween(50_000L, 60_000L);
        }
        KeyState reference = cluster.node(1).engine.stateCopy(bytes("k"));
        for (SimCluster.Node n : cluster.nodes.values()) {
            assertThat(n.engine.stateCopy(bytes("k"))).isEqualTo(reference);
        }
    }

    @Test
    void anExpiredKeyIsPurgedEverywhereOnceTheHorizonPassesIt() {
        SimCluster cluster = Clusters.threeNodes(33);
        SimCluster.Client all = Clusters.client(cluster.node(1), ConsistencyLevel.ALL);
        assertThat(await(cluster, all.command("SET", "gone", "v", "PX", "500"))).isEqualTo("+OK\r\n");
        cluster.network.runFor(5_000);
        for (SimCluster.Node n : cluster.nodes.values()) {
            n.engine.runBackgroundCycle();
        }
        assertThat(cluster.runUntil(() -> cluster.nodes.values().stream()
                .allMatch(n -> n.engine.size() == 0), 50, 10_000)).as("purged on every replica").isTrue();
    }
}
