package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.RespClient;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * CLIENT TRACKING on a 3-node cluster: a client tracking keys on node 1 is told of writes made
 * on nodes 2 and 3 (they reach node 1 as merged deltas), in default and BCAST mode.
 */
class ClusterTrackingTest {

    @Test
    void writesOnOtherNodesInvalidateWhatAClientReadOnThisOne() {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> { });
             RespClient reader = new RespClient("127.0.0.1", cluster.port(1));
             RespClient two = new RespClient("127.0.0.1", cluster.port(2));
             RespClient three = new RespClient("127.0.0.1", cluster.port(3))) {
            assertThat(reader.call("HELLO", "3")).isInstanceOf(RespClient.RespMap.class);
            assertThat(reader.call("CLIENT", "TRACKING", "on")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(reader.call("GET", "cached")).isEqualTo(RespClient.Null.RESP3);
            assertThat(two.call("SET", "cached", "from node 2")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(reader.read()).isEqualTo(new RespClient.Push(List.of(new RespClient.Bulk("invalidate"),
                    List.of(new RespClient.Bulk("cached")))));
            assertThat(reader.call("CLIENT", "TRACKING", "off")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(reader.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:"))
                    .isEqualTo(new RespClient.Simple("OK"));
            assertThat(three.call("HSET", "user:7", "name", "x")).isEqualTo(1L);
            assertThat(reader.read()).isEqualTo(new RespClient.Push(List.of(new RespClient.Bulk("invalidate"),
                    List.of(new RespClient.Bulk("user:7")))));
        }
    }
}
