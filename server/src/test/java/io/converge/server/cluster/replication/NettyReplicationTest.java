package io.converge.server.cluster.replication;

import static io.converge.server.cluster.replication.Clusters.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.crdt.KeyState;
import io.converge.crdt.PhysicalClock;
import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.Clock;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.PhiAccrualFailureDetector;
import io.converge.server.cluster.Ring;
import io.converge.server.cluster.Topology;
import io.converge.server.cluster.net.NettyTransport;
import io.converge.server.cluster.net.NettyTransportSettings;
import io.converge.server.repair.DeltaBufferSettings;
import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.EngineSettings;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The same replicator over real Netty transports on loopback, with writers on several threads at
 * once: acks arrive on I/O threads while commands run elsewhere and a timer ticks.
 */
class NettyReplicationTest {

    private static final int NODES = 4;
    private static final int KEYS = 8;

    private final List<NettyTransport> transports = new ArrayList<>();
    private final List<Replicator> replicators = new ArrayList<>();
    private final List<EmbeddedEngine> engines = new ArrayList<>();
    private ScheduledExecutorService timer;
    private ExecutorService clients;

    @AfterEach
    void stop() {
        if (clients != null) {
            clients.shutdownNow();
        }
        if (timer != null) {
            timer.shutdownNow();
        }
        replicators.forEach(Replicator::close);
        transports.forEach(NettyTransport::close);
        engines.forEach(EmbeddedEngine::close);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Runs "INCRBY key n" (payload: n, 8 bytes) on {@code engine} and replicates it at LOCAL_QUORUM. */
    private static CompletableFuture<byte[]> incrBy(Replicator replicator, EmbeddedEngine engine, byte[] key, long n) {
        return replicator.execute(ConsistencyLevel.LOCAL_QUORUM, () -> engine.withKey(key, access -> {
            KeyState ks = access.forWrite();
            access.written(ks.incrBy(n, access.stamp(), access.node()));
            return Long.toString(ks.string().longValue()).getBytes(StandardCharsets.US_ASCII);
        }));
    }

    @Test
    void concurrentQuorumWritesAndForwardsOverLoopbackConvergeToExactCounters() throws Exception {
        List<NodeSpec> specs = new ArrayList<>();
        for (int id = 1; id <= NODES; id++) {
            specs.add(new NodeSpec(id, "127.0.0.1", id, freePort(), "dc1", "rack" + id));
        }
        ClusterSpec spec = new ClusterSpec("loopback", "a-test-secret", 16, Map.of("dc1", 3), specs).validate();
        Topology topology = Topology.of(spec);
        Ring ring = Ring.build(topology);
        ReplicationSettings settings = new ReplicationSettings(100, 3_000, 3_000, 5_000, 3_000, 0, 32, true,
                DeltaBufferSettings.defaults(), PhiAccrualFailureDetector.Settings.defaults(100));
        for (int id = 1; id <= NODES; id++) {
            EmbeddedEngine engine = new EmbeddedEngine(EngineSettings.of(id, PhysicalClock.SYSTEM));
            NettyTransport transport = new NettyTransport(topology, id, NettyTransportSettings.defaults()
                    .withReconnect(20, 200), null);
            Replicator replicator = new Replicator(ring, transport, Clock.system(), ReplicaStore.embedded(engine),
                    settings);
            replicator.setForwardHandler((from, key, payload) ->
                    incrBy(replicator, engine, key, ByteBuffer.wrap(payload).getLong()));
            replicator.start();
            transport.start();
            engines.add(engine);
            transports.add(transport);
            replicators.add(replicator);
        }
        timer = Executors.newSingleThreadScheduledExecutor();
        for (Replicator r : replicators) {
            timer.scheduleAtFixedRate(r::tick, 10, 10, TimeUnit.MILLISECONDS);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> replicators.stream().allMatch(r ->
                r.stats().nodes().stream().allMatch(ReplicationStats.NodeRow::up)));

        AtomicLong expected = new AtomicLong();
        clients = Executors.newFixedThreadPool(4);
        List<Future<Integer>> workers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int worker = w;
            workers.add(clients.submit(() -> {
                int forwarded = 0;
                for (int i = 0; i < 300; i++) {
                    int node = (worker + i) % NODES;
                    Replicator r = replicators.get(node);
                    byte[] key = bytes("ctr:" + (i % KEYS));
                    long n = 1 + (i % 5);
                    int target = r.chooseReplica(key);
                    CompletableFuture<byte[]> reply;
                    if (target == r.localNodeId()) {
                        reply = incrBy(r, engines.get(node), key, n);
                    } else {
                        forwarded++;
                        reply = r.forward(target, key, ByteBuffer.allocate(8).putLong(n).array());
                    }
                    reply.get(10, TimeUnit.SECONDS); // every write meets LOCAL_QUORUM
                    expected.addAndGet(n);
                }
                return forwarded;
            }));
        }
        int forwarded = 0;
        for (Future<Integer> f : workers) {
            forwarded += f.get(60, TimeUnit.SECONDS);
        }
        assertThat(forwarded).as("some commands went to another replica").isPositive();

        await().atMost(Duration.ofSeconds(20)).until(() -> replicators.stream().allMatch(r -> r.pendingDeltas() == 0));
        long total = 0;
        for (int k = 0; k < KEYS; k++) {
            byte[] key = bytes("ctr:" + k);
            KeyState reference = null;
            for (int id = 1; id <= NODES; id++) {
                KeyState s = engines.get(id - 1).stateCopy(key);
                if (!ring.replicasFor(key).contains(id)) {
                    assertThat(s).as("node %d is no replica of ctr:%d", id, k).isNull();
                    continue;
                }
                if (reference == null) {
                    reference = s;
                } else {
                    assertThat(s).as("replicas of ctr:%d agree", k).isEqualTo(reference);
                }
            }
            total += reference.string().longValue();
        }
        assertThat(total).isEqualTo(expected.get());
        for (Replicator r : replicators) {
            ReplicationStats.Counters c = r.stats().counters();
            assertThat(c.writesFailed()).isZero();
            assertThat(c.forwardsFailed()).isZero();
        }
    }
}
