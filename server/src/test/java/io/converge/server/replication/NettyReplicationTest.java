package io.converge.server.replication;

import static io.converge.server.replication.Clusters.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.crdt.KeyState;
import io.converge.crdt.PhysicalClock;
import io.converge.server.cluster.Clock;
import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.PhiAccrualFailureDetector;
import io.converge.server.cluster.Ring;
import io.converge.server.cluster.Topology;
import io.converge.server.cluster.net.NettyTransport;
import io.converge.server.cluster.net.NettyTransportSettings;
import io.converge.server.cluster.routing.ClusterCommands;
import io.converge.server.cluster.routing.CommandRouter;
import io.converge.server.command.VirtualClient;
import io.converge.server.command.ClientCommands;
import io.converge.server.command.CommandDispatcher;
import io.converge.server.command.ConnectionCommands;
import io.converge.server.command.NodeServices;
import io.converge.server.command.ServerCommands;
import io.converge.server.command.TransactionCommands;
import io.converge.server.command.data.DataCommandFamilies;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.config.LiveConfig;
import io.converge.server.keyspace.LeafLayout;
import io.converge.server.replication.antientropy.DeltaBufferSettings;
import io.converge.server.replication.antientropy.RepairSettings;
import io.converge.server.replication.core.ReplicaStore;
import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.EngineSettings;
import java.io.IOException;
import java.net.ServerSocket;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The replication over real Netty transports on loopback, with nodes built as production builds
 * them (command table, router, replicator with its repair thread) and clients on several threads
 * at once: commands run on client threads, acks and forwarded commands arrive on I/O threads,
 * a timer ticks, hash-tree passes and sampled digest checks run meanwhile.
 */
class NettyReplicationTest {

    private static final int NODES = 4;
    private static final int KEYS = 8;

    /** One node: its process (services, router), replicator, transport and engine. */
    private record Node(NodeServices services, Replicator replicator, NettyTransport transport, EmbeddedEngine engine,
                        ExecutorService repairThread) {}

    private final List<Node> nodes = new ArrayList<>();
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
        for (Node n : nodes) {
            n.services().dispatcher().router(null);
            n.replicator().close();
            n.repairThread().shutdownNow();
            n.transport().close();
            n.engine().close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Starts node {@code id} of {@code ring} as {@code ClusterNode} does, over its own event loops. */
    private static Node startNode(Ring ring, int id, ReplicationSettings settings) {
        EmbeddedEngine engine = new EmbeddedEngine(EngineSettings.of(id, PhysicalClock.SYSTEM));
        ConvergeConfig config = ConvergeConfig.builder().nodeId(Integer.toString(id)).build();
        NodeServices services = new NodeServices(new LiveConfig(config), Integer.toString(id), s -> engine);
        ConnectionCommands.register(services.commands());
        ClientCommands.register(services.commands());
        ServerCommands.register(services.commands());
        TransactionCommands.register(services.commands());
        DataCommandFamilies.register(services, engine);
        NettyTransport transport = new NettyTransport(ring.topology(), id, NettyTransportSettings.defaults()
                .withReconnect(20, 200), null);
        ExecutorService repairThread = Executors.newSingleThreadExecutor();
        Replicator replicator = new Replicator(ring, transport, Clock.system(), ReplicaStore.embedded(engine), settings,
                repairThread);
        ReplicationInfo.register(replicator, services.info());
        CommandRouter router = new CommandRouter(services, replicator, engine.clock());
        ClusterCommands.register(services.commands(), router, transport);
        replicator.setForwardHandler(router);
        replicator.start();
        transport.start();
        services.dispatcher().router(router);
        return new Node(services, replicator, transport, engine, repairThread);
    }

    /**
     * Runs {@code args} on {@code node} as a new client connection at consistency {@code level}
     * would; the future holds the RESP reply (completed on whichever thread decided it).
     */
    private static CompletableFuture<byte[]> command(Node node, String level, String... args) {
        VirtualClient session = new VirtualClient(node.services(), 2);
        CommandDispatcher dispatcher = node.services().dispatcher();
        dispatcher.dispatch(session.client(), raw("CONSISTENCY", level));
        session.take();
        CompletableFuture<CommandDispatcher.LateReply> late = dispatcher.dispatch(session.client(), raw(args));
        byte[] written = session.take();
        if (late == null) {
            return CompletableFuture.completedFuture(written);
        }
        return late.handle((result, error) -> {
            if (error == null && result == CommandDispatcher.LateReply.KEEP) {
                return written;
            }
            if (error != null) {
                session.client().reply().error("ERR " + error.getMessage());
            } else {
                result.write(session.client());
            }
            return session.take();
        });
    }

    private static byte[][] raw(String... args) {
        byte[][] raw = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            raw[i] = bytes(args[i]);
        }
        return raw;
    }

    @Test
    void concurrentQuorumWritesAndForwardsOverLoopbackConvergeToExactCounters() throws Exception {
        List<NodeSpec> specs = new ArrayList<>();
        for (int id = 1; id <= NODES; id++) {
            specs.add(new NodeSpec(id, "127.0.0.1", id, freePort(), "dc1", "rack" + id));
        }
        ClusterSpec spec = new ClusterSpec("loopback", "a-test-secret", 16, Map.of("dc1", 3), specs).validate();
        Ring ring = Ring.build(Topology.of(spec));
        // Background hash-tree passes every second and a digest check after half the reads at ONE:
        // both run on their own threads while the writes go on.
        ReplicationSettings settings = new ReplicationSettings(100, 3_000, 3_000, 5_000, 3_000, 0, 32,
                DeltaBufferSettings.defaults(), PhiAccrualFailureDetector.Settings.defaults(100),
                RepairSettings.defaults().withPace(1_000, 0), LeafLayout.DEFAULT_SLICE_BITS, 0.5,
                () -> ThreadLocalRandom.current().nextDouble(), true,
                ReplicationSettings.DEFAULT_GC_GRACE_MILLIS, 3_000);
        for (int id = 1; id <= NODES; id++) {
            nodes.add(startNode(ring, id, settings));
        }
        timer = Executors.newSingleThreadScheduledExecutor();
        for (Node n : nodes) {
            timer.scheduleAtFixedRate(n.replicator()::tick, 10, 10, TimeUnit.MILLISECONDS);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> nodes.stream().allMatch(n ->
                n.replicator().stats().nodes().stream().allMatch(ReplicationStats.NodeRow::up)));

        AtomicLong expected = new AtomicLong();
        clients = Executors.newFixedThreadPool(4);
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int worker = w;
            workers.add(clients.submit(() -> {
                for (int i = 0; i < 300; i++) {
                    Node node = nodes.get((worker + i) % NODES);
                    String key = "ctr:" + (i % KEYS);
                    long n = 1 + (i % 5);
                    String reply = new String(command(node, "LOCAL_QUORUM", "INCRBY", key, Long.toString(n))
                            .get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8);
                    assertThat(reply).as("INCRBY %s %d on node %d", key, n, (worker + i) % NODES + 1).startsWith(":");
                    expected.addAndGet(n);
                    if (i % 10 == 0) {
                        String read = new String(command(node, "ONE", "GET", key).get(10, TimeUnit.SECONDS),
                                StandardCharsets.UTF_8);
                        assertThat(read).startsWith("$");
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : workers) {
            f.get(60, TimeUnit.SECONDS);
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> nodes.stream().allMatch(n -> n.replicator().pendingDeltas()
                == 0 && n.replicator().pendingRequests() == 0 && !n.replicator().repairOwed()));
        long total = 0;
        for (int k = 0; k < KEYS; k++) {
            byte[] key = bytes("ctr:" + k);
            KeyState reference = null;
            long digest = 0;
            for (int id = 1; id <= NODES; id++) {
                Node n = nodes.get(id - 1);
                KeyState s = n.engine().stateCopy(key);
                if (!ring.replicasFor(key).contains(id)) {
                    assertThat(s).as("node %d is no replica of ctr:%d", id, k).isNull();
                    continue;
                }
                if (reference == null) {
                    reference = s;
                    digest = n.replicator().keyDigest(key);
                } else {
                    assertThat(s).as("replicas of ctr:%d agree", k).isEqualTo(reference);
                    assertThat(n.replicator().keyDigest(key)).as("digests of ctr:%d agree", k).isEqualTo(digest);
                }
            }
            total += reference.string().longValue();
        }
        assertThat(total).isEqualTo(expected.get());
        long forwarded = 0;
        long digestChecks = 0;
        long passes = 0;
        for (Node n : nodes) {
            ReplicationStats stats = n.replicator().stats();
            assertThat(stats.counters().writesFailed()).isZero();
            assertThat(stats.counters().forwardsFailed()).isZero();
            forwarded += stats.counters().forwardsSent();
            digestChecks += stats.counters().digestChecks();
            passes += stats.repair().sessionsCompleted();
        }
        assertThat(forwarded).as("some commands went to another replica").isPositive();
        assertThat(digestChecks).as("sampled reads at ONE checked digests").isPositive();
        assertThat(passes).as("background hash-tree passes ran").isPositive();
    }
}
