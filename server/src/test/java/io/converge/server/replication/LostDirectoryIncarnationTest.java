package io.converge.server.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.cluster.ConsistencyLevel;
import org.junit.jupiter.api.Test;

/**
 * A node restarted on a lost data directory soon after an earlier restart: that earlier process
 * floored its clock at the stored high-water mark (up to a second ahead of the wall clock); the
 * new one has no mark, so its clock starts below. Its process incarnation must still be above the
 * earlier one's ({@code Replicator.processIncarnation}), or its peers take its delta batches for
 * late ones of an older process and never acknowledge them.
 */
class LostDirectoryIncarnationTest {

    @Test
    void aNodeBackOnAnEmptyDirectoryReplicatesAgain() {
        SimCluster c = Clusters.threeNodes(7);
        assertThat(Clusters.await(c, Clusters.set(c.node(1), "a", "1", ConsistencyLevel.ALL))).startsWith("+OK");
        c.crash(1, SimCluster.Crash.KILL);
        c.network.runFor(100);
        c.restart(1);
        c.network.runFor(100);
        // This process's incarnation is its clock at start: floored at the mark, ahead of the wall clock.
        assertThat(Clusters.await(c, Clusters.set(c.node(1), "b", "2", ConsistencyLevel.ALL))).startsWith("+OK");
        c.crash(1, SimCluster.Crash.WIPE);
        c.network.runFor(100);
        c.restart(1);
        c.network.runFor(1_000);

        assertThat(Clusters.await(c, Clusters.set(c.node(1), "c", "3", ConsistencyLevel.ALL)))
                .as("a write at ALL through the node back on an empty directory").startsWith("+OK");
        assertThat(c.runUntil(c::quiescent, 50, 10_000)).as("every delta acknowledged").isTrue();
    }
}
