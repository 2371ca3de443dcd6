package io.converge.server.cluster.routing;

import static io.converge.server.cluster.routing.TestCluster.consistency;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.NodeSpec;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three real node processes on loopback ({@code converge server --cluster F --node-id N}, started
 * as separate JVMs from the test classpath), clients through Lettuce: one node is killed with
 * SIGKILL in the middle of a write load at LOCAL_QUORUM; writes through the other two keep
 * succeeding; the node is restarted on its data directory, catches up from the deltas the others
 * buffered for it, and afterwards every replica holds the same values (exact counters included).
 */
class MultiProcessClusterTest {
    private static final int NODES = 3;

    private final Map<Integer, Process> processes = new HashMap<>();
    private Path dir;
    private ClusterSpec spec;
    private ClientResources resources;
    private final List<RedisClient> clients = new ArrayList<>();

    /** What the load acknowledged, per key. */
    private final Map<String, String> strings = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> sets = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> hashes = new ConcurrentHashMap<>();
    /** Keys whose writes began after node 3 was killed (must reach it from the others' buffers). */
    private final Set<String> writtenWhileDown = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private volatile boolean nodeDown;
    private volatile boolean loadRunning = true;

    @AfterEach
    void stopEverything() throws Exception {
        loadRunning = false;
        for (RedisClient c : clients) {
            c.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        if (resources != null) {
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
        for (Process p : processes.values()) {
            p.destroy();
        }
        for (Process p : processes.values()) {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aKilledNodeCatchesUpAndAllReplicasAgree() throws Exception {
        dir = Files.createTempDirectory("converge-multiprocess");
        List<NodeSpec> nodes = new ArrayList<>();
        Set<Integer> ports = new HashSet<>();
        for (int id = 1; id <= NODES; id++) {
            nodes.add(new NodeSpec(id, "127.0.0.1", TestCluster.distinctFreePort(ports),
                    TestCluster.distinctFreePort(ports), "dc1", "rack" + id));
        }
        spec = new ClusterSpec("multi-process", "secret-" + System.nanoTime(), 64, Map.of("dc1", 3), nodes).validate();
        Path file = dir.resolve("cluster.yaml");
        Files.writeString(file, spec.toYaml());
        for (int id = 1; id <= NODES; id++) {
            startNode(id, file);
        }
        for (int id = 1; id <= NODES; id++) {
            awaitPeersUp(id);
        }
        resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(1).build();

        List<Thread> load = new ArrayList<>();
        for (int via = 1; via <= 2; via++) {
            int node = via;
            Thread t = new Thread(() -> runLoad(node), "load-via-" + node);
            t.start();
            load.add(t);
        }
        Thread.sleep(1500);
        processes.get(3).destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL mid-load
        nodeDown = true;
        Thread.sleep(2500);
        loadRunning = false;
        for (Thread t : load) {
            t.join(20_000);
        }
        assertThat(failures).as("LOCAL_QUORUM writes while one of three nodes is down").isEmpty();
        assertThat(writtenWhileDown).as("writes made while node 3 was down").hasSizeGreaterThan(50);
        assertThat(infoField(1, "replication", "peer3")).as("node 1 buffers deltas for the dead node 3")
                .doesNotContain("pending_deltas=0,");

        startNode(3, file);
        for (int id = 1; id <= NODES; id++) {
            awaitPeersUp(id);
        }
        // Catch-up: what was written while node 3 was down reaches it from the others' buffers.
        RedisCommands<String, String> n3 = connect(3).sync();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            for (String key : writtenWhileDown) {
                assertThat(valueOf(n3, key)).as("node 3's %s", key).isEqualTo(expected(key));
            }
        });
        for (int id = 1; id <= 2; id++) {
            int node = id;
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> infoField(node, "replication", "pending_deltas").equals("0"));
        }
        int stale = 0;
        for (String key : allKeys()) {
            stale += java.util.Objects.equals(valueOf(n3, key), expected(key)) ? 0 : 1;
        }
        System.out.printf("multi-process: %d keys (%d strings written while node 3 was down); node 3 differed on "
                + "%d before the read-repairing pass%n", allKeys().size(), writtenWhileDown.size(), stale);
        // Every replica agrees on everything, after one read-repairing pass at ALL (it also covers
        // whatever node 3 had applied but not yet logged when it was killed).
        StatefulRedisConnection<String, String> all = connect(1);
        consistency(all, "READ", "ALL");
        for (String key : allKeys()) {
            assertThat(valueOf(all.sync(), key)).as("%s at ALL", key).isEqualTo(expected(key));
        }
        for (int id = 1; id <= NODES; id++) {
            RedisCommands<String, String> n = connect(id).sync();
            int node = id;
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                for (String key : allKeys()) {
                    assertThat(valueOf(n, key)).as("node %d's %s at ONE", node, key).isEqualTo(expected(key));
                }
            });
        }
    }

    /** Writes through node {@code via} at the default LOCAL_QUORUM until told to stop. */
    private void runLoad(int via) {
        RedisCommands<String, String> c = connect(via).sync();
        for (int i = 0; loadRunning; i++) {
            boolean down = nodeDown;
            String s = "str:" + via + ":" + i;
            String counter = "counter:" + (i % 7);
            String set = "set:" + (i % 5);
            String hash = "hash:" + (i % 5);
            String member = "m" + via + "-" + i;
            try {
                c.set(s, "v" + i);
                strings.put(s, "v" + i);
                c.incr(counter);
                counters.computeIfAbsent(counter, k -> new AtomicLong()).incrementAndGet();
                c.sadd(set, member);
                sets.computeIfAbsent(set, k -> ConcurrentHashMap.newKeySet()).add(member);
                c.hset(hash, member, Integer.toString(i));
                hashes.computeIfAbsent(hash, k -> new ConcurrentHashMap<>()).put(member, Integer.toString(i));
                if (down) {
                    writtenWhileDown.add(s);
                }
            } catch (RuntimeException e) {
                failures.add("via node " + via + ", op " + i + ": " + e);
                if (failures.size() > 20) {
                    return;
                }
            }
        }
    }

    private List<String> allKeys() {
        List<String> keys = new ArrayList<>();
        keys.addAll(strings.keySet());
        keys.addAll(counters.keySet());
        keys.addAll(sets.keySet());
        keys.addAll(hashes.keySet());
        return keys;
    }

    private Object expected(String key) {
        if (key.startsWith("str:")) {
            return strings.get(key);
        }
        if (key.startsWith("counter:")) {
            return Long.toString(counters.get(key).get());
        }
        if (key.startsWith("set:")) {
            return new HashSet<>(sets.get(key));
        }
        return new HashMap<>(hashes.get(key));
    }

    private static Object valueOf(RedisCommands<String, String> c, String key) {
        if (key.startsWith("set:")) {
            return new HashSet<>(c.smembers(key));
        }
        if (key.startsWith("hash:")) {
            return new HashMap<>(c.hgetall(key));
        }
        return c.get(key);
    }

    private StatefulRedisConnection<String, String> connect(int id) {
        RedisClient client = RedisClient.create(resources, RedisURI.builder().withHost("127.0.0.1")
                .withPort(spec.node(id).clientPort()).withTimeout(Duration.ofSeconds(10)).build());
        synchronized (clients) {
            clients.add(client);
        }
        return client.connect();
    }

    /** Starts node {@code id} as a separate JVM on the test classpath. */
    private void startNode(int id, Path clusterFile) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.converge.server.Main", "server", "--cluster", clusterFile.toString(), "--node-id",
                Integer.toString(id), "--data-dir", dir.resolve("node-" + id).toString(),
                "--set", "request-timeout-ms=1000");
        Path log = dir.resolve("node-" + id + ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        processes.put(id, p);
    }

    /** Waits until node {@code id} answers and sees both other nodes up. */
    private void awaitPeersUp(int id) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .alias("node " + id + " up with its peers (log: " + logTail(id) + ")")
                .until(() -> infoField(id, "replication", "peers_up").equals(Integer.toString(NODES - 1)));
    }

    private String infoField(int id, String section, String field) {
        try (io.converge.server.testing.RespClient c =
                     new io.converge.server.testing.RespClient("127.0.0.1", spec.node(id).clientPort())) {
            String info = ((io.converge.server.testing.RespClient.Bulk) c.call("INFO", section)).text();
            for (String line : info.split("\r\n")) {
                if (line.startsWith(field + ":")) {
                    return line.substring(field.length() + 1);
                }
            }
            return "";
        }
    }

    private String logTail(int id) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("node-" + id + ".log"));
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "no log";
        }
    }
}
