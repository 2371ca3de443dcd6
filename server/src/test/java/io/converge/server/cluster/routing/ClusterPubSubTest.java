package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.testing.RespClient;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Pub/sub across a 3-node cluster, through Lettuce and raw RESP: a PUBLISH on any node reaches
 * the subscribers of every node in the order it was published and answers the cluster-wide
 * receiver count; PUBSUB counts the whole cluster; a node cut off from the publisher misses what
 * is published meanwhile (messages are not stored) and gets messages again once healed.
 */
class ClusterPubSubTest {

    /** Collects what a Lettuce subscriber receives. */
    private static final class Inbox extends RedisPubSubAdapter<String, String> {
        final List<String> messages = new CopyOnWriteArrayList<>();

        @Override
        public void message(String channel, String message) {
            messages.add(channel + ":" + message);
        }

        @Override
        public void message(String pattern, String channel, String message) {
            messages.add(pattern + ">" + channel + ":" + message);
        }
    }

    private static Inbox subscribe(TestCluster cluster, int node, ProtocolVersion protocol, String channel) {
        StatefulRedisPubSubConnection<String, String> conn = cluster.connectPubSub(node, protocol);
        Inbox inbox = new Inbox();
        conn.addListener(inbox);
        conn.sync().subscribe(channel);
        return inbox;
    }

    @Test
    void aMessagePublishedOnOneNodeReachesTheSubscribersOfEveryNodeInOrder() throws Exception {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(2), c -> { });
             RespClient pub = new RespClient("127.0.0.1", cluster.port(1));
             RespClient patterns = new RespClient("127.0.0.1", cluster.port(1));
             RespClient admin = new RespClient("127.0.0.1", cluster.port(3))) {
            Inbox two = subscribe(cluster, 2, ProtocolVersion.RESP2, "news");
            Inbox three = subscribe(cluster, 3, ProtocolVersion.RESP3, "news");
            assertThat(patterns.call("PSUBSCRIBE", "n*")).isEqualTo(List.of(
                    new RespClient.Bulk("psubscribe"), new RespClient.Bulk("n*"), 1L));

            assertThat(pub.call("PUBSUB", "NUMSUB", "news", "none")).isEqualTo(
                    List.of(new RespClient.Bulk("news"), 2L, new RespClient.Bulk("none"), 0L));
            assertThat(admin.call("PUBSUB", "NUMPAT")).isEqualTo(1L);
            assertThat(admin.call("PUBSUB", "CHANNELS")).isEqualTo(List.of(new RespClient.Bulk("news")));

            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                assertThat(pub.call("PUBLISH", "news", "m" + i)).as("receivers of message %d", i).isEqualTo(3L);
                expected.add("news:m" + i);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> two.messages.size() == 200 && three.messages.size() == 200);
            assertThat(two.messages).containsExactlyElementsOf(expected);
            assertThat(three.messages).containsExactlyElementsOf(expected);
            for (int i = 0; i < 200; i++) {
                assertThat(patterns.read()).isEqualTo(List.of(new RespClient.Bulk("pmessage"), new RespClient.Bulk("n*"),
                        new RespClient.Bulk("news"), new RespClient.Bulk("m" + i)));
            }

            // Published on node 3 this time, pipelined: the replies come back in order, each counting everyone.
            StringBuilder batch = new StringBuilder();
            for (int i = 0; i < 50; i++) {
                batch.append(new String(RespClient.encode("PUBLISH", "news", "p" + i)));
            }
            admin.send(batch.toString());
            assertThat(admin.read(50)).containsOnly(3L);
            await().atMost(Duration.ofSeconds(10)).until(() -> two.messages.size() == 250);
            assertThat(two.messages.subList(200, 250)).isEqualTo(
                    java.util.stream.IntStream.range(0, 50).mapToObj(i -> "news:p" + i).toList());
        }
    }

    @Test
    void aNodeCutOffMissesWhatIsPublishedMeanwhileAndGetsMessagesAgainOnceHealed() {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> c.set("enable-debug-command", "local"));
             RespClient one = new RespClient("127.0.0.1", cluster.port(1));
             RespClient two = new RespClient("127.0.0.1", cluster.port(2));
             RespClient three = new RespClient("127.0.0.1", cluster.port(3))) {
            Inbox onTwo = subscribe(cluster, 2, ProtocolVersion.RESP3, "ch");
            Inbox onThree = subscribe(cluster, 3, ProtocolVersion.RESP3, "ch");
            assertThat(one.call("PUBLISH", "ch", "before")).isEqualTo(2L);

            assertThat(one.call("CONVERGE", "PARTITION", "3")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(two.call("CONVERGE", "PARTITION", "3")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(three.call("CONVERGE", "PARTITION", "1", "2")).isEqualTo(new RespClient.Simple("OK"));
            await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(1).equals(one.call("PUBLISH", "ch", "probe")));
            assertThat(one.call("PUBLISH", "ch", "during")).isEqualTo(1L);
            assertThat(three.call("PUBLISH", "ch", "inside")).isEqualTo(1L);

            for (RespClient c : List.of(one, two, three)) {
                assertThat(c.call("CONVERGE", "HEAL")).isEqualTo(new RespClient.Simple("OK"));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(2).equals(one.call("PUBLISH", "ch", "probe")));
            assertThat(one.call("PUBLISH", "ch", "after")).isEqualTo(2L);
            await().atMost(Duration.ofSeconds(5)).until(() -> onThree.messages.contains("ch:after")
                    && onTwo.messages.contains("ch:after"));
            assertThat(onThree.messages).contains("ch:before", "ch:inside").doesNotContain("ch:during");
            assertThat(onTwo.messages).contains("ch:before", "ch:during").doesNotContain("ch:inside");
        }
    }

    @Test
    void keyspaceEventsComeOnceFromTheNodeThatRanTheCommandAndAnExpiryOnceFromOneReplica() {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> c.set("notify-keyspace-events", "KEA"));
             RespClient one = new RespClient("127.0.0.1", cluster.port(1));
             RespClient sub = new RespClient("127.0.0.1", cluster.port(2))) {
            assertThat(sub.call("SUBSCRIBE", "__keyevent@0__:set", "__keyevent@0__:expired", "__keyevent@0__:del"))
                    .isInstanceOf(List.class);
            sub.read(2);
            assertThat(one.call("SET", "k", "v")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(one.call("SET", "short", "v", "PX", "100")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(one.call("DEL", "k")).isEqualTo(1L);
            assertThat(sub.read(3)).containsExactly(
                    List.of(new RespClient.Bulk("message"), new RespClient.Bulk("__keyevent@0__:set"), new RespClient.Bulk("k")),
                    List.of(new RespClient.Bulk("message"), new RespClient.Bulk("__keyevent@0__:set"), new RespClient.Bulk("short")),
                    List.of(new RespClient.Bulk("message"), new RespClient.Bulk("__keyevent@0__:del"), new RespClient.Bulk("k")));
            // Every replica expires "short" on its own, once the purge is safe everywhere (seconds
            // in a cluster); the first purge replicates. One replica tells, and nothing more comes.
            String rest = sub.readUntilClosedOrIdle(30_000, 3_000);
            assertThat(rest).isEqualTo("*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:expired\r\n$5\r\nshort\r\n");
        }
    }
}
