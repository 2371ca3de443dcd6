package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import io.converge.server.testing.RedisServerFixture;
import io.converge.server.testing.RespClient;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Transactions whose keys live on different nodes ({@code cross-slot-transactions}), on 4 nodes
 * with replication factor 2, so that keys really are on different replica sets: refused with
 * CROSSSLOT by default (as Redis Cluster); with {@code split}, run as one sub-transaction per
 * node, validated all or nothing when queued, with Redis's replies (checked against a real
 * redis-server), runtime errors at their positions, every replica holding the writes, WATCH
 * checked on the coordinator before any part runs, and a part that cannot run answering its error
 * at its positions while the parts that ran stay.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterSplitTransactionTest {
    private static final Object OK = new RespClient.Simple("OK");
    private static final Object QUEUED = new RespClient.Simple("QUEUED");
    private static final Object CROSSSLOT = new RespClient.Err(CommandRouter.CROSSSLOT);
    private static final Object EXECABORT =
            new RespClient.Err("EXECABORT Transaction discarded because of previous errors.");
    private static final int COORDINATOR = 1;

    private RedisServerFixture redis;
    private TestCluster cluster;

    @BeforeAll
    void start() {
        redis = RedisServerFixture.start();
        cluster = TestCluster.start(List.of(4), List.of(2), c -> { });
        cluster.awaitAllUp();
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

    @Test
    void byDefaultATransactionOverSeveralReplicaSetsIsRefusedWithCrossslot() {
        mode("refuse");
        List<String> keys = keys("refused:", 2, set -> true);
        try (RespClient c = connect(COORDINATOR, 2)) {
            assertThat(c.call("CONFIG", "GET", "cross-slot-transactions"))
                    .isEqualTo(List.of(new RespClient.Bulk("cross-slot-transactions"), new RespClient.Bulk("refuse")));
            assertThat(c.call("MULTI")).isEqualTo(OK);
            assertThat(c.call("SET", keys.get(0), "1")).isEqualTo(QUEUED);
            assertThat(c.call("SET", keys.get(1), "2")).isEqualTo(CROSSSLOT);
            assertThat(c.call("EXEC")).isEqualTo(EXECABORT);
            assertThat(c.call("MULTI")).isEqualTo(OK);
            assertThat(c.call("DEL", keys.get(0), keys.get(1))).isEqualTo(CROSSSLOT);
            assertThat(c.call("EXEC")).isEqualTo(EXECABORT);
            assertThat(c.call("EXISTS", keys.get(0), keys.get(1))).isEqualTo(0L);
        }
    }

    @Test
    void theSettingIsClusterWide() {
        mode("refuse");
        try (RespClient one = connect(1, 2); RespClient four = connect(4, 2)) {
            assertThat(one.call("CONFIG", "SET", "cross-slot-transactions", "split")).isEqualTo(OK);
            await().atMost(Duration.ofSeconds(10)).until(() -> List.of(new RespClient.Bulk("cross-slot-transactions"),
                    new RespClient.Bulk("split")).equals(four.call("CONFIG", "GET", "cross-slot-transactions")));
            assertThat(four.call("CONFIG", "SET", "cross-slot-transactions", "sometimes"))
                    .isEqualTo(new RespClient.Err("ERR CONFIG SET failed (possibly related to argument "
                            + "'cross-slot-transactions') - argument(s) must be one of the following: refuse, split"));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void splitTransactionsGetRedissRepliesAndEveryReplicaHoldsTheWrites(int protocol) {
        mode("split");
        // Four keys on four different replica sets, two of them without the coordinator (forwarded).
        List<String> here = keys("p" + protocol + "here:", 2, set -> set.contains(COORDINATOR));
        List<String> away = keys("p" + protocol + "away:", 2, set -> !set.contains(COORDINATOR));
        String a = here.get(0);
        String b = away.get(0);
        String c = here.get(1);
        String d = away.get(1);
        String[][] transaction = {
            {"MULTI"}, {"SET", a, "1"}, {"SET", b, "2"}, {"INCR", c}, {"PING"}, {"RPUSH", d, "x", "y"},
            {"MSET", a, "10", b, "20", d + ":s", "30"}, {"MGET", b, a, c, "missing", d + ":s"}, {"INCRBY", c, "5"},
            {"LRANGE", d, "0", "-1"}, {"EXISTS", a, b, c, d, a}, {"ECHO", "hi"}, {"MSET", a, "1", b},
            {"DEL", d + ":s", c, "missing"}, {"GET", b}, {"EXEC"},
        };
        try (RespClient r = connect(redis, protocol); RespClient n = connect(COORDINATOR, protocol)) {
            for (String[] command : transaction) {
                assertThat(n.call(command)).as(String.join(" ", command)).isEqualTo(r.call(command));
            }
        }
        // Every replica of every key holds its value.
        assertOnEveryReplica(a, "10");
        assertOnEveryReplica(b, "20");
        assertOnEveryReplica(c, null);
        assertOnEveryReplica(d + ":s", null);
        assertThat(routed(COORDINATOR, "routed_split_transactions")).isPositive();
    }

    @Test
    void aCommandRefusedWhenQueuedAbortsTheWholeTransactionAndNothingIsWritten() {
        mode("split");
        List<String> k = keys("abort:", 3, set -> true);
        try (RespClient r = connect(redis, 2); RespClient n = connect(COORDINATOR, 2)) {
            String[][] transaction = {
                {"MULTI"}, {"SET", k.get(0), "1"}, {"SET", k.get(1)}, {"NOSUCHCOMMAND", k.get(2)},
                {"SET", k.get(2), "3"}, {"EXEC"}, {"EXISTS", k.get(0), k.get(1), k.get(2)},
            };
            for (String[] command : transaction) {
                assertThat(n.call(command)).as(String.join(" ", command)).isEqualTo(r.call(command));
            }
            // A command that needs its keys together is still refused when they are apart.
            assertThat(n.call("MULTI")).isEqualTo(OK);
            assertThat(n.call("SET", k.get(0), "1")).isEqualTo(QUEUED);
            assertThat(n.call("RENAME", k.get(1), k.get(2))).isEqualTo(CROSSSLOT);
            assertThat(n.call("SET", k.get(2), "3")).isEqualTo(QUEUED);
            assertThat(n.call("EXEC")).isEqualTo(EXECABORT);
        }
        for (String key : k) {
            assertOnEveryReplica(key, null);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void aRuntimeErrorInOnePartStandsAtItsPositionAndTheOtherPartsTakeEffect(int protocol) {
        mode("split");
        List<String> k = keys("wrongtype" + protocol + ":", 3, set -> true);
        try (RespClient r = connect(redis, protocol); RespClient n = connect(COORDINATOR, protocol)) {
            String[][] commands = {
                {"SADD", k.get(1), "m"}, {"MULTI"}, {"SET", k.get(0), "1"}, {"INCR", k.get(1)}, {"SET", k.get(2), "3"},
                {"LPUSH", k.get(1), "x"}, {"GET", k.get(2)}, {"EXEC"}, {"MGET", k.get(0), k.get(2)},
            };
            for (String[] command : commands) {
                assertThat(n.call(command)).as(String.join(" ", command)).isEqualTo(r.call(command));
            }
        }
        assertOnEveryReplica(k.get(0), "1");
        assertOnEveryReplica(k.get(2), "3");
    }

    /**
     * A command without keys that acts on the connection (its name, reply mode, levels), on the
     * whole keyspace, or on anything but its reply (PUBLISH, a script) would run in this node's
     * part, first and on that part's own session: refused in a transaction over several replica
     * sets, all or nothing ('|' separates the arguments).
     */
    @ParameterizedTest
    @ValueSource(strings = {"CLIENT|SETNAME|app", "CLIENT|TRACKING|ON", "CLIENT|NO-EVICT|ON", "CONSISTENCY|ALL",
        "FLUSHALL", "FLUSHDB", "DBSIZE", "PUBLISH|channel|m", "EVAL|return 1|0"})
    void aKeylessCommandOtherThanPingEchoTimeIsRefusedInATransactionOverSeveralReplicaSets(String queued) {
        mode("split");
        String[] command = queued.split("\\|");
        String name = command[0].toLowerCase() + (command[0].equals("CLIENT") ? "|" + command[1].toLowerCase() : "");
        String prefix = "keyless:" + name + ":";
        String here = keys(prefix + "here:", 1, set -> set.contains(COORDINATOR)).get(0);
        String away = keys(prefix + "away:", 1, set -> !set.contains(COORDINATOR)).get(0);
        String kept = prefix + "kept";
        try (RespClient n = connect(COORDINATOR, 2)) {
            assertThat(n.call("SET", kept, "v")).isEqualTo(OK);
            Object levels = n.call("CONSISTENCY");
            // Queued once the transaction spans replica sets: refused at once, EXEC aborts.
            assertThat(n.call("MULTI")).isEqualTo(OK);
            assertThat(n.call("SET", away, "1")).isEqualTo(QUEUED);
            assertThat(n.call("SET", here, "2")).isEqualTo(QUEUED);
            Object refused = n.call(command);
            assertThat(refused).as(queued).isInstanceOf(RespClient.Err.class);
            assertThat(((RespClient.Err) refused).text()).startsWith("CROSSSLOT '" + name + "' cannot run in a "
                    + "transaction over several replica sets");
            assertThat(n.call("EXEC")).isEqualTo(EXECABORT);
            // Queued before: EXEC refuses the transaction before any part runs.
            assertThat(n.call("MULTI")).isEqualTo(OK);
            assertThat(n.call(command)).isEqualTo(QUEUED);
            assertThat(n.call("SET", away, "1")).isEqualTo(QUEUED);
            assertThat(n.call("SET", here, "2")).isEqualTo(QUEUED);
            Object aborted = n.call("EXEC");
            assertThat(aborted).as(queued).isInstanceOf(RespClient.Err.class);
            assertThat(((RespClient.Err) aborted).text()).isEqualTo("EXECABORT Transaction discarded because of: "
                    + ((RespClient.Err) refused).text());
            // Nothing ran: no key written or flushed, the connection as it was (and out of MULTI).
            assertThat(n.call("EXISTS", away, here)).isEqualTo(0L);
            assertThat(n.call("GET", kept)).isEqualTo(new RespClient.Bulk("v"));
            assertThat(n.call("CLIENT", "GETNAME")).isEqualTo(RespClient.Null.BULK);
            assertThat(n.call("CONSISTENCY")).isEqualTo(levels);
        }
        assertOnEveryReplica(away, null);
    }

    @Test
    void inATransactionOnOneReplicaSetKeylessCommandsActOnTheConnectionAsAlways() {
        mode("split");
        String here = keys("onesetkeyless:", 1, set -> set.contains(COORDINATOR)).get(0);
        try (RespClient n = connect(COORDINATOR, 2)) {
            assertThat(n.call("MULTI")).isEqualTo(OK);
            assertThat(n.call("SET", here, "1")).isEqualTo(QUEUED);
            assertThat(n.call("CLIENT", "SETNAME", "app")).isEqualTo(QUEUED);
            assertThat(n.call("CONSISTENCY", "WRITE", "ALL")).isEqualTo(QUEUED);
            assertThat(n.call("EXEC")).isEqualTo(List.of(OK, OK, OK));
            assertThat(n.call("CLIENT", "GETNAME")).isEqualTo(new RespClient.Bulk("app"));
            assertThat(((List<?>) n.call("CONSISTENCY")).get(3)).isEqualTo(new RespClient.Bulk("ALL"));
        }
    }

    @Test
    void watchedKeysAreCheckedOnTheCoordinatorBeforeAnyPartRuns() {
        mode("split");
        List<String> watched = keys("watch:", 2, set -> set.contains(COORDINATOR));
        String away = keys("watchaway:", 1, set -> !set.contains(COORDINATOR)).get(0);
        int other = otherReplica(watched.get(1));
        try (RespClient n = connect(COORDINATOR, 2); RespClient o = connect(other, 2)) {
            // Unchanged: EXEC runs every part.
            assertThat(n.call("WATCH", watched.get(0), watched.get(1))).isEqualTo(OK);
            assertThat(n.call("MULTI")).isEqualTo(OK);
            assertThat(n.call("SET", watched.get(0), "x")).isEqualTo(QUEUED);
            assertThat(n.call("SET", away, "x")).isEqualTo(QUEUED);
            assertThat(n.call("EXEC")).isEqualTo(List.of(OK, OK));

            // A watched key changed (through another node): EXEC answers nil and no part runs.
            assertThat(n.call("WATCH", watched.get(0), watched.get(1))).isEqualTo(OK);
            assertThat(o.call("SET", watched.get(1), "changed")).isEqualTo(OK); // both replicas acknowledged it
            assertThat(n.call("MULTI")).isEqualTo(OK);
            assertThat(n.call("SET", watched.get(0), "y")).isEqualTo(QUEUED);
            assertThat(n.call("SET", away, "y")).isEqualTo(QUEUED);
            assertThat(n.call("EXEC")).isEqualTo(RespClient.Null.ARRAY);
            assertThat(n.call("MGET", watched.get(0), away))
                    .isEqualTo(List.of(new RespClient.Bulk("x"), new RespClient.Bulk("x")));

            // Watching only keys of one set, queuing on another: still checked before the other part runs.
            assertThat(n.call("WATCH", watched.get(1))).isEqualTo(OK);
            assertThat(o.call("SET", watched.get(1), "again")).isEqualTo(OK);
            assertThat(n.call("MULTI")).isEqualTo(OK);
            assertThat(n.call("SET", away, "z")).isEqualTo(QUEUED);
            assertThat(n.call("EXEC")).isEqualTo(RespClient.Null.ARRAY);
            assertThat(n.call("GET", away)).isEqualTo(new RespClient.Bulk("x"));

            // A watched key this node does not replicate: refused, nothing runs.
            assertThat(n.call("WATCH", watched.get(0), away)).isEqualTo(OK);
            assertThat(n.call("MULTI")).isEqualTo(OK);
            assertThat(n.call("SET", watched.get(0), "w")).isEqualTo(QUEUED);
            Object refused = n.call("EXEC");
            assertThat(refused).isInstanceOf(RespClient.Err.class);
            assertThat(((RespClient.Err) refused).text()).startsWith("ERR WATCH compares this node's versions")
                    .contains("does not replicate '" + away + "'");
            assertThat(n.call("GET", watched.get(0))).isEqualTo(new RespClient.Bulk("x"));
            assertThat(n.call("SET", watched.get(0), "after")).isEqualTo(OK); // the connection is out of MULTI
        }
    }

    @Test
    void aLettuceTransactionRunsSplit() {
        mode("split");
        List<String> k = keys("lettuce:", 3, set -> true);
        RedisCommands<String, String> c = cluster.connect(2).sync();
        c.set(k.get(2), "5");
        assertThat(c.multi()).isEqualTo("OK");
        c.set(k.get(0), "a");
        c.hset(k.get(1), "f", "v");
        c.incrby(k.get(2), 3);
        c.get(k.get(0));
        TransactionResult result = c.exec();
        assertThat(result.wasDiscarded()).isFalse();
        assertThat(result.stream().toList()).containsExactly("OK", true, 8L, "a");
        assertThat(c.hget(k.get(1), "f")).isEqualTo("v");
        assertOnEveryReplica(k.get(2), "8");
    }

    @Test
    void aTransactionWithNothingForThisNodeRunsOnTheOtherNodes() {
        mode("split");
        List<String> away = keys("nothinghere:", 2, set -> !set.contains(COORDINATOR));
        String a = away.get(0);
        String b = away.get(1);
        String[][] transaction = {
            {"SET", b, "5"}, {"MULTI"}, {"SET", a, "1"}, {"INCRBY", b, "2"}, {"MGET", a, b}, {"DEL", a}, {"EXEC"},
        };
        try (RespClient r = connect(redis, 2); RespClient n = connect(COORDINATOR, 2)) {
            for (String[] command : transaction) {
                assertThat(n.call(command)).as(String.join(" ", command)).isEqualTo(r.call(command));
            }
        }
        assertOnEveryReplica(a, null);
        assertOnEveryReplica(b, "7");
    }

    /**
     * redis-py 4.3.4 (the Debian package, under {@code /usr/bin/python3}) on the coordinator:
     * {@code pipeline(transaction=True)} over four replica sets, its WATCH-based
     * {@code transaction()} helper, and a pipeline with CLIENT SETNAME, refused as a whole.
     */
    @Test
    void redisPyPipelinesInATransactionRunSplit(@TempDir Path dir) throws Exception {
        mode("split");
        String python = PythonQueuesOnClusterTest.PYTHON;
        assertThat(PythonQueuesOnClusterTest.run(dir, List.of(python, "-c", "import redis"), 30).exitCode())
                .as("redis-py for %s (./converge test installs python3-redis)", python).isZero();
        List<String> here = keys("redispy:here:", 2, set -> set.contains(COORDINATOR));
        List<String> away = keys("redispy:away:", 2, set -> !set.contains(COORDINATOR));
        Files.writeString(dir.resolve("split.py"), """
                import sys
                import redis
                port, here, counter, hashed, number = sys.argv[1:6]
                r = redis.Redis(host='127.0.0.1', port=int(port), decode_responses=True)
                r.set(number, 5)
                p = r.pipeline(transaction=True)
                p.set(here, 'a').hset(hashed, 'f', 'v').incrby(number, 3).get(here)
                p.mget(here, hashed + ':missing', number).ping()
                got = p.execute()
                assert got == [True, 1, 8, 'a', ['a', None, '8'], True], got

                def check_and_set(pipe):
                    value = int(pipe.get(counter) or 0)
                    pipe.multi()
                    pipe.set(counter, value + 1)
                    pipe.incr(number)
                assert r.transaction(check_and_set, counter) == [True, 9]
                assert [r.get(counter), r.get(number), r.hget(hashed, 'f')] == ['1', '9', 'v']

                p = r.pipeline(transaction=True)
                p.set(here, 'changed').incr(number).client_setname('app')
                try:
                    p.execute()
                    raise AssertionError('a pipeline with CLIENT SETNAME over several replica sets ran')
                except redis.ResponseError as e:
                    assert "CROSSSLOT 'client|setname' cannot run in a transaction over several replica sets" \
                        in str(e), str(e)
                assert [r.get(here), r.get(number), r.client_getname()] == ['a', '9', None]
                print('ok')
                """);
        PythonQueuesOnClusterTest.Result result = PythonQueuesOnClusterTest.run(dir, List.of(python, "split.py",
                Integer.toString(cluster.port(COORDINATOR)), here.get(0), here.get(1), away.get(0), away.get(1)), 60);
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output().strip()).isEqualTo("ok");
        assertOnEveryReplica(here.get(0), "a");
        assertOnEveryReplica(here.get(1), "1");
        assertOnEveryReplica(away.get(1), "9");
        assertThat(routed(COORDINATOR, "routed_split_transactions")).isPositive();
    }

    @Test
    @Order(Integer.MAX_VALUE) // stops two nodes: the last test of the class
    void aPartWhoseNodesAreDownAnswersAnErrorAtItsPositionsAndThePartsThatRanStay() {
        mode("split");
        String here = keys("down:here:", 1, set -> set.contains(1) && set.contains(2)).get(0);
        String away = keys("down:away:", 1, set -> set.contains(3) && set.contains(4)).get(0);
        cluster.stopNode(3);
        cluster.stopNode(4);
        try (RespClient n = connect(COORDINATOR, 2)) {
            assertThat(n.call("MULTI")).isEqualTo(OK);
            assertThat(n.call("SET", here, "1")).isEqualTo(QUEUED);
            assertThat(n.call("SET", away, "2")).isEqualTo(QUEUED);
            assertThat(n.call("INCR", here)).isEqualTo(QUEUED);
            Object reply = n.call("EXEC");
            assertThat(reply).isInstanceOf(List.class);
            List<?> replies = (List<?>) reply;
            assertThat(replies).hasSize(3);
            assertThat(replies.get(0)).isEqualTo(OK);
            assertThat(replies.get(1)).isInstanceOf(RespClient.Err.class);
            assertThat(((RespClient.Err) replies.get(1)).text()).startsWith("ERR ");
            assertThat(replies.get(2)).isEqualTo(2L);
            assertThat(n.call("GET", here)).isEqualTo(new RespClient.Bulk("2"));
        }
    }

    /** Sets cross-slot-transactions on every node and waits until each reports it. */
    private void mode(String value) {
        try (RespClient c = connect(COORDINATOR, 2)) {
            assertThat(c.call("CONFIG", "SET", "cross-slot-transactions", value)).isEqualTo(OK);
        }
        Object expected = List.of(new RespClient.Bulk("cross-slot-transactions"), new RespClient.Bulk(value));
        for (int node : cluster.ids()) {
            try (RespClient c = connect(node, 2)) {
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> expected.equals(c.call("CONFIG", "GET", "cross-slot-transactions")));
            }
        }
    }

    /** Keys (with {@code prefix}) on pairwise different replica sets that {@code accept}. */
    private List<String> keys(String prefix, int count, Predicate<ReplicaSet> accept) {
        Ring ring = cluster.replicator(1).ring();
        List<String> keys = new ArrayList<>();
        List<ReplicaSet> sets = new ArrayList<>();
        for (int i = 0; keys.size() < count; i++) {
            String key = prefix + i;
            ReplicaSet set = ring.replicasFor(key.getBytes(StandardCharsets.UTF_8));
            if (accept.test(set) && sets.stream().noneMatch(set::sameNodes)) {
                sets.add(set);
                keys.add(key);
            }
        }
        return keys;
    }

    /** A replica of {@code key} other than the coordinator. */
    private int otherReplica(String key) {
        ReplicaSet set = cluster.replicator(1).ring().replicasFor(key.getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < set.size(); i++) {
            if (set.node(i) != COORDINATOR) {
                return set.node(i);
            }
        }
        throw new AssertionError("no other replica of " + key);
    }

    /** Waits until every replica of {@code key} holds the string {@code value} (null: no key) in its own data. */
    private void assertOnEveryReplica(String key, String value) {
        ReplicaSet set = cluster.replicator(1).ring().replicasFor(key.getBytes(StandardCharsets.UTF_8));
        Object expected = value == null ? RespClient.Null.BULK : new RespClient.Bulk(value);
        for (int i = 0; i < set.size(); i++) {
            int node = set.node(i);
            try (RespClient c = connect(node, 2)) {
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                        c.call("CONVERGE", "LOCAL", "GET", key)).as("%s on node %d", key, node).isEqualTo(expected));
            }
        }
        // And no node that is not a replica holds it.
        for (int node : cluster.ids()) {
            if (!set.contains(node)) {
                try (RespClient c = connect(node, 2)) {
                    assertThat(c.call("CONVERGE", "LOCAL", "EXISTS", key)).isEqualTo(0L);
                }
            }
        }
    }

    private long routed(int node, String field) {
        try (RespClient c = connect(node, 2)) {
            String info = ((RespClient.Bulk) c.call("INFO", "cluster")).text();
            return Arrays.stream(info.split("\r\n")).filter(l -> l.startsWith(field + ":"))
                    .mapToLong(l -> Long.parseLong(l.substring(field.length() + 1))).findFirst()
                    .orElseThrow(() -> new AssertionError(field + " missing from INFO cluster"));
        }
    }

    private RespClient connect(int node, int protocol) {
        return hello(new RespClient("127.0.0.1", cluster.port(node)), protocol);
    }

    private static RespClient connect(RedisServerFixture redis, int protocol) {
        return hello(new RespClient("127.0.0.1", redis.port()), protocol);
    }

    private static RespClient hello(RespClient c, int protocol) {
        if (protocol == 3) {
            c.call("HELLO", "3");
        }
        return c;
    }
}
