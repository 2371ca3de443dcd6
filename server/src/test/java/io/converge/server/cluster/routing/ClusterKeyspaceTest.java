package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.testing.RespClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * DBSIZE, KEYS, SCAN, RANDOMKEY, INFO keyspace, FLUSHALL over the whole cluster when no node
 * holds every key (5 nodes, replication factor 3): every node answers for the whole keyspace, each
 * key counted once; a SCAN cursor goes on on another coordinator; the local view stays available
 * as CONVERGE LOCAL; a node that is down, even one that goes down in the middle of a SCAN, is
 * covered by its keys' other replicas.
 */
class ClusterKeyspaceTest {
    private static final int KEYS = 400;

    private static Set<String> names(Object reply) {
        Set<String> out = new HashSet<>();
        for (Object o : (List<?>) reply) {
            out.add(((RespClient.Bulk) o).text());
        }
        return out;
    }

    /** A whole SCAN with {@code args} after the cursor, each call on the next of {@code clients}; every key returned, in order. */
    private static List<String> scanAll(List<RespClient> clients, String... args) {
        List<String> out = new ArrayList<>();
        String cursor = "0";
        int calls = 0;
        do {
            String[] call = new String[2 + args.length];
            call[0] = "SCAN";
            call[1] = cursor;
            System.arraycopy(args, 0, call, 2, args.length);
            List<?> reply = (List<?>) clients.get(calls % clients.size()).call(call);
            cursor = ((RespClient.Bulk) reply.get(0)).text();
            for (Object o : (List<?>) reply.get(1)) {
                out.add(((RespClient.Bulk) o).text());
            }
            assertThat(++calls).as("SCAN ends").isLessThan(10_000);
        } while (!cursor.equals("0"));
        return out;
    }

    private static String keyspaceOf(RespClient client, String... command) {
        Object info = client.call(command);
        String text = info instanceof RespClient.Bulk b ? b.text() : ((RespClient.Verbatim) info).text();
        return text.substring(text.indexOf("# Keyspace"));
    }

    private static void writeKeys(TestCluster cluster, RespClient client) {
        assertThat(client.call("CONSISTENCY", "WRITE", "ALL")).isEqualTo(new RespClient.Simple("OK"));
        for (int i = 0; i < KEYS; i++) {
            assertThat(client.call("SET", "key:" + i, "v" + i)).isEqualTo(new RespClient.Simple("OK"));
        }
        cluster.awaitQuiet();
    }

    @Test
    void everyNodeAnswersForTheWholeClusterAndFlushallEmptiesIt() {
        try (TestCluster cluster = TestCluster.start(List.of(5), List.of(3), c -> { })) {
            RespClient[] nodes = new RespClient[6];
            for (int id = 1; id <= 5; id++) {
                nodes[id] = new RespClient("127.0.0.1", cluster.port(id));
            }
            try {
                writeKeys(cluster, nodes[1]);
                long localTotal = 0;
                for (int id = 1; id <= 5; id++) {
                    assertThat(nodes[id].call("DBSIZE")).as("DBSIZE on node %d", id).isEqualTo((long) KEYS);
                    long local = (Long) nodes[id].call("CONVERGE", "LOCAL", "DBSIZE");
                    assertThat(local).as("node %d holds only its share", id).isLessThan(KEYS);
                    assertThat(names(nodes[id].call("CONVERGE", "LOCAL", "KEYS", "*"))).hasSize((int) local);
                    localTotal += local;
                }
                assertThat(localTotal).as("every key on 3 nodes").isEqualTo(3L * KEYS);

                Set<String> all = names(nodes[4].call("KEYS", "*"));
                assertThat(all).hasSize(KEYS);
                Set<String> ones = names(nodes[2].call("KEYS", "key:1*"));
                assertThat(ones).hasSize(111).contains("key:1", "key:19", "key:199").doesNotContain("key:2");

                assertThat(nodes[3].call("FLUSHALL", "nope")).isEqualTo(new RespClient.Err("ERR syntax error"));
                assertThat(nodes[3].call("CONVERGE", "LOCAL", "SET", "x", "1")).isEqualTo(new RespClient.Err(
                        "ERR CONVERGE LOCAL runs DBSIZE, KEYS, SCAN, RANDOMKEY, INFO, FLUSHALL, FLUSHDB or a read-only "
                                + "command with keys (GET, LRANGE, SMEMBERS...)"));
                int holders = 0;
                for (int id = 1; id <= 5; id++) {
                    holders += ((Long) nodes[id].call("CONVERGE", "LOCAL", "EXISTS", "key:1")).intValue();
                }
                assertThat(holders).as("nodes holding key:1 by their own data (replication factor 3)").isEqualTo(3);
                assertThat(nodes[3].call("CONVERGE", "LOCAL", "KEYS")).isEqualTo(new RespClient.Err(
                        "ERR wrong number of arguments for 'keys' command"));

                List<String> scanned = scanAll(List.of(nodes[1], nodes[2], nodes[3], nodes[4], nodes[5]), "COUNT", "7");
                assertThat(scanned).as("every key exactly once, the cursor going from node to node")
                        .hasSize(KEYS).doesNotHaveDuplicates();
                assertThat(new HashSet<>(scanned)).isEqualTo(all);
                assertThat(scanAll(List.of(nodes[3]), "MATCH", "key:1*", "COUNT", "50")).hasSize(111);
                assertThat(scanAll(List.of(nodes[3]), "TYPE", "string")).hasSize(KEYS);
                assertThat(scanAll(List.of(nodes[3]), "TYPE", "hash")).isEmpty();
                assertThat(nodes[2].call("SCAN", "abc")).isEqualTo(new RespClient.Err("ERR invalid cursor"));
                assertThat(nodes[2].call("SCAN", "0", "COUNT", "0")).isEqualTo(new RespClient.Err("ERR syntax error"));
                assertThat(nodes[2].call("SCAN", "0", "MATCH")).isEqualTo(new RespClient.Err("ERR syntax error"));
                assertThat(nodes[2].call("SCAN", "18446744073709551615"))
                        .as("no position of a cluster SCAN").isEqualTo(new RespClient.Err("ERR invalid cursor"));
                Set<String> randoms = new HashSet<>();
                for (int i = 0; i < 30; i++) {
                    randoms.add(((RespClient.Bulk) nodes[1 + i % 5].call("RANDOMKEY")).text());
                }
                assertThat(all).containsAll(randoms);
                assertThat(randoms.size()).as("random keys, not one key").isGreaterThan(10);

                for (int i = 0; i < 10; i++) {
                    assertThat(nodes[1].call("EXPIRE", "key:" + i, "1000")).isEqualTo(1L);
                }
                for (int id = 1; id <= 5; id++) {
                    String keyspace = keyspaceOf(nodes[id], "INFO", "keyspace");
                    assertThat(keyspace).as("INFO keyspace on node %d", id).contains("db0:keys=400,expires=10,avg_ttl=");
                    long avgTtl = Long.parseLong(keyspace.replaceAll("(?s).*avg_ttl=(\\d+).*", "$1"));
                    assertThat(avgTtl).isBetween(900_000L, 1_000_000L);
                    long local = (Long) nodes[id].call("CONVERGE", "LOCAL", "DBSIZE");
                    assertThat(keyspaceOf(nodes[id], "CONVERGE", "LOCAL", "INFO", "keyspace"))
                            .contains("db0:keys=" + local + ",");
                }
                assertThat(keyspaceOf(nodes[2], "INFO")).contains("db0:keys=400,");
                assertThat(keyspaceOf(nodes[2], "INFO", "server", "keyspace")).contains("db0:keys=400,");
                assertThat(nodes[2].call("INFO", "server").toString()).doesNotContain("Keyspace");
                // A plain INFO may reuse figures up to a second old; INFO KEYSPACE always counts afresh.
                nodes[2].call("SET", "fresh:key", "v");
                assertThat(keyspaceOf(nodes[2], "INFO", "keyspace")).contains("db0:keys=401,");
                assertThat(keyspaceOf(nodes[2], "INFO")).containsAnyOf("db0:keys=400,", "db0:keys=401,");
                nodes[2].call("DEL", "fresh:key");

                assertThat(keyspaceOf(nodes[5], "INFO")).contains("db0:keys=400,"); // figures node 5 may reuse
                assertThat(nodes[5].call("FLUSHALL")).isEqualTo(new RespClient.Simple("OK"));
                assertThat(keyspaceOf(nodes[5], "INFO")).as("not the figures from before").doesNotContain("db0");
                assertThat(nodes[4].call("RANDOMKEY")).isEqualTo(RespClient.Null.BULK);
                assertThat(scanAll(List.of(nodes[4]))).isEmpty();
                assertThat(keyspaceOf(nodes[4], "INFO", "keyspace")).doesNotContain("db0");
                for (int id = 1; id <= 5; id++) {
                    assertThat(nodes[id].call("DBSIZE")).as("DBSIZE on node %d after FLUSHALL", id).isEqualTo(0L);
                    assertThat(nodes[id].call("CONVERGE", "LOCAL", "DBSIZE")).isEqualTo(0L);
                    assertThat(nodes[id].call("GET", "key:7")).isEqualTo(RespClient.Null.BULK);
                }
            } finally {
                for (int id = 1; id <= 5; id++) {
                    nodes[id].close();
                }
            }
        }
    }

    /**
     * A connection's commands pipelined after a cluster-wide one run after it, as in Redis: the
     * writes sent right behind a FLUSHALL survive it, and a DBSIZE sent right before some SETs does
     * not count them.
     */
    @Test
    void pipelinedCommandsRunAfterTheClusterWideOne() {
        try (TestCluster cluster = TestCluster.start(List.of(5), List.of(3), c -> { })) {
            for (int id = 1; id <= 5; id++) {
                try (RespClient client = new RespClient("127.0.0.1", cluster.port(id))) {
                    writeKeys(cluster, client);
                    ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
                    pipeline.writeBytes(RespClient.encode("FLUSHALL"));
                    for (int i = 0; i < 20; i++) {
                        pipeline.writeBytes(RespClient.encode("SET", "after:" + i, "v"));
                    }
                    client.send(pipeline.toByteArray());
                    assertThat(client.read(21).get(0)).as("FLUSHALL on node %d", id)
                            .isEqualTo(new RespClient.Simple("OK"));
                    cluster.awaitQuiet();
                    for (int i = 0; i < 20; i++) {
                        assertThat(client.call("GET", "after:" + i)).as("after:%d on node %d", i, id)
                                .isEqualTo(new RespClient.Bulk("v"));
                    }

                    pipeline.reset();
                    pipeline.writeBytes(RespClient.encode("DBSIZE"));
                    for (int i = 0; i < 20; i++) {
                        pipeline.writeBytes(RespClient.encode("SET", "later:" + i, "v"));
                    }
                    client.send(pipeline.toByteArray());
                    assertThat(client.read(21).get(0)).as("DBSIZE on node %d, before the later SETs", id)
                            .isEqualTo(20L);
                    cluster.awaitQuiet();
                    assertThat(client.call("DBSIZE")).isEqualTo(40L);
                    assertThat(client.call("FLUSHALL")).isEqualTo(new RespClient.Simple("OK"));
                }
            }
        }
    }

    /**
     * A node back with an empty data directory, still catching up (its repair held to a trickle),
     * owns no keys while complete replicas of them take part: DBSIZE, KEYS, SCAN and INFO keyspace
     * still count every key, whichever node coordinates.
     */
    @Test
    void aNodeStillCatchingUpOwnsNoKeysWhileCompleteReplicasTakePart() throws IOException {
        try (TestCluster cluster = TestCluster.start(List.of(5), List.of(3),
                c -> c.set("repair-max-bytes-per-sec", "1"))) {
            try (RespClient one = new RespClient("127.0.0.1", cluster.port(1))) {
                writeKeys(cluster, one);
            }
            cluster.awaitAllComplete();
            cluster.stopNode(3);
            try (Stream<Path> files = Files.walk(cluster.dataDir(3))) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
            cluster.startNode(3);
            cluster.awaitAllUp();
            assertThat(cluster.replicator(3).syncPercent()).as("node 3 still catching up").isLessThan(100);
            for (int id : new int[] {3, 1}) {
                try (RespClient client = new RespClient("127.0.0.1", cluster.port(id))) {
                    assertThat(client.call("DBSIZE")).as("DBSIZE on node %d", id).isEqualTo((long) KEYS);
                    assertThat(names(client.call("KEYS", "*"))).hasSize(KEYS);
                    assertThat(scanAll(List.of(client), "COUNT", "50")).hasSize(KEYS).doesNotHaveDuplicates();
                    assertThat(keyspaceOf(client, "INFO", "keyspace")).contains("db0:keys=400,");
                }
            }
            try (RespClient three = new RespClient("127.0.0.1", cluster.port(3))) {
                assertThat(three.call("CONVERGE", "LOCAL", "DBSIZE")).as("node 3 holds none of them yet").isEqualTo(0L);
            }
            assertThat(cluster.replicator(3).syncPercent()).as("node 3 was catching up all along").isLessThan(100);
        }
    }

    /**
     * Walks over every key queue on a thread of their own, a few at most: DBSIZEs sent at once on
     * many connections are each answered, with the count or with a clear refusal, never left
     * waiting, and the node answers again once the queue drained.
     */
    @Test
    void tooManyWalksAtOnceAreRefusedWithAnError() {
        int keys = 100_000;
        try (TestCluster cluster = TestCluster.start(List.of(5), List.of(3), c -> { });
             RespClient one = new RespClient("127.0.0.1", cluster.port(1))) {
            for (int batch = 0; batch < keys / 1000; batch++) {
                String[] mset = new String[1 + 2 * 1000];
                mset[0] = "MSET";
                for (int i = 0; i < 1000; i++) {
                    mset[1 + 2 * i] = "k:" + (batch * 1000 + i);
                    mset[2 + 2 * i] = "v";
                }
                assertThat(one.call(mset)).isEqualTo(new RespClient.Simple("OK"));
            }
            cluster.awaitQuiet();
            List<RespClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 40; i++) {
                    clients.add(new RespClient("127.0.0.1", cluster.port(1 + i % 5)));
                }
                for (RespClient c : clients) {
                    c.send(RespClient.encode("DBSIZE"));
                }
                int counted = 0;
                int refused = 0;
                for (RespClient c : clients) {
                    Object reply = c.read();
                    if (reply instanceof RespClient.Err e) {
                        assertThat(e.text()).startsWith("ERR DBSIZE cannot run now: too many keyspace walks are under way on node")
                                .endsWith(", try again later");
                        refused++;
                    } else {
                        assertThat(reply).isEqualTo((long) keys);
                        counted++;
                    }
                }
                assertThat(refused).as("DBSIZEs refused (%d counted)", counted).isPositive();
                assertThat(counted).isPositive();
                assertThat(one.call("DBSIZE")).isEqualTo((long) keys);
            } finally {
                for (RespClient c : clients) {
                    c.close();
                }
            }
        }
    }

    @Test
    void aNodeThatIsDownIsCoveredByItsKeysOtherReplicas() {
        try (TestCluster cluster = TestCluster.start(List.of(5), List.of(3), c -> { });
             RespClient one = new RespClient("127.0.0.1", cluster.port(1))) {
            writeKeys(cluster, one);
            cluster.stopNode(3);
            await().atMost(Duration.ofSeconds(20)).until(() -> !cluster.replicator(1).isUp(3)
                    && !cluster.replicator(2).isUp(3) && !cluster.replicator(4).isUp(3) && !cluster.replicator(5).isUp(3));
            assertThat(one.call("DBSIZE")).isEqualTo((long) KEYS);
            assertThat(names(one.call("KEYS", "*"))).hasSize(KEYS);
            assertThat(new HashSet<>(scanAll(List.of(one)))).hasSize(KEYS);
            assertThat(keyspaceOf(one, "INFO", "keyspace")).contains("db0:keys=400,expires=0,avg_ttl=0");
        }
    }

    /**
     * A node stopped in the middle of a SCAN (before the failure detectors noticed): the next call,
     * with the same cursor on the same node, asks the keys' other replicas, and the scan still
     * returns every key; RANDOMKEY, DBSIZE and INFO keyspace answer for the whole cluster too.
     */
    @Test
    void aScanGoesOnWhenANodeStopsInTheMiddle() {
        try (TestCluster cluster = TestCluster.start(List.of(5), List.of(3), c -> { });
             RespClient two = new RespClient("127.0.0.1", cluster.port(2))) {
            writeKeys(cluster, two);
            Set<String> seen = new HashSet<>();
            String cursor = "0";
            int calls = 0;
            do {
                if (calls == 5) {
                    cluster.stopNode(4);
                }
                List<?> reply = (List<?>) two.call("SCAN", cursor, "COUNT", "20");
                cursor = ((RespClient.Bulk) reply.get(0)).text();
                for (Object o : (List<?>) reply.get(1)) {
                    seen.add(((RespClient.Bulk) o).text());
                }
                calls++;
            } while (!cursor.equals("0"));
            assertThat(calls).isGreaterThan(6);
            assertThat(seen).hasSize(KEYS);
            assertThat(two.call("DBSIZE")).isEqualTo((long) KEYS);
            assertThat(((RespClient.Bulk) two.call("RANDOMKEY")).text()).startsWith("key:");
            assertThat(keyspaceOf(two, "INFO", "keyspace")).contains("db0:keys=400,");
        }
    }
}
