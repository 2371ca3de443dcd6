package io.converge.server.cluster.replication;

import io.converge.crdt.KeyState;
import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import io.converge.server.cluster.Topology;
import io.converge.server.cluster.sim.NetworkConditions;
import io.converge.server.cluster.sim.SimulatedNetwork;
import io.converge.server.cluster.sim.SimulatedTransport;
import io.converge.server.repair.DeltaBufferSettings;
import io.converge.server.cluster.PhiAccrualFailureDetector;
import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.EngineSettings;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * A whole cluster in one thread for tests: every node a real {@link EmbeddedEngine} and a
 * {@link Replicator} over one seeded {@link SimulatedNetwork}, ticked on simulated time.
 * Crash keeps a node's engine (a process restart that replays its log) but loses its in-memory
 * buffers, pending requests and in-flight messages; restart builds a new replicator on it.
 */
final class SimCluster {

    /** Wall clocks start here (plus each node's skew), so expiry instants look like real ones. */
    static final long WALL_BASE = 1_700_000_000_000L;
    /** Timer period of every replicator. */
    static final long TICK_MILLIS = 10;

    /** One simulated node. */
    final class Node {
        final int id;
        final EmbeddedEngine engine;
        final SimulatedTransport transport;
        Replicator replicator;
        boolean up = true;

        Node(int id) {
            this.id = id;
            this.transport = network.transport(id);
            this.engine = new EmbeddedEngine(EngineSettings.of(id, () -> WALL_BASE + network.wallClock(id).nowMillis())
                    .withStripes(4));
        }

        void startReplicator() {
            replicator = new Replicator(ring, transport, network.clock(), ReplicaStore.embedded(engine), settings);
            if (forwardHandlerFactory != null) {
                replicator.setForwardHandler(forwardHandlerFactory.handlerFor(this));
            }
            replicator.start();
            transport.start();
        }

        int datacenter() {
            return topology.datacenterOf(id);
        }
    }

    /** Builds the forward handler of a node (the test's "client path"). */
    interface ForwardHandlerFactory {
        /** The handler running forwarded commands on {@code node}. */
        ForwardHandler handlerFor(Node node);
    }

    final SimulatedNetwork network;
    final Topology topology;
    final Ring ring;
    final ReplicationSettings settings;
    final Map<Integer, Node> nodes = new TreeMap<>();
    private ForwardHandlerFactory forwardHandlerFactory;

    SimCluster(long seed, ClusterSpec spec, NetworkConditions conditions, ReplicationSettings settings) {
        this.network = new SimulatedNetwork(seed, conditions, true);
        this.topology = Topology.of(spec);
        this.ring = Ring.build(topology);
        this.settings = settings;
        for (NodeSpec n : spec.nodes()) {
            nodes.put(n.id(), new Node(n.id()));
        }
    }

    /** Settings scaled for simulation: short timeouts and heartbeats, fast resends, sweeps every tick. */
    static ReplicationSettings simulationSettings() {
        return new ReplicationSettings(50, 300, 300, 500, 500, 0, 4, true,
                new DeltaBufferSettings(64L << 20, 64 << 10, 1L << 20, 100),
                PhiAccrualFailureDetector.Settings.defaults(50));
    }

    /** Uses {@code factory} for forwarded commands (call before {@link #start()}). */
    void forwardHandlers(ForwardHandlerFactory factory) {
        this.forwardHandlerFactory = factory;
    }

    /** Starts every node's replicator and timer. */
    void start() {
        for (Node n : nodes.values()) {
            n.startReplicator();
            scheduleTick(n, n.replicator);
        }
    }

    private void scheduleTick(Node node, Replicator replicator) {
        network.scheduleOn(node.id, TICK_MILLIS, () -> {
            if (node.replicator == replicator) {
                replicator.tick();
                scheduleTick(node, replicator);
            }
        });
    }

    Node node(int id) {
        return nodes.get(id);
    }

    /** Crashes {@code id}: messages and timers die, pending requests fail; the engine is kept. */
    void crash(int id) {
        Node n = nodes.get(id);
        if (!n.up) {
            return;
        }
        n.up = false;
        network.crash(id);
        n.replicator.close();
    }

    /** Restarts a crashed node with a new replicator over its kept engine. */
    void restart(int id) {
        Node n = nodes.get(id);
        if (n.up) {
            return;
        }
        n.up = true;
        n.startReplicator();
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

    /** Whether no node has deltas awaiting acknowledgement or requests awaiting replicas. */
    boolean quiescent() {
        for (Node n : nodes.values()) {
            if (!n.up || n.replicator.pendingDeltas() != 0 || n.replicator.pendingRequests() != 0) {
                return false;
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

    /** A cluster description: {@code nodesPerDc.get(d)} nodes in DC d+1 with its own racks count and rf. */
    static ClusterSpec spec(List<Integer> nodesPerDc, List<Integer> racksPerDc, List<Integer> rfPerDc, int vnodes) {
        java.util.List<NodeSpec> nodes = new java.util.ArrayList<>();
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
