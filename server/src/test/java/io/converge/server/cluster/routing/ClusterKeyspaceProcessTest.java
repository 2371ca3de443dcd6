package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.ProcessCluster;
import io.converge.server.testing.RespClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The cluster-wide keyspace commands on five real node processes with replication factor 3
 * (no node holds every key): DBSIZE, SCAN, RANDOMKEY and INFO keyspace answer for the whole
 * cluster while a node is killed with SIGKILL in the middle of a SCAN (the scan goes on with the
 * same cursor on the same node and still returns every key), and a SCAN whose coordinator is
 * killed goes on, with the cursor it last got, on another node.
 */
class ClusterKeyspaceProcessTest {
    private static final int KEYS = 3000;
    private static final int WITH_TTL = 100;

    /** The keys of one page of SCAN, the next cursor first. */
    private static String page(RespClient client, String cursor, Set<String> into) {
        Object reply = client.call("SCAN", cursor, "COUNT", "10");
        assertThat(reply).as("SCAN %s", cursor).isInstanceOf(List.class);
        List<?> parts = (List<?>) reply;
        for (Object o : (List<?>) parts.get(1)) {
            into.add(((RespClient.Bulk) o).text());
        }
        return ((RespClient.Bulk) parts.get(0)).text();
    }

    private static String keyspace(RespClient client) {
        String info = ((RespClient.Bulk) client.call("INFO", "keyspace")).text();
        return info.substring(info.indexOf("# Keyspace"));
    }

    @Test
    void scanDbsizeRandomkeyAndInfoAnswerForTheClusterWhileNodesAreKilled() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.create("keyspace", 5, 3, "160m", List.of())) {
            cluster.startAll();
            Set<String> loaded = new HashSet<>();
            try (RespClient one = new RespClient("127.0.0.1", cluster.port(1))) {
                assertThat(one.call("CONSISTENCY", "WRITE", "ALL")).isEqualTo(new RespClient.Simple("OK"));
                for (int batch = 0; batch < KEYS / 100; batch++) {
                    List<String> mset = new ArrayList<>(List.of("MSET"));
                    for (int i = batch * 100; i < (batch + 1) * 100; i++) {
                        mset.add("key:" + i);
                        mset.add("v" + i);
                        loaded.add("key:" + i);
                    }
                    assertThat(one.call(mset.toArray(String[]::new))).isEqualTo(new RespClient.Simple("OK"));
                }
                for (int i = 0; i < WITH_TTL; i++) {
                    assertThat(one.call("EXPIRE", "key:" + i, "3600")).isEqualTo(1L);
                }
            }

            for (int id = 1; id <= 5; id++) {
                try (RespClient c = new RespClient("127.0.0.1", cluster.port(id))) {
                    assertThat(c.call("DBSIZE")).as("DBSIZE on node %d", id).isEqualTo((long) KEYS);
                    assertThat(keyspace(c)).contains("db0:keys=" + KEYS + ",expires=" + WITH_TTL + ",avg_ttl=");
                    assertThat((Long) c.call("CONVERGE", "LOCAL", "DBSIZE")).isLessThan(KEYS);
                }
            }

            // Node 3 is killed while node 1 serves a SCAN: the scan goes on with the same cursor.
            try (RespClient one = new RespClient("127.0.0.1", cluster.port(1))) {
                Set<String> seen = new HashSet<>();
                String cursor = "0";
                int calls = 0;
                Thread killer = null;
                long slowest = 0;
                do {
                    if (calls == 20) {
                        // Killed from another thread, so that it may land while a call is being answered.
                        killer = new Thread(() -> {
                            try {
                                cluster.kill(3);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        });
                        killer.start();
                    }
                    long start = System.nanoTime();
                    cursor = page(one, cursor, seen);
                    slowest = Math.max(slowest, System.nanoTime() - start);
                    calls++;
                } while (!cursor.equals("0"));
                killer.join();
                assertThat(cluster.isRunning(3)).isFalse();
                System.out.printf("SCAN of %d keys: %d calls, the slowest %d ms%n", KEYS, calls, slowest / 1_000_000);
                assertThat(calls).isGreaterThan(100);
                assertThat(seen).as("every key, though node 3 died mid-scan").containsAll(loaded);
                assertThat(seen).hasSize(KEYS);

                assertThat(one.call("DBSIZE")).isEqualTo((long) KEYS);
                assertThat(keyspace(one)).contains("db0:keys=" + KEYS + ",expires=" + WITH_TTL + ",");
                for (int i = 0; i < 5; i++) {
                    assertThat(loaded).contains(((RespClient.Bulk) one.call("RANDOMKEY")).text());
                }
            }

            // A SCAN coordinated by node 5, which is killed: its last cursor goes on on node 2.
            Set<String> seen = new HashSet<>();
            String cursor = "0";
            try (RespClient five = new RespClient("127.0.0.1", cluster.port(5))) {
                for (int i = 0; i < 30; i++) {
                    cursor = page(five, cursor, seen);
                }
            }
            assertThat(cursor).isNotEqualTo("0");
            cluster.kill(5);
            try (RespClient two = new RespClient("127.0.0.1", cluster.port(2))) {
                int calls = 0;
                do {
                    cursor = page(two, cursor, seen);
                    assertThat(++calls).isLessThan(10_000);
                } while (!cursor.equals("0"));
                assertThat(seen).as("every key, the scan moved from node 5 to node 2").containsAll(loaded);
                assertThat(two.call("DBSIZE")).as("two nodes down of five, replication factor 3")
                        .isEqualTo((long) KEYS);
                assertThat(loaded).contains(((RespClient.Bulk) two.call("RANDOMKEY")).text());
            }
        }
    }
}
