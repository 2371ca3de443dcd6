package io.converge.server.command;

import io.converge.server.command.acl.Acl;
import io.converge.server.config.LiveConfig;
import io.converge.server.config.SharedSettings;
import io.converge.server.node.Engine;
import io.converge.server.node.InfoRegistry;
import io.converge.server.node.ServerStats;
import io.converge.server.tls.TlsContexts;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The node-wide services command handlers use: configuration, statistics, connected clients,
 * INFO sections, the command table, the dispatcher and the storage engine.
 *
 * <p>Created before the network starts. The engine is made by a factory that receives this
 * object, so an engine can read the config and register its INFO sections
 * ({@code services.info().add("keyspace", ...)}) while being built.
 */
public final class NodeServices {
    private final LiveConfig config;
    private final SharedSettings settings;
    private final TlsContexts tls;
    private final ServerStats stats = new ServerStats();
    private final ClientRegistry clients = new ClientRegistry();
    private final SlowLog slowLog = new SlowLog();
    private final LatencyMonitor latency = new LatencyMonitor();
    private final PubSub pubsub = new PubSub();
    private final Monitor monitor = new Monitor();
    private final KeyspaceEvents keyspaceEvents = new KeyspaceEvents(this);
    private final BlockedClients blocked = new BlockedClients();
    private final ClientTracking tracking = new ClientTracking(clients);
    private final ScriptActivity scripts;
    private volatile Acknowledgements acknowledgements = client -> 0;
    private volatile WriteTracking writeTracking = WriteTracking.NONE;
    /** Null while this node holds every key (a single node, or as many replicas as nodes). */
    private volatile Predicate<byte[]> replicatedHere;
    private volatile Predicate<byte[]> firstReplicaHere;
    private final Map<Class<?>, Object> parts = new ConcurrentHashMap<>();
    private final InfoRegistry info = new InfoRegistry();
    private final CommandTable commands = new CommandTable();
    private final CommandDispatcher dispatcher;
    private final Acl acl;
    private final String nodeId;
    private final long startMillis = System.currentTimeMillis();
    private final String runId;
    private volatile int port;
    private volatile int tlsPort;
    private volatile String transportName = "";
    private final Engine engine;
    /** Stops the node, given whether to skip handing replication over; set once the node started. */
    private volatile Consumer<Boolean> shutdown;

    /**
     * Creates the services.
     *
     * @param config live configuration
     * @param nodeId this node's id (resolved: configured or generated)
     * @param engineFactory builds the engine, given these services
     */
    public NodeServices(LiveConfig config, String nodeId, Function<NodeServices, Engine> engineFactory) {
        this.config = config;
        this.nodeId = nodeId;
        this.settings = new SharedSettings(config, nodeId);
        this.tls = new TlsContexts(config);
        byte[] random = new byte[20];
        ThreadLocalRandom.current().nextBytes(random);
        this.runId = HexFormat.of().formatHex(random);
        this.scripts = new ScriptActivity(config);
        this.acl = new Acl(this);
        this.dispatcher = new CommandDispatcher(this);
        this.engine = engineFactory.apply(this);
        engine.keyListener(new Engine.KeyListener() {
            @Override
            public void expired(byte[] key) {
                keyspaceEvents.expired(key);
                tracking.keyChanged(key);
            }

            @Override
            public void created(byte[] key) {
                keyspaceEvents.created(key);
            }

            @Override
            public void missed(byte[] key) {
                keyspaceEvents.missed(key);
            }
        });
        engine.changeListener(key -> {
            blocked.keyChanged(key);
            tracking.keyChanged(key);
        });
    }

    /** Live configuration (CONFIG SET replaces the snapshot). */
    public LiveConfig config() {
        return config;
    }

    /** The node's ACL users, permission checks and ACL LOG. */
    public Acl acl() {
        return acl;
    }

    /** CONFIG SET, with the cluster-wide keys shared with the other nodes. */
    public SharedSettings settings() {
        return settings;
    }

    /** The TLS contexts of the client listener and the peer links (off until one of them needs TLS). */
    public TlsContexts tls() {
        return tls;
    }

    /** Node-wide statistics. */
    public ServerStats stats() {
        return stats;
    }

    /** Connected clients. */
    public ClientRegistry clients() {
        return clients;
    }

    /** Pub/sub subscriptions and delivery. */
    public PubSub pubsub() {
        return pubsub;
    }

    /** Counts, for WAIT, the other nodes that acknowledged a connection's writes. */
    @FunctionalInterface
    public interface Acknowledgements {
        /** The number of other nodes that acknowledged every write {@code client} made here. */
        int acknowledged(ClientConnection client);
    }

    /** WAIT's count: 0 on a single node, installed by the cluster layer otherwise. */
    public Acknowledgements acknowledgements() {
        return acknowledgements;
    }

    /** Installs WAIT's count (the cluster layer, at startup). */
    public void acknowledgements(Acknowledgements counter) {
        this.acknowledgements = counter;
    }

    /** The Lua script running now, if any (BUSY replies, SCRIPT KILL, commands waiting for it). */
    public ScriptActivity scripts() {
        return scripts;
    }

    /**
     * How writes made off the client's connection thread (a Lua script runs on the script thread)
     * wait for the client's write consistency level, like the writes the cluster router runs.
     */
    public interface WriteTracking {
        /** A single node: nothing to wait for. */
        WriteTracking NONE = new WriteTracking() {
            @Override
            public Object begin() {
                return null;
            }

            @Override
            public CompletableFuture<Void> end(Object token, ClientConnection client) {
                return CompletableFuture.completedFuture(null);
            }
        };

        /** Starts recording the writes this thread makes; pass the result to {@link #end} on the same thread. */
        Object begin();

        /**
         * Stops recording: the future completes once {@code client}'s write level is met for what
         * was written (at once when nothing was), or fails with the reason it cannot be.
         */
        CompletableFuture<Void> end(Object token, ClientConnection client);
    }

    /** The write tracking of this node ({@link WriteTracking#NONE} on a single node). */
    public WriteTracking writeTracking() {
        return writeTracking;
    }

    /** Installs the write tracking (the cluster layer, at startup). */
    public void writeTracking(WriteTracking tracking) {
        this.writeTracking = tracking;
    }

    /** Whether this node holds a replica of {@code key} (always, on a single node). */
    public boolean replicatedHere(byte[] key) {
        Predicate<byte[]> test = replicatedHere;
        return test == null || test.test(key);
    }

    /**
     * Whether this node is the first replica of {@code key} in ring order, the one that hands out
     * a stream's auto IDs in their plain form (always, on a single node).
     */
    public boolean firstReplicaHere(byte[] key) {
        Predicate<byte[]> test = firstReplicaHere;
        return test == null || test.test(key);
    }

    /** Installs the test of {@link #firstReplicaHere} (the cluster layer, at startup). */
    public void firstReplicaHere(Predicate<byte[]> test) {
        this.firstReplicaHere = test;
    }

    /** Whether this node holds a replica of every key, so {@link #replicatedHere} need not be asked. */
    public boolean holdsEveryKey() {
        return replicatedHere == null;
    }

    /** Installs the test of {@link #replicatedHere} (the cluster layer, at startup, when some keys live elsewhere). */
    public void replicatedHere(Predicate<byte[]> test) {
        this.replicatedHere = test;
    }

    /**
     * Registers a part of the node that lives in a higher layer (e.g. the script cache), so that
     * other higher layers (the cluster) can find it without this class knowing its type.
     */
    public <T> void attach(Class<T> type, T part) {
        parts.put(type, part);
    }

    /** The part registered under {@code type}, or null. */
    public <T> T part(Class<T> type) {
        return type.cast(parts.get(type));
    }

    /** CLIENT TRACKING: which clients to tell when keys change. */
    public ClientTracking tracking() {
        return tracking;
    }

    /** Clients blocked in BLPOP and the like. */
    public BlockedClients blocked() {
        return blocked;
    }

    /** Keyspace notifications (notify-keyspace-events). */
    public KeyspaceEvents keyspaceEvents() {
        return keyspaceEvents;
    }

    /** The clients running MONITOR. */
    public Monitor monitor() {
        return monitor;
    }

    /** The latency monitor (LATENCY; events above latency-monitor-threshold). */
    public LatencyMonitor latency() {
        return latency;
    }

    /** The slow log. */
    public SlowLog slowLog() {
        return slowLog;
    }

    /** INFO sections: add contributors here. */
    public InfoRegistry info() {
        return info;
    }

    /** The command table: register command families here before the node starts. */
    public CommandTable commands() {
        return commands;
    }

    /** Dispatches parsed requests to handlers. */
    public CommandDispatcher dispatcher() {
        return dispatcher;
    }

    /** The storage engine. */
    public Engine engine() {
        return engine;
    }

    /** This node's id. */
    public String nodeId() {
        return nodeId;
    }

    /** Start time (epoch ms). */
    public long startMillis() {
        return startMillis;
    }

    /** Random id of this process run (INFO run_id). */
    public String runId() {
        return runId;
    }

    /** The TCP port actually bound (0 before the network starts). */
    public int port() {
        return port;
    }

    /** The TLS port actually bound (0: none). */
    public int tlsPort() {
        return tlsPort;
    }

    /** Records the bound ports (0: that listener is off) and the transport (called by the network layer). */
    public void networkStarted(int port, int tlsPort, String transportName) {
        this.port = port;
        this.tlsPort = tlsPort;
        this.transportName = transportName;
    }

    /** Sets what stops the node (called by the node once it started). */
    public void onShutdown(Consumer<Boolean> stopper) {
        this.shutdown = stopper;
    }

    /**
     * Starts stopping the node (SHUTDOWN), in the background; {@code now} skips the wait for
     * replication to be handed over. False when nothing can stop it (the node has not started).
     */
    public boolean requestShutdown(boolean now) {
        Consumer<Boolean> stopper = shutdown;
        if (stopper == null) {
            return false;
        }
        stopper.accept(now);
        return true;
    }

    /** "epoll" or "nio". */
    public String transportName() {
        return transportName;
    }
}
