package io.converge.server.replication;

import io.converge.crdt.KeyState;
import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.sim.NetworkConditions;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Small simulated clusters and client helpers for the replication tests: commands go through the real request path. */
final class Clusters {

    private Clusters() {}

    /** Three nodes (ids 1..3) in one datacenter, three racks, replication 3, reliable 1 ms links. */
    static SimCluster threeNodes(long seed) {
        return started(SimCluster.spec(List.of(3), List.of(3), List.of(3), 8), seed);
    }

    /** A started cluster of {@code spec} on reliable links with the simulation settings. */
    static SimCluster started(ClusterSpec spec, long seed) {
        return started(spec, seed, SimCluster.simulationSettings());
    }

    /** A started cluster of {@code spec} on reliable links with {@code settings}. */
    static SimCluster started(ClusterSpec spec, long seed, ReplicationSettings settings) {
        SimCluster cluster = new SimCluster(seed, spec, NetworkConditions.reliable(), settings);
        cluster.start();
        // Let heartbeats flow so the failure detectors know everyone.
        cluster.network.runFor(200);
        return cluster;
    }

    /** A client of {@code node} whose reads and writes run at {@code level}. */
    static SimCluster.Client client(SimCluster.Node node, ConsistencyLevel level) {
        SimCluster.Client c = node.client();
        c.command("CONSISTENCY", level.name());
        return c;
    }

    /** {@code SET key value} on {@code node} at write level {@code level}; the RESP reply. */
    static CompletableFuture<byte[]> set(SimCluster.Node node, String key, String value, ConsistencyLevel level) {
        return client(node, level).command("SET", key, value);
    }

    /** {@code DEL key} on {@code node} at {@code level}; the RESP reply. */
    static CompletableFuture<byte[]> del(SimCluster.Node node, String key, ConsistencyLevel level) {
        return client(node, level).command("DEL", key);
    }

    /** Runs the simulation until {@code reply} completes (at most 10 s of simulated time); its text. */
    static String await(SimCluster cluster, CompletableFuture<byte[]> reply) {
        cluster.network.runUntil(reply::isDone, 10_000);
        if (!reply.isDone()) {
            throw new AssertionError("no reply within 10 s of simulated time");
        }
        return str(reply.join());
    }

    /** The reply's text if it arrived, else null. */
    static String reply(CompletableFuture<byte[]> reply) {
        return reply.isDone() && !reply.isCompletedExceptionally() ? str(reply.join()) : null;
    }

    /** The visible string of {@code key} in {@code node}'s engine, or null. */
    static String get(SimCluster.Node node, String key) {
        KeyState state = node.engine.stateCopy(bytes(key));
        byte[] value = state == null ? null : state.stringBytes();
        return value == null ? null : str(value);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
