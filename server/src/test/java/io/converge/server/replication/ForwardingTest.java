package io.converge.server.replication;

import static io.converge.server.replication.Clusters.await;
import static io.converge.server.replication.Clusters.bytes;
import static io.converge.server.replication.Clusters.get;
import static io.converge.server.replication.Clusters.reply;
import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.sim.NetworkConditions;
import io.converge.server.replication.forward.ForwardException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/**
 * Commands for keys the coordinator does not replicate: the router forwards them whole to one
 * replica (chosen per replica set: local datacenter, up, stable), the replica runs them once at
 * the client's levels, and the reply or a clear error comes back.
 */
class ForwardingTest {

    /** Four nodes in dc1 and two in dc2, replication 2 in each: most keys have non-replicas. */
    private static SimCluster twoDcs(long seed) {
        return Clusters.started(SimCluster.spec(List.of(4, 2), List.of(4, 2), List.of(2, 2), 8), seed);
    }

    /** A key {@code node} does not replicate. */
    private static String keyNotOn(SimCluster c, int node) {
        for (int i = 0; ; i++) {
            if (!c.ring.replicasFor(bytes("k" + i)).contains(node)) {
                return "k" + i;
            }
        }
    }

    /** The replica node {@code from}'s router sends commands on {@code key} to. */
    private static int chosen(SimCluster c, int from, String key) {
        return c.node(from).router.chooseReplica(c.ring.replicasFor(bytes(key)));
    }

    /** Forwarded commands {@code node} ran. */
    private static long received(SimCluster c, int node) {
        return c.node(node).replicator.stats().counters().forwardsReceived();
    }

    @Test
    void theReplicaRunsAForwardedCommandOnceEvenWhenTheNetworkDuplicatesIt() {
        // Every message is delivered twice.
        SimCluster c = new SimCluster(21, SimCluster.spec(List.of(4, 2), List.of(4, 2), List.of(2, 2), 8),
                new NetworkConditions(0, 1.0, 1, 1), SimCluster.simulationSettings());
        c.start();
        c.network.runFor(200);
        String key = keyNotOn(c, 1);
        int target = chosen(c, 1, key);
        assertThat(c.ring.replicasFor(bytes(key)).contains(target)).isTrue();
        CompletableFuture<byte[]> incr = Clusters.client(c.node(1), ConsistencyLevel.ONE).command("INCR", key);
        assertThat(incr).as("forwarded: the reply comes from the replica").isNotDone();
        assertThat(await(c, incr)).isEqualTo(":1\r\n");
        c.network.runFor(20);
        assertThat(received(c, target)).isEqualTo(1);
        assertThat(c.node(target).replicator.stats().counters().duplicateForwards()).isEqualTo(1);
        for (int replica : nodes(c.ring.replicasFor(bytes(key)))) {
            assertThat(get(c.node(replica), key)).as("node %d", replica).isEqualTo("1");
        }
        assertThat(c.node(1).engine.stateCopy(bytes(key))).as("the coordinator stores nothing").isNull();
        assertThat(c.node(1).replicator.stats().counters().forwardsSent()).isEqualTo(1);
    }

    @Test
    void aForwardedCommandRunsAtTheClientsLevelsAndItsErrorsComeBackAsTheyAre() {
        SimCluster c = twoDcs(22);
        String key = keyNotOn(c, 1);
        int target = chosen(c, 1, key);
        SimCluster.Client client = Clusters.client(c.node(1), ConsistencyLevel.EACH_QUORUM);
        assertThat(await(c, client.command("SADD", key, "a"))).isEqualTo(":1\r\n");
        ReplicaSet replicas = c.ring.replicasFor(bytes(key));
        for (int replica : nodes(replicas)) {
            assertThat(c.node(replica).engine.stateCopy(bytes(key)).set().size())
                    .as("EACH_QUORUM with rf 2 is every replica").isEqualTo(1);
        }
        assertThat(await(c, client.command("GET", key))).startsWith("-WRONGTYPE");
        assertThat(await(c, client.command("SISMEMBER", key, "a"))).isEqualTo(":1\r\n");
        assertThat(c.node(target).replicator.stats().counters().quorumReads())
                .as("the replica read at the client's level").isEqualTo(2);
    }

    @Test
    void noReplyWithinTheTimeoutIsAClientErrorThatSaysTheOutcomeIsUnknown() {
        SimCluster c = twoDcs(23);
        String key = keyNotOn(c, 1);
        int target = chosen(c, 1, key);
        c.network.isolate(target);
        CompletableFuture<byte[]> set = Clusters.client(c.node(1), ConsistencyLevel.ONE).command("SET", key, "v");
        c.network.runFor(499);
        assertThat(set).isNotDone();
        c.network.runFor(20);
        assertThat(reply(set)).isEqualTo("-ERR no reply from replica " + target
                + " within 500 ms; the command may or may not have been applied there\r\n");
        assertThat(c.node(1).replicator.pendingRequests()).isZero();
        assertThat(c.node(1).replicator.stats().counters().forwardsFailed()).isEqualTo(1);
    }

    @Test
    void aForwardTheReplicaCannotRunFailsWithItsReason() throws InterruptedException {
        SimCluster c = twoDcs(24);
        String key = keyNotOn(c, 1);
        int target = chosen(c, 1, key);
        // Not a forwarded request at all: the replica's router refuses to decode it.
        CompletableFuture<byte[]> garbage = c.node(1).replicator.forward(target, bytes(key), new byte[] {42});
        c.network.runFor(5);
        assertThat(garbage).isCompletedExceptionally();
        try {
            garbage.get();
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(ForwardException.class);
            assertThat(e.getCause().getMessage()).contains("forwarded-command");
        }
        assertThat(c.node(1).replicator.stats().counters().forwardsFailed()).isEqualTo(1);
    }

    @Test
    void aWriteForwardedByANodeWhoseClockIsTooFarAheadIsRefusedBeforeItRuns() {
        SimCluster c = twoDcs(25);
        String key = keyNotOn(c, 1);
        int target = chosen(c, 1, key);
        c.network.setClockSkew(1, 5_000);
        // A write node 1 runs itself stamps its hybrid clock 5 s ahead; forwarded commands carry that clock.
        String local = "local";
        for (int i = 0; !c.ring.replicasFor(bytes(local)).contains(1); i++) {
            local = "local" + i;
        }
        assertThat(await(c, c.node(1).command("SET", local, "x"))).isEqualTo("+OK\r\n");
        CompletableFuture<byte[]> set = Clusters.client(c.node(1), ConsistencyLevel.ONE).command("SET", key, "v");
        assertThat(await(c, set)).startsWith("-ERR clock drift: node 1 is ")
                .contains(" ms ahead of node " + target + " (max-clock-drift-ms is 1000); the write was refused and "
                        + "not applied. Check the clocks (NTP).");
        for (int replica : nodes(c.ring.replicasFor(bytes(key)))) {
            assertThat(c.node(replica).engine.stateCopy(bytes(key))).isNull();
        }
        // A read is not refused (it stamps nothing).
        assertThat(await(c, c.node(1).command("GET", key))).isEqualTo("$-1\r\n");
    }

    @Test
    void theChosenReplicaIsLocalIfPossibleThenInTheLocalDatacenterUpAndStablePerReplicaSet() {
        SimCluster c = twoDcs(26);
        int checked = 0;
        Set<Integer> targets = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            ReplicaSet replicas = c.ring.replicasFor(bytes("key" + i));
            for (SimCluster.Node n : c.nodes.values()) {
                int chosen = n.router.chooseReplica(replicas);
                if (replicas.contains(n.id)) {
                    assertThat(chosen).isEqualTo(n.id);
                    continue;
                }
                assertThat(replicas.contains(chosen)).isTrue();
                assertThat(c.topology.datacenterOf(chosen)).isEqualTo(n.datacenter());
                assertThat(n.router.chooseReplica(replicas)).isEqualTo(chosen);
                targets.add(chosen);
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(100);
        assertThat(targets).as("the load spreads over the replicas").hasSizeGreaterThan(2);

        // CONVERGE OWNERS shows the choice, and the command really runs there.
        String key = keyNotOn(c, 1);
        int first = chosen(c, 1, key);
        assertThat(await(c, c.node(1).command("CONVERGE", "OWNERS", key))).contains("forwarded-to")
                .doesNotContain("serves-here");
        long before = received(c, first);
        await(c, c.node(1).command("SET", key, "v"));
        assertThat(received(c, first)).isEqualTo(before + 1);

        // When the chosen replica goes down, the other local one takes over; when both are down,
        // a replica of the other datacenter.
        ReplicaSet replicas = c.ring.replicasFor(bytes(key));
        c.network.isolate(first);
        c.network.runFor(1_000);
        int second = chosen(c, 1, key);
        assertThat(second).isNotEqualTo(first);
        assertThat(c.topology.datacenterOf(second)).isZero();
        before = received(c, second);
        assertThat(await(c, c.node(1).command("GET", key))).as("the write reached it by replication")
                .isEqualTo("$1\r\nv\r\n");
        assertThat(received(c, second)).isEqualTo(before + 1);
        c.network.partition(List.of(List.of(first), List.of(second)));
        c.network.runFor(1_000);
        int remote = chosen(c, 1, key);
        assertThat(nodes(replicas)).contains(remote);
        assertThat(c.topology.datacenterOf(remote)).isOne();
        assertThat(await(c, c.node(1).command("GET", key))).isEqualTo("$1\r\nv\r\n");
    }

    @Test
    void forwardedCommandsOverALossyNetworkRunAtMostOnceOrFailClearly() {
        SimCluster c = new SimCluster(27, SimCluster.spec(List.of(5), List.of(5), List.of(2), 8),
                NetworkConditions.faulty(0.3, 0.3), SimCluster.simulationSettings());
        c.start();
        c.network.runFor(200);
        String key = keyNotOn(c, 1);
        List<CompletableFuture<byte[]>> replies = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            replies.add(Clusters.client(c.node(1), ConsistencyLevel.ONE).command("INCR", key));
        }
        c.network.runFor(1_000);
        int ok = 0;
        Set<String> values = new HashSet<>();
        for (CompletableFuture<byte[]> r : replies) {
            String text = reply(r);
            assertThat(text).isNotNull();
            if (text.startsWith(":")) {
                ok++;
                assertThat(values.add(text)).as("each run increments once: replies are distinct").isTrue();
            } else {
                assertThat(text).startsWith("-ERR no reply from replica ")
                        .endsWith("the command may or may not have been applied there\r\n");
            }
        }
        assertThat(ok).isBetween(20, 99);
        c.network.setConditions(NetworkConditions.reliable());
        assertThat(c.runUntil(c::quiescent, 50, 20_000)).isTrue();
        long value = Long.parseLong(get(c.node(c.ring.replicasFor(bytes(key)).node(0)), key));
        assertThat(value).as("every acknowledged INCR counted, none run twice").isBetween((long) ok, 100L);
        HashTreeRepairTest.assertIdentical(c);
    }

    /** The ids of {@code set}. */
    private static List<Integer> nodes(ReplicaSet set) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < set.size(); i++) {
            ids.add(set.node(i));
        }
        return ids;
    }
}
