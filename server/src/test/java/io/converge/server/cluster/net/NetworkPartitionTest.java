package io.converge.server.cluster.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.PeerMessageHandler;
import io.converge.server.cluster.Topology;
import io.converge.server.cluster.wire.PeerMessage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Partitions on demand and reconnection over real TCP: a cut stops traffic both ways even when
 * only one side was told, a heal brings the connections back through the ordinary reconnect
 * path, and a peer that dials in ends the other side's backoff at once.
 */
class NetworkPartitionTest {

    private static final NettyTransportSettings FAST_RECONNECT = NettyTransportSettings.defaults().withReconnect(20, 200);
    private static final byte[] KEY = "k".getBytes(StandardCharsets.UTF_8);

    private final List<NettyTransport> started = new ArrayList<>();

    /** Collects what a transport delivers. */
    private static final class Inbox implements PeerMessageHandler {
        final BlockingQueue<PeerMessage> messages = new LinkedBlockingQueue<>();

        @Override
        public void onMessage(int fromNodeId, PeerMessage message) {
            messages.add(message);
        }
    }

    @AfterEach
    void closeAll() {
        started.forEach(NettyTransport::close);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static ClusterSpec twoNodes(int port1, int port2) {
        return new ClusterSpec("partition-test", "secret", 8, Map.of("dc1", 2), List.of(
                new NodeSpec(1, "127.0.0.1", 1, port1, "dc1", "r1"),
                new NodeSpec(2, "127.0.0.1", 2, port2, "dc1", "r2")));
    }

    private NettyTransport start(ClusterSpec spec, int node, NettyTransportSettings settings, PeerMessageHandler handler) {
        NettyTransport t = new NettyTransport(Topology.of(spec), node, settings, null);
        t.setHandler(handler);
        started.add(t);
        t.start();
        return t;
    }

    private static void awaitConnected(NettyTransport a, NettyTransport b, Duration within) {
        await().atMost(within).pollInterval(Duration.ofMillis(10)).until(() ->
                a.connectionState(2) == ConnectionState.CONNECTED && b.connectionState(1) == ConnectionState.CONNECTED);
    }

    @Test
    void aCutOnOneSideStopsTrafficBothWaysUntilHealed() throws Exception {
        ClusterSpec spec = twoNodes(freePort(), freePort());
        Inbox inbox1 = new Inbox();
        Inbox inbox2 = new Inbox();
        NettyTransport t1 = start(spec, 1, FAST_RECONNECT, inbox1);
        NettyTransport t2 = start(spec, 2, FAST_RECONNECT, inbox2);
        awaitConnected(t1, t2, Duration.ofSeconds(10));
        long connectsBefore = t2.connects(1);

        t1.partition(List.of(2)); // node 2 is not told anything

        assertThat(t1.partitionedFrom()).containsExactly(2);
        await().atMost(Duration.ofSeconds(5)).until(() -> t1.connectionState(2) != ConnectionState.CONNECTED
                && t2.connectionState(1) != ConnectionState.CONNECTED);
        t1.send(2, new PeerMessage.Write(1, KEY, new byte[] {1}));
        t2.send(1, new PeerMessage.Write(2, KEY, new byte[] {2}));
        // Node 2 keeps redialling every <= 200 ms; for a second none of its attempts gets through.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (System.nanoTime() < until) {
            assertThat(t2.connectionState(1)).isNotEqualTo(ConnectionState.CONNECTED);
            assertThat(t1.connectionState(2)).isNotEqualTo(ConnectionState.CONNECTED);
            Thread.sleep(10);
        }
        assertThat(inbox1.messages).isEmpty();
        assertThat(inbox2.messages).isEmpty();
        assertThat(t2.connects(1)).isEqualTo(connectsBefore);

        assertThat(t1.heal(List.of())).containsExactly(2);

        assertThat(t1.partitionedFrom()).isEmpty();
        awaitConnected(t1, t2, Duration.ofSeconds(5));
        // What was queued while cut off goes out once the connections are back, as over a real network.
        assertThat(((PeerMessage.Write) inbox2.messages.poll(5, TimeUnit.SECONDS)).requestId()).isEqualTo(1);
        assertThat(((PeerMessage.Write) inbox1.messages.poll(5, TimeUnit.SECONDS)).requestId()).isEqualTo(2);
    }

    @Test
    void healingSomeNodesKeepsTheOthersCutAndBadIdsChangeNothing() throws Exception {
        int port1 = freePort();
        ClusterSpec spec = new ClusterSpec("partition-test", "secret", 8, Map.of("dc1", 3), List.of(
                new NodeSpec(1, "127.0.0.1", 1, port1, "dc1", "r1"),
                new NodeSpec(2, "127.0.0.1", 2, freePort(), "dc1", "r2"),
                new NodeSpec(3, "127.0.0.1", 3, freePort(), "dc1", "r3")));
        NettyTransport t1 = start(spec, 1, FAST_RECONNECT, new Inbox());

        assertThatThrownBy(() -> t1.partition(List.of(2, 1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("node 1 is this node");
        assertThatThrownBy(() -> t1.partition(List.of(2, 9))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("node 9 is not a member of cluster 'partition-test'");
        assertThat(t1.partitionedFrom()).isEmpty();

        t1.partition(List.of(2, 3));
        assertThat(t1.heal(List.of(3, 3))).containsExactly(3);
        assertThat(t1.partitionedFrom()).containsExactly(2);
        assertThat(t1.heal(List.of())).containsExactly(2);
        assertThat(t1.heal(List.of())).isEmpty();
    }

    @Test
    void aPeerDiallingInEndsTheBackoffAtOnce() throws Exception {
        ClusterSpec spec = twoNodes(freePort(), freePort());
        // Node 1's backoff is 30 s: once its first dial fails (nobody listens yet), only node 2's
        // dial can bring node 1's outbound connection back within the test's few seconds.
        NettyTransport t1 = start(spec, 1, NettyTransportSettings.defaults().withReconnect(30_000, 30_000), new Inbox());
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
                .until(() -> t1.connectionState(2) == ConnectionState.DISCONNECTED);
        Thread.sleep(50);
        assertThat(t1.connectionState(2)).isEqualTo(ConnectionState.DISCONNECTED);

        NettyTransport t2 = start(spec, 2, FAST_RECONNECT, new Inbox());

        awaitConnected(t1, t2, Duration.ofSeconds(10));
        assertThat(t1.connects(2)).isEqualTo(1);
    }
}
