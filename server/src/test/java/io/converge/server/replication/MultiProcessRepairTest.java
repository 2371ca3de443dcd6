package io.converge.server.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.testing.ProcessCluster;
import io.converge.server.testing.RespClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hash-tree anti-entropy between three real node processes on loopback: values larger than a
 * delta batch replicate at LOCAL_QUORUM; a node cut off (CONVERGE PARTITION) while about 120 MB
 * are written through another, far beyond its 64 MiB delta buffer, holds every key after the
 * heal and no peer stays {@code needs_full_sync}; a key made different on one node on purpose
 * (CONVERGE DIVERGE, which replicates nothing) is repaired by the background pass alone. At the end
 * every node's data is compared key by key (digests, and values of a sample) and as a whole.
 */
class MultiProcessRepairTest {

    private static final int KEYS = 12_000;
    private static final int VALUE_BYTES = 10_000;

    private ProcessCluster cluster;
    private ClientResources resources;
    private final List<RedisClient> clients = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (RedisClient c : clients) {
            c.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        if (resources != null) {
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void largeValuesAPartitionBeyondTheBuffersAndADeliberateDivergenceAllConverge() throws Exception {
        cluster = ProcessCluster.create("repair", 3, 3, "1g",
                List.of("enable-debug-command=yes", "repair-interval-ms=2000", "appendfsync=no", "request-timeout-ms=10000"));
        cluster.startAll();
        resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(1).build();

        // 1. Values larger than a delta batch (256 KiB) at the default LOCAL_QUORUM.
        RedisCommands<String, String> n1 = connect(1).sync();
        String big = "b".repeat(300_000);
        assertThat(n1.set("big", big)).isEqualTo("OK");
        String[] members = new String[20_000];
        for (int i = 0; i < members.length; i++) {
            members[i] = "member-" + i;
        }
        assertThat(connect(2).sync().sadd("many", members)).isEqualTo(20_000);
        for (int id = 1; id <= 3; id++) {
            RedisCommands<String, String> n = connect(id).sync();
            int node = id;
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(n.strlen("big")).as("node %d", node).isEqualTo(300_000);
                assertThat(n.scard("many")).as("node %d", node).isEqualTo(20_000);
            });
        }

        // 2. Node 3 cut off while about 120 MB are written to nodes 1 and 2.
        cluster.call(3, "CONVERGE", "PARTITION", "1", "2");
        cluster.call(1, "CONVERGE", "PARTITION", "3");
        cluster.call(2, "CONVERGE", "PARTITION", "3");
        long t0 = System.nanoTime();
        writeLoad();
        long writeMillis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(Integer.parseInt(cluster.info(1, "replication", "peers_needing_full_sync")))
                .as("node 1's buffer for node 3 overflowed").isGreaterThanOrEqualTo(1);
        long t1 = System.nanoTime();
        for (int id = 1; id <= 3; id++) {
            cluster.call(id, "CONVERGE", "HEAL");
        }
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                .alias("node 3 holds every key and nobody is owed a repair").until(() -> {
                    for (int id = 1; id <= 3; id++) {
                        if (!cluster.info(id, "replication", "peers_needing_full_sync").equals("0")) {
                            return false;
                        }
                    }
                    return digestsAgree();
                });
        long convergeMillis = (System.nanoTime() - t1) / 1_000_000;
        System.out.printf("multi-process repair: %d keys of %d bytes written in %d ms while node 3 was cut off; "
                + "after the heal, converged in %d ms (node 1 sent %s repair bytes, node 3 received %s)%n", KEYS,
                VALUE_BYTES, writeMillis, convergeMillis, cluster.info(1, "replication", "repair_bytes_sent"),
                cluster.info(3, "replication", "repair_bytes_received"));
        RedisCommands<String, String> n3 = connect(3).sync();
        assertThat(n3.dbsize()).isEqualTo(KEYS + 2);
        for (int i = 0; i < KEYS; i += 97) {
            assertThat(n3.get("load:" + i)).as("node 3's load:%d", i).isEqualTo(value(i));
        }

        // 3. A divergence no delta will bring: only the background hash-tree pass finds it.
        assertThat(cluster.call(2, "CONVERGE", "DIVERGE", "load:7", "only-on-2")).isEqualTo(new RespClient.Simple("OK"));
        assertThat(n1.get("load:7")).isEqualTo(value(7));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            for (int id = 1; id <= 3; id++) {
                assertThat(connect(id).sync().get("load:7")).as("node %d", id).isEqualTo("only-on-2");
            }
        });
        await().atMost(Duration.ofSeconds(20)).until(this::digestsAgree);
        assertKeyByKeyDigestsAgree();
    }

    /**
     * Writes {@link #KEYS} values through node 1 (two pipelined connections, LOCAL_QUORUM), all
     * acknowledged: node 1 buffers all 120 MB for node 3, beyond its 64 MiB delta buffer.
     */
    private void writeLoad() throws Exception {
        List<RedisFuture<String>> replies = new ArrayList<>(KEYS);
        List<RedisAsyncCommands<String, String>> via = List.of(connect(1).async(), connect(1).async());
        for (int i = 0; i < KEYS; i++) {
            replies.add(via.get(i % 2).set("load:" + i, value(i)));
            if (replies.size() % 256 == 0) {
                replies.get(replies.size() - 256).get(30, TimeUnit.SECONDS); // bounded pipelining
            }
        }
        for (RedisFuture<String> r : replies) {
            assertThat(r.get(60, TimeUnit.SECONDS)).isEqualTo("OK");
        }
    }

    private static String value(int i) {
        String prefix = "value-" + i + "-";
        return prefix + "v".repeat(VALUE_BYTES - prefix.length());
    }

    /** Whether the three nodes report the same digest of everything they hold. */
    private boolean digestsAgree() {
        Object first = cluster.call(1, "CONVERGE", "DIGEST");
        return first.equals(cluster.call(2, "CONVERGE", "DIGEST")) && first.equals(cluster.call(3, "CONVERGE", "DIGEST"));
    }

    private void assertKeyByKeyDigestsAgree() {
        List<String> keys = new ArrayList<>();
        keys.add("big");
        keys.add("many");
        for (int i = 0; i < KEYS; i++) {
            keys.add("load:" + i);
        }
        try (RespClient a = new RespClient("127.0.0.1", cluster.port(1));
             RespClient b = new RespClient("127.0.0.1", cluster.port(2));
             RespClient c = new RespClient("127.0.0.1", cluster.port(3))) {
            for (String key : keys) {
                Object d1 = a.call("CONVERGE", "DIGEST", key);
                assertThat(d1).as("node 1 holds %s", key).isInstanceOf(RespClient.Bulk.class);
                assertThat(b.call("CONVERGE", "DIGEST", key)).as("node 2's %s", key).isEqualTo(d1);
                assertThat(c.call("CONVERGE", "DIGEST", key)).as("node 3's %s", key).isEqualTo(d1);
            }
        }
    }

    private StatefulRedisConnection<String, String> connect(int id) {
        RedisClient client = RedisClient.create(resources, RedisURI.builder().withHost("127.0.0.1")
                .withPort(cluster.port(id)).withTimeout(Duration.ofSeconds(60)).build());
        synchronized (clients) {
            clients.add(client);
        }
        return client.connect();
    }
}
