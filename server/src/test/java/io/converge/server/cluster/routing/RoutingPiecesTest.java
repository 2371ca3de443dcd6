package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.Ring;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.CommandTable;
import io.converge.server.command.QueuedCommand;
import io.converge.server.testing.ConvergeFixture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The routing layer's pieces on their own: the forwarded-command codec, the RESP scanner, the
 * reassembly of split replies and of split transactions, and the classification of the command
 * table.
 */
class RoutingPiecesTest {

    @Test
    void forwardedRequestsRoundTrip() {
        ForwardedRequest r = new ForwardedRequest(true, 3, ConsistencyLevel.EACH_QUORUM, ConsistencyLevel.ALL, 2,
                123456789L, List.of(args("SET", "k", ""), args("INCR", "n")));
        ForwardedRequest back = ForwardedRequest.decode(r.encode());
        assertThat(back.transaction()).isTrue();
        assertThat(back.protocol()).isEqualTo(3);
        assertThat(back.readLevel()).isEqualTo(ConsistencyLevel.EACH_QUORUM);
        assertThat(back.writeLevel()).isEqualTo(ConsistencyLevel.ALL);
        assertThat(back.coordinatorDc()).isEqualTo(2);
        assertThat(back.coordinatorHlc()).isEqualTo(123456789L);
        assertThat(back.commands()).hasSize(2);
        assertThat(back.commands().get(0)).isDeepEqualTo(args("SET", "k", ""));
        assertThat(back.commands().get(1)).isDeepEqualTo(args("INCR", "n"));
    }

    @Test
    void malformedForwardedRequestsAreRefused() {
        byte[] good = new ForwardedRequest(false, 2, ConsistencyLevel.ONE, ConsistencyLevel.ONE, 0, 1,
                List.<byte[][]>of(args("GET", "k"))).encode();
        for (int cut = 0; cut < good.length; cut++) {
            byte[] truncated = Arrays.copyOf(good, cut);
            assertThatThrownBy(() -> ForwardedRequest.decode(truncated)).isInstanceOf(IllegalArgumentException.class);
        }
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> ForwardedRequest.decode(trailing)).isInstanceOf(IllegalArgumentException.class);
        byte[] badProtocol = good.clone();
        badProtocol[2] = 4;
        assertThatThrownBy(() -> ForwardedRequest.decode(badProtocol)).isInstanceOf(IllegalArgumentException.class);
        byte[] hugeArgc = good.clone();
        hugeArgc[19] = 0x7F; // argc of the first command
        assertThatThrownBy(() -> ForwardedRequest.decode(hugeArgc)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void respScannerFindsTheEndOfEveryReplyType() {
        String[] replies = {"+OK\r\n", "-ERR x\r\n", ":-12\r\n", "$3\r\nabc\r\n", "$-1\r\n", "_\r\n", ",1.5\r\n",
            "#t\r\n", "(123\r\n", "=7\r\ntxt:abc\r\n", "*2\r\n$1\r\na\r\n*1\r\n:1\r\n", "*-1\r\n",
            "%1\r\n+k\r\n$1\r\nv\r\n", "~2\r\n:1\r\n:2\r\n", "|1\r\n+a\r\n:1\r\n$1\r\nx\r\n", "!3\r\nbad\r\n"};
        for (String reply : replies) {
            byte[] b = (reply + "+NEXT\r\n").getBytes(StandardCharsets.US_ASCII);
            assertThat(RespScanner.end(b, 0)).as(reply).isEqualTo(reply.length());
        }
        assertThat(RespScanner.integer(bytes(":-12\r\n"), 0)).isEqualTo(-12);
        assertThat(RespScanner.aggregateCount(bytes("*3\r\n"), 0)).isEqualTo(3);
        assertThat(RespScanner.isError(bytes("-ERR\r\n"), 0)).isTrue();
        assertThat(RespScanner.isError(bytes("!3\r\nbad\r\n"), 0)).isTrue();
        assertThatThrownBy(() -> RespScanner.end(bytes("$5\r\nab\r\n"), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RespScanner.end(bytes("?x\r\n"), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void splitRepliesAreReassembledAsOneCommandsReply() {
        Ring ring = Ring.build(spec());
        List<String> keys = new ArrayList<>();
        List<Integer> sets = new ArrayList<>();
        for (int i = 0; keys.size() < 3; i++) {
            int set = ring.replicasFor(bytes("k" + i)).id();
            if (!sets.contains(set)) {
                sets.add(set);
                keys.add("k" + i);
            }
        }
        // Keys a, b, c on three sets, asked as: b a c a.
        byte[][] asked = {bytes(keys.get(1)), bytes(keys.get(0)), bytes(keys.get(2)), bytes(keys.get(0))};
        SplitCommand mget = SplitCommand.plan(CommandRoute.Kind.SPLIT_MGET, ring, asked);
        assertThat(mget.parts()).hasSize(3);
        assertThat(mget.parts().get(0).keyIndexes()).containsExactly(0);
        assertThat(mget.parts().get(1).keyIndexes()).containsExactly(1, 3);
        assertThat(mget.parts().get(2).keyIndexes()).containsExactly(2);
        byte[] whole = mget.assemble(new byte[][] {bytes("*1\r\n$1\r\nB\r\n"), bytes("*2\r\n$1\r\nA\r\n$2\r\nA2\r\n"),
            bytes("*1\r\n_\r\n")});
        assertThat(new String(whole, StandardCharsets.US_ASCII)).isEqualTo("*4\r\n$1\r\nB\r\n$1\r\nA\r\n_\r\n$2\r\nA2\r\n");

        SplitCommand del = SplitCommand.plan(CommandRoute.Kind.SPLIT_SUM, ring, asked);
        assertThat(new String(del.assemble(new byte[][] {bytes(":1\r\n"), bytes(":2\r\n"), bytes(":0\r\n")}),
                StandardCharsets.US_ASCII)).isEqualTo(":3\r\n");
        assertThat(new String(del.assemble(new byte[][] {bytes(":1\r\n"), bytes("-ERR level\r\n"), bytes(":0\r\n")}),
                StandardCharsets.US_ASCII)).isEqualTo("-ERR level\r\n");
        SplitCommand mset = SplitCommand.plan(CommandRoute.Kind.SPLIT_MSET, ring, asked);
        assertThat(new String(mset.assemble(new byte[][] {bytes("+OK\r\n"), bytes("+OK\r\n"), bytes("+OK\r\n")}),
                StandardCharsets.US_ASCII)).isEqualTo("+OK\r\n");
    }

    @Test
    void commandTableIsClassifiedWithEveryCommandsKeys() {
        try (ConvergeFixture node = ConvergeFixture.start(c -> c.set("appendonly", "no"))) {
            CommandTable table = node.node().services().commands();
            CommandRoute.Table routes = CommandRoute.Table.of(table);
            assertThat(kind(routes, table, "get")).isEqualTo(CommandRoute.Kind.KEYED);
            assertThat(kind(routes, table, "ping")).isEqualTo(CommandRoute.Kind.LOCAL);
            assertThat(kind(routes, table, "time")).isEqualTo(CommandRoute.Kind.LOCAL);
            for (String wide : List.of("dbsize", "keys", "scan", "randomkey", "info", "flushall", "flushdb")) {
                assertThat(kind(routes, table, wide)).isEqualTo(CommandRoute.Kind.CLUSTER_WIDE);
            }
            assertThat(kind(routes, table, "mget")).isEqualTo(CommandRoute.Kind.SPLIT_MGET);
            assertThat(kind(routes, table, "mset")).isEqualTo(CommandRoute.Kind.SPLIT_MSET);
            for (String sum : List.of("del", "exists", "unlink", "touch")) {
                assertThat(kind(routes, table, sum)).isEqualTo(CommandRoute.Kind.SPLIT_SUM);
            }
            assertThat(kind(routes, table, "exec")).isEqualTo(CommandRoute.Kind.EXEC);
            assertThat(kind(routes, table, "watch")).isEqualTo(CommandRoute.Kind.WATCH);
            assertThat(routes.of(table.lookup("set")).write()).isTrue();
            assertThat(routes.of(table.lookup("get")).write()).isFalse();

            assertThat(keys(routes, table, "MSET", "a", "1", "b", "2")).containsExactly("a", "b");
            assertThat(keys(routes, table, "ZUNIONSTORE", "d", "2", "s1", "s2", "WEIGHTS", "1", "2"))
                    .containsExactly("d", "s1", "s2");
            assertThat(keys(routes, table, "SINTERCARD", "2", "s1", "s2", "LIMIT", "3")).containsExactly("s1", "s2");
            assertThat(keys(routes, table, "SINTERCARD", "x", "s1")).isEmpty();
            assertThat(keys(routes, table, "ZDIFFSTORE", "d", "2", "s1", "s2")).containsExactly("d", "s1", "s2");
            for (String read : List.of("ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD")) {
                assertThat(keys(routes, table, read, "2", "s1", "s2", "WITHSCORES")).as(read).containsExactly("s1", "s2");
                assertThat(keys(routes, table, read, "0", "s1")).as(read).isEmpty();
                assertThat(routes.of(table.lookup(read)).write()).as(read).isFalse();
            }
            assertThat(routes.of(table.lookup("zdiffstore")).write()).isTrue();
            assertThat(keys(routes, table, "RENAME", "a", "b")).containsExactly("a", "b");
            assertThat(keys(routes, table, "SMOVE", "a", "b", "m")).containsExactly("a", "b");
            assertThat(keys(routes, table, "SUNIONSTORE", "d", "a", "b")).containsExactly("d", "a", "b");
        }
    }

    @Test
    void splitTransactionsArePlannedPerNodeAndTheirRepliesPutBackInQueueOrder() {
        Ring ring = Ring.build(spec());
        List<String> keys = new ArrayList<>();
        List<io.converge.server.cluster.ReplicaSet> sets = new ArrayList<>();
        for (int i = 0; keys.size() < 3; i++) {
            io.converge.server.cluster.ReplicaSet set = ring.replicasFor(bytes("t" + i));
            if (sets.stream().noneMatch(set::sameNodes)) {
                sets.add(set);
                keys.add("t" + i);
            }
        }
        String a = keys.get(0);
        String b = keys.get(1);
        String c = keys.get(2);
        // Each replica set runs on its lowest node; node 0 (no node) is "this node".
        SplitTransaction.Placement lowest = (set, primary) -> {
            int min = Integer.MAX_VALUE;
            for (int i = 0; i < set.size(); i++) {
                min = Math.min(min, set.node(i));
            }
            return min;
        };
        try (ConvergeFixture node = ConvergeFixture.start(cfg -> cfg.set("appendonly", "no"))) {
            CommandTable table = node.node().services().commands();
            CommandRoute.Table routes = CommandRoute.Table.of(table);
            List<QueuedCommand> queued = List.of(queued(table, "SET", a, "1"), queued(table, "PING"),
                    queued(table, "MGET", b, a, c), queued(table, "DEL", c, b), queued(table, "MSET", a, "1", b),
                    queued(table, "SET", c, "3"));
            SplitTransaction plan = SplitTransaction.plan(queued, routes, ring, 0, lowest);
            List<SplitTransaction.Part> parts = plan.parts();
            assertThat(parts.get(0).node()).isZero();
            assertThat(parts.get(0).pieces()).extracting(SplitTransaction.Piece::command).containsExactly(1);
            int pieces = 0;
            for (SplitTransaction.Part part : parts.subList(1, parts.size())) {
                for (SplitTransaction.Piece piece : part.pieces()) {
                    for (byte[] key : piece.keys()) {
                        assertThat(lowest.nodeFor(ring.replicasFor(key), false)).isEqualTo(part.node());
                    }
                    pieces++;
                }
            }
            assertThat(pieces).as("SET a, MGET in 3, DEL in 2, SET c (the odd MSET is answered without running)")
                    .isEqualTo(7);

            String expected = "*6\r\n$1\r\n0\r\n$1\r\n1\r\n*3\r\n$" + b.length() + "\r\n" + b + "\r\n$" + a.length()
                    + "\r\n" + a + "\r\n$" + c.length() + "\r\n" + c + "\r\n:2\r\n"
                    + "-ERR wrong number of arguments for 'mset' command\r\n$1\r\n5\r\n";
            assertThat(text(plan.assemble(replies(plan, -1, null)))).isEqualTo(expected);

            // The part holding c fails as a whole: its error stands for each of its commands.
            int partOfC = partOf(plan, c);
            String failed = text(plan.assemble(replies(plan, partOfC, "-ERR gone\r\n")));
            assertThat(failed).isEqualTo("*6\r\n" + (partOfC == partOf(plan, a) ? "-ERR gone\r\n" : "$1\r\n0\r\n")
                    + "$1\r\n1\r\n-ERR gone\r\n-ERR gone\r\n-ERR wrong number of arguments for 'mset' command\r\n"
                    + "-ERR gone\r\n");
            String blob = text(plan.assemble(replies(plan, partOfC, "!4\r\ngone\r\n")));
            assertThat(blob).endsWith("!4\r\ngone\r\n");
            String unexpected = text(plan.assemble(replies(plan, partOfC, "*0\r\n")));
            assertThat(unexpected).endsWith("-ERR node " + parts.get(partOfC).node()
                    + " answered its part of the transaction with an unexpected reply\r\n");
        }
    }

    @Test
    void eachReplicaSetsNodeIsChosenOnceEvenIfThePlacementChangesItsMindMeanwhile() {
        Ring ring = Ring.build(spec());
        String a = "flap0";
        String b = null;
        for (int i = 1; b == null; i++) {
            if (!ring.replicasFor(bytes("flap" + i)).sameNodes(ring.replicasFor(bytes(a)))) {
                b = "flap" + i;
            }
        }
        // A failure detector that flaps: every question about a set gets its next replica.
        int[] asked = {0};
        SplitTransaction.Placement flapping = (set, primary) -> set.node(asked[0]++ % set.size());
        try (ConvergeFixture node = ConvergeFixture.start(cfg -> cfg.set("appendonly", "no"))) {
            CommandTable table = node.node().services().commands();
            List<QueuedCommand> queued = List.of(queued(table, "SET", a, "1"), queued(table, "GET", a),
                    queued(table, "SET", b, "2"), queued(table, "MGET", a, b), queued(table, "INCR", a),
                    queued(table, "DEL", b, a), queued(table, "RPUSH", b, "x"));
            SplitTransaction plan = SplitTransaction.plan(queued, CommandRoute.Table.of(table), ring, 0, flapping);
            for (String key : List.of(a, b)) {
                List<Integer> partsOfKey = new ArrayList<>();
                for (int p = 0; p < plan.parts().size(); p++) {
                    for (SplitTransaction.Piece piece : plan.parts().get(p).pieces()) {
                        for (byte[] k : piece.keys()) {
                            if (new String(k, StandardCharsets.UTF_8).equals(key) && !partsOfKey.contains(p)) {
                                partsOfKey.add(p);
                            }
                        }
                    }
                }
                assertThat(partsOfKey).as("the parts holding commands on %s", key).hasSize(1);
            }
            assertThat(asked[0]).as("one question per replica set").isEqualTo(2);
        }
    }

    /** The index of the part whose pieces name {@code key}. */
    private static int partOf(SplitTransaction plan, String key) {
        for (int p = 0; p < plan.parts().size(); p++) {
            for (SplitTransaction.Piece piece : plan.parts().get(p).pieces()) {
                for (byte[] k : piece.keys()) {
                    if (new String(k, StandardCharsets.UTF_8).equals(key)) {
                        return p;
                    }
                }
            }
        }
        throw new AssertionError(key + " is in no part");
    }

    /**
     * What each part would answer: an MGET piece its keys' names as values, a DEL piece the
     * number of its keys, any other piece its command's index; part {@code failing} answers
     * {@code failure} instead.
     */
    private static byte[][] replies(SplitTransaction plan, int failing, String failure) {
        byte[][] out = new byte[plan.parts().size()][];
        for (int p = 0; p < out.length; p++) {
            List<SplitTransaction.Piece> pieces = plan.parts().get(p).pieces();
            StringBuilder r = new StringBuilder("*" + pieces.size() + "\r\n");
            for (SplitTransaction.Piece piece : pieces) {
                String name = piece.spec().name();
                if (name.equals("mget")) {
                    r.append('*').append(piece.keys().length).append("\r\n");
                    for (byte[] k : piece.keys()) {
                        r.append('$').append(k.length).append("\r\n").append(new String(k, StandardCharsets.UTF_8))
                                .append("\r\n");
                    }
                } else if (name.equals("del")) {
                    r.append(':').append(piece.keys().length).append("\r\n");
                } else {
                    String index = Integer.toString(piece.command());
                    r.append('$').append(index.length()).append("\r\n").append(index).append("\r\n");
                }
            }
            out[p] = bytes(p == failing ? failure : r.toString());
        }
        return out;
    }

    private static QueuedCommand queued(CommandTable table, String... command) {
        return new QueuedCommand(table.lookup(command[0]), args(command));
    }

    private static String text(byte[] reply) {
        return new String(reply, StandardCharsets.UTF_8);
    }

    private static CommandRoute.Kind kind(CommandRoute.Table routes, CommandTable table, String name) {
        return routes.of(table.lookup(name)).kind();
    }

    private static List<String> keys(CommandRoute.Table routes, CommandTable table, String... command) {
        CommandSpec spec = table.lookup(command[0]);
        List<String> out = new ArrayList<>();
        for (byte[] k : routes.of(spec).keys(spec, args(command))) {
            out.add(new String(k, StandardCharsets.UTF_8));
        }
        return out;
    }

    private static ClusterSpec spec() {
        List<NodeSpec> nodes = new ArrayList<>();
        for (int id = 1; id <= 6; id++) {
            nodes.add(new NodeSpec(id, "10.0.0." + id, 6379, 16379, "dc1", "rack" + id));
        }
        return new ClusterSpec("pieces", "secret", 16, Map.of("dc1", 2), nodes).validate();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[][] args(String... parts) {
        byte[][] out = new byte[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            out[i] = parts[i].getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }
}
