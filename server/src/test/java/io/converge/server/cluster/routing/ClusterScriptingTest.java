package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.scripting.ScriptCache;
import io.converge.server.testing.RespClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Lua scripts on a cluster: a script loaded on one node runs by SHA1 on every node, including
 * one that was down when it was loaded; a script's effects reach every replica as ordinary
 * deltas; a script's read-modify-write is atomic on the replica that runs it; on a cluster where
 * a node holds only some keys, scripts on keys of another replica set are forwarded there, and a
 * script touching an undeclared key held elsewhere is refused as in Redis Cluster.
 */
class ClusterScriptingTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String COUNTER = "local v = tonumber(redis.call('get', KEYS[1]) or '0') "
            + "redis.call('set', KEYS[1], v + 1) return v + 1";

    @Test
    void aScriptLoadedOnOneNodeRunsOnEveryNodeIncludingOneThatWasDown() {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> { })) {
            cluster.stopNode(3);
            String sha;
            try (RespClient one = new RespClient("127.0.0.1", cluster.port(1));
                 RespClient two = new RespClient("127.0.0.1", cluster.port(2))) {
                sha = ((RespClient.Bulk) one.call("SCRIPT", "LOAD", "return 'hello ' .. ARGV[1]")).text();
                await().atMost(WAIT).untilAsserted(() ->
                        assertThat(two.call("SCRIPT", "EXISTS", sha)).isEqualTo(List.of(1L)));
                assertThat(two.call("EVALSHA", sha, "0", "two")).isEqualTo(new RespClient.Bulk("hello two"));
            }
            cluster.startNode(3);
            cluster.awaitAllUp();
            try (RespClient three = new RespClient("127.0.0.1", cluster.port(3))) {
                assertThat(three.call("SCRIPT", "EXISTS", sha)).isEqualTo(List.of(0L));
                // Unknown here: asked for from the other nodes, then kept.
                assertThat(three.call("EVALSHA", sha, "0", "three")).isEqualTo(new RespClient.Bulk("hello three"));
                assertThat(three.call("SCRIPT", "EXISTS", sha)).isEqualTo(List.of(1L));
                assertThat(three.call("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"))
                        .isEqualTo(new RespClient.Err("NOSCRIPT No matching script. Please use EVAL."));
            }
        }
    }

    @Test
    void aFunctionLibraryConvergesOnEveryNodeIncludingOneThatWasDownAndSurvivesRestarts() {
        String library = "#!lua name=counters\nredis.register_function('bump', function(keys, args) "
                + "return redis.call('incrby', keys[1], args[1]) end)";
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> { })) {
            cluster.stopNode(3);
            try (RespClient one = new RespClient("127.0.0.1", cluster.port(1));
                 RespClient two = new RespClient("127.0.0.1", cluster.port(2))) {
                assertThat(one.call("FUNCTION", "LOAD", library)).isEqualTo(new RespClient.Bulk("counters"));
                await().atMost(WAIT).untilAsserted(() ->
                        assertThat(two.call("FCALL", "bump", "1", "c", "5")).isInstanceOf(Long.class));
            }
            cluster.startNode(3);
            cluster.awaitAllUp();
            try (RespClient three = new RespClient("127.0.0.1", cluster.port(3))) {
                // Node 3 was down: it asks the others for their libraries once it is back.
                await().atMost(WAIT).untilAsserted(() ->
                        assertThat(three.call("FCALL", "bump", "1", "c", "1")).isInstanceOf(Long.class));
                assertThat(three.call("FUNCTION", "DELETE", "counters")).isEqualTo(new RespClient.Simple("OK"));
            }
            try (RespClient one = new RespClient("127.0.0.1", cluster.port(1))) {
                await().atMost(WAIT).untilAsserted(() -> assertThat(one.call("FCALL", "bump", "1", "c", "1"))
                        .isEqualTo(new RespClient.Err("ERR Function not found")));
                assertThat(one.call("FUNCTION", "LOAD", library)).isEqualTo(new RespClient.Bulk("counters"));
            }
            // Saved with each node's data: once node 2 has it, a restart of node 2 alone keeps it
            // (asked at once after the restart, before its first exchange with the others).
            try (RespClient two = new RespClient("127.0.0.1", cluster.port(2))) {
                await().atMost(WAIT).untilAsserted(() -> assertThat(two.call("FUNCTION", "LIST", "LIBRARYNAME",
                        "counters")).isInstanceOf(List.class).asList().hasSize(1));
            }
            cluster.stopNode(2);
            cluster.startNode(2);
            try (RespClient two = new RespClient("127.0.0.1", cluster.port(2))) {
                assertThat(two.call("FUNCTION", "LIST", "LIBRARYNAME", "counters")).isInstanceOf(List.class)
                        .asList().hasSize(1);
            }
        }
    }

    @Test
    void readOnlyScriptsAndFunctionsAnswerAtEveryReadLevel() {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> { });
             RespClient one = new RespClient("127.0.0.1", cluster.port(1))) {
            assertThat(one.call("SET", "r", "v")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(one.call("FUNCTION", "LOAD", "#!lua name=ro\nredis.register_function{function_name='get_ro', "
                    + "callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}"))
                    .isEqualTo(new RespClient.Bulk("ro"));
            for (String level : List.of("ONE", "LOCAL_QUORUM", "ALL")) {
                assertThat(one.call("CONSISTENCY", "READ", level)).isEqualTo(new RespClient.Simple("OK"));
                assertThat(one.call("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "r"))
                        .as("EVAL_RO at %s", level).isEqualTo(new RespClient.Bulk("v"));
                assertThat(one.call("FCALL_RO", "get_ro", "1", "r")).as("FCALL_RO at %s", level)
                        .isEqualTo(new RespClient.Bulk("v"));
                assertThat(one.call("EVAL", "return redis.call('get', KEYS[1])", "1", "r"))
                        .as("EVAL at %s", level).isEqualTo(new RespClient.Bulk("v"));
            }
        }
    }

    @Test
    void aScriptsEffectsReachEveryReplica() {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> { });
             RespClient one = new RespClient("127.0.0.1", cluster.port(1))) {
            Object reply = one.call("EVAL", "redis.call('set', KEYS[1], ARGV[1]) redis.call('hset', KEYS[2], 'f', ARGV[1]) "
                    + "redis.call('sadd', KEYS[3], 'a', 'b') redis.call('rpush', KEYS[4], 'x', 'y') "
                    + "redis.call('incrby', KEYS[5], 5) return redis.call('get', KEYS[1])", "5", "s", "h", "set", "list",
                    "n", "v1");
            assertThat(reply).isEqualTo(new RespClient.Bulk("v1"));
            for (int id = 1; id <= 3; id++) {
                try (RespClient c = new RespClient("127.0.0.1", cluster.port(id))) {
                    await().atMost(WAIT).untilAsserted(() -> {
                        assertThat(c.call("CONVERGE", "LOCAL", "GET", "s")).isEqualTo(new RespClient.Bulk("v1"));
                        assertThat(c.call("CONVERGE", "LOCAL", "HGET", "h", "f")).isEqualTo(new RespClient.Bulk("v1"));
                        assertThat(c.call("CONVERGE", "LOCAL", "SCARD", "set")).isEqualTo(2L);
                        assertThat(c.call("CONVERGE", "LOCAL", "LRANGE", "list", "0", "-1"))
                                .isEqualTo(List.of(new RespClient.Bulk("x"), new RespClient.Bulk("y")));
                        assertThat(c.call("CONVERGE", "LOCAL", "GET", "n")).isEqualTo(new RespClient.Bulk("5"));
                    });
                }
            }
        }
    }

    @Test
    void aScriptsReadModifyWriteIsAtomicOnTheReplicaThatRunsIt() throws Exception {
        int clients = 8;
        int perClient = 150;
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> { })) {
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    done.add(pool.submit(() -> {
                        try (RespClient c = new RespClient("127.0.0.1", cluster.port(1))) {
                            for (int j = 0; j < perClient; j++) {
                                assertThat(c.call("EVAL", COUNTER, "1", "counter")).isInstanceOf(Long.class);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            try (RespClient one = new RespClient("127.0.0.1", cluster.port(1))) {
                assertThat(one.call("GET", "counter")).isEqualTo(new RespClient.Bulk(Integer.toString(clients * perClient)));
            }
        }
    }

    @Test
    void onAClusterWhereNodesHoldSomeKeysScriptsRunWhereTheirKeysLive() {
        try (TestCluster cluster = TestCluster.start(List.of(4), List.of(2), c -> { })) {
            // A key node 1 does not replicate.
            String key = null;
            for (int i = 0; key == null; i++) {
                String k = "k" + i;
                if (!cluster.replicator(1).ring().replicasFor(k.getBytes(StandardCharsets.UTF_8)).contains(1)) {
                    key = k;
                }
            }
            String local = null;
            for (int i = 0; local == null; i++) {
                String k = "l" + i;
                if (cluster.replicator(1).ring().replicasFor(k.getBytes(StandardCharsets.UTF_8)).contains(1)) {
                    local = k;
                }
            }
            try (RespClient one = new RespClient("127.0.0.1", cluster.port(1))) {
                assertThat(one.call("EVAL", "return redis.call('set', KEYS[1], 'there')", "1", key))
                        .isEqualTo(new RespClient.Simple("OK"));
                assertThat(one.call("GET", key)).isEqualTo(new RespClient.Bulk("there"));
                String sha = ((RespClient.Bulk) one.call("SCRIPT", "LOAD", "return redis.call('get', KEYS[1])")).text();
                assertThat(one.call("EVALSHA", sha, "1", key)).isEqualTo(new RespClient.Bulk("there"));
                String undeclared = "return redis.call('get', ARGV[1])";
                assertThat(one.call("EVAL", undeclared, "0", key)).isEqualTo(new RespClient.Err(
                        "ERR Script attempted to access a non local key in a cluster node script: "
                                + ScriptCache.sha1hex(undeclared.getBytes(StandardCharsets.UTF_8)) + ", on @user_script:1."));
                assertThat(one.call("EVAL", "return redis.call('set', ARGV[1], 'here')", "0", local))
                        .isEqualTo(new RespClient.Simple("OK"));
            }
        }
    }
}
