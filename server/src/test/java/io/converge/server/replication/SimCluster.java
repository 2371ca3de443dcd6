package io.converge.server.replication;

import io.converge.crdt.KeyState;
import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.PartitionControl;
import io.converge.server.cluster.PhiAccrualFailureDetector;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import io.converge.server.cluster.Topology;
import io.converge.server.cluster.routing.ClusterCommands;
import io.converge.server.cluster.routing.CommandRouter;
import io.converge.server.command.VirtualClient;
import io.converge.server.cluster.sim.NetworkConditions;
import io.converge.server.cluster.sim.SimulatedNetwork;
import io.converge.server.cluster.sim.SimulatedTransport;
import io.converge.server.command.ClientCommands;
import io.converge.server.command.CommandDispatcher;
import io.converge.server.command.ConnectionCommands;
import io.converge.server.command.NodeServices;
import io.converge.server.command.ServerCommands;
import io.converge.server.command.TransactionCommands;
import io.converge.server.command.data.DataCommandFamilies;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.config.LiveConfig;
import io.converge.server.replication.antientropy.DeltaBufferSettings;
import io.converge.server.replication.antientropy.RepairSettings;
import io.converge.server.replication.core.ReplicaStore;
import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.EngineSettings;
import io.converge.server.store.TombstonePolicy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * A whole cluster in one thread for tests: every node is built as production builds one (a node's
 * services and command table, the embedded engine, every data-command family, the
 * {@link CommandRouter} installed in the dispatcher, the {@link Replicator}), over one seeded
 * {@link SimulatedNetwork}, ticked on simulated time. Clients run commands through the node's
 * dispatcher, exactly the request path a network client takes after RESP decoding
 * ({@link Node#command}). Hash-tree repair runs its sessions in place, on the simulation's thread.
 *
 * <p>Each node has a {@link SimDisk}: its data directory, which outlives its processes. A crash
 * ({@link #crash(int, Crash)}) ends the process (its engine, buffers, pending requests, repair
 * sessions, client sessions and in-flight messages) and costs the directory what that kind of
 * crash costs; a restart builds a new process as production does: a new engine (keeping every
 * tombstone while it replays, as {@code EmbeddedEngine.forNode} in cluster mode), the surviving
 * records replayed into it with the clock floored at the stored mark, then services, command
 * table, router and replicator (whose {@code Rejoin} settles the replica incarnation). Replies
 * reach a client only after {@code awaitDurable}, as the network layer sends them, and not at
 * all once the process that would send them is gone.
 */
final class SimCluster {

    /** Wall clocks start here (plus each node's skew), so expiry instants look like real ones. */
    static final long WALL_BASE = 1_700_000_000_000L;
    /** Timer period of every replicator. */
    static final long TICK_MILLIS = 10;

    /** How a node goes down. */
    enum Crash {
        /** kill -9: what the process wrote to the OS survives. */
        KILL,
        /** A clean shutdown: everything is forced, the mark is exact, the directory says clean. */
        STOP,
        /** The machine loses power: only what was forced survives (and some of what was written). */
        POWER_LOSS,
        /** The data directory is lost (a replaced disk): nothing survives. */
        WIPE
    }

    /** One simulated node: a machine with its data directory, and the process running on it. */
    final class Node {
        final int id;
        final SimDisk disk;
        final SimulatedTransport transport;
        /** The process: rebuilt (with a new engine over the directory) at every restart. */
        EmbeddedEngine engine;
        NodeServices services;
        Replicator replicator;
        CommandRouter router;
        boolean up = true;

        Node(int id, SimDisk.Fsync fsync) {
            this.id = id;
            this.transport = network.transport(id);
            this.disk = new SimDisk(network, id, fsync);
        }

        /**
         * Starts the node's process as production does: a new engine loads the directory, then
         * services, commands, router and replicator start over it.
         */
        void startProcess() {
            EmbeddedEngine e = new EmbeddedEngine(EngineSettings.of(id,
                    () -> WALL_BASE + network.wallClock(id).nowMillis()).withStripes(Integer.getInteger("sim.stripes", 4)));
            e.tombstonePolicy(TombstonePolicy.KEEP_ALL);
            engine = e;
            disk.attach(e);
            disk.start();
            e.addDeltaListener((key, delta) -> origins.onLocalDelta(id, disk.lastRecord()));
            ConvergeConfig config = ConvergeConfig.builder().nodeId(Integer.toString(id))
                    .set("enable-debug-command", "yes").build();
            services = new NodeServices(new LiveConfig(config), Integer.toString(id), s -> e);
            ConnectionCommands.register(services.commands());
            ClientCommands.register(services.commands());
            ServerCommands.register(services.commands());
            TransactionCommands.register(services.commands());
            DataCommandFamilies.register(services, e);
            replicator = new Replicator(ring, origins.wrap(transport), network.clock(), ReplicaStore.embedded(e),
                    settings, Runnable::run);
            ReplicationInfo.register(replicator, services.info());
            router = new CommandRouter(services, replicator, e.clock());
            ClusterCommands.register(services.commands(), router, NO_PARTITION_COMMANDS);
            replicator.setForwardHandler(router);
            services.dispatcher().router(router);
            replicator.start();
            transport.start();
        }

        int datacenter() {
            return topology.datacenterOf(id);
        }

        /** A new client connection to this node (RESP2). */
        Client client() {
            return new Client(this);
        }

        /** Runs one command as a fresh client connected here would; completes with the RESP reply. */
        CompletableFuture<byte[]> command(String... args) {
            return client().command(args);
        }
    }

    /** A client connection to one node: commands go through its dispatcher and router. */
    static final class Client {
        private final Node node;
        private final NodeServices process;
        private final EmbeddedEngine engine;
        private final VirtualClient session;

        Client(Node node) {
            this.node = node;
            this.process = node.services;
            this.engine = node.engine;
            this.session = new VirtualClient(node.services, 2);
        }

        /** Runs a command; the future completes (on the simulation's thread) with its RESP reply. */
        CompletableFuture<byte[]> command(String... args) {
            byte[][] raw = new byte[args.length][];
            for (int i = 0; i < args.length; i++) {
                raw[i] = args[i].getBytes(StandardCharsets.UTF_8);
            }
            return command(raw);
        }

        /**
         * Runs a command given as raw arguments. A command that cannot be sent fails the future; a
         * reply its process did not live to send is an error that says so (the outcome is unknown).
         */
        CompletableFuture<byte[]> command(byte[][] args) {
            if (!alive()) {
                return CompletableFuture.failedFuture(new IllegalStateException("connection to node " + node.id
                        + " lost (the node " + (node.up ? "restarted" : "is down") + ")"));
            }
            CompletableFuture<CommandDispatcher.LateReply> late = node.services.dispatcher()
                    .dispatch(session.client(), args);
            byte[] written = session.take();
            if (late == null) {
                return CompletableFuture.completedFuture(sent(written));
            }
            return late.handle((result, error) -> {
                if (error == null && result == CommandDispatcher.LateReply.KEEP) {
                    return sent(written);
                }
                if (error != null) {
                    session.client().reply().error("ERR " + error.getMessage());
                } else {
                    result.write(session.client());
                }
                return sent(session.take());
            });
        }

        private boolean alive() {
            return node.up && node.services == process;
        }

        /** What the client receives of {@code reply}: it leaves once durable, if the process is still there. */
        private byte[] sent(byte[] reply) {
            if (!alive()) {
                return ("-ERR connection to node " + node.id + " lost before the reply (the node went down)\r\n")
                        .getBytes(StandardCharsets.UTF_8);
            }
            engine.awaitDurable();
            return reply;
        }
    }

    /** The simulation cuts the network itself (see {@link SimulatedNetwork#partition}). */
    private static final PartitionControl NO_PARTITION_COMMANDS = new PartitionControl() {
        @Override
        public void partition(java.util.Collection<Integer> nodeIds) {
            throw new IllegalArgumentException("partitions are made by the simulated network here");
        }

        @Override
        public java.util.SortedSet<Integer> heal(java.util.Collection<Integer> nodeIds) {
            return new java.util.TreeSet<>();
        }

        @Override
        public java.util.SortedSet<Integer> partitionedFrom() {
            return new java.util.TreeSet<>();
        }
    };

    final SimulatedNetwork network;
    final Topology topology;
    final Ring ring;
    final ReplicationSettings settings;
    final Map<Integer, Node> nodes = new TreeMap<>();
    /** Which node ran each command the test tagged (see {@link WriteOrigins}). */
    final WriteOrigins origins = new WriteOrigins();

    /** A cluster of {@code spec} whose nodes force their logs every second (the default appendfsync). */
    SimCluster(long seed, ClusterSpec spec, NetworkConditions conditions, ReplicationSettings settings) {
        this(seed, spec, conditions, settings, id -> SimDisk.Fsync.EVERYSEC);
    }

    /** A cluster of {@code spec} whose node {@code id} forces its log per {@code fsync.apply(id)}. */
    SimCluster(long seed, ClusterSpec spec, NetworkConditions conditions, ReplicationSettings settings,
               IntFunction<SimDisk.Fsync> fsync) {
        this.network = new SimulatedNetwork(seed, conditions, true);
        this.topology = Topology.of(spec);
        this.ring = Ring.build(topology);
        Random random = network.random();
        this.settings = settings.withReadRepairChance(settings.readRepairChance(), random::nextDouble);
        for (NodeSpec n : spec.nodes()) {
            nodes.put(n.id(), new Node(n.id(), fsync.apply(n.id())));
        }
    }

    /**
     * Settings scaled for simulation: short timeouts and heartbeats, fast resends, sweeps every
     * tick, hash trees of 2^6 slices (so leaves hold several keys), repair passes every 2 s with
     * sessions abandoned after 2 s without progress, small repair parts.
     */
    static ReplicationSettings simulationSettings() {
        return new ReplicationSettings(50, 300, 300, 500, 500, 0, 4,
                new DeltaBufferSettings(64L << 20, 64 << 10, 1L << 20, 100),
                PhiAccrualFailureDetector.Settings.defaults(50),
                new RepairSettings(2_000, 0, 64, 4 << 10, 2, 2, 2_000, 2, 4),
                6, 0.5, () -> 0.0, true, ReplicationSettings.DEFAULT_GC_GRACE_MILLIS, 500);
    }

    /** Starts every node's replicator and timer. */
    void start() {
        for (Node n : nodes.values()) {
            n.startProcess();
            scheduleTick(n, n.replicator);
        }
    }

    private void scheduleTick(Node node, Replicator replicator) {
        network.scheduleOn(node.id, TICK_MILLIS, () -> {
            if (node.replicator == replicator) {
                node.disk.tick(network.clock().nowMillis());
                replicator.tick();
                scheduleTick(node, replicator);
            }
        });
    }

    Node node(int id) {
        return nodes.get(id);
    }

    /** Kills the process of {@code id} (kill -9): what it wrote to the OS survives. */
    void crash(int id) {
        crash(id, Crash.KILL);
    }

    /**
     * Takes {@code id} down the {@code how} way: messages and timers die, pending requests fail,
     * the directory keeps what that kind of crash leaves. A node already down only loses its
     * directory's contents ({@link Crash#POWER_LOSS}, {@link Crash#WIPE}).
     */
    void crash(int id, Crash how) {
        Node n = nodes.get(id);
        if (n.up) {
            n.up = false;
            network.crash(id);
            n.replicator.close();
            switch (how) {
                case KILL -> n.disk.processKilled();
                case STOP -> n.disk.close();
                case POWER_LOSS -> n.disk.powerLost();
                case WIPE -> n.disk.wiped();
            }
        } else if (how == Crash.POWER_LOSS) {
            n.disk.powerLost();
        } else if (how == Crash.WIPE) {
            n.disk.wiped();
        }
    }

    /** A backup of {@code id}'s data directory now. */
    SimDisk.Copy backup(int id) {
        return nodes.get(id).disk.copy();
    }

    /** Replaces the directory of the down node {@code id} with {@code copy} (on the same machine boot or a new one). */
    void restore(int id, SimDisk.Copy copy, boolean sameBoot) {
        Node n = nodes.get(id);
        if (n.up) {
            throw new IllegalStateException("node " + id + " must be down to restore its directory");
        }
        n.disk.restore(copy, sameBoot);
    }

    /** Restarts a crashed node: a new process over its directory (see the class comment). */
    void restart(int id) {
        Node n = nodes.get(id);
        if (n.up) {
            return;
        }
        n.up = true;
        n.startProcess();
        network.restart(id);
        scheduleTick(n, n.replicator); // after the restart: timers of the old incarnation are dead
    }

    /** Runs in slices of {@code sliceMillis} until {@code condition} holds or {@code maxMillis} passed. */
    boolean runUntil(BooleanSupplier condition, long sliceMillis, long maxMillis) {
        long until = network.clock().nowMillis() + maxMillis;
        while (!condition.getAsBoolean()) {
            if (network.clock().nowMillis() >= until) {
                return false;
            }
            network.runFor(sliceMillis);
        }
        return true;
    }

    /**
     * Whether no node has deltas awaiting acknowledgement, requests awaiting replicas, or a repair
     * owed to a peer.
     */
    boolean quiescent() {
        for (Node n : nodes.values()) {
            if (!n.up || n.replicator.pendingDeltas() != 0 || n.replicator.pendingRequests() != 0
                    || n.replicator.repairOwed()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether every two nodes that share a replica set completed a hash-tree repair session with
     * each other (either one initiating) since {@code sinceMillis}: anti-entropy has run everywhere.
     */
    boolean repairedSince(long sinceMillis) {
        for (int id = 0; id < ring.replicaSetCount(); id++) {
            ReplicaSet set = ring.replicaSet(id);
            for (int i = 0; i < set.size(); i++) {
                for (int j = i + 1; j < set.size(); j++) {
                    Node a = nodes.get(set.node(i));
                    Node b = nodes.get(set.node(j));
                    if (Math.max(a.replicator.repair().lastCompletedMillis(b.id),
                            b.replicator.repair().lastCompletedMillis(a.id)) <= sinceMillis) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** The highest HLC any node has issued or received. */
    long maxClock() {
        long max = 0;
        for (Node n : nodes.values()) {
            max = Math.max(max, n.engine.clock().current());
        }
        return max;
    }

    /** Whether every node swept its tombstones with a stable stamp at or above {@code stamp}. */
    boolean sweptThrough(long stamp) {
        for (Node n : nodes.values()) {
            if (n.replicator.sweptThrough() < stamp) {
                return false;
            }
        }
        return true;
    }

    /** The replicas of {@code key}. */
    ReplicaSet replicasOf(byte[] key) {
        return ring.replicasFor(key);
    }

    /** Every node's state of {@code key} (null where none is held), by node id. */
    Map<Integer, KeyState> statesOf(byte[] key) {
        Map<Integer, KeyState> states = new TreeMap<>();
        for (Node n : nodes.values()) {
            states.put(n.id, n.engine.stateCopy(key));
        }
        return states;
    }

    /** Every key any node holds (tombstones included), in no particular order. */
    List<byte[]> allKeys() {
        java.util.Set<java.nio.ByteBuffer> seen = new java.util.HashSet<>();
        List<byte[]> keys = new ArrayList<>();
        for (Node n : nodes.values()) {
            for (int p = 0; p < n.engine.partitions(); p++) {
                n.engine.forEachState(p, (key, state) -> {
                    if (seen.add(java.nio.ByteBuffer.wrap(key.clone()))) {
                        keys.add(key.clone());
                    }
                });
            }
        }
        return keys;
    }

    /** A cluster description: {@code nodesPerDc.get(d)} nodes in DC d+1 with its own racks count and rf. */
    static ClusterSpec spec(List<Integer> nodesPerDc, List<Integer> racksPerDc, List<Integer> rfPerDc, int vnodes) {
        List<NodeSpec> nodes = new ArrayList<>();
        Map<String, Integer> replication = new TreeMap<>();
        int id = 1;
        for (int d = 0; d < nodesPerDc.size(); d++) {
            String dc = "dc" + (d + 1);
            for (int i = 0; i < nodesPerDc.get(d); i++, id++) {
                nodes.add(new NodeSpec(id, "10.0." + d + "." + id, 6379, 16379, dc,
                        "rack" + (1 + i % racksPerDc.get(d))));
            }
            replication.put(dc, rfPerDc.get(d));
        }
        return new ClusterSpec("sim", "secret", vnodes, replication, nodes).validate();
    }
}
