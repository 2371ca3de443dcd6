package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.testing.RespClient;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * DBSIZE, KEYS, FLUSHALL over the whole cluster when no node holds every key (5 nodes, replication
 * factor 3): every node answers for the whole keyspace, each key counted once; the local view
 * stays available as CONVERGE LOCAL; a node that is down is covered by its keys' other replicas.
 */
class ClusterKeyspaceTest {
    private static final int KEYS = 400;

    private static Set<String> names(Object reply) {
        Set<String> out = new HashSet<>();
        for (Object o : (List<?>) reply) {
            out.add(((RespClient.Bulk) o).text());
        }
        return out;
    }

    private static void writeKeys(TestCluster cluster, RespClient client) {
        assertThat(client.call("CONSISTENCY", "WRITE", "ALL")).isEqualTo(new RespClient.Simple("OK"));
        for (int i = 0; i < KEYS; i++) {
            assertThat(client.call("SET", "key:" + i, "v" + i)).isEqualTo(new RespClient.Simple("OK"));
        }
        cluster.awaitQuiet();
    }

    @Test
    void everyNodeAnswersForTheWholeClusterAndFlushallEmptiesIt() {
        try (TestCluster cluster = TestCluster.start(List.of(5), List.of(3), c -> { })) {
            RespClient[] nodes = new RespClient[6];
            for (int id = 1; id <= 5; id++) {
                nodes[id] = new RespClient("127.0.0.1", cluster.port(id));
            }
            try {
                writeKeys(cluster, nodes[1]);
                long localTotal = 0;
                for (int id = 1; id <= 5; id++) {
                    assertThat(nodes[id].call("DBSIZE")).as("DBSIZE on node %d", id).isEqualTo((long) KEYS);
                    long local = (Long) nodes[id].call("CONVERGE", "LOCAL", "DBSIZE");
                    assertThat(local).as("node %d holds only its share", id).isLessThan(KEYS);
                    assertThat(names(nodes[id].call("CONVERGE", "LOCAL", "KEYS", "*"))).hasSize((int) local);
                    localTotal += local;
                }
                assertThat(localTotal).as("every key on 3 nodes").isEqualTo(3L * KEYS);

                Set<String> all = names(nodes[4].call("KEYS", "*"));
                assertThat(all).hasSize(KEYS);
                Set<String> ones = names(nodes[2].call("KEYS", "key:1*"));
                assertThat(ones).hasSize(111).contains("key:1", "key:19", "key:199").doesNotContain("key:2");

                assertThat(nodes[3].call("FLUSHALL", "nope")).isEqualTo(new RespClient.Err("ERR syntax error"));
                assertThat(nodes[3].call("CONVERGE", "LOCAL", "SET", "x", "1")).isEqualTo(new RespClient.Err(
                        "ERR CONVERGE LOCAL runs DBSIZE, KEYS, SCAN, RANDOMKEY, FLUSHALL, FLUSHDB or a read-only "
                                + "command with keys (GET, LRANGE, SMEMBERS...)"));
                int holders = 0;
                for (int id = 1; id <= 5; id++) {
                    holders += ((Long) nodes[id].call("CONVERGE", "LOCAL", "EXISTS", "key:1")).intValue();
                }
                assertThat(holders).as("nodes holding key:1 by their own data (replication factor 3)").isEqualTo(3);
                assertThat(nodes[3].call("CONVERGE", "LOCAL", "KEYS")).isEqualTo(new RespClient.Err(
                        "ERR wrong number of arguments for 'keys' command"));

                assertThat(nodes[5].call("FLUSHALL")).isEqualTo(new RespClient.Simple("OK"));
                for (int id = 1; id <= 5; id++) {
                    assertThat(nodes[id].call("DBSIZE")).as("DBSIZE on node %d after FLUSHALL", id).isEqualTo(0L);
                    assertThat(nodes[id].call("CONVERGE", "LOCAL", "DBSIZE")).isEqualTo(0L);
                    assertThat(nodes[id].call("GET", "key:7")).isEqualTo(RespClient.Null.BULK);
                }
            } finally {
                for (int id = 1; id <= 5; id++) {
                    nodes[id].close();
                }
            }
        }
    }

    @Test
    void aNodeThatIsDownIsCoveredByItsKeysOtherReplicas() {
        try (TestCluster cluster = TestCluster.start(List.of(5), List.of(3), c -> { });
             RespClient one = new RespClient("127.0.0.1", cluster.port(1))) {
            writeKeys(cluster, one);
            cluster.stopNode(3);
            await().atMost(Duration.ofSeconds(20)).until(() -> !cluster.replicator(1).isUp(3)
                    && !cluster.replicator(2).isUp(3) && !cluster.replicator(4).isUp(3) && !cluster.replicator(5).isUp(3));
            assertThat(one.call("DBSIZE")).isEqualTo((long) KEYS);
            assertThat(names(one.call("KEYS", "*"))).hasSize(KEYS);
        }
    }
}
