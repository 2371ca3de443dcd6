package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.cluster.ConnectionState;
import io.converge.server.replication.ReplicationStats;
import io.converge.server.testing.RespClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code CONVERGE PARTITION} / {@code HEAL} on two real nodes: a cut stops replication (a write
 * at ONE on one side stays invisible on the other) until it is healed, and the commands are gated
 * by {@code enable-debug-command} with Redis's wording.
 */
class PartitionCommandTest {

    private static final String REFUSED = "ERR CONVERGE PARTITION command not allowed. If the enable-debug-command "
            + "option is set to \"local\", you can run it from a local connection, otherwise you need to set this "
            + "option in the configuration file, and then restart the server.";

    private static boolean connected(TestCluster cluster, int from, int to) {
        for (ReplicationStats.NodeRow row : cluster.replicator(from).stats().nodes()) {
            if (row.nodeId() == to) {
                return row.connection() == ConnectionState.CONNECTED;
            }
        }
        throw new AssertionError("node " + to + " unknown to node " + from);
    }

    @Test
    void aPartitionStopsReplicationUntilItIsHealed() throws Exception {
        try (TestCluster cluster = TestCluster.start(List.of(2), List.of(2), c -> c.set("enable-debug-command", "local"));
             RespClient one = new RespClient("127.0.0.1", cluster.port(1));
             RespClient two = new RespClient("127.0.0.1", cluster.port(2))) {
            assertThat(one.call("CONSISTENCY", "WRITE", "ONE")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(two.call("CONSISTENCY", "WRITE", "ONE")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(one.call("SET", "before", "1")).isEqualTo(new RespClient.Simple("OK"));
            await().atMost(Duration.ofSeconds(5)).until(() -> new RespClient.Bulk("1").equals(two.call("GET", "before")));

            assertThat(one.call("CONVERGE", "PARTITION", "2")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(two.call("CONVERGE", "PARTITION", "1")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(one.call("CONVERGE", "PARTITION")).isEqualTo(List.of(2L));
            await().atMost(Duration.ofSeconds(5)).until(() -> !connected(cluster, 1, 2) && !connected(cluster, 2, 1));

            assertThat(one.call("SET", "cut:one", "a")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(two.call("SET", "cut:two", "b")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(one.call("INCRBY", "cut:counter", "5")).isEqualTo(5L);
            assertThat(two.call("INCRBY", "cut:counter", "7")).isEqualTo(7L);
            // Longer than the delta resend timeout (1 s) and the reconnect backoff cap (500 ms + jitter).
            Thread.sleep(1_500);
            assertThat(two.call("GET", "cut:one")).isEqualTo(RespClient.Null.BULK);
            assertThat(one.call("GET", "cut:two")).isEqualTo(RespClient.Null.BULK);
            assertThat(one.call("GET", "cut:counter")).isEqualTo(new RespClient.Bulk("5"));
            assertThat(connected(cluster, 1, 2) || connected(cluster, 2, 1)).isFalse();

            assertThat(one.call("CONVERGE", "HEAL")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(two.call("CONVERGE", "HEAL", "1")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(one.call("CONVERGE", "PARTITION")).isEqualTo(List.of());

            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() ->
                    new RespClient.Bulk("a").equals(two.call("GET", "cut:one"))
                            && new RespClient.Bulk("b").equals(one.call("GET", "cut:two"))
                            && new RespClient.Bulk("12").equals(one.call("GET", "cut:counter"))
                            && new RespClient.Bulk("12").equals(two.call("GET", "cut:counter")));
        }
    }

    @Test
    void theCommandsAreRefusedUnlessEnabledAndCheckTheirArguments() {
        try (TestCluster cluster = TestCluster.start(List.of(2), List.of(2), c -> { });
             RespClient one = new RespClient("127.0.0.1", cluster.port(1))) {
            assertThat(one.call("CONVERGE", "PARTITION", "2")).isEqualTo(new RespClient.Err(REFUSED));
            assertThat(one.call("CONVERGE", "PARTITION")).isEqualTo(new RespClient.Err(REFUSED));
            assertThat(one.call("CONVERGE", "HEAL")).isEqualTo(new RespClient.Err(REFUSED.replace("PARTITION", "HEAL")));
            assertThat(one.call("CONFIG", "GET", "enable-debug-command"))
                    .isEqualTo(List.of(new RespClient.Bulk("enable-debug-command"), new RespClient.Bulk("no")));
            assertThat(one.call("CONFIG", "SET", "enable-debug-command", "yes")).isInstanceOf(RespClient.Err.class);
            assertThat(connected(cluster, 1, 2)).isTrue();
        }
        try (TestCluster cluster = TestCluster.start(List.of(2), List.of(2), c -> c.set("enable-debug-command", "yes"));
             RespClient one = new RespClient("127.0.0.1", cluster.port(1))) {
            assertThat(one.call("CONVERGE", "PARTITION", "1"))
                    .isEqualTo(new RespClient.Err("ERR node 1 is this node; it cannot be partitioned from itself"));
            assertThat(one.call("CONVERGE", "PARTITION", "2", "7"))
                    .isEqualTo(new RespClient.Err("ERR node 7 is not a member of cluster 'test-cluster'"));
            assertThat(one.call("CONVERGE", "PARTITION", "two"))
                    .isEqualTo(new RespClient.Err("ERR value is not an integer or out of range"));
            assertThat(one.call("CONVERGE", "PARTITION")).isEqualTo(List.of());
        }
    }

    @Test
    void localMeansALoopbackClient() {
        assertThat(io.converge.server.command.DebugGate.isLoopback("127.0.0.1:50000")).isTrue();
        assertThat(io.converge.server.command.DebugGate.isLoopback("127.8.9.1:1")).isTrue();
        assertThat(io.converge.server.command.DebugGate.isLoopback("0:0:0:0:0:0:0:1:6379")).isTrue();
        assertThat(io.converge.server.command.DebugGate.isLoopback("10.0.0.7:50000")).isFalse();
        assertThat(io.converge.server.command.DebugGate.isLoopback("0:0:0:0:0:0:0:2:6379")).isFalse();
        assertThat(io.converge.server.command.DebugGate.isLoopback("cluster")).isFalse();
        assertThat(io.converge.server.command.DebugGate.isLoopback("localhost:1")).isFalse();
        assertThat(io.converge.server.command.DebugGate.isLoopback("")).isFalse();
    }
}
