package io.converge.server.cluster.replication;

import io.converge.crdt.KeyState;
import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.sim.NetworkConditions;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Small simulated clusters and client-like helpers for the replication unit tests. */
final class Clusters {

    private Clusters() {}

    /** Three nodes (ids 1..3) in one datacenter, three racks, replication 3, reliable 1 ms links. */
    static SimCluster threeNodes(long seed) {
        return started(SimCluster.spec(List.of(3), List.of(3), List.of(3), 8), seed);
    }

    /** A started cluster of {@code spec} on reliable links with the simulation settings. */
    static SimCluster started(ClusterSpec spec, long seed) {
        SimCluster cluster = new SimCluster(seed, spec, NetworkConditions.reliable(), SimCluster.simulationSettings());
        cluster.start();
        // Let heartbeats flow so the failure detectors know everyone.
        cluster.network.runFor(200);
        return cluster;
    }

    /** SET {@code key value} run on {@code node} and replicated at {@code level}, as a command would. */
    static CompletableFuture<Void> set(SimCluster.Node node, String key, String value, ConsistencyLevel level) {
        DeltaCapture capture = node.replicator.beginCapture();
        try {
            node.engine.withKey(bytes(key), access -> {
                access.written(access.forWrite().setString(bytes(value), 0, access.stamp(), access.node()));
                return null;
            });
        } finally {
            capture.close();
        }
        return node.replicator.replicate(capture, level);
    }

    /** DEL {@code key} run on {@code node} and replicated at {@code level}. */
    static CompletableFuture<Void> del(SimCluster.Node node, String key, ConsistencyLevel level) {
        DeltaCapture capture = node.replicator.beginCapture();
        try {
            node.engine.withKey(bytes(key), access -> {
                if (access.live() != null) {
                    access.written(access.forWrite().delete(access.stamp(), access.node()));
                }
                return null;
            });
        } finally {
            capture.close();
        }
        return node.replicator.replicate(capture, level);
    }

    /** The visible string of {@code key} on {@code node}, or null. */
    static String get(SimCluster.Node node, String key) {
        KeyState state = node.engine.stateCopy(bytes(key));
        byte[] value = state == null ? null : state.stringBytes();
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
