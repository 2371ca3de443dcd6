package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.crdt.CrdtCodec;
import io.converge.crdt.KeyState;
import io.converge.server.store.StorageEngine;
import io.converge.server.testing.RespClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * A 3-node test cluster whose nodes are cut off from each other ({@code CONVERGE PARTITION}) and
 * healed again, and the check that the nodes then hold the same state of a key, for the tests
 * that concurrent writes of one data type on cut-off nodes all survive.
 */
final class CutOffNodes {
    private static final RespClient.Simple OK = new RespClient.Simple("OK");

    private CutOffNodes() {}

    /**
     * Cuts each of the three nodes of {@code clients} off from the two others, then waits until
     * {@code probe} answers an integer on each (it serves the key itself once it sees the others down).
     */
    static void cutOffAll(List<RespClient> clients, Duration wait, String... probe) {
        assertThat(clients.get(0).call("CONVERGE", "PARTITION", "2", "3")).isEqualTo(OK);
        assertThat(clients.get(1).call("CONVERGE", "PARTITION", "1", "3")).isEqualTo(OK);
        assertThat(clients.get(2).call("CONVERGE", "PARTITION", "1", "2")).isEqualTo(OK);
        for (RespClient c : clients) {
            await().atMost(wait).until(() -> c.call(probe) instanceof Long);
        }
    }

    /** Heals every cut and waits until every node sees every other up. */
    static void healAll(TestCluster cluster, List<RespClient> clients) {
        for (RespClient c : clients) {
            assertThat(c.call("CONVERGE", "HEAL")).isEqualTo(OK);
        }
        cluster.awaitAllUp();
    }

    /** Waits until nodes 1 to 3 hold the same state of {@code key}: equal encodings, and equal states. */
    static void awaitIdentical(TestCluster cluster, String key, Duration wait) {
        await().atMost(wait).pollInterval(Duration.ofMillis(50)).until(() -> {
            byte[] first = encoded(cluster, 1, key);
            return Arrays.equals(first, encoded(cluster, 2, key)) && Arrays.equals(first, encoded(cluster, 3, key));
        });
        KeyState a = state(cluster, 1, key);
        assertThat(state(cluster, 2, key)).isEqualTo(a);
        assertThat(state(cluster, 3, key)).isEqualTo(a);
    }

    /** A copy of node {@code id}'s state of {@code key}, or null. */
    static KeyState state(TestCluster cluster, int id, String key) {
        StorageEngine engine = (StorageEngine) cluster.node(id).services().engine();
        return engine.stateCopy(key.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] encoded(TestCluster cluster, int id, String key) {
        KeyState s = state(cluster, id, key);
        return s == null ? new byte[0] : CrdtCodec.encode(s);
    }
}
