package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.RespClient;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * WAIT on a 3-node cluster: the count of other nodes that acknowledged the connection's writes,
 * waiting for it when asked for more; a node cut off does not count until it has them.
 */
class WaitCommandTest {

    @Test
    void waitCountsTheNodesThatAcknowledgedTheConnectionsWrites() {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> c.set("enable-debug-command", "local")
                .set("write-consistency", "ONE"));
             RespClient one = new RespClient("127.0.0.1", cluster.port(1));
             RespClient admin = new RespClient("127.0.0.1", cluster.port(1));
             RespClient three = new RespClient("127.0.0.1", cluster.port(3))) {
            assertThat(one.call("WAIT", "0", "0")).as("no write yet: the nodes up").isEqualTo(2L);
            assertThat(one.call("SET", "k", "v")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(one.call("WAIT", "2", "4000")).isEqualTo(2L);

            assertThat(admin.call("CONVERGE", "PARTITION", "3")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(three.call("CONVERGE", "PARTITION", "1")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(one.call("SET", "k2", "v")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(one.call("WAIT", "1", "4000")).isEqualTo(1L);
            long start = System.nanoTime();
            assertThat(one.call("WAIT", "2", "300")).as("node 3 is cut off").isEqualTo(1L);
            assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(250);

            // A client waiting for both is answered once the partition heals and node 3 has the write.
            one.send(RespClient.encode("WAIT", "2", "0"));
            assertThat(admin.call("CONVERGE", "HEAL")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(three.call("CONVERGE", "HEAL")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(one.read()).isEqualTo(2L);
        }
    }
}
