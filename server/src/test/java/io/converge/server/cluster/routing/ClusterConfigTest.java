package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.converge.server.store.EmbeddedEngine;
import io.converge.server.testing.RespClient;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import io.lettuce.core.SetArgs;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * CONFIG SET on a running clustered node: the replication keys take effect there, and the
 * cluster-wide keys (notify-keyspace-events) reach every node, one that was down included, and
 * cross a partition as soon as it heals (with the function libraries, the other shared state).
 */
class ClusterConfigTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void configSetChangesTheDriftLimitTheRepairPaceAndTheReadRepairChance() {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), b -> { })) {
            cluster.awaitAllUp();
            RedisCommands<String, String> c = cluster.connect(1).sync();
            EmbeddedEngine engine = (EmbeddedEngine) cluster.node(1).services().engine();
            assertThat(engine.clock().maxDriftMs()).isEqualTo(1000);
            assertThat(c.configSet("max-clock-drift-ms", "250")).isEqualTo("OK");
            await().atMost(Duration.ofSeconds(5)).until(() -> engine.clock().maxDriftMs() == 250);
            assertThat(c.configGet("max-clock-drift-ms")).containsEntry("max-clock-drift-ms", "250");

            assertThat(c.configSet("repair-interval-ms", "1500")).isEqualTo("OK");
            assertThat(c.configSet("repair-max-bytes-per-sec", "1mb")).isEqualTo("OK");
            assertThat(c.configSet("read-repair-chance", "1")).isEqualTo("OK");
            assertThat(c.configGet("repair-max-bytes-per-sec")).containsEntry("repair-max-bytes-per-sec", "1048576");
            // The pace applies: with a 1.5 s interval, background passes complete with every peer.
            long before = cluster.replicator(1).repair().stats().sessionsCompleted();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> cluster.replicator(1).repair().stats().sessionsCompleted() >= before + 2);
            assertThatThrownBy(() -> c.configSet("read-repair-chance", "2"))
                    .hasMessageContaining("argument must be a number between 0 and 1");
        }
    }

    @Test
    void notifyKeyspaceEventsSetOnOneNodeHoldsOnEveryNodeIncludingOneThatWasDown() {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), b -> { })) {
            cluster.awaitAllUp();
            cluster.stopNode(3);
            assertThat(cluster.connect(2).sync().configSet("notify-keyspace-events", "Egx")).isEqualTo("OK");
            RedisCommands<String, String> one = cluster.connect(1).sync();
            await().atMost(WAIT).untilAsserted(() ->
                    assertThat(one.configGet("notify-keyspace-events")).containsEntry("notify-keyspace-events", "gxE"));
            cluster.startNode(3);
            cluster.awaitAllUp();
            RedisCommands<String, String> three = cluster.connect(3).sync();
            await().atMost(WAIT).untilAsserted(() ->
                    assertThat(three.configGet("notify-keyspace-events")).containsEntry("notify-keyspace-events", "gxE"));

            // Expiries are told by one designated replica per key, whichever node it is: with
            // the setting made on node 2 only, a subscriber on node 1 hears every key expire, once.
            List<String> expired = new CopyOnWriteArrayList<>();
            StatefulRedisPubSubConnection<String, String> sub = cluster.connectPubSub(1, ProtocolVersion.RESP2);
            sub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    expired.add(message);
                }
            });
            sub.sync().subscribe("__keyevent@0__:expired");
            for (int i = 0; i < 12; i++) {
                three.set("short:" + i, "v", SetArgs.Builder.px(100));
            }
            await().atMost(WAIT).until(() -> expired.size() >= 12);
            await().pollDelay(Duration.ofSeconds(2)).until(() -> true);
            assertThat(expired).hasSize(12).doesNotHaveDuplicates();

            // The latest CONFIG SET wins everywhere, whichever node it was made on.
            assertThat(three.configSet("notify-keyspace-events", "")).isEqualTo("OK");
            await().atMost(WAIT).untilAsserted(() ->
                    assertThat(one.configGet("notify-keyspace-events")).containsEntry("notify-keyspace-events", ""));
            sub.close();
        }
    }

    @Test
    void sharedStateChangedOnBothSidesOfAPartitionCrossesAsSoonAsItHeals() {
        String library = "#!lua name=cut\nredis.register_function('cut_side', function() return 'one' end)";
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), b -> b.set("enable-debug-command", "local"));
             RespClient one = new RespClient("127.0.0.1", cluster.port(1));
             RespClient two = new RespClient("127.0.0.1", cluster.port(2));
             RespClient three = new RespClient("127.0.0.1", cluster.port(3))) {
            RespClient.Simple ok = new RespClient.Simple("OK");
            assertThat(three.call("CONVERGE", "PARTITION", "1", "2")).isEqualTo(ok);
            assertThat(one.call("CONVERGE", "PARTITION", "3")).isEqualTo(ok);
            assertThat(two.call("CONVERGE", "PARTITION", "3")).isEqualTo(ok);
            await().atMost(WAIT).until(() -> !cluster.replicator(3).reachable(1) && !cluster.replicator(3).reachable(2)
                    && !cluster.replicator(1).reachable(3) && !cluster.replicator(2).reachable(3));

            assertThat(three.call("CONFIG", "SET", "notify-keyspace-events", "Kx")).isEqualTo(ok);
            assertThat(one.call("FUNCTION", "LOAD", library)).isEqualTo(new RespClient.Bulk("cut"));
            await().atMost(WAIT).until(() -> new RespClient.Bulk("one").equals(two.call("FCALL", "cut_side", "0")));
            assertThat(one.call("CONFIG", "GET", "notify-keyspace-events"))
                    .isEqualTo(List.of(new RespClient.Bulk("notify-keyspace-events"), new RespClient.Bulk("")));
            assertThat(three.call("FUNCTION", "LIST")).isEqualTo(List.of());

            for (RespClient c : List.of(one, two, three)) {
                assertThat(c.call("CONVERGE", "HEAL")).isEqualTo(ok);
            }
            // Well within the 30 s between the regular exchanges (the first came 1 s after the start).
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                for (RespClient c : List.of(one, two)) {
                    assertThat(c.call("CONFIG", "GET", "notify-keyspace-events")).isEqualTo(
                            List.of(new RespClient.Bulk("notify-keyspace-events"), new RespClient.Bulk("xK")));
                }
                assertThat(three.call("FCALL", "cut_side", "0")).isEqualTo(new RespClient.Bulk("one"));
            });
        }
    }
}
