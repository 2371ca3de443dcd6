package io.converge.server.cluster.replication;

import static io.converge.server.cluster.replication.Clusters.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.sim.NetworkConditions;
import io.converge.server.cluster.wire.PeerMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Forwarding whole commands to a replica, and choosing that replica. */
class ForwardingTest {

    /** Four nodes in dc1 and two in dc2, replication 2 in each: most keys have non-replicas. */
    private static SimCluster twoDcs(long seed) {
        return Clusters.started(SimCluster.spec(List.of(4, 2), List.of(4, 2), List.of(2, 2), 8), seed);
    }

    private static String keyNotOn(SimCluster c, int node) {
        for (int i = 0; ; i++) {
            if (!c.ring.replicasFor(bytes("k" + i)).contains(node)) {
                return "k" + i;
            }
        }
    }

    private static String message(CompletableFuture<?> f) {
        assertThat(f).isCompletedExceptionally();
        try {
            f.get();
            throw new AssertionError("not failed");
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(ForwardException.class);
            return e.getCause().getMessage();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theReplicaRunsTheForwardedCommandOnceAndItsReplyComesBack() {
        SimCluster c = twoDcs(21);
        List<String> ran = new ArrayList<>();
        for (SimCluster.Node n : c.nodes.values()) {
            n.replicator.setForwardHandler((from, key, payload) -> {
                ran.add(n.id + "<-" + from + ":" + new String(payload, StandardCharsets.UTF_8));
                return CompletableFuture.completedFuture(("+done by " + n.id).getBytes(StandardCharsets.UTF_8));
            });
        }
        String key = keyNotOn(c, 1);
        int target = c.node(1).replicator.chooseReplica(bytes(key));
        assertThat(c.ring.replicasFor(bytes(key)).contains(target)).isTrue();
        CompletableFuture<byte[]> reply = c.node(1).replicator.forward(target, bytes(key), bytes("SET k v"));
        c.network.runFor(5);
        assertThat(reply).isCompleted();
        assertThat(new String(reply.join(), StandardCharsets.UTF_8)).isEqualTo("+done by " + target);
        assertThat(ran).containsExactly(target + "<-1:SET k v");

        // A duplicated WRITE (same request id) is not run again.
        c.node(1).transport.send(target, new PeerMessage.Write(424242L, bytes(key), bytes("INCR k")));
        c.node(1).transport.send(target, new PeerMessage.Write(424242L, bytes(key), bytes("INCR k")));
        c.network.runFor(5);
        assertThat(ran).hasSize(2);
        assertThat(c.node(target).replicator.stats().counters().duplicateForwards()).isEqualTo(1);
    }

    @Test
    void noReplyWithinTheTimeoutNoHandlerAndAFailingHandlerAreForwardErrors() {
        SimCluster c = twoDcs(22);
        String key = keyNotOn(c, 1);
        int target = c.node(1).replicator.chooseReplica(bytes(key));

        CompletableFuture<byte[]> noHandler = c.node(1).replicator.forward(target, bytes(key), bytes("x"));
        c.network.runFor(5);
        assertThat(message(noHandler)).isEqualTo("node " + target + " does not accept forwarded commands yet");

        c.node(target).replicator.setForwardHandler((from, k, payload) -> {
            throw new IllegalStateException("boom");
        });
        CompletableFuture<byte[]> failing = c.node(1).replicator.forward(target, bytes(key), bytes("x"));
        c.network.runFor(5);
        assertThat(message(failing)).isEqualTo("boom");

        c.network.isolate(target);
        CompletableFuture<byte[]> timeout = c.node(1).replicator.forward(target, bytes(key), bytes("x"));
        c.network.runFor(499);
        assertThat(timeout).isNotDone();
        c.network.runFor(20);
        assertThat(message(timeout)).isEqualTo("no reply from replica " + target
                + " within 500 ms; the command may or may not have been applied there");
        assertThat(c.node(1).replicator.pendingRequests()).isZero();
        assertThat(c.node(1).replicator.stats().counters().forwardsFailed()).isEqualTo(3);
    }

    @Test
    void theChosenReplicaIsLocalIfPossibleThenInTheLocalDatacenterUpAndStablePerKey() {
        SimCluster c = twoDcs(23);
        int checked = 0;
        for (int i = 0; i < 200; i++) {
            byte[] key = bytes("key" + i);
            ReplicaSet replicas = c.ring.replicasFor(key);
            for (SimCluster.Node n : c.nodes.values()) {
                int chosen = n.replicator.chooseReplica(key);
                if (replicas.contains(n.id)) {
                    assertThat(chosen).isEqualTo(n.id);
                    continue;
                }
                assertThat(replicas.contains(chosen)).isTrue();
                assertThat(c.topology.datacenterOf(chosen)).isEqualTo(n.datacenter());
                assertThat(n.replicator.chooseReplica(key)).isEqualTo(chosen);
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(100);

        // When the chosen replica goes down, the other local one takes over; when both are down,
        // a replica of the other datacenter.
        SimCluster.Node n1 = c.node(1);
        String key = keyNotOn(c, 1);
        ReplicaSet replicas = c.ring.replicasFor(bytes(key));
        int first = n1.replicator.chooseReplica(bytes(key));
        c.network.isolate(first);
        c.network.runFor(1_000);
        int second = n1.replicator.chooseReplica(bytes(key));
        assertThat(second).isNotEqualTo(first);
        assertThat(c.topology.datacenterOf(second)).isZero();
        c.network.partition(List.of(List.of(first), List.of(second)));
        c.network.runFor(1_000);
        int remote = n1.replicator.chooseReplica(bytes(key));
        assertThat(replicas.nodesIn(1)).contains(remote);
    }

    @Test
    void forwardedCommandsSurviveALossyNetworkOrFailClearly() {
        SimCluster c = new SimCluster(24, SimCluster.spec(List.of(5), List.of(5), List.of(2), 8),
                NetworkConditions.faulty(0.3, 0.3), SimCluster.simulationSettings());
        c.start();
        int[] runs = new int[1];
        for (SimCluster.Node n : c.nodes.values()) {
            n.replicator.setForwardHandler((from, key, payload) -> {
                runs[0]++;
                return CompletableFuture.completedFuture(payload);
            });
        }
        String key = keyNotOn(c, 1);
        int target = c.ring.replicasFor(bytes(key)).node(0);
        List<CompletableFuture<byte[]>> replies = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            replies.add(c.node(1).replicator.forward(target, bytes(key), bytes("cmd" + i)));
        }
        c.network.runFor(1_000);
        int ok = 0;
        for (int i = 0; i < replies.size(); i++) {
            CompletableFuture<byte[]> r = replies.get(i);
            assertThat(r).isDone();
            if (!r.isCompletedExceptionally()) {
                assertThat(new String(r.join(), StandardCharsets.UTF_8)).isEqualTo("cmd" + i);
                ok++;
            }
        }
        assertThat(ok).isBetween(20, 99);
        assertThat(runs[0]).as("each command runs at most once despite duplication").isLessThanOrEqualTo(100);
    }
}
