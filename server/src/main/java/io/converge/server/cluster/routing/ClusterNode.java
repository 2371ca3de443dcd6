package io.converge.server.cluster.routing;

import io.converge.server.cluster.Clock;
import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.Ring;
import io.converge.server.cluster.Topology;
import io.converge.server.cluster.net.NettyTransport;
import io.converge.server.cluster.net.NettyTransportSettings;
import io.converge.server.cluster.net.PeerTls;
import io.converge.server.tls.TlsContexts;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslHandler;
import io.converge.server.replication.core.ReplicaStore;
import io.converge.server.replication.ReplicationInfo;
import io.converge.server.replication.ReplicationSettings;
import io.converge.server.replication.Replicator;
import io.converge.server.scripting.FunctionLibraries;
import io.converge.server.scripting.ScriptCache;
import io.converge.server.command.NodeServices;
import io.converge.server.command.NodeStatus;
import io.converge.server.config.ConfigException;
import io.converge.server.config.ConfigKeys;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.net.EventLoops;
import io.converge.server.node.Drainable;
import io.converge.server.store.EmbeddedEngine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's part in a cluster, started with the node (a {@code ConvergeNode} extension): the
 * peer transport on the node's peer port, the {@link Replicator} over the embedded engine, the
 * {@link CommandRouter} installed in the command dispatcher, the cluster commands
 * (CONSISTENCY, CONVERGE, CLUSTER), the INFO {@code replication} and {@code cluster} sections,
 * and the replicator's timer. Closing it stops them in reverse order.
 *
 * <p>Use {@link #place} on the node's configuration first: it checks the node id against the
 * cluster description and takes the client port (and, unless set, the listen address) from it.
 */
public final class ClusterNode implements AutoCloseable, Drainable {
    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);
    /** How often the replicator's timer runs (heartbeats, resends, timeouts, tombstone GC). */
    static final long TICK_MILLIS = 10;
    /** Broadcast topics of the shared node-level state (1-5: pub/sub, keyspace, scripts; 10: status). */
    private static final int TOPIC_FUNCTIONS_CHANGED = 6;
    private static final int TOPIC_FUNCTIONS_ALL = 7;
    private static final int TOPIC_SETTINGS_CHANGED = 8;
    private static final int TOPIC_SETTINGS_ALL = 9;
    private static final int TOPIC_USERS_CHANGED = 11;
    private static final int TOPIC_USERS_ALL = 12;

    private final NodeServices services;
    private final NettyTransport transport;
    private final Replicator replicator;
    private final CommandRouter router;
    private final ScheduledExecutorService timer;
    private final ExecutorService repairThread;
    /** Applies shared state (ACL users, cluster settings, function libraries) from peers. */
    private final ExecutorService adminThread;
    /** The cluster-wide keyspace commands, with their walk threads. */
    private final ClusterKeyspace keyspace;

    private ClusterNode(NodeServices services, NettyTransport transport, Replicator replicator, CommandRouter router,
                        ScheduledExecutorService timer, ExecutorService repairThread, ExecutorService adminThread,
                        ClusterKeyspace keyspace) {
        this.services = services;
        this.transport = transport;
        this.replicator = replicator;
        this.router = router;
        this.timer = timer;
        this.repairThread = repairThread;
        this.adminThread = adminThread;
        this.keyspace = keyspace;
    }

    /**
     * The configuration of node {@code config.nodeId()} of {@code spec}: its client port from the
     * description, and its host as the listen address when {@code bind} was left at its default.
     * Throws {@link ConfigException} when the node id is missing or not in the description.
     */
    public static ConvergeConfig place(ConvergeConfig config, ClusterSpec spec) {
        NodeSpec self = spec.node(nodeIdOf(config, spec));
        ConvergeConfig.Builder b = config.toBuilder().port(self.clientPort());
        String defaultBind = ConfigKeys.find("bind").defaultValue();
        if (config.bind().equals(List.of(defaultBind)) && self.host() != null && !self.host().isBlank()) {
            b.bind(List.of(self.host()));
        }
        return b.build();
    }

    /**
     * The peer links' TLS from the node's TLS contexts (its tls-* keys), built now so that a node
     * whose certificates cannot be loaded refuses to start; CONFIG SET reloads them for new links.
     */
    private static PeerTls peerTls(TlsContexts tls) {
        try {
            tls.enable();
        } catch (ConfigException e) {
            throw new ConfigException("the cluster's peer links use TLS (tls: true), but: " + e.getMessage(), e);
        }
        return new PeerTls() {
            @Override
            public SslHandler accepting(ByteBufAllocator alloc) {
                return tls.newPeerServerHandler(alloc);
            }

            @Override
            public SslHandler dialling(ByteBufAllocator alloc, String host, int port) {
                return tls.newClientHandler(alloc, host, port);
            }
        };
    }

    /**
     * Starts this node's cluster membership over the started engine of {@code services}; peer
     * connections run on the node's event {@code loops}, beside its client connections.
     */
    public static ClusterNode start(NodeServices services, ClusterSpec spec, EventLoops loops) {
        ConvergeConfig config = services.config().current();
        int id = nodeIdOf(config, spec);
        if (!(services.engine() instanceof EmbeddedEngine engine)) {
            throw new ConfigException("cluster mode needs the embedded engine, not " + services.engine().name());
        }
        Topology topology = Topology.of(spec);
        Ring ring = Ring.build(topology);
        ReplicationSettings settings = settingsOf(config);
        NettyTransport transport = new NettyTransport(topology, id, NettyTransportSettings.defaults(), loops.group());
        if (spec.tls()) {
            transport.useTls(peerTls(services.tls()));
        }
        ExecutorService repairThread = Executors.newSingleThreadExecutor(r -> daemon(r, "converge-repair-" + id));
        ExecutorService adminThread = Executors.newSingleThreadExecutor(r -> daemon(r, "converge-admin-" + id));
        Replicator replicator;
        CommandRouter router;
        ClusterKeyspace keyspace = null;
        List<SharedStateRelay> shared = new ArrayList<>();
        try {
            replicator = new Replicator(ring, transport, Clock.system(), ReplicaStore.embedded(engine), settings,
                    repairThread);
            ReplicationInfo.register(replicator, services.info());
            router = new CommandRouter(services, replicator, engine.clock());
            ClusterCommands.register(services.commands(), router, transport); // keyless: they run on this node
            services.acknowledgements(router::acknowledged);
            services.writeTracking(router.writeTracking());
            if (topology.totalReplicationFactor() < topology.nodeCount()) {
                services.replicatedHere(key -> ring.replicasFor(key).contains(id));
            }
            services.firstReplicaHere(key -> ring.replicasFor(key).node(0) == id);
            services.info().add("cluster", router::writeInfo);
            services.info().add("cluster", transport::writeInfo);
            replicator.setForwardHandler(router);
            PubSubRelay pubsub = new PubSubRelay(replicator, services.pubsub());
            keyspace = new ClusterKeyspace(services, replicator, engine);
            router.keyspace(keyspace);
            ClusterKeyspace keyspaceCommands = keyspace;
            FunctionLibraries functions = services.part(FunctionLibraries.class);
            shared.add(new SharedStateRelay("cluster settings", TOPIC_SETTINGS_CHANGED, TOPIC_SETTINGS_ALL, replicator,
                    services.settings(), adminThread));
            shared.add(new SharedStateRelay("ACL users", TOPIC_USERS_CHANGED, TOPIC_USERS_ALL, replicator,
                    services.acl().sharedState(), adminThread));
            if (functions != null) {
                shared.add(new SharedStateRelay("function libraries", TOPIC_FUNCTIONS_CHANGED, TOPIC_FUNCTIONS_ALL,
                        replicator, functions, adminThread));
            }
            ScriptCache scripts = services.part(ScriptCache.class);
            ScriptRelay scriptRelay = scripts == null ? null
                    : new ScriptRelay(replicator, scripts, config.requestTimeoutMs() + 1_000);
            ClusterStatus status = new ClusterStatus(replicator, new NodeStatus(services), id);
            services.attach(NodeStatus.Cluster.class, status);
            replicator.setBroadcastHandler((from, topic, payload) -> {
                if (topic == ClusterStatus.TOPIC) {
                    return status.handle();
                }
                if (topic == ClusterKeyspace.TOPIC) {
                    return keyspaceCommands.handle(from, topic, payload);
                }
                for (SharedStateRelay relay : shared) {
                    if (relay.handles(topic)) {
                        return relay.handle(topic, payload);
                    }
                }
                if (topic == TOPIC_FUNCTIONS_CHANGED || topic == TOPIC_FUNCTIONS_ALL) { // a node without scripting
                    return CompletableFuture.completedFuture(new byte[0]);
                }
                if (ScriptRelay.handles(topic)) {
                    return scriptRelay != null ? scriptRelay.handle(topic, payload)
                            : CompletableFuture.completedFuture(new byte[0]);
                }
                return pubsub.handle(from, topic, payload);
            });
            if (scripts != null) {
                scripts.peers(scriptRelay);
            }
            services.pubsub().peers(pubsub);
            Replicator events = replicator;
            services.keyspaceEvents().expiryPublisher(key -> publishesExpiryOf(events, key));
            replicator.start();
            transport.start();
            awaitSettled(replicator, id);
        } catch (RuntimeException e) {
            transport.close();
            repairThread.shutdownNow();
            adminThread.shutdownNow();
            if (keyspace != null) {
                keyspace.close();
            }
            throw e;
        }
        services.dispatcher().router(router);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                r -> daemon(r, "converge-replication-" + id));
        ConfigWatch watch = new ConfigWatch(services, replicator, engine);
        PeerReturns returns = new PeerReturns(replicator, topology.nodeIds(), () -> {
            for (SharedStateRelay relay : shared) {
                try {
                    relay.exchange();
                } catch (RuntimeException e) {
                    log.warn("shared state exchange failed", e);
                }
            }
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                watch.apply();
                replicator.tick();
                returns.check();
            } catch (RuntimeException e) {
                log.warn("replication timer task failed", e);
            }
        }, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(() -> {
            for (SharedStateRelay relay : shared) {
                try {
                    relay.sync();
                } catch (RuntimeException e) {
                    log.warn("shared state sync failed", e);
                }
            }
        }, 1_000, SharedStateRelay.SYNC_MILLIS, TimeUnit.MILLISECONDS);
        NodeSpec self = spec.node(id);
        log.info("Node {} joined cluster '{}': {} nodes, replication {}, peers on {}:{}, datacenter {}, rack {}",
                id, spec.name(), spec.nodes().size(), spec.replication(), self.host(), transport.boundPort(),
                self.datacenter(), self.rack());
        return new ClusterNode(services, transport, replicator, router, timer, repairThread, adminThread, keyspace);
    }

    /** The replication settings of a node configured with {@code config}. */
    static ReplicationSettings settingsOf(ConvergeConfig config) {
        long timeout = config.requestTimeoutMs();
        ReplicationSettings defaults = ReplicationSettings.defaults();
        return defaults.withTimeouts(timeout, timeout, 2 * timeout)
                .withRepair(defaults.repair().withPace(config.repairIntervalMs(), config.repairMaxBytesPerSec()))
                .withReadRepairChance(config.readRepairChance(), defaults.random())
                .withHashTrees(config.repairHashTrees())
                .withRejoin(config.gcGraceMs(), defaults.rejoinConfirmMillis());
    }

    /**
     * Waits (bounded by the confirmation window) until the node settled the replica incarnation it
     * stamps with, so clients are not refused while its peers confirm its data directory.
     */
    private static void awaitSettled(Replicator replicator, int id) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ReplicationSettings.defaults()
                .rejoinConfirmMillis() + 2 * TICK_MILLIS);
        while (!replicator.settled() && System.nanoTime() < deadline) {
            // The timer thread is not running yet: tick here (it settles at the end of the window).
            replicator.tick();
            try {
                Thread.sleep(TICK_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (!replicator.settled()) {
            log.warn("node {}: its replica incarnation is not settled yet; client writes are refused until it is", id);
        }
    }

    /**
     * Notices, on every timer tick, the peers that became reachable for broadcasts (they started,
     * this node started, or a partition healed) and then has the shared node-level state
     * exchanged ({@link SharedStateRelay#exchange}).
     */
    private static final class PeerReturns {
        private final Replicator replicator;
        private final int[] peers;
        private final boolean[] reachable;
        private final Runnable onReturn;

        /** Watches the nodes of {@code nodeIds} other than the replicator's; runs {@code onReturn} when one is back. */
        PeerReturns(Replicator replicator, int[] nodeIds, Runnable onReturn) {
            this.replicator = replicator;
            this.peers = Arrays.stream(nodeIds).filter(n -> n != replicator.localNodeId()).toArray();
            this.reachable = new boolean[peers.length];
            this.onReturn = onReturn;
        }

        /** Runs the exchange once when any peer turned reachable since the last check. */
        void check() {
            boolean returned = false;
            for (int i = 0; i < peers.length; i++) {
                boolean now = replicator.reachable(peers[i]);
                returned |= now && !reachable[i];
                reachable[i] = now;
            }
            if (returned) {
                onReturn.run();
            }
        }
    }

    /** Applies the replication keys changed by CONFIG SET (checked on every timer tick: one identity compare). */
    private static final class ConfigWatch {
        private final NodeServices services;
        private final Replicator replicator;
        private final EmbeddedEngine engine;
        private ConvergeConfig applied;

        ConfigWatch(NodeServices services, Replicator replicator, EmbeddedEngine engine) {
            this.services = services;
            this.replicator = replicator;
            this.engine = engine;
            this.applied = services.config().current();
        }

        void apply() {
            ConvergeConfig now = services.config().current();
            if (now == applied) {
                return;
            }
            if (now.repairIntervalMs() != applied.repairIntervalMs()
                    || now.repairMaxBytesPerSec() != applied.repairMaxBytesPerSec()) {
                replicator.repair().pace(now.repairIntervalMs(), now.repairMaxBytesPerSec());
            }
            if (now.readRepairChance() != applied.readRepairChance() && now.repairHashTrees()) {
                replicator.reads().checkChance(now.readRepairChance());
            }
            if (now.gcGraceMs() != applied.gcGraceMs()) {
                replicator.gcGraceMillis(now.gcGraceMs());
            }
            if (now.maxClockDriftMs() != applied.maxClockDriftMs()) {
                engine.clock().maxDriftMs(now.maxClockDriftMs());
            }
            applied = now;
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** The replicator (tests, benchmarks). */
    public Replicator replicator() {
        return replicator;
    }

    /** The router (tests). */
    public CommandRouter router() {
        return router;
    }

    /** Whether every connected peer acknowledged this node's deltas and no request waits for replicas. */
    @Override
    public boolean drained() {
        return replicator.handedOver();
    }

    /** Stops the timer, the replicator (failing what waits for replicas) and the transport. */
    @Override
    public void close() {
        timer.shutdownNow();
        services.dispatcher().router(null);
        replicator.close();
        repairThread.shutdown();
        adminThread.shutdownNow();
        keyspace.close();
        transport.close();
    }

    private static int nodeIdOf(ConvergeConfig config, ClusterSpec spec) {
        String text = config.nodeId().trim();
        List<Integer> ids = spec.nodes().stream().map(NodeSpec::id).toList();
        if (text.isEmpty()) {
            throw new ConfigException("cluster mode needs node-id (--node-id N): one of the ids " + ids
                    + " of the cluster description " + config.cluster());
        }
        int id;
        try {
            id = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new ConfigException("node-id must be one of the cluster's node ids " + ids + ", got '" + text + "'");
        }
        if (!ids.contains(id)) {
            throw new ConfigException("node-id " + id + " is not in the cluster description (its nodes are " + ids
                    + ")");
        }
        return id;
    }

    /**
     * Whether this node publishes the {@code expired} event of {@code key}: every replica expires
     * it, the first of its replicas the failure detector thinks up tells.
     */
    private static boolean publishesExpiryOf(Replicator replicator, byte[] key) {
        return ownedHere(replicator, key);
    }

    /**
     * Whether this node is {@code key}'s owner for expiry events: the first of its replicas, in
     * ring order, that the failure detector thinks up (cluster-wide keyspace commands name the
     * nodes taking part instead, see {@link KeyOwners}).
     */
    static boolean ownedHere(Replicator replicator, byte[] key) {
        int self = replicator.localNodeId();
        for (int node : replicator.ring().replicasFor(key).nodeIds()) {
            if (node == self) {
                return true;
            }
            if (replicator.isUp(node)) {
                return false;
            }
        }
        return false;
    }
}
