package io.converge.server.cluster.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.PeerMessageHandler;
import io.converge.server.cluster.Topology;
import io.converge.server.cluster.wire.KeyedBytes;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A handler busy merging a large delta batch does not hold up the connection: heartbeats and
 * acknowledgements still arrive, other peers still connect, and everything else keeps its order,
 * through pauses of the reading (backpressure) and resumptions.
 */
class InboundDeliveryTest {

    private static final NettyTransportSettings SETTINGS = NettyTransportSettings.defaults().withReconnect(20, 200);
    private static final byte[] KEY = "k".getBytes(StandardCharsets.UTF_8);

    private final List<NettyTransport> started = new ArrayList<>();

    /** Records deliveries; blocks on the first bulk batch until released. */
    private static final class BlockingInbox implements PeerMessageHandler {
        final BlockingQueue<PeerMessage> messages = new LinkedBlockingQueue<>();
        final CountDownLatch blocked = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void onMessage(int fromNodeId, PeerMessage message) {
            messages.add(message);
            if (message instanceof PeerMessage.DeltaBatch b && b.firstSeq() == 1) {
                blocked.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
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

    private NettyTransport start(ClusterSpec spec, int node, PeerMessageHandler handler) {
        NettyTransport t = new NettyTransport(Topology.of(spec), node, SETTINGS, null);
        t.setHandler(handler);
        started.add(t);
        t.start();
        return t;
    }

    private static PeerMessage.DeltaBatch bulkBatch(long firstSeq) {
        List<KeyedBytes> entries = new ArrayList<>();
        for (int i = 0; i < InboundDelivery.BULK_ENTRIES; i++) {
            entries.add(new KeyedBytes(KEY, new byte[] {(byte) i}));
        }
        return new PeerMessage.DeltaBatch(1, 1, firstSeq, entries);
    }

    @Test
    void catchUpSizedBatchesAreBulkWritePathSizedOnesAreNot() {
        List<KeyedBytes> small = new ArrayList<>();
        for (int i = 0; i < 800; i++) { // a loop iteration of 50 clients pipelining 16 writes
            small.add(new KeyedBytes(KEY, new byte[40]));
        }
        List<KeyedBytes> large = List.of(new KeyedBytes(KEY, new byte[InboundDelivery.BULK_BYTES]));

        assertThat(InboundDelivery.isBulk(new PeerMessage.DeltaBatch(1, 1, 1, small))).isFalse();
        assertThat(InboundDelivery.isBulk(bulkBatch(1))).isTrue();
        assertThat(InboundDelivery.isBulk(new PeerMessage.DeltaBatch(1, 1, 1, large))).isTrue();
        assertThat(InboundDelivery.isBulk(new PeerMessage.Write(1, KEY, new byte[1 << 20]))).isFalse();
    }

    @Test
    void aBusyMergeHoldsUpNeitherHeartbeatsNorOtherPeersAndKeepsTheOrder() throws Exception {
        ClusterSpec spec = new ClusterSpec("delivery-test", "secret", 8, Map.of("dc1", 3), List.of(
                new NodeSpec(1, "127.0.0.1", 1, freePort(), "dc1", "r1"),
                new NodeSpec(2, "127.0.0.1", 2, freePort(), "dc1", "r2"),
                new NodeSpec(3, "127.0.0.1", 3, freePort(), "dc1", "r3")));
        BlockingInbox inbox1 = new BlockingInbox();
        NettyTransport t1 = start(spec, 1, inbox1);
        NettyTransport t2 = start(spec, 2, (from, m) -> { });
        await().atMost(Duration.ofSeconds(10)).until(() -> t2.connectionState(1) == ConnectionState.CONNECTED);

        // Batch 1 blocks the handler; 10 more batches and a small write queue behind it, while a
        // heartbeat and an ack go straight through.
        t2.send(1, bulkBatch(1));
        assertThat(inbox1.blocked.await(10, TimeUnit.SECONDS)).isTrue();
        int batches = 10;
        for (int i = 1; i <= batches; i++) {
            t2.send(1, bulkBatch(1 + i * InboundDelivery.BULK_ENTRIES));
        }
        t2.send(1, new PeerMessage.Write(99, KEY, new byte[] {1}));
        t2.send(1, new PeerMessage.Heartbeat(7, 0, 0));
        t2.send(1, new PeerMessage.DeltaAck(1, 5));
        PeerMessage first = inbox1.messages.poll(1, TimeUnit.SECONDS);
        assertThat(first).isInstanceOf(PeerMessage.DeltaBatch.class);
        assertThat(inbox1.messages.poll(5, TimeUnit.SECONDS)).isInstanceOf(PeerMessage.Heartbeat.class);
        assertThat(inbox1.messages.poll(5, TimeUnit.SECONDS)).isInstanceOf(PeerMessage.DeltaAck.class);

        // A third node connects to the busy node meanwhile.
        NettyTransport t3 = start(spec, 3, (from, m) -> { });
        await().atMost(Duration.ofSeconds(5)).until(() -> t3.connectionState(1) == ConnectionState.CONNECTED
                && t1.connectionState(3) == ConnectionState.CONNECTED);

        // More than the pause threshold queues up: reading pauses, and resumes as the queue drains.
        int more = 2 * InboundDelivery.PAUSE_AT;
        for (int i = 1; i <= more; i++) {
            t2.send(1, bulkBatch(1 + (batches + i) * InboundDelivery.BULK_ENTRIES));
        }
        t2.send(1, new PeerMessage.Write(100, KEY, new byte[] {2}));
        Thread.sleep(200);
        assertThat(inbox1.messages).isEmpty();

        inbox1.release.countDown();
        for (int i = 1; i <= batches + more + 1; i++) {
            PeerMessage next = inbox1.messages.poll(10, TimeUnit.SECONDS);
            if (i == batches + 1) {
                assertThat(next).isInstanceOf(PeerMessage.Write.class);
                assertThat(((PeerMessage.Write) next).requestId()).isEqualTo(99);
                continue;
            }
            int n = i <= batches ? i : i - 1;
            assertThat(next).as("message %d", i).isInstanceOf(PeerMessage.DeltaBatch.class);
            assertThat(((PeerMessage.DeltaBatch) next).firstSeq()).isEqualTo(1 + n * InboundDelivery.BULK_ENTRIES);
        }
        PeerMessage last = inbox1.messages.poll(10, TimeUnit.SECONDS);
        assertThat(last).isInstanceOf(PeerMessage.Write.class);
        assertThat(((PeerMessage.Write) last).requestId()).isEqualTo(100);
    }

    @Test
    void aMessageThatArrivedInFragmentsIsDecodedAndMergedOffTheLoopWhileHeartbeatsPassIt() throws Exception {
        NettyTransportSettings settings = SETTINGS.withFrameLimits(64 << 10, 64 << 20);
        ClusterSpec spec = new ClusterSpec("delivery-test", "secret", 8, Map.of("dc1", 2), List.of(
                new NodeSpec(1, "127.0.0.1", 1, freePort(), "dc1", "r1"),
                new NodeSpec(2, "127.0.0.1", 2, freePort(), "dc1", "r2")));
        BlockingQueue<PeerMessage> messages = new LinkedBlockingQueue<>();
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        String[] largeThread = new String[1];
        PeerMessageHandler handler = (from, m) -> {
            messages.add(m);
            if (m instanceof PeerMessage.Write w && w.requestId() == 1) {
                largeThread[0] = Thread.currentThread().getName();
                blocked.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        NettyTransport t1 = new NettyTransport(Topology.of(spec), 1, settings, null);
        t1.setHandler(handler);
        started.add(t1);
        t1.start();
        NettyTransport t2 = new NettyTransport(Topology.of(spec), 2, settings, null);
        started.add(t2);
        t2.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> t2.connectionState(1) == ConnectionState.CONNECTED);

        t2.send(1, new PeerMessage.Write(1, KEY, new byte[2 << 20])); // 33 fragments
        assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(messages.poll()).isInstanceOf(PeerMessage.Write.class);
        assertThat(largeThread[0]).as("decoded and merged off the event loop").startsWith("converge-peer-delivery-1");
        t2.send(1, new PeerMessage.Write(2, KEY, new byte[] {1}));
        t2.send(1, new PeerMessage.Heartbeat(7, 0, 0));
        t2.send(1, new PeerMessage.DeltaAck(1, 5));
        assertThat(messages.poll(5, TimeUnit.SECONDS)).isInstanceOf(PeerMessage.Heartbeat.class);
        assertThat(messages.poll(5, TimeUnit.SECONDS)).isInstanceOf(PeerMessage.DeltaAck.class);
        assertThat(messages.poll(200, TimeUnit.MILLISECONDS)).as("the write behind it waits").isNull();
        release.countDown();
        PeerMessage next = messages.poll(5, TimeUnit.SECONDS);
        assertThat(next).isInstanceOf(PeerMessage.Write.class);
        assertThat(((PeerMessage.Write) next).requestId()).isEqualTo(2);
    }

    @Test
    void largeMessagesDoNotPileUpBehindABusyMerge() throws Exception {
        ClusterSpec spec = new ClusterSpec("delivery-test", "secret", 8, Map.of("dc1", 2), List.of(
                new NodeSpec(1, "127.0.0.1", 1, freePort(), "dc1", "r1"),
                new NodeSpec(2, "127.0.0.1", 2, freePort(), "dc1", "r2")));
        BlockingQueue<Long> ids = new LinkedBlockingQueue<>();
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        NettyTransport t1 = new NettyTransport(Topology.of(spec), 1, SETTINGS, null);
        t1.setHandler((from, m) -> {
            if (m instanceof PeerMessage.Write w) {
                ids.add(w.requestId());
                if (w.requestId() == 0) {
                    blocked.countDown();
                    try {
                        release.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        });
        started.add(t1);
        t1.start();
        NettyTransport t2 = new NettyTransport(Topology.of(spec), 2, SETTINGS, null);
        started.add(t2);
        t2.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> t2.connectionState(1) == ConnectionState.CONNECTED);

        int count = 10;
        int size = 16 << 20;
        Thread sender = Thread.ofPlatform().start(() -> {
            for (long i = 0; i < count; i++) {
                PeerMessage.Write w = new PeerMessage.Write(i, KEY, new byte[size]);
                while (!t2.send(1, w)) { // the sender's byte bound: wait for room
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        });
        assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();
        // 64 MiB waiting behind the blocked one pauses reading: 4 of 16 MiB (plus, at most, one
        // more completed from what the last read held).
        await().atMost(Duration.ofSeconds(30)).until(() -> t1.inboundChannels().stream()
                .anyMatch(ch -> !ch.config().isAutoRead()));
        long reassembled = t1.messagesReassembled();
        assertThat(reassembled).as("reassembled while the first is merged").isBetween(5L, 6L);
        Thread.sleep(500);
        assertThat(t1.messagesReassembled()).as("reading stays paused").isEqualTo(reassembled);

        release.countDown();
        for (long i = 0; i < count; i++) {
            assertThat(ids.poll(20, TimeUnit.SECONDS)).isEqualTo(i);
        }
        sender.join();
        assertThat(t1.messagesReassembled()).isEqualTo(count);
    }
}
