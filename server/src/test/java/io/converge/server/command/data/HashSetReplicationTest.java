package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.crdt.CrdtCodec;
import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.StorageEngine;
import io.converge.server.testing.ConvergeFixture;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Replication readiness of the hash and set commands: every write reports its delta to the
 * engine's {@link StorageEngine.DeltaListener} (and reads and no-op writes report none), and
 * shipping those deltas (through the binary codec, as a transport would) to a second node makes
 * it show the same hashes and sets, including after concurrent writes on both nodes, with the
 * conflict rules of DESIGN §1 (add wins, counters sum, HDEL only removes what it names).
 */
class HashSetReplicationTest {

    /** One recorded local write: the key and its delta, encoded the moment it was reported. */
    private record Shipped(byte[] key, byte[] delta) {}

    /** A node under test: the fixture, its engine and the deltas it reported, in order. */
    private static final class Node implements AutoCloseable {
        final ConvergeFixture fixture;
        final EmbeddedEngine engine;
        final List<Shipped> outbox = new ArrayList<>();
        int shipped;

        Node(String nodeId) {
            fixture = ConvergeFixture.start(c -> c.nodeId(nodeId));
            engine = (EmbeddedEngine) fixture.node().services().engine();
            engine.addDeltaListener((key, delta) -> {
                synchronized (outbox) {
                    outbox.add(new Shipped(key.clone(), CrdtCodec.encode(delta)));
                }
            });
        }

        int deltaCount() {
            synchronized (outbox) {
                return outbox.size();
            }
        }

        List<String> deltaKeysSince(int from) {
            synchronized (outbox) {
                List<String> keys = new ArrayList<>();
                for (Shipped s : outbox.subList(from, outbox.size())) {
                    keys.add(new String(s.key(), StandardCharsets.UTF_8));
                }
                return keys;
            }
        }

        /** Ships the deltas not shipped yet to {@code peer}: its clock receives ours, then it merges. */
        void shipTo(Node peer) {
            List<Shipped> batch;
            synchronized (outbox) {
                batch = new ArrayList<>(outbox.subList(shipped, outbox.size()));
                shipped = outbox.size();
            }
            peer.engine.clock().receive(engine.clock().current());
            for (Shipped s : batch) {
                peer.engine.merge(s.key(), CrdtCodec.decode(s.delta()));
            }
        }

        RespClient client() {
            return new RespClient(fixture);
        }

        @Override
        public void close() {
            fixture.close();
        }
    }

    private Node a;
    private Node b;

    @BeforeEach
    void startNodes() {
        a = new Node("1");
        b = new Node("2");
    }

    @AfterEach
    void stopNodes() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    @Test
    void everyWriteReportsADeltaAndReadsAndNoOpsReportNone() {
        try (RespClient c = a.client()) {
            expectDeltas(c, List.of("h"), "HSET", "h", "a", "1", "b", "2");
            expectDeltas(c, List.of("h"), "HSET", "h", "a", "1");
            expectDeltas(c, List.of("h"), "HMSET", "h", "c", "3");
            expectDeltas(c, List.of("h"), "HSETNX", "h", "d", "4");
            expectDeltas(c, List.of(), "HSETNX", "h", "d", "5");
            expectDeltas(c, List.of("h"), "HINCRBY", "h", "n", "5");
            expectDeltas(c, List.of("h"), "HINCRBYFLOAT", "h", "x", "1.5");
            expectDeltas(c, List.of(), "HINCRBY", "h", "a", "x");
            expectDeltas(c, List.of(), "HINCRBYFLOAT", "h", "n", "1e5000");
            expectDeltas(c, List.of(), "HDEL", "h", "nope");
            expectDeltas(c, List.of(), "HDEL", "nokey", "a");
            expectDeltas(c, List.of("h"), "HDEL", "h", "a", "nope");
            for (String[] read : new String[][] {{"HGET", "h", "b"}, {"HMGET", "h", "b", "c"}, {"HGETALL", "h"},
                {"HKEYS", "h"}, {"HVALS", "h"}, {"HLEN", "h"}, {"HEXISTS", "h", "b"}, {"HSTRLEN", "h", "b"},
                {"HSCAN", "h", "0"}, {"HRANDFIELD", "h", "-5", "WITHVALUES"}}) {
                expectDeltas(c, List.of(), read);
            }

            expectDeltas(c, List.of("s"), "SADD", "s", "a", "b", "c", "d");
            expectDeltas(c, List.of("s"), "SADD", "s", "a");
            expectDeltas(c, List.of(), "SREM", "s", "zz");
            expectDeltas(c, List.of("s"), "SREM", "s", "a", "zz");
            expectDeltas(c, List.of("s"), "SPOP", "s");
            expectDeltas(c, List.of(), "SPOP", "s", "0");
            expectDeltas(c, List.of(), "SPOP", "nokey");
            expectDeltas(c, List.of(), "SMOVE", "s", "t", "zz");
            c.call("SADD", "s", "m");
            expectDeltas(c, List.of("s", "t"), "SMOVE", "s", "t", "m");
            expectDeltas(c, List.of("u"), "SUNIONSTORE", "u", "s", "t");
            expectDeltas(c, List.of("u"), "SINTERSTORE", "u", "s", "t");
            expectDeltas(c, List.of(), "SINTERSTORE", "nokey2", "s", "t");
            c.call("SET", "str", "x");
            expectDeltas(c, List.of("str", "str"), "SDIFFSTORE", "str", "s");
            for (String[] read : new String[][] {{"SMEMBERS", "s"}, {"SISMEMBER", "s", "b"}, {"SMISMEMBER", "s", "b"},
                {"SCARD", "s"}, {"SRANDMEMBER", "s", "-3"}, {"SSCAN", "s", "0"}, {"SINTER", "s", "t"},
                {"SUNION", "s", "t"}, {"SDIFF", "s", "t"}, {"SINTERCARD", "2", "s", "t"}}) {
                expectDeltas(c, List.of(), read);
            }
            expectDeltas(c, List.of("s"), "SPOP", "s", "100");
            assertThat(c.call("EXISTS", "s")).isEqualTo(0L);
        }
    }

    private void expectDeltas(RespClient c, List<String> keys, String... command) {
        int before = a.deltaCount();
        c.call(command);
        assertThat(a.deltaKeysSince(before)).as(String.join(" ", command)).isEqualTo(keys);
    }

    @Test
    void shippedDeltasReproduceEveryHashAndSet() {
        try (RespClient c = a.client()) {
            c.call("HSET", "h1", "a", "1", "b", "2", "c", "3", "bin\u0000", "v\r\n");
            c.call("HINCRBY", "h1", "n", "40");
            c.call("HINCRBY", "h1", "n", "2");
            c.call("HINCRBYFLOAT", "h1", "f", "0.1");
            c.call("HINCRBYFLOAT", "h1", "f", "0.2");
            c.call("HDEL", "h1", "a");
            c.call("HSET", "h1", "a", "again");
            c.call("HSET", "h2", "x", "1");
            c.call("HDEL", "h2", "x");
            c.call("HSETNX", "h3", "k", "v");
            c.call("SADD", "s1", "a", "b", "c", "d", "e");
            c.call("SREM", "s1", "a");
            c.call("SPOP", "s1", "2");
            c.call("SMOVE", "s1", "s2", "e");
            c.call("SMOVE", "s1", "s2", "d");
            c.call("SADD", "s3", "1", "2", "3");
            c.call("SUNIONSTORE", "s4", "s1", "s2", "s3");
            c.call("SET", "s5", "string first");
            c.call("SINTERSTORE", "s5", "s3", "s4");
            c.call("SADD", "gone", "x");
            c.call("SPOP", "gone");
            c.call("SDIFFSTORE", "s6", "s3", "s4");
        }
        a.shipTo(b);
        for (String key : List.of("h1", "h2", "h3", "s1", "s2", "s3", "s4", "s5", "s6", "gone")) {
            assertSameOnBoth(key);
        }
        try (RespClient c = b.client()) {
            assertThat(c.call("HGET", "h1", "n")).isEqualTo(new Bulk("42"));
            assertThat(c.call("HGET", "h1", "f")).isEqualTo(new Bulk("0.3"));
            assertThat(c.call("HGET", "h1", "a")).isEqualTo(new Bulk("again"));
            assertThat(c.call("EXISTS", "h2", "gone", "s6")).isEqualTo(0L);
            assertThat(c.call("TYPE", "s5")).isEqualTo(new RespClient.Simple("set"));
            assertThat(c.call("SCARD", "s5")).isEqualTo(3L);
        }
    }

    @Test
    void concurrentWritesOnTwoNodesConverge() {
        try (RespClient c = a.client()) {
            c.call("SADD", "s", "x", "y");
            c.call("HSET", "h", "f", "1", "g", "1", "n", "10");
            c.call("SADD", "src", "m1", "m2");
            c.call("SADD", "d", "old");
        }
        a.shipTo(b);
        // Partition: both nodes write without seeing each other.
        try (RespClient ca = a.client(); RespClient cb = b.client()) {
            ca.call("SUNIONSTORE", "d", "s");    // replaces what A saw of d with {x, y}
            cb.call("SADD", "d", "late");        // ... but not B's concurrent add
            ca.call("SREM", "s", "x");
            cb.call("SADD", "s", "x");           // add wins over the concurrent remove
            ca.call("SREM", "s", "y");
            ca.call("HINCRBY", "h", "n", "5");
            cb.call("HINCRBY", "h", "n", "7");   // concurrent increments both count
            ca.call("HDEL", "h", "f");
            cb.call("HSET", "h", "new", "v");    // HDEL removes only the field it names
            ca.call("SPOP", "src", "10");        // pops every member A has seen
            cb.call("SADD", "src", "m3");        // an add A had not seen survives
        }
        a.shipTo(b);
        b.shipTo(a);
        for (String key : List.of("s", "h", "src", "d")) {
            assertSameOnBoth(key);
        }
        try (RespClient c = a.client()) {
            assertThat(members(c.call("SMEMBERS", "s"))).containsExactly("x");
            assertThat(c.call("HGET", "h", "n")).isEqualTo(new Bulk("22"));
            assertThat(c.call("HEXISTS", "h", "f")).isEqualTo(0L);
            assertThat(c.call("HGET", "h", "new")).isEqualTo(new Bulk("v"));
            assertThat(c.call("HGET", "h", "g")).isEqualTo(new Bulk("1"));
            assertThat(members(c.call("SMEMBERS", "src"))).containsExactly("m3");
            assertThat(members(c.call("SMEMBERS", "d"))).containsExactly("late", "x", "y");
        }
    }

    /** TYPE and the whole visible content of {@code key} are equal on both nodes. */
    private void assertSameOnBoth(String key) {
        List<Object> onA = visible(a, key);
        List<Object> onB = visible(b, key);
        assertThat(onB).as("key %s on node 2 vs node 1", key).isEqualTo(onA);
    }

    private static List<Object> visible(Node node, String key) {
        try (RespClient c = node.client()) {
            Object type = c.call("TYPE", key);
            Object content = switch (String.valueOf(type)) {
                case "Simple[text=hash]" -> UnorderedReplies.sortPairs(c.call("HGETALL", key));
                case "Simple[text=set]" -> UnorderedReplies.sortItems(c.call("SMEMBERS", key));
                default -> c.call("EXISTS", key);
            };
            return List.of(type, content);
        }
    }

    private static List<String> members(Object reply) {
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) UnorderedReplies.sortItems(reply)) {
            out.add(((Bulk) o).text());
        }
        return out;
    }
}
