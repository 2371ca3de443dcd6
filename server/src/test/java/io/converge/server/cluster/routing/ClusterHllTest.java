package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.testing.RedisServerFixture;
import io.converge.server.testing.RespClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * HyperLogLogs on a 3-node cluster: PFADDs of disjoint elements made on three cut-off nodes end,
 * once healed, in one identical HLL on every node, counted as redis-server counts all the
 * elements; a DEL then a PFADD converge to the new element alone; a PFADD concurrent with a DEL
 * that continued an older contribution goes with it.
 */
class ClusterHllTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void concurrentPfaddsOnCutOffNodesConvergeToRedissCountAndDeletesConverge() {
        try (RedisServerFixture redis = RedisServerFixture.start();
             RespClient reference = new RespClient(redis);
             TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> c.set("enable-debug-command", "local")
                     .set("write-consistency", "ONE"));
             RespClient one = new RespClient("127.0.0.1", cluster.port(1));
             RespClient two = new RespClient("127.0.0.1", cluster.port(2));
             RespClient three = new RespClient("127.0.0.1", cluster.port(3))) {
            List<RespClient> clients = List.of(one, two, three);
            assertThat(one.call("PFADD", "h", "start")).isEqualTo(1L);
            assertThat(reference.call("PFADD", "h", "start")).isEqualTo(1L);
            cluster.awaitQuiet();
            CutOffNodes.cutOffAll(clients, WAIT, "PFCOUNT", "h");
            for (int i = 0; i < clients.size(); i++) {
                for (int from = 0; from < 20_000; from += 1000) {
                    String[] add = elements("n" + (i + 1) + ":", from, 1000);
                    Object reply = clients.get(i).call(add);
                    assertThat(reply).isInstanceOf(Long.class);
                    reference.call(add);
                }
            }
            // Each cut-off node counts only what it saw so far (on its own data: see ClusterBitmapTest).
            assertThat((Long) one.call("CONVERGE", "LOCAL", "PFCOUNT", "h")).isLessThan((Long) reference.call("PFCOUNT", "h") / 2);
            CutOffNodes.healAll(cluster, clients);
            CutOffNodes.awaitIdentical(cluster, "h", WAIT);
            Object expected = reference.call("PFCOUNT", "h");
            assertThat((Long) expected).isBetween(59_000L, 61_000L);
            byte[] bytes = get(one, "h");
            for (RespClient c : clients) {
                assertThat(c.call("PFCOUNT", "h")).isEqualTo(expected);
                assertThat(get(c, "h")).isEqualTo(bytes);
            }
            // The registers are redis-server's: its count of Converge's bytes is its own.
            reference.call("SET".getBytes(StandardCharsets.UTF_8), "copy".getBytes(StandardCharsets.UTF_8), bytes);
            assertThat(reference.call("PFCOUNT", "copy")).isEqualTo(expected);

            // A DEL, once everywhere, then a PFADD on another node: the new element alone.
            assertThat(one.call("DEL", "h")).isEqualTo(1L);
            cluster.awaitQuiet();
            assertThat(two.call("PFADD", "h", "after")).isEqualTo(1L);
            CutOffNodes.awaitIdentical(cluster, "h", WAIT);
            for (RespClient c : clients) {
                assertThat(c.call("PFCOUNT", "h")).isEqualTo(1L);
            }

            // Cut off again: node 1 deletes while node 2 adds to the contribution it began
            // before the DEL; the DEL wins, everywhere. A later PFADD on node 3 survives.
            CutOffNodes.cutOffAll(clients, WAIT, "PFCOUNT", "h");
            assertThat(one.call("DEL", "h")).isEqualTo(1L);
            assertThat(two.call("PFADD", "h", "concurrent")).isEqualTo(1L);
            CutOffNodes.healAll(cluster, clients);
            CutOffNodes.awaitIdentical(cluster, "h", WAIT);
            for (RespClient c : clients) {
                assertThat(c.call("EXISTS", "h")).isEqualTo(0L);
            }
            assertThat(three.call("PFADD", "h", "later")).isEqualTo(1L);
            CutOffNodes.awaitIdentical(cluster, "h", WAIT);
            for (RespClient c : clients) {
                assertThat(c.call("PFCOUNT", "h")).isEqualTo(1L);
                assertThat(c.call("TYPE", "h")).isEqualTo(new RespClient.Simple("string"));
            }
        }
    }






    private static byte[] get(RespClient c, String key) {
        return ((RespClient.Bulk) c.call("GET", key)).text().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String[] elements(String prefix, int from, int n) {
        String[] add = new String[2 + n];
        add[0] = "PFADD";
        add[1] = "h";
        for (int i = 0; i < n; i++) {
            add[2 + i] = prefix + (from + i);
        }
        return add;
    }
}
