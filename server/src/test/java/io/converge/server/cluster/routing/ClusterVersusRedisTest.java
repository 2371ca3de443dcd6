package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.cluster.Ring;
import io.converge.server.testing.RedisServerFixture;
import io.converge.server.testing.RespClient;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Differential test of the cluster's request path: the same command sequence sent to a real
 * redis-server and, through one node, to a 5-node cluster with replication factor 2 (so each node
 * replicates only part of the keys: the rest is forwarded, and multi-key commands are split per
 * replica set) must get the same replies, in RESP2 and RESP3. Commands that need one replica set
 * use hash tags; without them they are refused with CROSSSLOT (also inside MULTI).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterVersusRedisTest {
    private static final Set<String> UNORDERED_REPLIES = Set.of("SMEMBERS", "SUNION", "SINTER", "SDIFF", "HKEYS",
            "HVALS");

    private RedisServerFixture redis;
    private TestCluster cluster;

    @BeforeAll
    void start() {
        redis = RedisServerFixture.start();
        cluster = TestCluster.start(List.of(5), List.of(2), c -> { });
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void randomCommandsGetRedissRepliesThroughOneNode(int protocol) {
        String p = "p" + protocol + ":";
        int via = protocol == 2 ? 1 : 4;
        long forwardedBefore = routed(via, "routed_forwarded");
        long splitBefore = routed(via, "routed_split");
        Random random = new Random(1000 + protocol);
        try (RespClient r = connect(redis.port(), protocol);
             RespClient c = connect(cluster.port(via), protocol)) {
            for (int i = 0; i < 700; i++) {
                String[] command = randomCommand(random, p);
                Object expected = normalize(command[0], r.call(command));
                Object actual = normalize(command[0], c.call(command));
                assertThat(actual).as("reply #%d to %s", i, String.join(" ", command)).isEqualTo(expected);
            }
        }
        assertThat(routed(via, "routed_forwarded")).as("commands forwarded to other replicas")
                .isGreaterThan(forwardedBefore + 50);
        assertThat(routed(via, "routed_split")).as("multi-key commands split").isGreaterThan(splitBefore + 20);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void pipelinedCommandsGetRedissRepliesInOrder(int protocol) {
        // One pipeline mixing commands run here, forwarded, split, and refused: replies in order.
        String p = "pipe" + protocol + ":";
        Random random = new Random(2000 + protocol);
        java.io.ByteArrayOutputStream pipeline = new java.io.ByteArrayOutputStream();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            String[] command = randomCommand(random, p);
            pipeline.writeBytes(RespClient.encode(command));
            names.add(command[0]);
        }
        List<Object> expected;
        List<Object> actual;
        try (RespClient r = connect(redis.port(), protocol);
             RespClient c = connect(cluster.port(5), protocol)) {
            r.send(pipeline.toByteArray());
            c.send(pipeline.toByteArray());
            expected = r.read(names.size());
            actual = c.read(names.size());
        }
        for (int i = 0; i < names.size(); i++) {
            assertThat(normalize(names.get(i), actual.get(i))).as("reply #%d (%s)", i, names.get(i))
                    .isEqualTo(normalize(names.get(i), expected.get(i)));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void multiKeyCommandsOverSeveralReplicaSetsAreSplitAndReassembled(int protocol) {
        List<String> keys = keysOnDistinctSets("split" + protocol + ":", 4);
        try (RespClient r = connect(redis.port(), protocol);
             RespClient c = connect(cluster.port(2), protocol)) {
            List<String[]> commands = new ArrayList<>();
            commands.add(new String[] {"MSET", keys.get(0), "a", keys.get(1), "b", keys.get(2), "c", keys.get(0), "a2"});
            commands.add(new String[] {"MGET", keys.get(3), keys.get(0), keys.get(1), keys.get(0), keys.get(2), "nope"});
            commands.add(new String[] {"EXISTS", keys.get(0), keys.get(0), keys.get(1), keys.get(3), keys.get(2)});
            commands.add(new String[] {"TOUCH", keys.get(2), keys.get(1), keys.get(3)});
            commands.add(new String[] {"DEL", keys.get(1), keys.get(3), keys.get(1)});
            commands.add(new String[] {"MGET", keys.get(0), keys.get(1), keys.get(2), keys.get(3)});
            commands.add(new String[] {"SADD", keys.get(3), "m"});
            commands.add(new String[] {"MGET", keys.get(0), keys.get(3), keys.get(2)});
            commands.add(new String[] {"UNLINK", keys.get(0), keys.get(2), keys.get(3), "nope"});
            commands.add(new String[] {"EXISTS", keys.get(0), keys.get(1), keys.get(2), keys.get(3)});
            commands.add(new String[] {"MSET", keys.get(0), "x", keys.get(1)});
            commands.add(new String[] {"MGET", keys.get(0)});
            for (String[] command : commands) {
                assertThat(c.call(command)).as(String.join(" ", command)).isEqualTo(r.call(command));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void atomicMultiKeyCommandsNeedOneReplicaSet(int protocol) {
        List<String> keys = keysOnDistinctSets("slot" + protocol + ":", 2);
        String a = keys.get(0);
        String b = keys.get(1);
        Object crossSlot = new RespClient.Err("CROSSSLOT Keys in request don't hash to the same slot");
        try (RespClient c = connect(cluster.port(3), protocol)) {
            c.call("SADD", a, "m");
            c.call("SET", a + "s", "v");
            assertThat(c.call("RENAME", a, b)).isEqualTo(crossSlot);
            assertThat(c.call("SMOVE", a, b, "m")).isEqualTo(crossSlot);
            assertThat(c.call("SUNIONSTORE", a, a, b)).isEqualTo(crossSlot);
            assertThat(c.call("SINTER", a, b)).isEqualTo(crossSlot);
            assertThat(c.call("SINTERCARD", "2", a, b)).isEqualTo(crossSlot);
            assertThat(c.call("ZUNIONSTORE", a, "2", a, b)).isEqualTo(crossSlot);
            assertThat(c.call("MSETNX", a, "1", b, "2")).isEqualTo(crossSlot);
            // Inside MULTI the command is refused when queued and EXEC aborts, as in Redis Cluster.
            assertThat(c.call("MULTI")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(c.call("SET", a, "1")).isEqualTo(new RespClient.Simple("QUEUED"));
            assertThat(c.call("SET", b, "1")).isEqualTo(crossSlot);
            assertThat(c.call("EXEC")).isEqualTo(
                    new RespClient.Err("EXECABORT Transaction discarded because of previous errors."));
            Object m = new RespClient.Bulk("m");
            assertThat(c.call("SMEMBERS", a)).isIn(List.of(m), new RespClient.RespSet(List.of(m)));
        }
        // With a hash tag the same commands work, with Redis's replies.
        try (RespClient r = connect(redis.port(), protocol);
             RespClient c = connect(cluster.port(3), protocol)) {
            String t = "{tag" + protocol + "}";
            String[][] commands = {
                {"SADD", t + "a", "m", "n"}, {"SADD", t + "b", "n", "o"}, {"SMOVE", t + "a", t + "b", "m"},
                {"SINTERCARD", "2", t + "a", t + "b"}, {"SUNIONSTORE", t + "u", t + "a", t + "b"},
                {"SCARD", t + "u"}, {"RENAME", t + "u", t + "v"}, {"EXISTS", t + "u", t + "v"},
                {"MSETNX", t + "x", "1", t + "y", "2"}, {"MSETNX", t + "x", "1", t + "z", "2"},
                {"ZADD", t + "z1", "1", "a"}, {"ZADD", t + "z2", "2", "a", "3", "b"},
                {"ZUNIONSTORE", t + "zu", "2", t + "z1", t + "z2"}, {"ZRANGE", t + "zu", "0", "-1", "WITHSCORES"},
                {"MULTI"}, {"INCR", t + "n"}, {"SET", t + "x", "9"}, {"GET", t + "x"}, {"EXEC"},
            };
            for (String[] command : commands) {
                assertThat(c.call(command)).as(String.join(" ", command)).isEqualTo(r.call(command));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void keysOnTheSameNodesListedInAnotherOrderAreUsedTogether(int protocol) {
        // Two keys whose replica lists hold the same two nodes in opposite orders, sent through a
        // node that holds neither: every command, transactions included, is forwarded as a unit.
        Ring ring = cluster.replicator(1).ring();
        String a = null;
        String b = null;
        int coordinator = 0;
        for (int i = 0; b == null; i++) {
            String key = "order" + protocol + ":" + i;
            io.converge.server.cluster.ReplicaSet set = ring.replicasFor(key.getBytes());
            if (a == null) {
                a = key;
            } else {
                io.converge.server.cluster.ReplicaSet first = ring.replicasFor(a.getBytes());
                if (set.sameNodes(first) && set.id() != first.id()) {
                    b = key;
                    for (int n = 1; n <= 5 && coordinator == 0; n++) {
                        coordinator = set.contains(n) ? 0 : n;
                    }
                }
            }
        }
        try (RespClient r = connect(redis.port(), protocol);
             RespClient c = connect(cluster.port(coordinator), protocol)) {
            String[][] commands = {
                {"MULTI"}, {"SET", a, "1"}, {"SET", b, "2"}, {"EXEC"}, {"MGET", a, b},
                {"RENAME", a, b}, {"MGET", a, b}, {"DEL", b}, {"SADD", a, "m", "n"}, {"SADD", b, "n", "o"},
                {"SMOVE", a, b, "m"}, {"SINTERCARD", "2", a, b}, {"SUNIONSTORE", a, a, b}, {"SCARD", a},
                {"DEL", a, b}, {"MSETNX", a, "1", b, "2"}, {"MGET", a, b}, {"DEL", a, b},
            };
            for (String[] command : commands) {
                assertThat(c.call(command)).as(String.join(" ", command)).isEqualTo(r.call(command));
            }
        }
    }

    /** Keys (with {@code prefix}) that lie on pairwise different nodes. */
    private List<String> keysOnDistinctSets(String prefix, int count) {
        Ring ring = cluster.replicator(1).ring();
        List<String> keys = new ArrayList<>();
        List<Integer> sets = new ArrayList<>();
        for (int i = 0; keys.size() < count; i++) {
            String key = prefix + i;
            int set = ring.replicasFor(key.getBytes()).groupId();
            if (!sets.contains(set)) {
                sets.add(set);
                keys.add(key);
            }
        }
        return keys;
    }

    private long routed(int node, String field) {
        try (RespClient c = connect(cluster.port(node), 2)) {
            String info = ((RespClient.Bulk) c.call("INFO", "cluster")).text();
            for (String line : info.split("\r\n")) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.substring(field.length() + 1));
                }
            }
        }
        throw new AssertionError(field + " missing from INFO cluster");
    }

    private static RespClient connect(int port, int protocol) {
        RespClient c = new RespClient("127.0.0.1", port);
        if (protocol == 3) {
            c.call("HELLO", "3");
        }
        return c;
    }

    /** Sorts the elements of replies whose order Redis does not define. */
    private static Object normalize(String command, Object reply) {
        if (!UNORDERED_REPLIES.contains(command)) {
            return reply;
        }
        if (reply instanceof RespClient.RespSet set) {
            List<Object> items = new ArrayList<>(set.items());
            items.sort(Comparator.comparing(Object::toString));
            return new RespClient.RespSet(items);
        }
        if (reply instanceof List<?> list) {
            List<Object> items = new ArrayList<>(list);
            items.sort(Comparator.comparing(Object::toString));
            return items;
        }
        return reply;
    }

    private static String[] randomCommand(Random random, String p) {
        String k = p + "k" + random.nextInt(14);
        String k2 = p + "k" + random.nextInt(14);
        String tag = "{" + p + "t" + random.nextInt(3) + "}";
        String t1 = tag + random.nextInt(4);
        String t2 = tag + random.nextInt(4);
        String v = "v" + random.nextInt(50);
        String n = Integer.toString(random.nextInt(20) - 5);
        String f = "f" + random.nextInt(4);
        String m = "m" + random.nextInt(6);
        return switch (random.nextInt(40)) {
            case 0, 1 -> new String[] {"SET", k, v};
            case 2 -> new String[] {"GET", k};
            case 3 -> new String[] {"APPEND", k, v};
            case 4 -> new String[] {"INCRBY", k, n};
            case 5 -> new String[] {"GETSET", k, v};
            case 6 -> new String[] {"SETNX", k, v};
            case 7 -> new String[] {"STRLEN", k};
            case 8 -> new String[] {"GETDEL", k};
            case 9 -> new String[] {"TYPE", k};
            case 10 -> new String[] {"EXPIRE", k, "1000"};
            case 11 -> new String[] {"PERSIST", k};
            case 12 -> new String[] {"HSET", k, f, v};
            case 13 -> new String[] {"HGET", k, f};
            case 14 -> new String[] {"HINCRBY", k, f, n};
            case 15 -> new String[] {"HDEL", k, f};
            case 16 -> new String[] {"HMGET", k, f, "f0", "zz"};
            case 17 -> new String[] {"HLEN", k};
            case 18 -> new String[] {"SADD", k, m, "m0"};
            case 19 -> new String[] {"SREM", k, m};
            case 20 -> new String[] {"SMEMBERS", k};
            case 21 -> new String[] {"SISMEMBER", k, m};
            case 22 -> new String[] {"ZADD", k, n, m};
            case 23 -> new String[] {"ZINCRBY", k, n, m};
            case 24 -> new String[] {"ZRANGE", k, "0", "-1", "WITHSCORES"};
            case 25 -> new String[] {"ZSCORE", k, m};
            case 26 -> new String[] {"ZREM", k, m};
            case 27 -> new String[] {"MGET", k, k2, p + "k" + random.nextInt(14), p + "k" + random.nextInt(14)};
            case 28 -> new String[] {"MSET", k, v, k2, "w" + n, p + "k" + random.nextInt(14), v};
            case 29 -> new String[] {"DEL", k, k2, p + "k" + random.nextInt(14)};
            case 30 -> new String[] {"EXISTS", k, k2, k, p + "k" + random.nextInt(14)};
            case 31 -> new String[] {"UNLINK", k2, p + "k" + random.nextInt(14)};
            case 32 -> new String[] {"TOUCH", k, k2, p + "k" + random.nextInt(14)};
            case 33 -> new String[] {"SADD", t1, m};
            case 34 -> new String[] {"SMOVE", t1, t2, m};
            case 35 -> new String[] {"SUNION", t1, t2};
            case 36 -> new String[] {"SINTERSTORE", t1, t1, t2};
            case 37 -> new String[] {"RENAME", t1, t2};
            case 38 -> new String[] {"MSETNX", t1, v, t2, v};
            default -> new String[] {"INCR", k};
        };
    }
}
