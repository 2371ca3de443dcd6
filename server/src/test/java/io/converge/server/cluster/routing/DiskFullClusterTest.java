package io.converge.server.cluster.routing;

import static io.converge.server.cluster.routing.TestCluster.consistency;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.converge.server.testing.RespClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One replica of a three-node cluster runs out of disk (its data directory on a small tmpfs that
 * a filler file fills; needs root, skipped otherwise): it refuses writes with MISCONF and does not
 * acknowledge its peers' deltas, while the other two keep accepting quorum writes; quorum reads
 * through it still work (read repair joins in memory); once space returns the peers' resends are
 * merged, logged and acknowledged, and survive its restart.
 */
class DiskFullClusterTest {
    private static final String BIG = "x".repeat(20_000);

    private static void fill(Path file) {
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException e) {
            // full
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        boolean done = p.waitFor(10, TimeUnit.SECONDS);
        assumeTrue(done && p.exitValue() == 0, String.join(" ", command) + ": "
                + new String(p.getInputStream().readAllBytes()));
    }

    private static String persistence(RespClient c, String field) {
        for (String line : ((RespClient.Bulk) c.call("INFO", "persistence")).text().split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1);
            }
        }
        return null;
    }

    @Test
    void aReplicaWithAFullDiskRefusesWritesAndAcksUntilSpaceReturnsWhileTheOthersCarryOn() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), b -> b.set("appendonly", "yes"))) {
            Path dir2 = cluster.node(2).services().config().current().effectiveDataDir();
            cluster.stopNode(2);
            run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir2.toString());
            try {
                cluster.startNode(2);
                cluster.awaitAllUp();
                RedisCommands<String, String> n1 = cluster.connect(1).sync();
                assertThat(n1.set("k0", "v0")).isEqualTo("OK");
                cluster.awaitQuiet();

                fill(dir2.resolve("filler"));
                assertThat(n1.set("big", BIG)).isEqualTo("OK"); // nodes 1 and 3 make the quorum
                try (RespClient c2 = new RespClient("127.0.0.1", cluster.port(2))) {
                    await().atMost(Duration.ofSeconds(10)).until(() -> "err".equals(persistence(c2, "aof_last_write_status")));
                    assertThat(c2.call("SET", "k9", "v9"))
                            .isEqualTo(new RespClient.Err("MISCONF Errors writing to the AOF file: No space left on device"));
                    for (int i = 1; i <= 20; i++) {
                        assertThat(n1.set("k" + i, "v" + i)).isEqualTo("OK");
                    }
                    await().atMost(Duration.ofSeconds(10))
                            .until(() -> Long.parseLong(persistence(c2, "aof_merges_refused")) > 0);
                    assertThat(cluster.replicator(1).pendingDeltas()).isPositive();
                    assertThat(c2.call("GET", "k0")).isEqualTo(new RespClient.Bulk("v0")); // reads at ONE
                }
                StatefulRedisConnection<String, String> q2 = cluster.connect(2);
                consistency(q2, "READ", "LOCAL_QUORUM");
                assertThat(q2.sync().get("k20")).isEqualTo("v20"); // read repair joins it in memory

                Files.delete(dir2.resolve("filler"));
                cluster.awaitQuiet(); // node 2 merged, logged and acknowledged the resends
                try (RespClient c2 = new RespClient("127.0.0.1", cluster.port(2))) {
                    assertThat(persistence(c2, "aof_last_write_status")).isEqualTo("ok");
                    assertThat(c2.call("SET", "k9", "v9")).isEqualTo(new RespClient.Simple("OK"));
                }
                cluster.awaitQuiet();
                cluster.stopNode(2);
                cluster.startNode(2);
                try (RespClient c2 = new RespClient("127.0.0.1", cluster.port(2))) { // reads at ONE: its own data
                    for (int i = 0; i <= 20; i++) {
                        assertThat(c2.call("GET", "k" + i)).as("k" + i).isEqualTo(new RespClient.Bulk("v" + i));
                    }
                    assertThat(c2.call("GET", "big")).isEqualTo(new RespClient.Bulk(BIG));
                }
            } finally {
                cluster.stopNode(2);
                new ProcessBuilder("umount", "-l", dir2.toString()).start().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
