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
 * Bitmaps on a 3-node cluster: SETBITs of different bits of one key (many in the same bytes)
 * made on three cut-off nodes all survive once healed, every node ends with identical state and
 * the GET bytes redis-server gives for all the SETBITs; per-bit last writer wins against a SET
 * made between them; concurrent BITFIELD INCRBYs of one field leave the later one's value.
 */
class ClusterBitmapTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final RespClient.Simple OK = new RespClient.Simple("OK");

    @Test
    void setbitsOnCutOffNodesAllSurviveAndConverge() throws InterruptedException {
        try (RedisServerFixture redis = RedisServerFixture.start();
             RespClient reference = new RespClient(redis);
             TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> c.set("enable-debug-command", "local")
                     .set("write-consistency", "ONE"));
             RespClient one = new RespClient("127.0.0.1", cluster.port(1));
             RespClient two = new RespClient("127.0.0.1", cluster.port(2));
             RespClient three = new RespClient("127.0.0.1", cluster.port(3))) {
            List<RespClient> clients = List.of(one, two, three);
            assertThat(one.call("SETBIT", "b", "5", "1")).isEqualTo(0L);
            reference.call("SETBIT", "b", "5", "1");
            cluster.awaitQuiet();
            CutOffNodes.cutOffAll(clients, WAIT, "SETBIT", "probe", "0", "1");
            // Node i sets bits i, i+3, i+6 ... (three nodes writing into the same bytes) and
            // clears bit 5 on node 3, which also grows the string far out.
            for (int i = 0; i < clients.size(); i++) {
                for (int bit = i; bit < 600; bit += 3) {
                    String[] setbit = {"SETBIT", "b", Integer.toString(bit), bit == 5 ? "0" : "1"};
                    assertThat(clients.get(i).call(setbit)).isInstanceOf(Long.class);
                    reference.call(setbit);
                }
            }
            assertThat(three.call("SETBIT", "b", "80000", "1")).isEqualTo(0L);
            reference.call("SETBIT", "b", "80000", "1");
            // Each cut-off node holds only its own bits (read on its own data: a read at ONE on a
            // replica that knows it missed writes asks its peers, which are cut off).
            Object cutOff = one.call("CONVERGE", "LOCAL", "BITCOUNT", "b");
            Object all = reference.call("BITCOUNT", "b");
            assertThat(cutOff).as("BITCOUNT on node 1 (reference %s)", all).isInstanceOf(Long.class);
            assertThat((Long) cutOff).isLessThan((Long) all / 2);
            CutOffNodes.healAll(cluster, clients);
            CutOffNodes.awaitIdentical(cluster, "b", WAIT);
            byte[] expected = get(reference, "b");
            for (RespClient c : clients) {
                assertThat(get(c, "b")).isEqualTo(expected);
                assertThat(c.call("BITCOUNT", "b")).isEqualTo(reference.call("BITCOUNT", "b"));
                assertThat(c.call("TYPE", "b")).isEqualTo(new RespClient.Simple("string"));
            }
            // BITOP over converged bitmaps, written as a string on every node.
            assertThat(two.call("BITOP", "NOT", "nb", "b")).isEqualTo(reference.call("BITOP", "NOT", "nb", "b"));
            CutOffNodes.awaitIdentical(cluster, "nb", WAIT);
            for (RespClient c : clients) {
                assertThat(get(c, "nb")).isEqualTo(get(reference, "nb"));
            }

            // Per-bit last writer wins: a SETBIT before a SET (on another cut-off node) loses to
            // it, a SETBIT after it survives on top of its bytes.
            CutOffNodes.cutOffAll(clients, WAIT, "SETBIT", "probe", "0", "1");
            two.call("SETBIT", "k", "0", "1");
            Thread.sleep(20);
            assertThat(one.call("SET", "k", "hello")).isEqualTo(OK);
            Thread.sleep(20);
            three.call("SETBIT", "k", "7", "1");
            // Concurrent BITFIELD INCRBYs of one field: the later write's value, whole.
            one.call("BITFIELD", "f", "SET", "u8", "0", "100");
            CutOffNodes.healAll(cluster, clients);
            CutOffNodes.awaitIdentical(cluster, "f", WAIT);
            CutOffNodes.cutOffAll(clients, WAIT, "SETBIT", "probe", "0", "1");
            one.call("BITFIELD", "f", "INCRBY", "u8", "0", "1");
            Thread.sleep(20);
            two.call("BITFIELD", "f", "INCRBY", "u8", "0", "10");
            CutOffNodes.healAll(cluster, clients);
            CutOffNodes.awaitIdentical(cluster, "k", WAIT);
            CutOffNodes.awaitIdentical(cluster, "f", WAIT);
            for (RespClient c : clients) {
                assertThat(get(c, "k")).isEqualTo("iello".getBytes(StandardCharsets.ISO_8859_1));
                assertThat(c.call("BITFIELD_RO", "f", "GET", "u8", "0")).isEqualTo(List.of(110L));
            }
        }
    }






    private static byte[] get(RespClient c, String key) {
        return ((RespClient.Bulk) c.call("GET", key)).text().getBytes(StandardCharsets.ISO_8859_1);
    }
}
