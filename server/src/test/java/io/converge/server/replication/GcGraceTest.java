package io.converge.server.replication;

import static io.converge.server.replication.Clusters.await;
import static io.converge.server.replication.Clusters.bytes;
import static io.converge.server.replication.Clusters.del;
import static io.converge.server.replication.Clusters.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.replication.antientropy.DeltaBufferSettings;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The GC grace period ({@code gc/GcHorizon}, {@code rejoin/Rejoin}): a node away longer than
 * {@code gc-grace-ms} no longer holds tombstone GC back; when it returns it discards its state and
 * rebuilds it from its peers, so the deletes it missed, whose tombstones are gone, stay deleted.
 */
class GcGraceTest {

    private static final long GRACE_MILLIS = 3_000;

    @Test
    void aNodeAwayLongerThanTheGraceIsExpelledThenRebuiltAndTheDeletesItMissedStayDeleted() {
        SimCluster c = Clusters.started(SimCluster.spec(List.of(3), List.of(3), List.of(3), 8), 71,
                SimCluster.simulationSettings().withRejoin(GRACE_MILLIS, 500));
        for (int i = 0; i < 20; i++) {
            await(c, set(c.node(1), "k" + i, "v" + i, ConsistencyLevel.ALL));
        }
        c.network.isolate(3);
        for (int i = 0; i < 10; i++) {
            assertThat(await(c, del(c.node(1 + i % 2), "k" + i, ConsistencyLevel.LOCAL_QUORUM))).isEqualTo(":1\r\n");
        }
        c.network.runFor(GRACE_MILLIS + 3_000);
        for (int id = 1; id <= 2; id++) {
            SimCluster.Node n = c.node(id);
            assertThat(n.replicator.stats().gc().expelled()).as("node %d expelled node 3", id).containsExactly(3);
            assertThat(n.engine.stateCopy(bytes("k0"))).as("node %d collected the tombstone without node 3", id)
                    .isNull();
        }
        assertThat(c.node(3).replicator.stats().gc().expulsions())
                .as("node 3, cut off alone, hears no majority and expels no one").isZero();
        assertThat(c.node(3).engine.stateCopy(bytes("k0")).exists()).isTrue();

        c.network.heal();
        assertThat(c.runUntil(() -> c.node(3).replicator.syncPercent() == 100
                && c.node(3).replicator.stats().rebuilds() == 1 && c.quiescent(), 50, 20_000)).isTrue();
        for (SimCluster.Node n : c.nodes.values()) {
            assertThat(n.replicator.stats().gc().expelled()).as("node %d counts every node again", n.id).isEmpty();
            for (int i = 0; i < 20; i++) {
                String expected = i < 10 ? "$-1\r\n" : "$" + ("v" + i).length() + "\r\nv" + i + "\r\n";
                assertThat(await(c, Clusters.client(n, ConsistencyLevel.ONE).command("GET", "k" + i)))
                        .as("k%d on node %d", i, n.id).isEqualTo(expected);
            }
        }
        // Deletes buffered for node 3 while it was away reach it after its rebuild: their tombstones
        // go with its next GC rounds, then every replica holds the same.
        assertThat(c.runUntil(() -> java.util.Arrays.equals(c.node(1).replicator.dataDigest(),
                c.node(3).replicator.dataDigest()), 50, 20_000)).isTrue();
        assertThat(c.node(2).replicator.dataDigest()).isEqualTo(c.node(3).replicator.dataDigest());
    }

    /**
     * While node 3 is away, node 1 buffers a SET of {@code x} for it and node 2 the DEL of {@code
     * x}, which then overflows (node 2 owes node 3 a repair of what it holds now: nothing of x).
     * Once the tombstone is collected, the old SET must not reach node 3 after its rebuild: x would
     * live there, and come back everywhere from it.
     */
    @Test
    void deltasBufferedForAnExpelledNodeAreDroppedWhenItRebuilt() {
        SimCluster c = Clusters.started(SimCluster.spec(List.of(3), List.of(3), List.of(3), 8), 72,
                SimCluster.simulationSettings().withRejoin(GRACE_MILLIS, 500)
                        .withDeltaBuffers(new DeltaBufferSettings(8 << 10, 1 << 10, 8 << 10, 100)));
        c.network.isolate(3);
        assertThat(await(c, set(c.node(1), "x", "old", ConsistencyLevel.LOCAL_QUORUM))).isEqualTo("+OK\r\n");
        c.network.runFor(100);
        assertThat(await(c, del(c.node(2), "x", ConsistencyLevel.LOCAL_QUORUM))).isEqualTo(":1\r\n");
        String filler = "f".repeat(200);
        for (int i = 0; i < 100; i++) { // overflows node 2's buffer for node 3: the DEL is dropped from it
            await(c, set(c.node(2), "fill" + i, filler, ConsistencyLevel.LOCAL_QUORUM));
        }
        c.network.runFor(GRACE_MILLIS + 3_000);
        assertThat(c.node(1).engine.stateCopy(bytes("x"))).as("the tombstone was collected").isNull();
        assertThat(c.node(2).engine.stateCopy(bytes("x"))).isNull();

        c.network.heal();
        assertThat(c.runUntil(() -> c.node(3).replicator.stats().rebuilds() == 1
                && c.node(3).replicator.syncPercent() == 100 && c.quiescent(), 50, 20_000)).isTrue();
        c.network.runFor(3_000);
        for (SimCluster.Node n : c.nodes.values()) {
            assertThat(await(c, Clusters.client(n, ConsistencyLevel.ONE).command("GET", "x")))
                    .as("x on node %d", n.id).isEqualTo("$-1\r\n");
        }
    }
}
