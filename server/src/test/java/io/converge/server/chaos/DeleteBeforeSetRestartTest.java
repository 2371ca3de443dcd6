package io.converge.server.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.ProcessCluster;
import io.converge.server.testing.RespClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The deterministic form of a resurrection the chaos runs found: a node receives a key's DEL
 * (from one coordinator) before the SET it removed (from another), the delete records are
 * collected everywhere, then the node is killed with SIGKILL and restarted on its own data
 * directory. No acknowledged delete may come back, on that node or through it on the others.
 */
class DeleteBeforeSetRestartTest {

    private static final int KEYS = 100;

    @Test
    void aDeleteMergedBeforeItsSetStaysDeletedAcrossARestart() throws Exception {
        try (ProcessCluster c = ProcessCluster.create("delete-before-set", 3, 3, "384m", ChaosRun.SETTINGS)) {
            c.startAll();
            // Node 1 hears from node 2 only: node 3's SETs reach it after node 2's DELs.
            c.call(1, "CONVERGE", "PARTITION", "3");
            c.call(3, "CONVERGE", "PARTITION", "1");
            try (RespClient r2 = new RespClient("127.0.0.1", c.port(2));
                 RespClient r3 = new RespClient("127.0.0.1", c.port(3))) {
                for (int i = 0; i < KEYS; i++) {
                    assertThat(r3.call("SET", "k" + i, "v" + i)).isEqualTo(new RespClient.Simple("OK"));
                    assertThat(r2.call("DEL", "k" + i)).as("DEL k%d acknowledged, deleting it", i).isEqualTo(1L);
                }
            }
            c.call(1, "CONVERGE", "HEAL");
            c.call(3, "CONVERGE", "HEAL");
            c.awaitPeersUp(1);
            Checker checker = new Checker(c);
            assertThat(checker.awaitConvergence(Duration.ofSeconds(30))).isNotNegative();
            awaitCollected(c);
            assertThat(live(c)).as("deleted keys live per node before the restart").containsExactly(0, 0, 0);

            c.kill(1);
            c.start(1);
            c.awaitPeersUp(1);
            assertThat(checker.awaitConvergence(Duration.ofSeconds(30))).isNotNegative();
            assertThat(live(c)).as("deleted keys live per node after node 1's kill -9 and restart (log: %s)",
                    c.logTail(1)).containsExactly(0, 0, 0);
        }
    }

    /** Waits (at most 30 s) until every node collected the delete records. */
    private static void awaitCollected(ProcessCluster c) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        for (int n = 1; n <= 3; n++) {
            while (Long.parseLong(c.info(n, "replication", "tombstone_entries_collected")) < KEYS) {
                assertThat(System.nanoTime()).as("node %d collects the delete records", n).isLessThan(deadline);
                Thread.sleep(250);
            }
        }
    }

    /** How many of the deleted keys each node shows (GET at ONE). */
    private static List<Integer> live(ProcessCluster c) {
        List<Integer> counts = new ArrayList<>();
        for (int n = 1; n <= 3; n++) {
            try (RespClient r = new RespClient("127.0.0.1", c.port(n))) {
                int live = 0;
                for (int i = 0; i < KEYS; i++) {
                    live += r.call("GET", "k" + i) instanceof RespClient.Bulk ? 1 : 0;
                }
                counts.add(live);
            }
        }
        return counts;
    }
}
