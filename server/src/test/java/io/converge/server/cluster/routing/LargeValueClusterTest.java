package io.converge.server.cluster.routing;

import static io.converge.server.cluster.routing.TestCluster.consistency;
import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import io.converge.server.cluster.Topology;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A value far larger than a peer frame (1 MiB) through a real cluster: a SET sent to a node that
 * does not replicate the key is forwarded (a WRITE of the whole command), a GET through that node
 * comes back in a WRITE_ACK, both in fragments.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LargeValueClusterTest {
    private TestCluster cluster;

    @BeforeAll
    void start() {
        cluster = TestCluster.start(List.of(3), List.of(2), c -> c.set("request-timeout-ms", "10000"));
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aTwentyMegabyteValueIsForwardedAndReadBackThroughANonReplica() {
        Ring ring = Ring.build(Topology.of(cluster.spec()));
        String key = null;
        for (int i = 0; key == null; i++) {
            ReplicaSet replicas = ring.replicasFor(("big:" + i).getBytes(StandardCharsets.UTF_8));
            if (!replicas.contains(1)) {
                key = "big:" + i;
            }
        }
        byte[] bytes = new byte[20_000_000];
        new Random(20).nextBytes(bytes);
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) ('a' + (bytes[i] & 15)); // printable: a Lettuce String codec round-trips it
        }
        String value = new String(bytes, StandardCharsets.US_ASCII);

        StatefulRedisConnection<String, String> c1 = cluster.connect(1);
        // ONE: the replica that runs the forwarded SET answers once it has applied it (getting the
        // delta of a 20 MB value to the other replica is the delta buffer's business, not this test's).
        consistency(c1, "WRITE", "ONE");
        RedisCommands<String, String> n1 = c1.sync();
        assertThat(n1.set(key, value)).isEqualTo("OK");
        assertThat(n1.strlen(key)).isEqualTo(20_000_000L);
        assertThat(n1.get(key)).as("read back through the non-replica").isEqualTo(value);
        assertThat(info(1)).contains("peer_reassembly_errors:0").contains("peer_max_frame_bytes:1048576");
        assertThat(field(1, "peer_messages_fragmented_sent")).as("the SET forwarded in fragments").isPositive();
        assertThat(field(1, "peer_messages_reassembled")).as("the GET's reply in fragments").isPositive();
        assertThat(field(1, "peer_largest_message_received_bytes")).isGreaterThan(20_000_000L);
    }

    private String info(int node) {
        return cluster.connect(node).sync().info("cluster");
    }

    private long field(int node, String name) {
        for (String line : info(node).split("\r\n")) {
            if (line.startsWith(name + ":")) {
                return Long.parseLong(line.substring(name.length() + 1));
            }
        }
        throw new AssertionError(name + " missing from INFO cluster");
    }
}
