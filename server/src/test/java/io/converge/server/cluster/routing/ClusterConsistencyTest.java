package io.converge.server.cluster.routing;

import static io.converge.server.cluster.routing.TestCluster.consistency;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.converge.crdt.Hlc;
import io.converge.server.cluster.ConsistencyLevel;
import io.lettuce.core.Range;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.ArrayOutput;
import io.lettuce.core.output.MapOutput;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.ProtocolKeyword;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A 3-node cluster (one datacenter, replication factor 3: every node replicates every key)
 * through Lettuce: writes on one node are read on another at ONE (eventually) and at
 * LOCAL_QUORUM (at once), for every data type; per-connection levels; transactions; a level that
 * cannot be met while a node is down fails with a clear error, and the node catches up once it
 * is back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@SuppressWarnings("unchecked")
class ClusterConsistencyTest {
    private TestCluster cluster;

    @BeforeAll
    void start() {
        cluster = TestCluster.start(List.of(3), List.of(3), c -> c.set("request-timeout-ms", "700"));
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aWriteOnOneNodeIsReadOnAnotherAtOneEventuallyAndAtQuorumAtOnce() {
        RedisCommands<String, String> n1 = cluster.connect(1).sync();
        StatefulRedisConnection<String, String> c3 = cluster.connect(3);
        RedisCommands<String, String> n3 = c3.sync();
        for (int i = 0; i < 50; i++) {
            assertThat(n1.set("rw:" + i, "v" + i)).isEqualTo("OK");
        }
        // Default read level ONE: node 3 answers from its own state, which the deltas reach shortly.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            for (int i = 0; i < 50; i++) {
                assertThat(n3.get("rw:" + i)).isEqualTo("v" + i);
            }
        });
        // LOCAL_QUORUM reads overlap LOCAL_QUORUM writes: every write is visible immediately.
        assertThat(consistency(c3, "READ", "LOCAL_QUORUM")).isEqualTo("OK");
        for (int i = 0; i < 50; i++) {
            n1.set("rq:" + i, "w" + i);
            assertThat(n3.get("rq:" + i)).isEqualTo("w" + i);
        }
    }

    @Test
    void everyDataTypeReadsBackOnAnotherNodeAtQuorum() {
        RedisCommands<String, String> w = cluster.connect(2).sync();
        StatefulRedisConnection<String, String> rc = cluster.connect(1);
        consistency(rc, "READ", "LOCAL_QUORUM");
        RedisCommands<String, String> r = rc.sync();

        w.set("t:str", "hello");
        w.append("t:str", " world");
        w.incrby("t:counter", 5);
        w.incrbyfloat("t:float", 1.5);
        w.hset("t:hash", Map.of("a", "1", "b", "2"));
        w.hincrby("t:hash", "n", 7);
        w.sadd("t:set", "x", "y", "z");
        w.srem("t:set", "y");
        w.zadd("t:zset", ScoredValue.just(1, "one"), ScoredValue.just(2, "two"));
        w.zincrby("t:zset", 5, "one");
        w.set("t:ttl", "soon");
        w.pexpire("t:ttl", 60_000);
        w.set("t:gone", "x");
        w.del("t:gone");

        assertThat(r.get("t:str")).isEqualTo("hello world");
        assertThat(r.get("t:counter")).isEqualTo("5");
        assertThat(r.get("t:float")).isEqualTo("1.5");
        assertThat(r.hgetall("t:hash")).isEqualTo(Map.of("a", "1", "b", "2", "n", "7"));
        assertThat(r.smembers("t:set")).isEqualTo(Set.of("x", "z"));
        assertThat(r.zrangeWithScores("t:zset", 0, -1))
                .containsExactly(ScoredValue.just(2, "two"), ScoredValue.just(6, "one"));
        assertThat(r.zrangebyscore("t:zset", Range.create(0, 3))).containsExactly("two");
        assertThat(r.pttl("t:ttl")).isBetween(1L, 60_000L);
        assertThat(r.exists("t:gone")).isZero();
        assertThat(r.type("t:hash")).isEqualTo("hash");

        // Concurrent increments through different nodes all count (CRDT counter).
        RedisCommands<String, String> w3 = cluster.connect(3).sync();
        for (int i = 0; i < 20; i++) {
            w.incr("t:shared");
            w3.incr("t:shared");
        }
        assertThat(r.get("t:shared")).isEqualTo("40");
    }

    @Test
    void valuesAtTheEdgesOfTheNumberRangesReplicateToEveryReplica() {
        RedisCommands<String, String> w = cluster.connect(2).sync();
        StatefulRedisConnection<String, String> rc = cluster.connect(1);
        consistency(rc, "READ", "LOCAL_QUORUM");
        RedisCommands<String, String> r = rc.sync();
        RedisCommands<String, String> one = cluster.connect(3).sync();
        String finest = "4." + "1".repeat(5110) + "e-4951";

        // Each of these once made a state that peers (and the node's own log) refused to decode.
        assertThat(raw(w, CommandType.INCRBYFLOAT, "x:float", "1e4932")).isEqualTo("1" + "0".repeat(4932));
        w.set("x:fine", finest);
        assertThat(raw(w, CommandType.INCRBYFLOAT, "x:fine", "1.18e4932")).startsWith("118000");
        assertThat(raw(w, CommandType.HINCRBYFLOAT, "x:hash", "f", "-1.18e4932")).startsWith("-118000");
        assertThat(w.zincrby("x:zset", 1e308, "m")).isEqualTo(1e308);
        assertThat(w.zincrby("x:zset", 1e308, "m")).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(w.incrby("x:int", Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);

        for (RedisCommands<String, String> reader : List.of(r, one)) {
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                assertThat(reader.get("x:float")).isEqualTo("1" + "0".repeat(4932));
                assertThat(reader.get("x:fine")).startsWith("118000").hasSize(4933);
                assertThat(reader.hget("x:hash", "f")).startsWith("-118000").hasSize(4934);
                assertThat(reader.zscore("x:zset", "m")).isEqualTo(Double.POSITIVE_INFINITY);
                assertThat(reader.get("x:int")).isEqualTo(Long.toString(Long.MAX_VALUE));
            });
        }
        // The range is still enforced on the replica that reads it.
        assertThatThrownBy(() -> raw(r, CommandType.INCRBYFLOAT, "x:float", "1e4932"))
                .hasMessageContaining("increment would produce NaN or Infinity");
        assertThat(raw(r, CommandType.INCRBYFLOAT, "x:float", "-1e4932")).isEqualTo("0");
    }

    /** Sends {@code type args...} and returns the bulk reply as text. */
    private static String raw(RedisCommands<String, String> c, CommandType type, String... args) {
        CommandArgs<String, String> a = new CommandArgs<>(StringCodec.UTF8);
        for (String arg : args) {
            a.add(arg);
        }
        Object reply = c.dispatch(type, new io.lettuce.core.output.ValueOutput<>(StringCodec.UTF8), a);
        return String.valueOf(reply);
    }

    @Test
    void consistencyCommandShowsSetsAndResetsTheConnectionsLevels() {
        StatefulRedisConnection<String, String> c = cluster.connect(1);
        assertThat(c.sync().dispatch(TestCluster.CONSISTENCY,
                new MapOutput<>(StringCodec.UTF8),
                new CommandArgs<>(StringCodec.UTF8)))
                .isEqualTo(Map.of("read", "ONE", "write", "LOCAL_QUORUM"));
        assertThat(consistency(c, "ALL")).isEqualTo("OK");
        assertThat(consistency(c, "READ", "DC_QUORUM")).isEqualTo("OK");
        assertThat(showLevels(c)).isEqualTo(Map.of("read", "LOCAL_QUORUM", "write", "ALL"));
        assertThat(consistency(c, "write", "dc_each_safe_quorum")).isEqualTo("OK");
        assertThat(showLevels(c)).isEqualTo(Map.of("read", "LOCAL_QUORUM", "write", "EACH_QUORUM"));
        assertThat(consistency(c, "DEFAULT")).isEqualTo("OK");
        assertThat(showLevels(c)).isEqualTo(Map.of("read", "ONE", "write", "LOCAL_QUORUM"));
        assertThatThrownBy(() -> consistency(c, "SOMETIMES"))
                .isInstanceOf(RedisCommandExecutionException.class)
                .hasMessageContaining("unknown consistency level 'SOMETIMES'")
                .hasMessageContaining("LOCAL_QUORUM");
        assertThatThrownBy(() -> consistency(c, "BOTH", "ONE")).hasMessageContaining("syntax error");
        assertThatThrownBy(() -> consistency(c, "READ", "ONE", "X")).hasMessageContaining("syntax error");
        // Another connection is not affected by this one's choice.
        StatefulRedisConnection<String, String> other = cluster.connect(1);
        consistency(c, "ALL");
        assertThat(showLevels(other)).isEqualTo(Map.of("read", "ONE", "write", "LOCAL_QUORUM"));
        // The configured defaults apply to connections without an override, and CONFIG SET changes them.
        assertThat(other.sync().configSet("write-consistency", "dc_quorum")).isEqualTo("OK");
        try {
            assertThat(other.sync().configGet("write-consistency")).containsEntry("write-consistency", "LOCAL_QUORUM");
            assertThat(other.sync().configSet("read-consistency", "ALL")).isEqualTo("OK");
            assertThat(showLevels(other)).isEqualTo(Map.of("read", "ALL", "write", "LOCAL_QUORUM"));
            assertThat(showLevels(c)).isEqualTo(Map.of("read", "ALL", "write", "ALL"));
            assertThatThrownBy(() -> other.sync().configSet("read-consistency", "MOST"))
                    .hasMessageContaining("read-consistency");
        } finally {
            other.sync().configSet("read-consistency", "ONE");
        }
        // RESET drops the override, as it drops every other connection setting.
        c.sync().dispatch(keyword("RESET"), new StatusOutput<>(StringCodec.UTF8));
        assertThat(showLevels(c).get("write")).isEqualTo("LOCAL_QUORUM");
    }

    @Test
    void transactionsRunOnOneReplicaAndReplicate() {
        StatefulRedisConnection<String, String> c = cluster.connect(2);
        RedisCommands<String, String> tx = c.sync();
        tx.multi();
        tx.set("{tx}:a", "1");
        tx.incr("{tx}:n");
        tx.sadd("{tx}:s", "m");
        TransactionResult result = tx.exec();
        assertThat(result.wasDiscarded()).isFalse();
        assertThat(result.stream().toList()).containsExactly("OK", 1L, 1L);
        StatefulRedisConnection<String, String> rc = cluster.connect(3);
        consistency(rc, "READ", "LOCAL_QUORUM");
        assertThat(rc.sync().get("{tx}:a")).isEqualTo("1");
        // WATCH on this node (a replica): a change made through another node aborts EXEC.
        tx.watch("{tx}:a");
        cluster.connect(1).sync().set("{tx}:a", "changed");
        cluster.awaitQuiet();
        tx.multi();
        tx.set("{tx}:a", "mine");
        assertThat(tx.exec().wasDiscarded()).isTrue();
        assertThat(rc.sync().get("{tx}:a")).isEqualTo("changed");
    }

    @Test
    void introspectionShowsTheRingTheOwnersAndTheReplicationState() {
        RedisCommands<String, String> c = cluster.connect(1).sync();
        String ring = c.dispatch(CONVERGE,
                new StatusOutput<>(StringCodec.UTF8),
                new CommandArgs<>(StringCodec.UTF8).add("RING"));
        assertThat(ring).contains("cluster test-cluster nodes=3").contains("replication=dc1=3")
                .contains("1 127.0.0.1:" + cluster.port(1)).contains(" myself up")
                .contains("2 127.0.0.1:" + cluster.port(2)).contains("3 127.0.0.1:" + cluster.port(3));
        List<Object> owners = c.dispatch(CONVERGE,
                new ArrayOutput<>(StringCodec.UTF8),
                new CommandArgs<>(StringCodec.UTF8).add("OWNERS")
                        .add("some-key"));
        assertThat(owners).hasSize(3);
        assertThat(owners).allSatisfy(o -> assertThat((List<Object>) o).hasSize(7).contains("up"));
        assertThat(owners.stream().filter(o -> ((List<?>) o).contains("serves-here")).count()).isEqualTo(1);
        assertThatThrownBy(() -> c.clusterInfo()).hasMessageContaining("ERR This instance has cluster support disabled");
        assertThatThrownBy(() -> c.clusterSlots()).hasMessageContaining("cluster support disabled");
        String info = c.info("cluster");
        assertThat(info).contains("cluster_enabled:0").contains("cluster_nodes:3").contains("node2:dc=dc1,rack=rack2")
                .contains("read_consistency_default:ONE").contains("write_consistency_default:LOCAL_QUORUM");
        String replication = c.info("replication");
        assertThat(replication).contains("role:master").contains("peer2:").contains("pending_deltas=")
                .contains("oldest_unacked_ms=").contains("needs_full_sync=0").contains("tombstone_")
                .contains("read_repair_replicas_repaired:");
    }

    @Test
    void aLevelThatCannotBeMetFailsClearlyAndTheNodeCatchesUpWhenBack() {
        StatefulRedisConnection<String, String> c = cluster.connect(1);
        RedisCommands<String, String> n1 = c.sync();
        cluster.stopNode(3);
        try {
            consistency(c, "WRITE", "ALL");
            assertThatThrownBy(() -> n1.set("down:key", "v1"))
                    .isInstanceOf(RedisCommandExecutionException.class)
                    .hasMessageContaining("consistency level ALL")
                    .hasMessageContaining("the write was applied on [1");
            consistency(c, "READ", "ALL");
            assertThatThrownBy(() -> n1.get("down:key")).hasMessageContaining("consistency level ALL");
            // LOCAL_QUORUM (2 of 3) is still met with one node down.
            consistency(c, "LOCAL_QUORUM");
            assertThat(n1.set("down:key2", "v2")).isEqualTo("OK");
            assertThat(n1.get("down:key")).isEqualTo("v1");
        } finally {
            cluster.startNode(3);
        }
        cluster.awaitAllUp();
        // Node 3 catches up from the deltas the others kept for it.
        RedisCommands<String, String> n3 = cluster.connect(3).sync();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(n3.get("down:key")).isEqualTo("v1");
            assertThat(n3.get("down:key2")).isEqualTo("v2");
        });
        consistency(c, "ALL");
        assertThat(n1.set("down:key", "v3")).isEqualTo("OK");
        assertThat(n3.get("down:key")).isEqualTo("v3");
    }

    @Test
    void aForwardedWriteFromANodeWhoseClockRunsAheadIsRefused() throws Exception {
        CommandRouter router = (CommandRouter) cluster.node(1).services().dispatcher().router();
        long ahead = Hlc.pack(System.currentTimeMillis() + 60_000, 0);
        byte[] set = new ForwardedRequest(false, 2, ConsistencyLevel.ONE, ConsistencyLevel.ONE, 0, ahead,
                List.<byte[][]>of(args("SET", "drift:k", "v"))).encode();
        String reply = new String(router.execute(2, "drift:k".getBytes(StandardCharsets.UTF_8), set)
                .get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8);
        assertThat(reply).startsWith("-ERR clock drift: node 2 is ").contains("ahead of node 1")
                .contains("max-clock-drift-ms is 1000").contains("the write was refused and not applied")
                .endsWith("\r\n");
        // Nothing was applied; reads from that node are still served; an in-bounds clock is accepted.
        byte[] get = new ForwardedRequest(false, 2, ConsistencyLevel.ONE, ConsistencyLevel.ONE, 0, ahead,
                List.<byte[][]>of(args("GET", "drift:k"))).encode();
        assertThat(router.execute(2, "drift:k".getBytes(StandardCharsets.UTF_8), get).get(5, TimeUnit.SECONDS))
                .isEqualTo("$-1\r\n".getBytes(StandardCharsets.US_ASCII));
        long now = Hlc.pack(System.currentTimeMillis(), 0);
        byte[] ok = new ForwardedRequest(false, 3, ConsistencyLevel.ONE, ConsistencyLevel.ONE, 0, now,
                List.<byte[][]>of(args("SET", "drift:k", "v"))).encode();
        assertThat(router.execute(2, "drift:k".getBytes(StandardCharsets.UTF_8), ok).get(5, TimeUnit.SECONDS))
                .isEqualTo("+OK\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(cluster.node(1).services().info().render(List.of("cluster")))
                .contains("forwarded_writes_refused_clock_drift:1");
    }

    private static byte[][] args(String... parts) {
        byte[][] out = new byte[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            out[i] = parts[i].getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    private static final ProtocolKeyword CONVERGE = keyword("CONVERGE");

    private static ProtocolKeyword keyword(String name) {
        return new ProtocolKeyword() {
            @Override
            public byte[] getBytes() {
                return name.getBytes(StandardCharsets.US_ASCII);
            }

            @Override
            public String name() {
                return name;
            }
        };
    }

    private static Map<String, String> showLevels(StatefulRedisConnection<String, String> c) {
        return c.sync().dispatch(TestCluster.CONSISTENCY,
                new MapOutput<>(StringCodec.UTF8),
                new CommandArgs<>(StringCodec.UTF8));
    }
}
