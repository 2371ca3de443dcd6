package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.converge.server.store.EmbeddedEngine;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The replication keys of CONFIG SET take effect on a running clustered node. */
class ClusterConfigTest {

    @Test
    void configSetChangesTheDriftLimitTheRepairPaceAndTheReadRepairChance() {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), b -> { })) {
            cluster.awaitAllUp();
            RedisCommands<String, String> c = cluster.connect(1).sync();
            EmbeddedEngine engine = (EmbeddedEngine) cluster.node(1).services().engine();
            assertThat(engine.clock().maxDriftMs()).isEqualTo(1000);
            assertThat(c.configSet("max-clock-drift-ms", "250")).isEqualTo("OK");
            await().atMost(Duration.ofSeconds(5)).until(() -> engine.clock().maxDriftMs() == 250);
            assertThat(c.configGet("max-clock-drift-ms")).containsEntry("max-clock-drift-ms", "250");

            assertThat(c.configSet("repair-interval-ms", "1500")).isEqualTo("OK");
            assertThat(c.configSet("repair-max-bytes-per-sec", "1mb")).isEqualTo("OK");
            assertThat(c.configSet("read-repair-chance", "1")).isEqualTo("OK");
            assertThat(c.configGet("repair-max-bytes-per-sec")).containsEntry("repair-max-bytes-per-sec", "1048576");
            // The pace applies: with a 1.5 s interval, background passes complete with every peer.
            long before = cluster.replicator(1).repair().stats().sessionsCompleted();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> cluster.replicator(1).repair().stats().sessionsCompleted() >= before + 2);
            assertThatThrownBy(() -> c.configSet("read-repair-chance", "2"))
                    .hasMessageContaining("argument must be a number between 0 and 1");
        }
    }
}
