package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.testing.RespClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Streams on a 3-node cluster: while healthy, XADDs sent to any node get increasing IDs from the
 * key's primary; XADDs with auto IDs on three cut-off nodes end, once healed, as one stream with
 * every entry on every node, in the same order, with no ID twice; an XDEL made on one side
 * removes the entry everywhere, a DEL removes what it saw and keeps the XADDs it had not seen.
 */
class ClusterStreamTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void concurrentXaddsOnCutOffNodesMergeIntoOneStreamWithUniqueIds() {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> c.set("enable-debug-command", "local")
                     .set("write-consistency", "ONE"));
             RespClient one = new RespClient("127.0.0.1", cluster.port(1));
             RespClient two = new RespClient("127.0.0.1", cluster.port(2));
             RespClient three = new RespClient("127.0.0.1", cluster.port(3))) {
            List<RespClient> clients = List.of(one, two, three);
            // Healthy: every node's XADD goes to the primary; IDs grow, in Redis's form.
            List<String> healthy = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                healthy.add(((RespClient.Bulk) clients.get(i % 3).call("XADD", "s", "*", "n", "h" + i)).text());
            }
            for (int i = 1; i < healthy.size(); i++) {
                assertThat(compare(healthy.get(i - 1), healthy.get(i))).isNegative();
                assertThat(Long.parseLong(healthy.get(i).split("-")[1])).isLessThan(1000);
            }
            cluster.awaitQuiet();
            CutOffNodes.cutOffAll(clients, WAIT, "XLEN", "s");
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < 3; i++) {
                    Object id = clients.get(i).call("XADD", "s", "*", "n", "p" + i + ":" + round);
                    assertThat(id).isInstanceOf(RespClient.Bulk.class);
                }
            }
            // Each side removes an entry it saw before the partition.
            assertThat(one.call("XDEL", "s", healthy.get(0))).isEqualTo(1L);
            assertThat(two.call("XDEL", "s", healthy.get(1))).isEqualTo(1L);
            CutOffNodes.healAll(cluster, clients);
            CutOffNodes.awaitIdentical(cluster, "s", WAIT);
            Object range = one.call("XRANGE", "s", "-", "+");
            List<?> entries = (List<?>) range;
            assertThat(entries).hasSize(30 - 2 + 60);
            Set<String> ids = new HashSet<>();
            String previous = null;
            for (Object e : entries) {
                String id = ((RespClient.Bulk) ((List<?>) e).get(0)).text();
                assertThat(ids.add(id)).as("duplicate ID %s", id).isTrue();
                if (previous != null) {
                    assertThat(compare(previous, id)).isNegative();
                }
                previous = id;
            }
            for (RespClient c : clients) {
                assertThat(c.call("XRANGE", "s", "-", "+")).isEqualTo(range);
                assertThat(c.call("XLEN", "s")).isEqualTo(88L);
            }
            // After healing, new XADDs are above everything.
            String after = ((RespClient.Bulk) three.call("XADD", "s", "*", "n", "after")).text();
            assertThat(compare(previous, after)).isNegative();

            // Cut off again: node 1 deletes the key while node 2 adds; the add survives the DEL.
            cluster.awaitQuiet();
            CutOffNodes.cutOffAll(clients, WAIT, "XLEN", "s");
            assertThat(one.call("DEL", "s")).isEqualTo(1L);
            Object concurrent = two.call("XADD", "s", "*", "n", "concurrent");
            CutOffNodes.healAll(cluster, clients);
            CutOffNodes.awaitIdentical(cluster, "s", WAIT);
            for (RespClient c : clients) {
                List<?> left = (List<?>) c.call("XRANGE", "s", "-", "+");
                assertThat(left).hasSize(1);
                assertThat(((List<?>) left.get(0)).get(0)).isEqualTo(concurrent);
                assertThat(c.call("TYPE", "s")).isEqualTo(new RespClient.Simple("stream"));
            }
        }
    }

    /** Orders two IDs as Redis does (unsigned ms, then unsigned seq). */
    private static int compare(String a, String b) {
        String[] x = a.split("-");
        String[] y = b.split("-");
        int c = Long.compareUnsigned(Long.parseUnsignedLong(x[0]), Long.parseUnsignedLong(y[0]));
        return c != 0 ? c : Long.compareUnsigned(Long.parseUnsignedLong(x[1]), Long.parseUnsignedLong(y[1]));
    }




}
