package io.converge.server.cluster.routing;

import static org.awaitility.Awaitility.await;

import io.converge.server.ConvergeNode;
import io.converge.server.NodeLauncher;
import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.replication.ReplicationStats;
import io.converge.server.replication.Replicator;
import io.converge.server.command.CommandDispatcher;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.testing.FreePorts;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A whole Converge cluster in this JVM for tests: real nodes (engine, client network, peer
 * transport, replication, routing) started through {@link NodeLauncher} from one cluster
 * description with free loopback ports, each with its data in a temporary directory; Lettuce
 * connections to any node. Nodes can be stopped and started again (keeping their data
 * directory, so with {@code appendonly yes} they restart with their data).
 */
final class TestCluster implements AutoCloseable {
    /** Lettuce's name for the CONSISTENCY command. */
    static final ProtocolKeyword CONSISTENCY = new ProtocolKeyword() {
        @Override
        public byte[] getBytes() {
            return "CONSISTENCY".getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public String name() {
            return "CONSISTENCY";
        }
    };

    private final ClusterSpec spec;
    private final Path root;
    private final Consumer<ConvergeConfig.Builder> customize;
    private final Map<Integer, ConvergeNode> running = new TreeMap<>();
    private final ClientResources resources = DefaultClientResources.builder().ioThreadPoolSize(2)
            .computationThreadPoolSize(1).build();
    private final List<RedisClient> clients = new ArrayList<>();

    private TestCluster(ClusterSpec spec, Path root, Consumer<ConvergeConfig.Builder> customize) {
        this.spec = spec;
        this.root = root;
        this.customize = customize;
    }

    /**
     * Starts a cluster with {@code nodesPerDc.get(d)} nodes (one rack each) in datacenter
     * {@code dc<d+1>}, replication factor {@code rfPerDc.get(d)} there; {@code customize} adjusts
     * every node's configuration. Returns once every node sees every other node up.
     */
    static TestCluster start(List<Integer> nodesPerDc, List<Integer> rfPerDc, Consumer<ConvergeConfig.Builder> customize) {
        List<NodeSpec> nodes = new ArrayList<>();
        Map<String, Integer> replication = new LinkedHashMap<>();
        int id = 1;
        java.util.Set<Integer> ports = new java.util.HashSet<>();
        for (int d = 0; d < nodesPerDc.size(); d++) {
            String dc = "dc" + (d + 1);
            for (int i = 0; i < nodesPerDc.get(d); i++, id++) {
                nodes.add(new NodeSpec(id, "127.0.0.1", distinctFreePort(ports), distinctFreePort(ports), dc,
                        "rack" + (i + 1)));
            }
            replication.put(dc, rfPerDc.get(d));
        }
        ClusterSpec spec = new ClusterSpec("test-cluster", "test-secret-" + System.nanoTime(), 64, replication, nodes)
                .validate();
        Path root;
        try {
            root = Files.createTempDirectory("converge-cluster");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TestCluster cluster = new TestCluster(spec, root, customize);
        try {
            for (NodeSpec n : nodes) {
                cluster.startNode(n.id());
            }
            cluster.awaitAllUp();
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** A free port not in {@code taken} (which it joins). */
    static int distinctFreePort(java.util.Set<Integer> taken) {
        while (true) {
            int port = FreePorts.find();
            if (taken.add(port)) {
                return port;
            }
        }
    }

    /** The cluster description. */
    ClusterSpec spec() {
        return spec;
    }

    /** Node ids, ascending. */
    List<Integer> ids() {
        return spec.nodes().stream().map(NodeSpec::id).sorted().toList();
    }

    /** Starts (or restarts) node {@code id}. */
    void startNode(int id) {
        ConvergeConfig.Builder b = ConvergeConfig.builder().nodeId(Integer.toString(id))
                .dataDir(dataDir(id)).set("appendonly", "no");
        customize.accept(b);
        try {
            running.put(id, NodeLauncher.start(b.build(), spec));
        } catch (Exception e) {
            throw new IllegalStateException("node " + id + " did not start", e);
        }
    }

    /** The data directory of node {@code id}. */
    Path dataDir(int id) {
        return root.resolve("node-" + id);
    }

    /** Stops node {@code id} (its data directory stays). */
    void stopNode(int id) {
        ConvergeNode node = running.remove(id);
        if (node != null) {
            node.close();
        }
    }

    /** The running node {@code id}. */
    ConvergeNode node(int id) {
        ConvergeNode node = running.get(id);
        if (node == null) {
            throw new IllegalStateException("node " + id + " is not running");
        }
        return node;
    }

    /** The replicator of running node {@code id}. */
    Replicator replicator(int id) {
        CommandDispatcher.Router router = node(id).services().dispatcher().router();
        return ((CommandRouter) router).replicator();
    }

    /** Client port of node {@code id}. */
    int port(int id) {
        return spec.node(id).clientPort();
    }

    /** Waits until every running node sees every other running node up. */
    void awaitAllUp() {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (int id : running.keySet()) {
                for (ReplicationStats.NodeRow row : replicator(id).stats().nodes()) {
                    if (running.containsKey(row.nodeId()) && !row.up()) {
                        return false;
                    }
                }
            }
            return true;
        });
    }

    /**
     * Waits until every running node is complete (its passes since start done): a node still
     * syncing sends its reads at ONE to another replica, which may not have this connection's
     * latest writes yet, nor be up for long.
     */
    void awaitAllComplete() {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() ->
                running.keySet().stream().allMatch(id -> replicator(id).syncPercent() >= 100));
    }

    /** Waits until every running node has no delta waiting for acknowledgement. */
    void awaitQuiet() {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> {
            for (int id : running.keySet()) {
                if (replicator(id).pendingDeltas() != 0) {
                    return false;
                }
            }
            return true;
        });
    }

    /** A new Lettuce connection (RESP3) to node {@code id}. */
    StatefulRedisConnection<String, String> connect(int id) {
        return connect(id, ProtocolVersion.RESP3);
    }

    /** A new Lettuce connection to node {@code id} in {@code protocol}. */
    StatefulRedisConnection<String, String> connect(int id, ProtocolVersion protocol) {
        return client(id, protocol).connect();
    }

    /** A new Lettuce pub/sub connection to node {@code id} in {@code protocol}. */
    StatefulRedisPubSubConnection<String, String> connectPubSub(int id, ProtocolVersion protocol) {
        return client(id, protocol).connectPubSub();
    }

    /** A Lettuce client for node {@code id}, shut down with the cluster. */
    private RedisClient client(int id, ProtocolVersion protocol) {
        RedisClient client = RedisClient.create(resources, RedisURI.builder().withHost("127.0.0.1").withPort(port(id))
                .withTimeout(Duration.ofSeconds(10)).build());
        client.setOptions(ClientOptions.builder().protocolVersion(protocol).build());
        synchronized (clients) {
            clients.add(client);
        }
        return client;
    }

    /** Sends {@code CONSISTENCY args...} on {@code conn}; returns the status reply. */
    static String consistency(StatefulRedisConnection<String, String> conn, String... args) {
        CommandArgs<String, String> a = new CommandArgs<>(StringCodec.UTF8);
        for (String s : args) {
            a.add(s);
        }
        return conn.sync().dispatch(CONSISTENCY, new StatusOutput<>(StringCodec.UTF8), a);
    }

    @Override
    public void close() {
        synchronized (clients) {
            for (RedisClient c : clients) {
                c.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
            clients.clear();
        }
        resources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        for (ConvergeNode node : running.values()) {
            node.close();
        }
        running.clear();
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }
}
