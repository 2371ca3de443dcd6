package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import io.converge.server.testing.RespClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SORT on a cluster: on 3 nodes holding every key, BY and GET patterns read the local replica and
 * a SORT ... STORE on one node replicates the stored list to the others; on 4 nodes with two
 * replicas per key, patterns whose keys the node does not replicate are refused, a hash tag keeps
 * them together, and STORE to another replica set is CROSSSLOT.
 */
class ClusterSortTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String NOT_HERE = " option of SORT denied in Cluster mode when keys formed by the pattern "
            + "are not replicated on the node of the sorted key (give the pattern the sorted key's hash tag)";

    @Test
    void aStoreOnOneNodeReplicatesTheSortedListToTheOthers() {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> { });
             RespClient one = new RespClient("127.0.0.1", cluster.port(1));
             RespClient two = new RespClient("127.0.0.1", cluster.port(2));
             RespClient three = new RespClient("127.0.0.1", cluster.port(3))) {
            assertThat(one.call("RPUSH", "ids", "3", "1", "2", "4")).isEqualTo(4L);
            assertThat(one.call("MSET", "w_1", "40", "w_2", "10", "w_3", "30", "w_4", "20"))
                    .isEqualTo(new RespClient.Simple("OK"));
            assertThat(one.call("HSET", "h_1", "name", "one")).isEqualTo(1L);
            assertThat(one.call("HSET", "h_3", "name", "three")).isEqualTo(1L);
            assertThat(one.call("SET", "dst", "replaced")).isEqualTo(new RespClient.Simple("OK"));
            cluster.awaitQuiet();
            // At write level ALL the reply comes once every replica applied the write's deltas.
            assertThat(two.call("CONSISTENCY", "WRITE", "ALL")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(two.call("SORT", "ids", "BY", "w_*", "GET", "#", "GET", "h_*->name", "STORE", "dst"))
                    .isEqualTo(8L);
            List<String> expected = List.of("2", "", "4", "", "3", "three", "1", "one");
            for (int id = 1; id <= 3; id++) {
                assertThat(ClusterListTest.elements(cluster, id, "dst")).as("node %d", id).isEqualTo(expected);
            }
            assertThat(three.call("TYPE", "dst")).isEqualTo(new RespClient.Simple("list"));
            assertThat(three.call("SORT_RO", "ids", "BY", "w_*", "DESC", "GET", "h_*->name"))
                    .isEqualTo(java.util.Arrays.asList(new RespClient.Bulk("one"), new RespClient.Bulk("three"),
                            RespClient.Null.BULK, RespClient.Null.BULK));
            // An empty result deletes the destination everywhere.
            assertThat(three.call("SORT", "nothing", "STORE", "dst")).isEqualTo(0L);
            for (int id = 1; id <= 3; id++) {
                int node = id;
                await().atMost(WAIT).until(() -> ClusterListTest.elements(cluster, node, "dst").isEmpty());
            }
            assertThat(one.call("EXISTS", "dst")).isEqualTo(0L);
        }
    }

    @Test
    void whereNodesHoldSomeKeysPatternsMustStayWithTheSortedKey() {
        try (TestCluster cluster = TestCluster.start(List.of(4), List.of(2), c -> { });
             RespClient one = new RespClient("127.0.0.1", cluster.port(1))) {
            Ring ring = cluster.replicator(1).ring();
            ReplicaSet source = ring.replicasFor(bytes("{s}ids"));
            // An element whose w_ key no replica of the sorted key holds, and a destination elsewhere.
            String far = null;
            for (int i = 0; far == null; i++) {
                ReplicaSet set = ring.replicasFor(bytes("w_" + i));
                boolean shared = false;
                for (int node : set.nodeIds()) {
                    shared |= source.contains(node);
                }
                if (!shared) {
                    far = Integer.toString(i);
                }
            }
            String elsewhere = null;
            for (int i = 0; elsewhere == null; i++) {
                if (!ring.replicasFor(bytes("dst" + i)).sameNodes(source)) {
                    elsewhere = "dst" + i;
                }
            }
            assertThat(one.call("RPUSH", "{s}ids", "2", far, "1")).isEqualTo(3L);
            assertThat(one.call("MSET", "{s}w_1", "3", "{s}w_2", "1", "{s}w_" + far, "2"))
                    .isEqualTo(new RespClient.Simple("OK"));
            assertThat(one.call("SET", "w_" + far, "0")).isEqualTo(new RespClient.Simple("OK"));

            assertThat(one.call("SORT", "{s}ids", "BY", "{s}w_*", "GET", "#", "GET", "{s}w_*"))
                    .isEqualTo(bulks("2", "1", far, "2", "1", "3"));
            assertThat(one.call("SORT", "{s}ids", "BY", "w_*")).isEqualTo(new RespClient.Err("ERR BY" + NOT_HERE));
            assertThat(one.call("SORT", "{s}ids", "GET", "w_*")).isEqualTo(new RespClient.Err("ERR GET" + NOT_HERE));
            assertThat(one.call("SORT_RO", "{s}ids", "BY", "nosort", "GET", "w_*"))
                    .isEqualTo(new RespClient.Err("ERR GET" + NOT_HERE));
            // Patterns that form no key, and GET #, need nothing from elsewhere.
            assertThat(one.call("SORT", "{s}ids", "BY", "nosort", "GET", "#", "GET", "constant"))
                    .isEqualTo(java.util.Arrays.asList(new RespClient.Bulk("2"), RespClient.Null.BULK,
                            new RespClient.Bulk(far), RespClient.Null.BULK, new RespClient.Bulk("1"),
                            RespClient.Null.BULK));
            // STORE: the destination must share the sorted key's replica set.
            assertThat(one.call("SORT", "{s}ids", "STORE", elsewhere))
                    .isEqualTo(new RespClient.Err("CROSSSLOT Keys in request don't hash to the same slot"));
            assertThat(one.call("EXISTS", elsewhere)).isEqualTo(0L);
            assertThat(one.call("SORT", "{s}ids", "BY", "{s}w_*", "STORE", "{s}dst")).isEqualTo(3L);
            List<String> stored = List.of("2", far, "1");
            for (int node : source.nodeIds()) {
                await().atMost(WAIT).until(() -> ClusterListTest.elements(cluster, node, "{s}dst").equals(stored));
            }
            assertThat(one.call("LRANGE", "{s}dst", "0", "-1")).isEqualTo(bulks("2", stored.get(1), "1"));
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<Object> bulks(String... values) {
        return java.util.Arrays.stream(values).<Object>map(RespClient.Bulk::new).toList();
    }
}
