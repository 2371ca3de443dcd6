package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.crdt.KeyState;
import io.converge.crdt.ListValue;
import io.converge.server.store.StorageEngine;
import io.converge.server.testing.RespClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Lists on a 3-node cluster: concurrent pushes made on three cut-off nodes end, once healed, in
 * one identical list holding every element; a BLPOP on one node is woken by an RPUSH on another;
 * consumers on every node drain a queue popping each element exactly once while the cluster is
 * healthy; under a partition nothing is lost and the duplicates are counted (at-least-once).
 */
class ClusterListTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void concurrentPushesOnThreeCutOffNodesEndInOneIdenticalListWithEveryElement() {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> c.set("enable-debug-command", "local")
                .set("write-consistency", "ONE"));
             RespClient one = new RespClient("127.0.0.1", cluster.port(1));
             RespClient two = new RespClient("127.0.0.1", cluster.port(2));
             RespClient three = new RespClient("127.0.0.1", cluster.port(3))) {
            assertThat(one.call("RPUSH", "l", "start")).isEqualTo(1L);
            cluster.awaitQuiet();
            assertThat(one.call("CONVERGE", "PARTITION", "2", "3")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(two.call("CONVERGE", "PARTITION", "1", "3")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(three.call("CONVERGE", "PARTITION", "1", "2")).isEqualTo(new RespClient.Simple("OK"));
            List<RespClient> clients = List.of(one, two, three);
            // Each node serves its lists itself once it sees the others down.
            for (RespClient c : clients) {
                await().atMost(WAIT).until(() -> c.call("LLEN", "l") instanceof Long);
            }
            for (int i = 0; i < clients.size(); i++) {
                RespClient c = clients.get(i);
                String n = Integer.toString(i + 1);
                assertThat(c.call("RPUSH", "l", "r" + n + "a", "r" + n + "b")).isEqualTo(3L);
                assertThat(c.call("LPUSH", "l", "l" + n)).isEqualTo(4L);
                assertThat(c.call("LINSERT", "l", "AFTER", "start", "i" + n)).isEqualTo(5L);
            }
            for (RespClient c : clients) {
                assertThat(c.call("CONVERGE", "HEAL")).isEqualTo(new RespClient.Simple("OK"));
            }
            cluster.awaitAllUp();
            await().atMost(WAIT).until(() -> elements(cluster, 1, "l").size() == 1 + 3 * 4
                    && elements(cluster, 1, "l").equals(elements(cluster, 2, "l"))
                    && elements(cluster, 1, "l").equals(elements(cluster, 3, "l")));
            List<String> merged = elements(cluster, 1, "l");
            // Every push survived; each command's elements stay together and in Redis's order.
            assertThat(merged).containsExactlyInAnyOrder("start", "l1", "l2", "l3", "i1", "i2", "i3",
                    "r1a", "r1b", "r2a", "r2b", "r3a", "r3b");
            assertThat(merged.subList(0, 3)).containsExactlyInAnyOrder("l1", "l2", "l3");
            assertThat(merged.get(3)).isEqualTo("start");
            assertThat(merged.subList(4, 7)).containsExactlyInAnyOrder("i1", "i2", "i3");
            for (int n = 1; n <= 3; n++) {
                assertThat(merged.indexOf("r" + n + "b")).isEqualTo(merged.indexOf("r" + n + "a") + 1);
            }
            assertThat(one.call("LRANGE", "l", "0", "-1")).isEqualTo(bulks(merged));
        }
    }

    @Test
    void aBlpopOnOneNodeIsWokenByAnRpushOnAnother() throws Exception {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> { });
             RespClient pusher = new RespClient("127.0.0.1", cluster.port(3))) {
            for (int waiterNode = 1; waiterNode <= 3; waiterNode++) {
                String key = "q" + waiterNode;
                try (RespClient waiter = new RespClient("127.0.0.1", cluster.port(waiterNode))) {
                    waiter.send(RespClient.encode("BLPOP", key, "10"));
                    Thread.sleep(200);
                    assertThat(pusher.call("RPUSH", key, "job")).isEqualTo(1L);
                    assertThat(waiter.read()).isEqualTo(List.of(new RespClient.Bulk(key), new RespClient.Bulk("job")));
                    assertThat(pusher.call("LLEN", key)).isEqualTo(0L);
                    // A timeout answers a null array.
                    assertThat(waiter.call("BLPOP", key, "0.2")).isEqualTo(RespClient.Null.ARRAY);
                }
            }
        }
    }

    @Test
    void consumersOnEveryNodePopEachElementExactlyOnceWhileHealthy() throws Exception {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> { })) {
            int n = 3000;
            List<String> handed = drain(cluster, "jobs", n, true);
            assertThat(handed).hasSize(n);
            assertThat(new HashSet<>(handed)).hasSize(n);
            cluster.awaitQuiet();
            for (int id = 1; id <= 3; id++) {
                assertThat(elements(cluster, id, "jobs")).as("node %d", id).isEmpty();
            }
        }
    }

    @Test
    void underAPartitionNothingIsLostAndDuplicatesAreCounted() throws Exception {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> c.set("enable-debug-command", "local")
                .set("write-consistency", "ONE"));
             RespClient one = new RespClient("127.0.0.1", cluster.port(1));
             RespClient two = new RespClient("127.0.0.1", cluster.port(2));
             RespClient three = new RespClient("127.0.0.1", cluster.port(3))) {
            int n = 1000;
            List<String> all = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                all.add("e" + i);
            }
            assertThat(one.call(withKey("RPUSH", "work", all))).isEqualTo((long) n);
            cluster.awaitQuiet();
            assertThat(one.call("CONVERGE", "PARTITION", "3")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(two.call("CONVERGE", "PARTITION", "3")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(three.call("CONVERGE", "PARTITION", "1", "2")).isEqualTo(new RespClient.Simple("OK"));
            await().atMost(WAIT).until(() -> three.call("LLEN", "work") instanceof Long);
            await().atMost(WAIT).until(() -> one.call("LLEN", "work") instanceof Long);
            // Each side pops half of what it sees, from the head, while cut off.
            Map<String, Integer> times = new HashMap<>();
            for (RespClient c : List.of(one, three)) {
                for (Object popped : (List<?>) c.call("LPOP", "work", Integer.toString(n / 2))) {
                    times.merge(((RespClient.Bulk) popped).text(), 1, Integer::sum);
                }
            }
            for (RespClient c : List.of(one, two, three)) {
                assertThat(c.call("CONVERGE", "HEAL")).isEqualTo(new RespClient.Simple("OK"));
            }
            cluster.awaitAllUp();
            await().atMost(WAIT).until(() -> elements(cluster, 1, "work").equals(elements(cluster, 2, "work"))
                    && elements(cluster, 1, "work").equals(elements(cluster, 3, "work")));
            List<String> left = elements(cluster, 1, "work");
            int duplicates = 0;
            int lost = 0;
            for (String e : all) {
                int handedOut = times.getOrDefault(e, 0);
                duplicates += Math.max(0, handedOut - 1);
                if (handedOut == 0 && !left.contains(e)) {
                    lost++;
                }
            }
            System.out.printf("list pops under a partition: %d elements, %d handed out, %d handed out twice, "
                    + "%d left, %d lost%n", n, times.size(), duplicates, left.size(), lost);
            assertThat(lost).as("elements neither handed out nor left in the list").isZero();
            assertThat(left).as("an element handed out is not left").noneMatch(times::containsKey);
            assertThat(duplicates).as("both sides popped the same head while cut off").isEqualTo(n / 2);
        }
    }

    /**
     * Pushes {@code n} elements through random nodes while consumers on every node pop (BLPOP,
     * or LPOP when {@code blocking} is false) until all were handed out; returns what they got.
     */
    private static List<String> drain(TestCluster cluster, String key, int n, boolean blocking) throws Exception {
        ConcurrentLinkedQueue<String> got = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> consumers = new ArrayList<>();
            for (int id = 1; id <= 3; id++) {
                int node = id;
                consumers.add(pool.submit(() -> {
                    try (RespClient c = new RespClient("127.0.0.1", cluster.port(node))) {
                        long idleSince = System.currentTimeMillis();
                        while (got.size() < n && System.currentTimeMillis() - idleSince < 10_000) {
                            Object r = blocking ? c.call("BLPOP", key, "0.5") : c.call("LPOP", key);
                            if (r instanceof List<?> kv) {
                                got.add(((RespClient.Bulk) kv.get(1)).text());
                                idleSince = System.currentTimeMillis();
                            } else if (r instanceof RespClient.Bulk b) {
                                got.add(b.text());
                                idleSince = System.currentTimeMillis();
                            } else if (r instanceof RespClient.Err e) {
                                throw new AssertionError("node " + node + ": " + e.text());
                            }
                        }
                    }
                    return null;
                }));
            }
            try (RespClient p1 = new RespClient("127.0.0.1", cluster.port(1));
                 RespClient p2 = new RespClient("127.0.0.1", cluster.port(2));
                 RespClient p3 = new RespClient("127.0.0.1", cluster.port(3))) {
                List<RespClient> producers = List.of(p1, p2, p3);
                for (int i = 0; i < n; i++) {
                    assertThat(producers.get(i % 3).call("RPUSH", key, "job-" + i)).isInstanceOf(Long.class);
                }
            }
            for (Future<?> f : consumers) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return new ArrayList<>(got);
    }

    /** The elements of {@code key}'s list as node {@code id} holds it (its own state, no routing). */
    static List<String> elements(TestCluster cluster, int id, String key) {
        StorageEngine engine = (StorageEngine) cluster.node(id).services().engine();
        KeyState state = engine.stateCopy(key.getBytes(StandardCharsets.UTF_8));
        List<String> out = new ArrayList<>();
        ListValue list = state == null ? null : state.list();
        if (list != null) {
            list.forEach(0, list.size(), (i, v) -> out.add(new String(v, StandardCharsets.UTF_8)));
        }
        return out;
    }

    private static List<Object> bulks(List<String> values) {
        List<Object> out = new ArrayList<>();
        for (String v : values) {
            out.add(new RespClient.Bulk(v));
        }
        return out;
    }

    private static String[] withKey(String command, String key, List<String> values) {
        List<String> args = new ArrayList<>(List.of(command, key));
        args.addAll(values);
        return args.toArray(new String[0]);
    }
}
