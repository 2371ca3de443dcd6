package io.converge.server.cluster.routing;

import static io.converge.server.cluster.routing.TestCluster.consistency;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Two datacenters of two nodes, replication factor 2 in each: LOCAL_QUORUM waits only for the
 * client's datacenter, EACH_QUORUM for both; with the other datacenter down, LOCAL_QUORUM writes
 * still succeed, EACH_QUORUM ones fail with an error naming the missing datacenter, and the
 * datacenter catches up when it is back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultiDatacenterTest {
    private TestCluster cluster;

    @BeforeAll
    void start() {
        cluster = TestCluster.start(List.of(2, 2), List.of(2, 2), c -> c.set("request-timeout-ms", "600"));
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void levelsCountReplicasPerDatacenter() {
        StatefulRedisConnection<String, String> dc1 = cluster.connect(1);
        StatefulRedisConnection<String, String> dc2 = cluster.connect(3);
        consistency(dc1, "WRITE", "EACH_QUORUM");
        consistency(dc2, "READ", "LOCAL_QUORUM");
        for (int i = 0; i < 20; i++) {
            dc1.sync().set("each:" + i, "v" + i);
            // EACH_QUORUM wrote both replicas of dc2: a LOCAL_QUORUM read there sees it at once.
            assertThat(dc2.sync().get("each:" + i)).isEqualTo("v" + i);
        }
        assertThat(dc1.sync().info("cluster")).contains("cluster_replication:dc1=2,dc2=2");

        cluster.stopNode(3);
        cluster.stopNode(4);
        try {
            RedisCommands<String, String> n1 = dc1.sync();
            consistency(dc1, "WRITE", "LOCAL_QUORUM");
            assertThat(n1.set("local:k", "1")).isEqualTo("OK");
            consistency(dc1, "WRITE", "DC_EACH_SAFE_QUORUM");
            assertThatThrownBy(() -> n1.set("each:down", "x")).isInstanceOf(RedisCommandExecutionException.class)
                    .hasMessageContaining("consistency level EACH_QUORUM").hasMessageContaining("in dc2, got 0 of 2");
            consistency(dc1, "READ", "EACH_QUORUM");
            assertThatThrownBy(() -> n1.get("local:k")).hasMessageContaining("EACH_QUORUM");
            consistency(dc1, "READ", "LOCAL_QUORUM");
            assertThat(n1.get("local:k")).isEqualTo("1");
        } finally {
            cluster.startNode(3);
            cluster.startNode(4);
        }
        cluster.awaitAllUp();
        RedisCommands<String, String> n4 = cluster.connect(4).sync();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(n4.get("local:k")).isEqualTo("1");
            assertThat(n4.get("each:down")).isEqualTo("x");
        });
    }
}
